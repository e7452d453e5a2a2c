"""Safe mode for images: the pipeline's own safety checker where the model ships one, and a small prompt blocklist.

The blocklist is a floor, not a filter anyone should rely on: it catches the plain words for sexual and gory content
in English and Chinese. sd-turbo and sdxl-turbo ship no checker, so for them it is all safe mode can do; the UI says so.
Only the prompt is checked: people put these very words in negative prompts to steer away from them.
"""

from __future__ import annotations

import re

from aigc_demo.errors import UserError

_BLOCKED_EN = re.compile(
    r"\b(nude|nudes|nudity|naked|nsfw|porn\w*|sex|sexy|sexual\w*|hentai|erotic\w*|genital\w*|nipples?|topless|"
    r"gore|gory|dismember\w*|decapitat\w*|behead\w*|child abuse|loli\w*)\b",
    re.IGNORECASE,
)
_BLOCKED_ZH = ("裸体", "裸露", "全裸", "色情", "情色", "性爱", "做爱", "成人内容", "血腥", "断头", "肢解")


def blocked_term(prompt: str) -> str | None:
    """The first blocklisted word in `prompt`, or None."""
    match = _BLOCKED_EN.search(prompt)
    if match:
        return match.group(0)
    return next((term for term in _BLOCKED_ZH if term in prompt), None)


def check_prompt(prompt: str) -> None:
    """Refuse a prompt that asks for content safe mode does not generate."""
    term = blocked_term(prompt)
    if term:
        raise UserError(
            f"Safe mode is on: this demo does not draw what the prompt asks for (“{term}”). Please rephrase.",
            f"安全模式已开启：本演示不生成提示词所要求的内容（“{term}”）。请换一种说法。",
        )
