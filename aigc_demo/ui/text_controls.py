"""The text tab's controls that follow each other: the Style preset and its sliders, the system prompt and the model,
the statistics line of a finished or stopped run, and what Regenerate and Continue run."""

from __future__ import annotations

import math

from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError
from aigc_demo.tasks.text.text_generation import PRESETS, TextUpdate
from aigc_demo.ui.common import tr

CUSTOM = "Custom"  # the Style a visitor's own slider settings show
PRESET_LABELS = {
    "Precise": ("Precise", "严谨"),
    "Balanced": ("Balanced", "平衡"),
    "Creative": ("Creative", "创意"),
    CUSTOM: ("Custom", "自定义"),
}
SAMPLING = ("temperature", "top_k", "top_p", "min_p", "typical_p", "repetition_penalty")  # the sliders a preset sets
CUSTOM_SUMMARY = (
    "your own settings: see Advanced settings, or pick a style to set them again",
    "你自己的设置：见“高级设置”，或选一种风格重新设置",
)


def preset_summary(name: str, lang: str = "en") -> str:
    """The line under Style: the preset's values, or (Custom) where the values are."""
    if name not in PRESETS:
        return tr(lang, *CUSTOM_SUMMARY)
    v = PRESETS[name]
    if lang == "zh":  # the sliders keep the libraries' names: each number is said in words, then named
        greedy = "（贪心）" if v["temperature"] == 0 else ""
        return (
            f"温度 temperature {v['temperature']}{greedy} · 候选词数 top_k {v['top_k']} · 累积概率 top_p {v['top_p']} "
            f"· 最低概率 min_p {v['min_p']} · 重复惩罚 repetition_penalty {v['repetition_penalty']}"
        )
    greedy = " (greedy)" if v["temperature"] == 0 else ""
    return (
        f"temperature {v['temperature']}{greedy} · top_k {v['top_k']} · top_p {v['top_p']} · min_p {v['min_p']} · "
        f"repetition_penalty {v['repetition_penalty']}"
    )


def matching_preset(*values) -> str:
    """The preset whose values the sliders hold (in `SAMPLING` order), else "Custom"."""
    for name, preset in PRESETS.items():
        if all(_same(value, preset[field]) for field, value in zip(SAMPLING, values, strict=True)):
            return name
    return CUSTOM


def _same(value, wanted) -> bool:
    try:
        return math.isclose(float(value), float(wanted), abs_tol=1e-6)
    except (TypeError, ValueError):
        return False


def preset_values(name: str) -> list | None:
    """The slider values a preset sets (in `SAMPLING` order); None for Custom, which leaves them as they are."""
    preset = PRESETS.get(name)
    return None if preset is None else [preset[field] for field in SAMPLING]


def takes_system_prompt(key: str) -> bool:
    """Whether the model reads a system prompt: chat (instruct) models do, completion (base) models do not."""
    try:
        return get_spec(key).kind == "instruct"
    except UserError:  # an unknown key: the run says what is wrong with it
        return False


def stats_text(lang: str, u: TextUpdate, stopped: bool = False) -> str:
    """The statistics line: "Generating…" while a run streams; what it made, once it is done or stopped."""
    if not u.done and not stopped:
        return tr(lang, "Generating…", "生成中……")
    first = (
        tr(
            lang,
            f" · first token after **{u.time_to_first_token:.2f} s**",
            f" · 首个词元用时 **{u.time_to_first_token:.2f} 秒**",
        )
        if u.new_tokens
        else ""
    )
    return tr(
        lang,
        f"**{u.new_tokens}** tokens · **{u.tokens_per_second:.1f}** tokens/s{first} · prompt {u.prompt_tokens} tokens "
        f"· seed {u.seed}",
        f"生成 **{u.new_tokens}** 个词元 · **{u.tokens_per_second:.1f}** 词元/秒{first} · 提示词 {u.prompt_tokens} "
        f"个词元 · 种子 {u.seed}",
    )


def continuation_source(text: str) -> str:
    """The first candidate's text that Continue goes on with; a clear sentence when there is none yet."""
    if not (text or "").strip():
        raise UserError(
            "Nothing to continue yet: generate a text first, then Continue writes more of it.",
            "还没有可以续写的内容：请先生成一段文字，再用“续写”接着写。",
        )
    return text
