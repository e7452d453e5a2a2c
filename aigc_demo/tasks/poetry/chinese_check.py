"""The form checker for Chinese classical poems (绝句, 律诗): lines, length, punctuation, acrostic, rhyme, tones."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aigc_demo.tasks.common.language import is_cjk
from aigc_demo.tasks.poetry.forms import FORMS, Form, get_form
from aigc_demo.tasks.poetry.prosody import check_rhyme, check_tones, tone_marks
from aigc_demo.tasks.poetry.prosody import verdict as _verdict
from aigc_demo.tasks.poetry.report import Check, LineCheck, PoemReport
from aigc_demo.tasks.poetry.rhyme_books import RhymeBook, get_rhyme_book

LINE_BREAKS = "，。！？；"
_ASCII_PUNCTUATION = str.maketrans({",": "，", ".": "。", "!": "！", "?": "？", ";": "；"})
_LINE_RE = re.compile(r"([^，。！？；\n]+)([，。！？；]?)")


@dataclass(frozen=True)
class Line:
    """One line of a poem as written: its characters and the punctuation that ended it ("" if none)."""

    text: str
    punctuation: str


def split_lines(text: str) -> list[Line]:
    """Split a poem on ，。！？； and newlines; spaces and the editors' [] marks are dropped."""
    cleaned = re.sub(r"[^\S\n]|[\[\]]", "", text.translate(_ASCII_PUNCTUATION))
    return [Line(m.group(1), m.group(2)) for m in _LINE_RE.finditer(cleaned) if m.group(1).strip()]


def detect_form(text: str) -> str | None:
    """The Chinese form key whose shape (lines × characters) the poem has, or None."""
    lines = split_lines(text)
    lengths = {len(line.text) for line in lines}
    if len(lengths) != 1 or not all(is_cjk(ch) for line in lines for ch in line.text):
        return None
    shape = (len(lines), lengths.pop())
    return next((f.key for f in FORMS.values() if (f.num_lines, f.chars_per_line) == shape), None)


def _check_line(form: Form, number: int, line: Line, acrostic: str | None) -> list[Check]:
    n, want = len(line.text), form.chars_per_line
    checks = [
        _verdict(
            "length",
            n == want,
            (f"Line {number} has {want} characters.", f"第{number}句{want}字。"),
            (
                f"Line {number} has {n} characters; a {form.name_en} needs {want}.",
                f"第{number}句有{n}字，{form.label_zh}每句应为{want}字。",
            ),
            number,
        )
    ]
    strange = "".join(dict.fromkeys(ch for ch in line.text if not is_cjk(ch)))
    if strange:
        checks.append(
            Check(
                "characters",
                False,
                f"Line {number} contains '{strange}', which is not a Chinese character.",
                f"第{number}句含有非汉字“{strange}”。",
                number,
            )
        )
    # Sentence-end marks are fine after a couplet, and ； is a pause like ，; real poems ask (？) or exclaim (！)
    # on odd lines too.
    want_end, allowed = ("，", "，；？！") if number % 2 else ("。", "。！？")
    got = f"'{line.punctuation}'" if line.punctuation else "nothing"
    checks.append(
        _verdict(
            "punctuation",
            bool(line.punctuation) and line.punctuation in allowed,
            (f"Line {number} ends with '{line.punctuation}'.", f"第{number}句标点正确。"),
            (
                f"Line {number} should end with '{want_end}' but ends with {got}.",
                f"第{number}句末尾应为“{want_end}”，实际为“{line.punctuation or '无'}”。",
            ),
            number,
        )
    )
    if acrostic is not None and number <= len(acrostic):
        head, first = acrostic[number - 1], line.text[:1]
        checks.append(
            _verdict(
                "acrostic",
                first == head,
                (f"Line {number} starts with '{head}'.", f"第{number}句以“{head}”开头。"),
                (
                    f"Line {number} should start with '{head}' (acrostic) but starts with '{first}'.",
                    f"藏头：第{number}句应以“{head}”开头，实际为“{first}”。",
                ),
                number,
            )
        )
    return checks


def guess_form(text: str) -> str:
    """The Chinese form `text` has (detect_form), else the nearest one: 4 or 8 lines, 5 or 7 characters a line."""
    found = detect_form(text)
    if found:
        return found
    lines = split_lines(text)
    count = 8 if len(lines) > 6 else 4
    lengths = sorted(len(line.text) for line in lines) or [5]
    width = 7 if lengths[len(lengths) // 2] >= 6 else 5
    return next(f.key for f in FORMS.values() if (f.num_lines, f.chars_per_line) == (count, width))


def check_poem(
    text: str, form_key: str, acrostic: str | None = None, rhyme_book: str | RhymeBook | None = None
) -> PoemReport:
    """Check a Chinese poem against its form: line count, lengths, punctuation, acrostic, rhyme; tones as advice.

    Rhyme and tones follow `rhyme_book` ("pingshui", the default, or "xinyun").
    """
    form = get_form(form_key)
    if form.language != "zh":
        raise ValueError(f"`check_poem` checks Chinese forms but got {form_key!r} ({form.language}).")
    book = get_rhyme_book(rhyme_book)
    lines = split_lines(text)
    count, want = len(lines), form.num_lines
    notes = [
        _verdict(
            "line_count",
            count == want,
            (f"The poem has {count} lines.", f"全诗{count}句。"),
            (
                f"The poem has {count} lines; a {form.name_en} needs {want}.",
                f"全诗{count}句，{form.label_zh}应为{want}句。",
            ),
        )
    ]
    if acrostic is not None and len(acrostic) != form.num_lines:
        notes.append(
            Check(
                "acrostic",
                False,
                f"The acrostic '{acrostic}' has {len(acrostic)} characters; it needs one per line ({form.num_lines}).",
                f"藏头字“{acrostic}”有{len(acrostic)}个字，应与句数相同（{form.num_lines}个）。",
            )
        )
    texts = [line.text for line in lines]
    rhyme_note, rhymes = check_rhyme(texts, book)
    tone_note, tones = check_tones(form, texts, book)
    notes += [note for note in (rhyme_note, tone_note) if note is not None]
    reports = []
    for i, line in enumerate(lines):
        checks = _check_line(form, i + 1, line, acrostic)
        checks += [check for check in (rhymes.get(i + 1), tones.get(i + 1)) if check is not None]
        reports.append(
            LineCheck(
                i + 1,
                line.text,
                checks,
                punctuation=line.punctuation,
                tones=tone_marks(book, line.text),
                rhyme_group=book.group(line.text[-1]),
            )
        )
    ok = all(c.ok for c in notes if c.required) and all(line.ok for line in reports)
    return PoemReport(form.key, reports, ok, notes, rhyme_book=book.key)
