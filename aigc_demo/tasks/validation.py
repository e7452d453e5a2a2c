"""Input checks shared by every task: one clear sentence in English and Chinese, never silent clamping."""

from __future__ import annotations

import math
import random
from typing import Any

from aigc_demo import settings
from aigc_demo.errors import UserError

# How parameters are called in the messages, in both languages.
LABELS_ZH = {
    "prompt": "提示词",
    "max_new_tokens": "最大生成长度",
    "temperature": "温度",
    "top_k": "top_k",
    "top_p": "top_p",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "repetition_penalty": "重复惩罚",
    "no_repeat_ngram_size": "禁止重复的 n-gram 长度",
    "num_candidates": "候选数量",
    "seed": "随机种子",
    "article": "文章",
    "num_sentences": "摘要句数",
    "num_inference_steps": "步数",
    "guidance_scale": "引导系数",
    "width": "宽度",
    "height": "高度",
    "num_images": "图片数量",
}


def check_text(name: str, value: Any, *, max_chars: int, allow_empty: bool = False) -> str:
    """A stripped string of at most `max_chars` characters."""
    zh = LABELS_ZH.get(name, name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError(f"`{name}` must be text, but got {type(value).__name__}.", f"“{zh}”必须是文本。")
    text = value.strip()
    if not text and not allow_empty:
        noun = name.replace("_", " ")
        article = "an" if noun[0] in "aeiou" else "a"
        raise UserError(f"Please enter {article} {noun}: it is empty.", f"请输入{zh}：当前为空。")
    if len(text) > max_chars:
        raise UserError(
            f"The {name.replace('_', ' ')} is {len(text):,} characters long; the limit is {max_chars:,}.",
            f"{zh}长度为 {len(text):,} 个字符，超过上限 {max_chars:,}。",
        )
    return text


def check_number(name: str, value: Any, lo: float, hi: float, *, integer: bool = False) -> float | int:
    """`value` as a number in [lo, hi] (an int if `integer`), or a UserError saying what was expected and got."""
    zh = LABELS_ZH.get(name, name)
    kind, kind_zh = ("a whole number", "整数") if integer else ("a number", "数字")
    if isinstance(value, bool) or value is None:
        number = None
    elif isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    else:
        number = None
    if number is None or not math.isfinite(number):
        raise UserError(
            f"`{name}` must be {kind} between {lo:g} and {hi:g}, but got {value!r}.",
            f"“{zh}”必须是 {lo:g} 到 {hi:g} 之间的{kind_zh}，收到的是 {value!r}。",
        )
    if integer and number != int(number):
        raise UserError(
            f"`{name}` must be a whole number, but got {value!r}.", f"“{zh}”必须是整数，收到的是 {value!r}。"
        )
    if not lo <= number <= hi:
        raise UserError(
            f"`{name}` must be between {lo:g} and {hi:g}, but got {number:g}.",
            f"“{zh}”必须在 {lo:g} 到 {hi:g} 之间，收到的是 {number:g}。",
        )
    return int(number) if integer else float(number)


def check_choice(name: str, value: Any, choices: list[str] | tuple[str, ...]) -> str:
    zh = LABELS_ZH.get(name, name)
    if value not in choices:
        listed = ", ".join(choices)
        raise UserError(
            f"`{name}` must be one of {listed}, but got {value!r}.",
            f"“{zh}”必须是以下之一：{listed}；收到的是 {value!r}。",
        )
    return value


def resolve_seed(seed: Any, randomize: bool = False) -> int:
    """The seed to use: a fresh random one if `randomize` or seed is -1, else the given one (checked)."""
    if randomize or seed in (-1, "-1"):
        return random.randint(0, settings.MAX_SEED)
    return check_number("seed", seed, 0, settings.MAX_SEED, integer=True)
