"""The Chinese checker measured on real poems: 唐诗三百首 (tests/data/tang300.json), per form and per rhyme book."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from aigc_demo.tasks.poetry.chinese_check import check_poem, detect_form, split_lines
from aigc_demo.tasks.poetry.forms import FORM_BY_TAG
from aigc_demo.tasks.poetry.pinyin import LEVEL
from aigc_demo.tasks.poetry.rhyme_books import get_rhyme_book

SHAPE_CHECKS = {"line_count", "length", "characters", "punctuation"}


def regulated_poems(path: str | Path) -> list[tuple[str, str, str]]:
    """(title, text, form key) of the poems tagged with exactly one 4- or 8-line Chinese form."""
    out = []
    for poem in json.loads(Path(path).read_text(encoding="utf-8")):
        form_keys = [FORM_BY_TAG[tag] for tag in poem.get("tags", []) if tag in FORM_BY_TAG]
        text = "".join(poem["paragraphs"])
        if len(form_keys) == 1 and len(split_lines(text)) in (4, 8):
            out.append((poem["title"], text, form_keys[0]))
    return out


def evaluate_tang300(path: str | Path, rhyme_book: str = "pingshui") -> dict:
    """Form detection, shape, rhyme and full acceptance of the checker under `rhyme_book`, overall and per form."""
    book = get_rhyme_book(rhyme_book)
    poems = regulated_poems(path)
    totals, accepted, shapes, rhymed = Counter(), Counter(), Counter(), Counter()
    detected = level_ends = level_total = on_pattern = 0
    misdetected, rejected = [], []
    for title, text, form_key in poems:
        report = check_poem(text, form_key, rhyme_book=book)
        failed = {c.name for c in report.failures()}
        totals[form_key] += 1
        accepted[form_key] += report.ok
        shapes[form_key] += not failed & SHAPE_CHECKS
        rhymed[form_key] += not failed & {"rhyme", "rhyme_scheme"}
        on_pattern += any(c.name == "tone_pattern" and c.ok for c in report.notes)
        if detect_form(text) == form_key:
            detected += 1
        else:
            misdetected.append(title)
        if not report.ok:
            rejected.append(title)
        ends = [line.text[-1] for i, line in enumerate(split_lines(text)) if i % 2 == 1]
        level_total += len(ends)
        level_ends += sum(LEVEL in book.tones(ch) for ch in ends)
    total = len(poems)
    return {
        "rhyme_book": book.key,
        "poems": total,
        "detection_accuracy": detected / total,
        "misdetected": misdetected,
        "accepted": sum(accepted.values()) / total,
        "shape_ok": sum(shapes.values()) / total,
        "rhyme_agreement": sum(rhymed.values()) / total,
        "tones_on_pattern": on_pattern / total,  # every line's tone advice passes (2/4/6 and line ends)
        "level_tone_even_line_ends": level_ends / level_total,
        "rejected": rejected,
        "per_form": {key: {"poems": n, "accepted": accepted[key] / n} for key, n in sorted(totals.items())},
    }
