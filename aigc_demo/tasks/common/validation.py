"""Input checks shared by every task: one clear sentence in English and Chinese, never silent clamping."""

from __future__ import annotations

import math
import random
from typing import Any

from aigc_demo import settings
from aigc_demo.errors import HUGE, SURROGATE, UserError, echo

# How parameters are called in the messages, in both languages.
LABELS_ZH = {
    "prompt": "提示词",
    "system_prompt": "系统提示词",
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
    "strict_rhyme": "严格押韵",
    "enforce_tone": "平仄约束",
    "article": "文章",
    "num_sentences": "摘要句数",
    "num_inference_steps": "步数",
    "guidance_scale": "引导系数",
    "width": "宽度",
    "height": "高度",
    "num_images": "图片数量",
    "poem": "诗",
    "form": "体裁",
    "rhyme_book": "韵书",
}


def check_clean_text(name: str, value: str) -> str:
    """`value`, or a UserError if it holds lone surrogates (no valid text does; they break the event stream)."""
    if SURROGATE.search(value):
        zh = LABELS_ZH.get(name, name)
        raise UserError(
            f"The {name.replace('_', ' ')} contains characters that are not valid text (lone surrogates); "
            "please retype or paste it again.",
            f"{zh}中含有无效字符（孤立的代理码位），请重新输入或粘贴。",
        )
    return value


def check_text(name: str, value: Any, *, max_chars: int, allow_empty: bool = False) -> str:
    """A stripped string of at most `max_chars` characters."""
    zh = LABELS_ZH.get(name, name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        kind = type(value).__name__
        raise UserError(f"`{name}` must be text, but got {kind}.", f"“{zh}”必须是文本，收到的是 {kind}。")
    if len(value) > 2 * max_chars + 10_000:  # refused before any work on it (strip, search) costs time
        raise too_long(name, len(value), max_chars)
    text = check_clean_text(name, value).strip()
    if not text and not allow_empty:
        noun = name.replace("_", " ")
        article = "an" if noun[0] in "aeiou" else "a"
        raise UserError(f"Please enter {article} {noun}: it is empty.", f"请输入{zh}：当前为空。")
    if len(text) > max_chars:
        raise too_long(name, len(text), max_chars)
    return text


def too_long(name: str, length: int, max_chars: int) -> UserError:
    """The refusal for a `name` of `length` characters, over `max_chars`."""
    zh = LABELS_ZH.get(name, name)
    return UserError(
        f"The {name.replace('_', ' ')} is {length:,} characters long; the limit is {max_chars:,}.",
        f"{zh}长度为 {length:,} 个字符，超过上限 {max_chars:,}。",
    )


def check_number(name: str, value: Any, lo: float, hi: float, *, integer: bool = False) -> float | int:
    """`value` as a number in [lo, hi] (an int if `integer`), or a UserError saying what was expected and got."""
    zh = LABELS_ZH.get(name, name)
    kind, kind_zh = ("a whole number", "整数") if integer else ("a number", "数字")
    number = _as_number(value)
    shown = echo(value)
    if number is None or not math.isfinite(number):
        raise UserError(
            f"`{name}` must be {kind} between {lo:g} and {hi:g}, but got {shown}.",
            f"“{zh}”必须是 {lo:g} 到 {hi:g} 之间的{kind_zh}，收到的是 {shown}。",
        )
    if integer and number != int(number):
        raise UserError(f"`{name}` must be a whole number, but got {shown}.", f"“{zh}”必须是整数，收到的是 {shown}。")
    if not lo <= number <= hi:
        raise UserError(
            f"`{name}` must be between {lo:g} and {hi:g}, but got {number:g}.",
            f"“{zh}”必须在 {lo:g} 到 {hi:g} 之间，收到的是 {number:g}。",
        )
    return int(number) if integer else float(number)


def _as_number(value: Any) -> float | None:
    """A float for numbers and numeric text; None for anything else, huge integers included (no OverflowError)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return float(value) if abs(value) <= HUGE else None
    if isinstance(value, float):
        return value
    if isinstance(value, str) and len(value) <= 100:
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def check_choice(name: str, value: Any, choices: list[str] | tuple[str, ...]) -> str:
    zh = LABELS_ZH.get(name, name)
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(choices)
        shown = echo(value)
        raise UserError(
            f"`{name}` must be one of {listed}, but got {shown}.",
            f"“{zh}”必须是以下之一：{listed}；收到的是 {shown}。",
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    """`value` if it is a boolean (true/false), else a UserError: 'no' or 0 must not quietly mean on or off."""
    if not isinstance(value, bool):
        zh = LABELS_ZH.get(name, name)
        shown = echo(value)
        raise UserError(
            f"`{name}` must be true or false, but got {shown}.", f"“{zh}”必须是 true 或 false，收到的是 {shown}。"
        )
    return value


def resolve_seed(seed: Any, randomize: bool = False) -> int:
    """The seed to use: a fresh random one if `randomize` or seed is -1, else the given one (checked)."""
    if randomize or (not isinstance(seed, (list, dict)) and seed in (-1, "-1")):
        return random.randint(0, settings.MAX_SEED)
    return check_number("seed", seed, 0, settings.MAX_SEED, integer=True)
