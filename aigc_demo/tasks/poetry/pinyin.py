"""Pronunciation of Chinese characters for poetry: 中华新韵 rhyme groups and 平/仄 tones, from pypinyin readings."""

from __future__ import annotations

from functools import cache

from aigc_demo.tasks.common.language import is_cjk

# 中华新韵 (中华诗词学会, 2005): 14 rhyme groups, each a set of pinyin finals. ü is written "v", and "-i" is the
# apical vowel of zhi chi shi ri zi ci si, which rhymes apart from the i of ji qi xi.
RHYME_GROUPS: dict[str, frozenset[str]] = {
    "麻": frozenset({"a", "ia", "ua"}),
    "波": frozenset({"o", "e", "uo", "io"}),
    "皆": frozenset({"ie", "ve", "ê"}),
    "开": frozenset({"ai", "uai"}),
    "微": frozenset({"ei", "uei"}),
    "豪": frozenset({"ao", "iao"}),
    "尤": frozenset({"ou", "iou"}),
    "寒": frozenset({"an", "ian", "uan", "van"}),
    "文": frozenset({"en", "in", "uen", "vn"}),
    "唐": frozenset({"ang", "iang", "uang"}),
    "庚": frozenset({"eng", "ing", "ueng", "ong", "iong"}),
    "齐": frozenset({"i", "er", "v"}),
    "支": frozenset({"-i"}),
    "姑": frozenset({"u"}),
}
_GROUP_BY_FINAL = {final: group for group, finals in RHYME_GROUPS.items() for final in finals}

LEVEL, OBLIQUE = "平", "仄"  # Mandarin tones 1-2 are level (平), 3-4 oblique (仄); the neutral tone is unknown

_INITIALS = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcs")  # two-letter initials first
_APICAL_INITIALS = {"zh", "ch", "sh", "r", "z", "c", "s"}


def _parse_syllable(syllable: str) -> tuple[str | None, int]:
    """Split a TONE3 pinyin syllable such as "zhi1" or "yue4" into (rhyme group, tone 1-5)."""
    tone = int(syllable[-1]) if syllable[-1].isdigit() else 5
    body = syllable.rstrip("012345").replace("ü", "v")
    initial = next((i for i in _INITIALS if body.startswith(i) and len(body) > len(i)), "")
    final = body[len(initial) :]
    if not initial and body[:1] == "y":  # y- spellings stand for i-/ü- finals: ya=ia, yu=v, yuan=van, yi=i
        rest = body[1:]
        final = "v" + rest[1:] if rest.startswith("u") else (rest if rest.startswith("i") else "i" + rest)
    elif not initial and body[:1] == "w":  # w- spellings stand for u- finals: wa=ua, wu=u
        rest = body[1:]
        final = rest if rest.startswith("u") else "u" + rest
    elif initial in {"j", "q", "x"} and final.startswith("u"):  # ju qu xu are written without the umlaut
        final = "v" + final[1:]
    elif initial in _APICAL_INITIALS and final == "i":
        final = "-i"
    final = {"ui": "uei", "iu": "iou", "un": "uen"}.get(final, final)
    return _GROUP_BY_FINAL.get(final), tone


@cache
def readings(ch: str) -> tuple[tuple[str | None, int], ...]:
    """All (rhyme group, tone) readings of one character, most common first; () when pypinyin does not know it."""
    if not is_cjk(ch):
        return ()
    from pypinyin import Style, pinyin  # here, not at import: loading its dictionary costs ~0.5 s at start-up

    syllables = pinyin(ch, style=Style.TONE3, heteronym=True, errors=lambda _: [])
    parsed = [_parse_syllable(s) for s in (syllables[0] if syllables else []) if s and s.isascii()]
    # A neutral tone is a property of a word in context, never of a character alone: prefer a toned reading.
    toned = [r for r in parsed if r[1] != 5]
    return tuple(toned + [r for r in parsed if r[1] == 5])


def rhyme_group(ch: str) -> str | None:
    """The 中华新韵 group of the character's most common reading, e.g. "唐" for 光."""
    found = readings(ch)
    return found[0][0] if found else None


def rhyme_groups(ch: str) -> frozenset[str]:
    """The groups of all readings: poets chose among a character's readings, so a rhyme may use any of them."""
    return frozenset(group for group, _ in readings(ch) if group)


def _tone_class(tone: int) -> str | None:
    return LEVEL if tone in (1, 2) else OBLIQUE if tone in (3, 4) else None


def tone_class(ch: str) -> str | None:
    """平 or 仄 for the character's most common reading; None when unknown."""
    found = readings(ch)
    return _tone_class(found[0][1]) if found else None


def tone_classes(ch: str) -> frozenset[str]:
    """平 and/or 仄 over all readings of the character."""
    return frozenset(c for c in (_tone_class(t) for _, t in readings(ch)) if c)


def pattern_tone(line_number: int, position: int, starts_level: bool) -> str | None:
    """The regulated-verse tone at `position` (1-based) of line `line_number` (1-based), or None if free.

    Only positions 2, 4 and 6 are fixed (一三五不论，二四六分明): inside a line they alternate; a couplet's second
    line opposes the first (对) and the next couplet's first line repeats it (粘). `starts_level` is 平起.
    """
    if position not in (2, 4, 6):
        return None
    second_is_level = starts_level == ((line_number // 2) % 2 == 0)
    is_level = second_is_level if position in (2, 6) else not second_is_level
    return LEVEL if is_level else OBLIQUE
