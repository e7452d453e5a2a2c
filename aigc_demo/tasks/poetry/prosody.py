"""Rhyme and tones of a Chinese poem by one rhyme book: the even lines' rhyme, 首句入韵, and the 平仄 pattern."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from aigc_demo.tasks.poetry.forms import Form
from aigc_demo.tasks.poetry.pinyin import LEVEL, OBLIQUE, pattern_tone
from aigc_demo.tasks.poetry.report import Check
from aigc_demo.tasks.poetry.rhyme_books import RHYME_BOOKS, RhymeBook

_TONE_NAMES = {LEVEL: "level (平)", OBLIQUE: "oblique (仄)"}
BOTH_TONES = "中"  # the prosodists' mark for a character the book lists in both tones (可平可仄)


def verdict(
    name: str, ok: bool, passed: tuple[str, str], failed: tuple[str, str], line: int | None = None, required=True
) -> Check:
    """A check whose sentences depend on whether it passed."""
    en, zh = passed if ok else failed
    return Check(name, ok, en, zh, line, required)


def tone_marks(book: RhymeBook, text: str) -> str:
    """平, 仄, 中 (the book lists both) or ? (unknown) per character; 中华新韵 shows the usual reading's tone."""
    if book.key == "xinyun":
        return "".join(book.tone(ch) or "?" for ch in text)
    marks = []
    for ch in text:
        tones = book.tones(ch)
        marks.append(BOTH_TONES if len(tones) == 2 else next(iter(tones)) if tones else "?")
    return "".join(marks)


def _group_name(book: RhymeBook, group: str) -> tuple[str, str]:
    """The group as a sentence names it, in English and Chinese."""
    return f"the {group} group of {book.label_en}", f"{book.label_zh}“{group}”韵"


def _modern_fallback(book: RhymeBook, ch: str, rhymes: Sequence[str]) -> bool:
    """For a character the book lacks: does one of its modern readings rhyme with one of the book's rhyme chars?"""
    modern = RHYME_BOOKS["xinyun"]
    return any(modern.groups(ch) & modern.groups(other) for other in rhymes if other != ch)


def check_rhyme(lines: Sequence[str], book: RhymeBook) -> tuple[Check, dict[int, Check]]:
    """The poem-wide rhyme verdict, and one rhyme check per even line and line 1 (keyed by line number).

    The group is the one most even-line ends share. A character missing from the book is judged by its modern
    reading, and its sentence says so. Line 1 may rhyme too (首句入韵); whether it does is only reported.
    """
    ends = [(i + 1, text[-1]) for i, text in enumerate(lines) if i % 2 == 1 and text]
    if len(ends) < 2:
        return Check("rhyme_scheme", True, "Too few even lines to rhyme.", "偶数句太少，无需押韵。"), {}
    listed = [(n, ch) for n, ch in ends if book.in_book(ch)]
    counts = Counter(group for _, ch in listed for group in book.groups(ch))
    if not counts:
        return Check(
            "rhyme_scheme",
            False,
            f"None of the rhyme characters is in {book.label_en}, so the rhyme cannot be judged.",
            f"韵脚字都不在{book.label_zh}中，无法判断押韵。",
        ), {}
    first = book.group(listed[0][1])  # on a tie the first listed rhyme character's main group decides
    best = max(counts, key=lambda g: (counts[g], g == first))
    in_group = [ch for _, ch in listed if best in book.groups(ch)]
    best_en, best_zh = _group_name(book, best)
    per_line = {}
    for n, ch in ends:
        if book.in_book(ch):
            own = book.group(ch)
            per_line[n] = verdict(
                "rhyme",
                best in book.groups(ch),
                (f"Line {n} ends on '{ch}', in {best_en}.", f"第{n}句韵脚“{ch}”属{best_zh}。"),
                (
                    f"Line {n} ends on '{ch}' ({own}), which does not rhyme with {best_en} of the other even lines.",
                    f"第{n}句韵脚“{ch}”（{own}）与其他偶数句的{best_zh}不押韵。",
                ),
                n,
            )
        else:
            per_line[n] = verdict(
                "rhyme",
                _modern_fallback(book, ch, in_group),
                (
                    f"Line {n} ends on '{ch}', which {book.label_en} does not list; by its modern reading it rhymes.",
                    f"第{n}句韵脚“{ch}”不在{book.label_zh}中；按今音押韵。",
                ),
                (
                    f"Line {n} ends on '{ch}', which {book.label_en} does not list, and by its modern reading it does "
                    f"not rhyme with the other even lines.",
                    f"第{n}句韵脚“{ch}”不在{book.label_zh}中，按今音也与其他偶数句不押韵。",
                ),
                n,
            )
    if lines and lines[0] and len(lines) >= 4:
        per_line[1] = _first_line_rhyme(book, lines[0][-1], best, in_group)
    chars = "、".join(ch for _, ch in ends)
    return verdict(
        "rhyme_scheme",
        all(check.ok for n, check in per_line.items() if n != 1),
        (f"The even lines end in {chars}, which rhyme ({best_en}).", f"偶数句韵脚{chars}同属{best_zh}。"),
        (f"The even lines should all rhyme in {best_en}.", f"偶数句应同押{best_zh}。"),
    ), per_line


