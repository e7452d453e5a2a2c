"""The one error type whose message is shown to the person using the app."""

from __future__ import annotations


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
