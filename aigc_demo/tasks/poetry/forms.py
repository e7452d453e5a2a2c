"""Poem forms as plain data: the one registry that the Chinese and English poetry engines and the UI share."""

from __future__ import annotations

from dataclasses import dataclass

from aigc_demo.errors import UserError, echo


@dataclass(frozen=True)
class Form:
    """One poem form: its shape, its names and rules in plain words, and how English decoding steers it."""

    key: str
    language: str  # "zh" or "en"
    num_lines: int | None  # None = free length (unless an acrostic fixes it)
    chars_per_line: int | None  # Chinese forms only; None for English forms
    label_en: str
    label_zh: str
    rules_en: str  # the form in one plain sentence, for the UI
    rules_zh: str
    syllables: tuple[int, ...] = ()  # English: syllables per line; empty = no budget
    rhyme_pairs: tuple[tuple[int, int], ...] = ()  # English: 0-based (earlier, later) lines that decoding makes rhyme
    min_words: int = 1  # English: words before decoding may end a line
    max_words: int = 12  # English: decoding ends a line at the next word boundary after this many words; a line that
    # has to rhyme (or be rhymed with) takes its last word, from the words that fit, as word `max_words` at the latest

    @property
    def max_chars(self) -> int | None:
        """Characters in the whole poem, punctuation included (Chinese forms only)."""
        if self.chars_per_line is None or self.num_lines is None:
            return None
        return self.num_lines * (self.chars_per_line + 1)

    @property
    def name_en(self) -> str:
        """The English name inside a sentence: "a five-character quatrain"."""
        return self.label_en[:1].lower() + self.label_en[1:]


FORMS: dict[str, Form] = {
    form.key: form
    for form in (
        Form(
            "wuyan-jueju",
            "zh",
            4,
            5,
            "Five-character quatrain",
            "五言绝句",
            "4 lines of 5 Chinese characters; lines 2 and 4 rhyme.",
            "4 句，每句 5 字；第 2、4 句押韵。",
        ),
        Form(
            "qiyan-jueju",
            "zh",
            4,
            7,
            "Seven-character quatrain",
            "七言绝句",
            "4 lines of 7 Chinese characters; lines 2 and 4 rhyme.",
            "4 句，每句 7 字；第 2、4 句押韵。",
        ),
        Form(
            "wuyan-lushi",
            "zh",
            8,
            5,
            "Five-character regulated verse",
            "五言律诗",
            "8 lines of 5 Chinese characters; lines 2, 4, 6 and 8 rhyme.",
            "8 句，每句 5 字；偶数句押韵。",
        ),
        Form(
            "qiyan-lushi",
            "zh",
            8,
            7,
            "Seven-character regulated verse",
            "七言律诗",
            "8 lines of 7 Chinese characters; lines 2, 4, 6 and 8 rhyme.",
            "8 句，每句 7 字；偶数句押韵。",
        ),
        Form(
            "english-quatrain",
            "en",
            4,
            None,
            "Quatrain",
            "英文四行诗",
            "4 lines in English; line 2 rhymes with line 4 (and 1 with 3).",
            "4 行英文；第 2、4 行押韵（第 1、3 行也押韵）。",
            rhyme_pairs=((0, 2), (1, 3)),
            min_words=4,
            max_words=8,
        ),
        Form(
            "haiku",
            "en",
            3,
            None,
            "Haiku",
            "俳句",
            "3 lines in English of 5, 7 and 5 syllables.",
            "3 行英文，音节数分别为 5、7、5。",
            syllables=(5, 7, 5),
        ),
        Form(
            "english-free",
            "en",
            None,
            None,
            "Free verse",
            "英文自由诗",
            "Lines in English with no fixed length or rhyme.",
            "英文诗，行数、长度和押韵都不限。",
            min_words=2,
        ),
    )
}

# The tags the chinese-poetry corpus (唐诗三百首) uses for each Chinese form.
FORM_BY_TAG = {form.label_zh: form.key for form in FORMS.values() if form.language == "zh"}


def chinese_forms() -> list[Form]:
    """The Chinese forms, in registry order."""
    return [form for form in FORMS.values() if form.language == "zh"]


def get_form(form_key: str) -> Form:
    """The registered form called `form_key`; an unknown key is the user's error."""
    form = FORMS.get(form_key) if isinstance(form_key, str) else None  # a list is not a key (and not hashable)
    if form is None:
        known = ", ".join(FORMS)
        name = echo(form_key, quote=False)
        raise UserError(f"Unknown poem form '{name}'; choose one of: {known}.", f"未知的诗体“{name}”，可选：{known}。")
    return form
