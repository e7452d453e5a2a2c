"""The form checker for Chinese classical poems (绝句, 律诗): lines, length, punctuation, acrostic, rhyme, tones."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from aigc_demo.tasks.poetry_forms import FORM_BY_TAG, FORMS, Form, get_form
from aigc_demo.tasks.poetry_pinyin import (
    LEVEL,
    OBLIQUE,
    is_cjk,
    pattern_tone,
    rhyme_group,
    rhyme_groups,
    tone_class,
    tone_classes,
)
from aigc_demo.tasks.poetry_report import Check, LineCheck, PoemReport

LINE_BREAKS = "，。！？；"
_ASCII_PUNCTUATION = str.maketrans({",": "，", ".": "。", "!": "！", "?": "？", ";": "；"})
_LINE_RE = re.compile(r"([^，。！？；\n]+)([，。！？；]?)")
_TONE_NAMES = {LEVEL: "level (平)", OBLIQUE: "oblique (仄)"}


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


def _verdict(
    name: str, ok: bool, passed: tuple[str, str], failed: tuple[str, str], line: int | None = None, required=True
) -> Check:
    en, zh = passed if ok else failed
    return Check(name, ok, en, zh, line, required)


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
    # Sentence-end marks are fine after a couplet, and ； is a pause like ，.
    want_end, allowed = ("，", "，；") if number % 2 else ("。", "。！？")
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


def _check_rhyme(lines: list[Line]) -> tuple[Check, dict[int, Check]]:
    """The poem-wide rhyme verdict, and one rhyme check per even line (keyed by line number)."""
    ends = [(i + 1, line.text[-1]) for i, line in enumerate(lines) if i % 2 == 1 and line.text]
    if len(ends) < 2:
        return Check("rhyme_scheme", True, "Too few even lines to rhyme.", "偶数句太少，无需押韵。"), {}
    counts = Counter(group for _, ch in ends for group in rhyme_groups(ch))
    if not counts:
        return Check(
            "rhyme_scheme", False, "The pronunciation of the rhyme characters is unknown.", "无法确定韵脚的读音。"
        ), {}
    # Most shared group wins; on a tie the first rhyme character's usual reading decides.
    first = rhyme_group(ends[0][1])
    best = max(counts, key=lambda g: (counts[g], g == first))
    per_line = {}
    for n, ch in ends:
        own = rhyme_group(ch) or "unknown"
        per_line[n] = _verdict(
            "rhyme",
            best in rhyme_groups(ch),
            (f"Line {n} ends on '{ch}', in the {best} rhyme group.", f"第{n}句韵脚“{ch}”属“{best}”韵。"),
            (
                f"Line {n} ends on '{ch}' ({own} group), which does not rhyme with the {best} group of the other "
                "even lines.",
                f"第{n}句韵脚“{ch}”（{rhyme_group(ch) or '读音未知'}韵）与其他偶数句的“{best}”韵不押韵。",
            ),
            n,
        )
    chars = "、".join(ch for _, ch in ends)
    return _verdict(
        "rhyme_scheme",
        all(check.ok for check in per_line.values()),
        (
            f"The even lines end in {chars}, which rhyme ({best} group of 中华新韵).",
            f"偶数句韵脚{chars}同属中华新韵“{best}”韵。",
        ),
        (f"The even lines should all rhyme in the {best} group.", f"偶数句应同押“{best}”韵。"),
    ), per_line


def _check_tones(form: Form, lines: list[Line]) -> tuple[Check | None, dict[int, Check]]:
    """Advice on tones: the 平起/仄起 pattern of characters 2/4/6, and level-tone ends of even lines, per line."""
    second = lines[0].text[1:2] if lines else ""
    starts_level = tone_class(second) == LEVEL if second and tone_classes(second) else None
    per_line = {}
    for i, line in enumerate(lines):
        number, problems, problems_zh = i + 1, [], []
        if starts_level is not None:
            for pos in range(2, min(len(line.text), form.chars_per_line or 0) + 1, 2):
                want = pattern_tone(number, pos, starts_level)
                if want and want not in tone_classes(line.text[pos - 1]):
                    problems.append(f"character {pos} '{line.text[pos - 1]}' should be {_TONE_NAMES[want]}")
                    problems_zh.append(f"第{pos}字“{line.text[pos - 1]}”应为{want}")
        if number % 2 == 0 and line.text and LEVEL not in tone_classes(line.text[-1]):
            problems.append(f"it ends on '{line.text[-1]}', an oblique (仄) tone, where a level (平) one is usual")
            problems_zh.append(f"句末“{line.text[-1]}”为仄声，偶数句通常押平声")
        tones = "".join(tone_class(ch) or "?" for ch in line.text)
        per_line[number] = _verdict(
            "tone",
            not problems,
            (f"Tones {tones} fit the pattern.", f"平仄 {tones} 合律。"),
            (f"Tones {tones}: {'; '.join(problems)}.", f"平仄 {tones}：{'；'.join(problems_zh)}。"),
            number,
            required=False,
        )
    if starts_level is None:
        return None, per_line
    kind_en, kind_zh = ("level-start (平起)", "平起") if starts_level else ("oblique-start (仄起)", "仄起")
    note = _verdict(
        "tone_pattern",
        all(check.ok for check in per_line.values()),
        (
            f"Characters 2/4/6 follow the {kind_en} pattern set by '{second}'.",
            f"二四六字符合由“{second}”确定的{kind_zh}格律。",
        ),
        (
            f"Some tones stray from the {kind_en} pattern set by '{second}'. Tones are advice, never a failure: "
            'today\'s Mandarin only approximates Tang pronunciation. "Follow the tone pattern" enforces them.',
            f"部分字不合由“{second}”确定的{kind_zh}格律。平仄仅供参考，不算不合格：普通话与唐代读音不尽相同。"
            "勾选“遵守平仄”可强制平仄。",
        ),
        required=False,
    )
    return note, per_line


def check_poem(text: str, form_key: str, acrostic: str | None = None) -> PoemReport:
    """Check a Chinese poem against its form: line count, lengths, punctuation, acrostic, rhyme; tones as advice."""
    form = get_form(form_key)
    if form.language != "zh":
        raise ValueError(f"`check_poem` checks Chinese forms but got {form_key!r} ({form.language}).")
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
    rhyme_note, rhymes = _check_rhyme(lines)
    tone_note, tones = _check_tones(form, lines)
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
                tones="".join(tone_class(ch) or "?" for ch in line.text),
                rhyme_group=rhyme_group(line.text[-1]),
            )
        )
    ok = all(c.ok for c in notes if c.required) and all(line.ok for line in reports)
    return PoemReport(form.key, reports, ok, notes)


def evaluate_tang300(path: str | Path) -> dict:
    """Form detection and rhyme agreement on the 唐诗三百首 poems tagged with a 4- or 8-line Chinese form."""
    poems = json.loads(Path(path).read_text(encoding="utf-8"))
    total = detected = rhymed = rhymed_usual = level_ends = level_total = 0
    misdetected = []
    for poem in poems:
        form_keys = [FORM_BY_TAG[tag] for tag in poem.get("tags", []) if tag in FORM_BY_TAG]
        text = "".join(poem["paragraphs"])
        lines = split_lines(text)
        if len(form_keys) != 1 or len(lines) not in (4, 8):
            continue
        total += 1
        if detect_form(text) == form_keys[0]:
            detected += 1
        else:
            misdetected.append(poem["title"])
        rhymed += bool(_check_rhyme(lines)[0].ok)
        ends = [line.text[-1] for i, line in enumerate(lines) if i % 2 == 1]
        groups = {rhyme_group(ch) for ch in ends}
        rhymed_usual += len(groups) == 1 and None not in groups
        level_total += len(ends)
        level_ends += sum(LEVEL in tone_classes(ch) for ch in ends)
    return {
        "poems": total,
        "detection_accuracy": detected / total,
        "misdetected": misdetected,
        # Any reading of each rhyme character may rhyme (what check_poem uses).
        "rhyme_agreement": rhymed / total,
        # Only the most common modern reading of each character.
        "rhyme_agreement_usual_reading": rhymed_usual / total,
        "level_tone_even_line_ends": level_ends / level_total,
    }
