"""Rhyme books: 平水韵 (the Tang/Song standard, from the book itself) and 中华新韵 (modern readings), one interface.

Both answer the same questions about a character: its rhyme groups and its tones (平/仄). The checker and the
decoder take a book by key, so a poem is written and judged by the same rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aigc_demo.errors import UserError
from aigc_demo.tasks.poetry import pinyin
from aigc_demo.tasks.poetry.pinyin import LEVEL, OBLIQUE

DATA = Path(__file__).resolve().parent / "rhyme_data"
DEFAULT_RHYME_BOOK = "pingshui"  # the book Tang regulated verse (绝句, 律诗) was written to


@dataclass(frozen=True)
class RhymeBook:
    """One rhyme book: what it calls itself, and group/tone look-ups by character."""

    key: str
    label_en: str
    label_zh: str

    def in_book(self, ch: str) -> bool:
        """Whether the book itself lists `ch` (else its groups and tones come from its modern readings)."""
        return bool(self.groups(ch)) if self.key == "xinyun" else bool(_pingshui_entries(ch))

    def groups(self, ch: str) -> frozenset[str]:
        """Every group `ch` rhymes in: poets chose among a character's readings, so a rhyme may use any of them."""
        if self.key == "xinyun":
            return pinyin.rhyme_groups(ch)
        return frozenset(group for group, _ in _pingshui_entries(ch))

    def group(self, ch: str) -> str | None:
        """The character's first group: its level-tone one if it has one (regulated verse rhymes on 平)."""
        if self.key == "xinyun":
            return pinyin.rhyme_group(ch)
        entries = _pingshui_entries(ch)
        return next((g for g, tone in entries if tone == LEVEL), entries[0][0] if entries else None)

    def tones(self, ch: str) -> frozenset[str]:
        """平 and/or 仄: under 平水韵 the book's tones (入聲 is 仄), else those of the modern readings."""
        entries = _pingshui_entries(ch) if self.key == "pingshui" else ()
        return frozenset(tone for _, tone in entries) if entries else pinyin.tone_classes(ch)

    def tone(self, ch: str) -> str | None:
        """One tone for display and for the tone pattern: 平 when the book allows it (the poet's likelier choice
        at a level position is as good as any), else 仄; modern readings' most common tone outside the book."""
        if self.key == "pingshui" and _pingshui_entries(ch):
            return LEVEL if LEVEL in self.tones(ch) else OBLIQUE
        return pinyin.tone_class(ch)

    def group_tone(self, group: str) -> str | None:
        """平 or 仄 for a 平水韵 group; None for 中华新韵, whose groups hold both tones."""
        return _pingshui_table()[1].get(group) if self.key == "pingshui" else None

    def all_groups(self) -> list[str]:
        """Every group name, in the book's order."""
        return list(pinyin.RHYME_GROUPS) if self.key == "xinyun" else list(_pingshui_table()[1])


RHYME_BOOKS = {
    book.key: book
    for book in (
        RhymeBook("pingshui", "Pingshui rhyme (平水韵)", "平水韵"),
        RhymeBook("xinyun", "中华新韵", "中华新韵"),
    )
}


def get_rhyme_book(key: str | RhymeBook | None) -> RhymeBook:
    """The book called `key` ("pingshui" or "xinyun"; None is the default); an unknown key is the user's error."""
    if isinstance(key, RhymeBook):
        return key
    book = RHYME_BOOKS.get(key or DEFAULT_RHYME_BOOK)
    if book is None:
        known = ", ".join(RHYME_BOOKS)
        raise UserError(f"Unknown rhyme book '{key}'; choose one of: {known}.", f"未知的韵书“{key}”，可选：{known}。")
    return book


@cache
def _pingshui_table() -> tuple[dict[str, tuple[tuple[str, str], ...]], dict[str, str]]:
    """Character -> ((group, 平/仄), ...) in the book's order, and group -> its tone."""
    data = json.loads((DATA / "pingshui.json").read_text(encoding="utf-8"))
    added = json.loads((DATA / "supplement.json").read_text(encoding="utf-8"))["groups"]
    entries: dict[str, list[tuple[str, str]]] = {}
    group_tone: dict[str, str] = {}
    for tone_key, parts in data.items():
        tone = LEVEL if tone_key == "ping" else OBLIQUE
        for groups in parts.values():
            for group, strings in groups.items():
                group_tone[group] = tone
                for ch in dict.fromkeys("".join(strings) + added.get(group, "")):
                    entries.setdefault(ch, []).append((group, tone))
    return {ch: tuple(found) for ch, found in entries.items()}, group_tone


@cache
def _variants() -> dict[str, str]:
    variants = json.loads((DATA / "variants.json").read_text(encoding="utf-8"))
    extra = json.loads((DATA / "supplement.json").read_text(encoding="utf-8"))["variants"]
    return {ch: variants.get(ch, "") + extra.get(ch, "") for ch in {*variants, *extra}}


@cache
def _pingshui_entries(ch: str) -> tuple[tuple[str, str], ...]:
    """The book's entries for `ch`, plus those of the book characters a simplified or variant form stands for."""
    table = _pingshui_table()[0]
    found = list(table.get(ch, ()))
    for other in _variants().get(ch, ""):
        found += [entry for entry in table.get(other, ()) if entry not in found]
    return tuple(found)
