"""The one place that says what counts as Chinese: CJK characters, a text's language, a visitor's language."""

from __future__ import annotations

import re

# CJK ideographs: extension A, the basic block, the compatibility block, and the supplementary planes (ext. B-H).
CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))
CJK_CHARS = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_BLOCKS)  # for a regex character class
CJK = re.compile(f"[{CJK_CHARS}]")
# Scripts in which one character is about a word, and which the image models' English text encoders do not read:
# kana, CJK (with its symbols and extension A) and hangul.
EAST_ASIAN = re.compile("[\u3040-\u9fff\uac00-\ud7af]")
LATIN_LETTER = re.compile(r"[A-Za-z]")

# Share of CJK among letters above which a text counts as Chinese. A Chinese character carries about as much as an
# English word (~5 letters), so a Chinese article quoting English names stays far above 0.2 and an English article
# quoting a Chinese name stays far below it.
ZH_CJK_RATIO = 0.2  # 0-1


def is_cjk(ch: str) -> bool:
    """Whether `ch` is one CJK ideograph."""
    return len(ch) == 1 and CJK.match(ch) is not None


def count_cjk(text: str) -> int:
    """How many CJK ideographs `text` holds."""
    return len(CJK.findall(text))


def detect_language(text: str) -> str:
    """The language of `text`: "zh" when CJK makes up at least ZH_CJK_RATIO of its letters, else "en"."""
    cjk = count_cjk(text)
    latin = len(LATIN_LETTER.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk / (cjk + latin) >= ZH_CJK_RATIO else "en"


def preferred_language(accept_language: str | None) -> str:
    """"zh" when an Accept-Language header's first choice is Chinese, else "en" (the app speaks these two)."""
    first = (accept_language or "").lower().split(",")[0].strip()
    return "zh" if first.startswith("zh") else "en"


LANGUAGE_COOKIE = "aigc_lang"  # set by the header's EN/中文 switch; wins over the browser's Accept-Language


def request_language(headers, cookies) -> str:
    """The visitor's language from a request's cookies (the switch) and headers: "zh" or "en"."""
    chosen = (cookies or {}).get(LANGUAGE_COOKIE)
    if chosen in ("en", "zh"):
        return chosen
    return preferred_language((headers or {}).get("accept-language"))