def _first_line_rhyme(book: RhymeBook, ch: str, best: str, in_group: Sequence[str]) -> Check:
    """Line 1 either rhymes with the even lines (首句入韵) or ends on an oblique tone; both are regular."""
    rhymes = best in book.groups(ch) if book.in_book(ch) else _modern_fallback(book, ch, in_group)
    if rhymes:
        return Check("rhyme", True, f"Line 1 rhymes too ('{ch}', 首句入韵).", f"首句入韵（“{ch}”）。", 1, False)
    level = book.tones(ch) == {LEVEL}
    return verdict(
        "rhyme",
        not level,
        (f"Line 1 does not rhyme ('{ch}'), as is usual.", f"首句不入韵（“{ch}”）。"),
        (
            f"Line 1 ends on '{ch}', a level tone that does not rhyme: line 1 either rhymes (首句入韵) or ends oblique.",
            f"首句末字“{ch}”为平声却不入韵：首句应入韵或以仄声收尾。",
        ),
        1,
        required=False,
    )


def starts_level(lines: Sequence[str], book: RhymeBook) -> bool | None:
    """平起 (True) or 仄起 (False): line 1's second character, else the opposite of line 2's, where unambiguous."""
    for number, opposite in ((0, False), (1, True)):
        second = lines[number][1:2] if len(lines) > number else ""
        tones = book.tones(second) if second else frozenset()
        if len(tones) == 1:
            return (LEVEL in tones) != opposite
    second = lines[0][1:2] if lines else ""
    tone = book.tone(second) if second else None
    return None if tone is None else tone == LEVEL


def check_tones(form: Form, lines: Sequence[str], book: RhymeBook) -> tuple[Check | None, dict[int, Check]]:
    """Advice on tones: the 平起/仄起 pattern of characters 2/4/6 and the tone of line ends, per line."""
    level_start = starts_level(lines, book)
    per_line = {}
    for i, text in enumerate(lines):
        number, problems, problems_zh = i + 1, [], []
        if level_start is not None:
            for pos in range(2, min(len(text), form.chars_per_line or 0) + 1, 2):
                want = pattern_tone(number, pos, level_start)
                tones = book.tones(text[pos - 1])
                if want and tones and want not in tones:
                    problems.append(f"character {pos} '{text[pos - 1]}' should be {_TONE_NAMES[want]}")
                    problems_zh.append(f"第{pos}字“{text[pos - 1]}”应为{want}声")
        end = book.tones(text[-1]) if text else frozenset()
        if number % 2 == 0 and end and LEVEL not in end:
            problems.append(f"it ends on '{text[-1]}', an oblique (仄) tone, where a level (平) one is usual")
            problems_zh.append(f"句末“{text[-1]}”为仄声，偶数句通常押平声")
        elif number % 2 == 1 and number > 1 and end and OBLIQUE not in end:
            problems.append(f"it ends on '{text[-1]}', a level (平) tone, where an unrhymed line ends oblique (仄)")
            problems_zh.append(f"句末“{text[-1]}”为平声，不入韵的奇数句通常以仄声收尾")
        tones = tone_marks(book, text)
        per_line[number] = verdict(
            "tone",
            not problems,
            (f"Tones {tones} fit the pattern.", f"平仄 {tones} 合律。"),
            (f"Tones {tones}: {'; '.join(problems)}.", f"平仄 {tones}：{'；'.join(problems_zh)}。"),
            number,
            required=False,
        )
    if level_start is None:
        return None, per_line
    kind_en, kind_zh = ("level-start (平起)", "平起") if level_start else ("oblique-start (仄起)", "仄起")
    modern = book.key == "xinyun"
    caveat_en = " Today's Mandarin only approximates Tang pronunciation." if modern else ""
    caveat_zh = "普通话与唐代读音不尽相同。" if modern else ""
    note = verdict(
        "tone_pattern",
        all(check.ok for check in per_line.values()),
        (
            f"Characters 2/4/6 follow the {kind_en} pattern, by {book.label_en}.",
            f"二四六字符合{kind_zh}格律（按{book.label_zh}）。",
        ),
        (
            f"Some tones stray from the {kind_en} pattern, by {book.label_en}. Tones are advice, never a failure."
            f'{caveat_en} "Follow the tone pattern" enforces them.',
            f"部分字不合{kind_zh}格律（按{book.label_zh}）。平仄仅供参考，不算不合格。{caveat_zh}"
            "勾选“遵守平仄”可强制平仄。",
        ),
        required=False,
    )
    return note, per_line
