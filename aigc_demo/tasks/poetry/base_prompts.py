"""Openings for pre-trained (not instruction-tuned) models such as Gemma 3 270M: one example poem, then the request.

A base model continues text, so it is shown what an anthology page looks like: a title, a poem in the form, then the
user's title. The Chinese examples are Tang poems (public domain), written as the decoder writes (no line breaks);
the English ones were written for this app.
"""

from __future__ import annotations

from collections.abc import Sequence

from aigc_demo.tasks.poetry.forms import Form

_CHINESE_EXAMPLES = {  # (characters per line, lines) -> (title, poem)
    (5, 4): ("静夜思", "床前明月光，疑是地上霜。举头望明月，低头思故乡。"),
    (7, 4): ("早发白帝城", "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"),
    (5, 8): ("春望", "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"),
    (7, 8): (
        "登高",
        "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
        "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。",
    ),
}
_ENGLISH_EXAMPLES = {
    "haiku": ("morning rain", "Morning rain is soft\nThe garden drinks in silence\nA bird shakes its wings"),
    "english-quatrain": (
        "evening",
        "The evening light is falling slow,\nThe hills are turning into gray,\nThe river keeps its quiet flow,\n"
        "And night comes in to end the day.",
    ),
    "english-free": (
        "the city",
        "Streets hum under yellow lamps\nA bus sighs at the corner\nSomeone laughs upstairs\nand the night goes on",
    ),
}


def chinese_opening(form: Form, theme: str, acrostic: str, fixed_lines: Sequence[str]) -> str:
    """An example poem of the same shape, then the user's title (and acrostic), then the lines kept so far."""
    title, poem = _CHINESE_EXAMPLES[(form.chars_per_line, form.num_lines)]
    head = f"（藏头：{acrostic}）" if acrostic else ""
    body = "".join(f"{text}{'。' if i % 2 else '，'}" for i, text in enumerate(fixed_lines))
    return f"{form.label_zh}\n\n《{title}》\n{poem}\n\n《{theme or '无题'}》{head}\n{body}"


def english_opening(form: Form, prompt: str, acrostic: str, fixed_lines: Sequence[str]) -> str:
    """An example poem of the same form, then the user's subject (and acrostic), then the lines kept so far."""
    subject, poem = _ENGLISH_EXAMPLES[form.key]
    name = form.name_en
    head = f" (the first letters of the lines spell {acrostic})" if acrostic else ""
    kept = "".join(line + "\n" for line in fixed_lines)
    return f"A {name} about {subject}:\n\n{poem}\n\nA {name} about {prompt}{head}:\n\n{kept}"
