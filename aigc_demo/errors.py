"""The one error type whose message is shown to the person using the app, and `echo`, which quotes input in it."""

from __future__ import annotations

import re
from typing import Any


class UserError(Exception):
    """Bad input or an unavailable resource, explained in one sentence in English and Chinese.

    The UI turns it into `gr.Error` in the user's language; everything else is a bug and is logged.
    """

    def __init__(self, en: str, zh: str | None = None):
        super().__init__(en)
        self.en = en
        self.zh = zh or en

    def message(self, lang: str = "en") -> str:
        """The message in `lang` ("zh..." picks Chinese, anything else English)."""
        return self.zh if lang.lower().startswith("zh") else self.en


ECHO_CHARS = 80  # an error message quotes at most this much of what it was given
SURROGATE = re.compile("[\ud800-\udfff]")
HUGE = 1e300  # beyond any setting; bigger integers cannot even be turned into floats


def echo(value: Any, limit: int = ECHO_CHARS, *, quote: bool = True) -> str:
    """`value` made fit to quote in a message: short (cut with …), no lone surrogates (ui.common escapes HTML)."""
    text = value if isinstance(value, str) else _short_repr(value, limit)
    text = SURROGATE.sub("\ufffd", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”" if quote and isinstance(value, str) else text


def _short_repr(value: Any, limit: int) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > HUGE:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"  # str() of it may even fail
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails is shown by its type
        text = type(value).__name__
    return text[: limit + 1]
