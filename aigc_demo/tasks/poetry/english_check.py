"""English poem forms (quatrain, haiku, free verse, any of them acrostic): syllables, rhymes and the form checker.

Decoding that follows these forms lives in poetry_english_decoding.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pronouncing

from aigc_demo.errors import UserError
from aigc_demo.tasks.poetry.forms import FORMS, Form
from aigc_demo.tasks.poetry.report import Check, LineCheck, PoemReport

ENGLISH_FORMS = {key: form for key, form in FORMS.items() if form.language == "en"}
MAX_ACROSTIC_LETTERS = 16  # free verse with an acrostic gets one line per letter

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def words_of(line: str) -> list[str]:
    """The words of a line; hyphens and other punctuation split words, apostrophes inside a word do not."""
    return _WORD.findall(line)


def _phones(word: str) -> list[str]:
    word = word.lower()
    for candidate in (word, word.removesuffix("'s"), word.replace("'", "")):
        phones = pronouncing.phones_for_word(candidate)
        if phones:
            return phones
    return []


def _guess_syllables(word: str) -> int:
    """Spelling heuristic for words the CMU dictionary lacks: vowel groups, less silent endings."""
    word = word.lower().replace("'", "")
    count = len(re.findall(r"[aeiouy]+", word))
    if count > 1 and word.endswith("e") and not re.search(r"([^aeiouy]le|ee|ye)$", word):
        count -= 1  # "stone", but "table" and "free" keep their last syllable
    elif count > 1 and word.endswith("ed") and not word.endswith(("ted", "ded")):
        count -= 1  # "walked"
    elif count > 1 and word.endswith("es") and not re.search(r"(s|z|x|ch|sh|ge|ce)es$", word):
        count -= 1  # "stones", but "roses" and "pages" keep it
    return max(1, count)


@lru_cache(maxsize=65536)
def count_syllables(word: str) -> int:
    """Syllables in one word: the CMU Pronouncing Dictionary's first pronunciation, else a spelling guess."""
    if not re.search(r"[A-Za-z]", word):
        return 0
    phones = _phones(word)
    return pronouncing.syllable_count(phones[0]) if phones else _guess_syllables(word)


@lru_cache(maxsize=65536)
def rhyme_keys(word: str) -> frozenset[str]:
    # Stress marks are dropped so that "daylight" (secondary stress on "light") rhymes with "night".
    return frozenset(re.sub(r"\d", "", pronouncing.rhyming_part(phones)) for phones in _phones(word))


def _spelling_rhyme_key(word: str) -> str:
    word = word.lower().replace("'", "")
    word = word[:-1] if len(word) > 2 and word.endswith("e") else word
    match = re.search(r"[aeiouy]+[^aeiouy]*$", word)
    return match.group(0) if match else word


def rhyme(word_a: str, word_b: str) -> bool:
    """True when two different words share a rhyming part (CMU dictionary; by spelling for unknown words)."""
    a, b = word_a.lower(), word_b.lower()
    if a == b:
        return False
    keys_a, keys_b = rhyme_keys(a), rhyme_keys(b)
    if keys_a and keys_b:
        return bool(keys_a & keys_b)
    return _spelling_rhyme_key(a) == _spelling_rhyme_key(b)


def validate_english_request(form_key: str, acrostic: str | None = None) -> tuple[Form, str]:
    """The form and the acrostic letters (upper case, spaces removed, "" for none); `UserError` if they don't fit."""
    form = ENGLISH_FORMS.get(form_key)
    if form is None:
        choices = ", ".join(ENGLISH_FORMS)
        raise UserError(
            f"Unknown English poem form {form_key!r}; choose one of: {choices}.",
            f"未知的英文诗体“{form_key}”；可选：{choices}。",
        )
    letters = "".join((acrostic or "").split())
    if not letters:
        return form, ""
    if not (letters.isascii() and letters.isalpha()):
        raise UserError(
            f"The acrostic of an English poem must be English letters A-Z, but got {acrostic!r}.",
            f"英文诗的藏头只能是英文字母 A-Z，收到的是“{acrostic}”。",
        )
    if form.num_lines is not None and len(letters) != form.num_lines:
        raise UserError(
            f"A {form.name_en} has {form.num_lines} lines, so its acrostic needs {form.num_lines} letters, "
            f"but {letters!r} has {len(letters)}.",
            f"{form.label_zh}有 {form.num_lines} 行，藏头需要 {form.num_lines} 个字母，“{letters}”有 {len(letters)} 个。",
        )
    if len(letters) > MAX_ACROSTIC_LETTERS:
        raise UserError(
            f"The acrostic can have at most {MAX_ACROSTIC_LETTERS} letters, but {letters!r} has {len(letters)}.",
            f"藏头最多 {MAX_ACROSTIC_LETTERS} 个字母，“{letters}”有 {len(letters)} 个。",
        )
    return form, letters.upper()


def check_english_poem(text: str, form_key: str, acrostic: str | None = None) -> PoemReport:
    """Check a poem against a form: line count, acrostic heads, haiku syllables, quatrain rhymes.

    Blank lines are ignored. A quatrain passes when lines 2 and 4 rhyme (ABAB, or the looser ABCB) or when
    lines 1-2 and 3-4 rhyme (AABB).
    """
    form, letters = validate_english_request(form_key, acrostic)
    lines = [LineCheck(i + 1, line, []) for i, line in enumerate(t for t in map(str.strip, text.splitlines()) if t)]
    if not lines:
        raise UserError("The poem is empty: write at least one line.", "诗是空的：请至少写一行。")
    expected = len(letters) if letters else form.num_lines
    notes = [_line_count_check(form, len(lines), expected, letters)]
    for line in lines[expected:] if expected else ():
        line.checks.append(Check("line_count", False, "Extra line.", "多出的一行。"))
    for line, letter in zip(lines, letters, strict=False):
        line.checks.append(_acrostic_check(line.text, letter))
    for line, budget in zip(lines, form.syllables, strict=False):
        line.checks.append(_syllable_check(line.text, budget))
    if form.key == "english-quatrain":
        notes.append(_check_quatrain_rhymes(lines))
    for line in lines:
        for check in line.checks:
            check.line = line.index
    ok = all(note.ok is not False for note in notes) and all(line.ok for line in lines)
    return PoemReport(form=form.key, lines=lines, ok=ok, notes=notes)


def _line_count_check(form: Form, count: int, expected: int | None, letters: str) -> Check:
    if expected is None:
        return Check("line_count", True, f"{count} lines.", f"共 {count} 行。")
    ok = count == expected
    if letters:
        need_en, need_zh = f"the acrostic {letters} needs {expected}", f"藏头“{letters}”需要 {expected} 行"
    else:
        need_en, need_zh = f"a {form.name_en} has {expected}", f"{form.label_zh}共 {expected} 行"
    return Check("line_count", ok, f"{count} lines; {need_en}.", f"共 {count} 行；{need_zh}。")


def _acrostic_check(line: str, letter: str) -> Check:
    head = next((ch for ch in line if ch.isalpha()), "")
    if head.upper() == letter:
        return Check(
            "acrostic", True, f"Starts with “{head}”, as the acrostic needs.", f"首字母为“{head}”，符合藏头。"
        )
    return Check(
        "acrostic",
        False,
        f"Starts with “{head}”, but the acrostic needs “{letter}”.",
        f"首字母为“{head}”，藏头要求“{letter}”。",
    )


def _syllable_check(line: str, budget: int) -> Check:
    counts = [(word, count_syllables(word)) for word in words_of(line)]
    total = sum(n for _, n in counts)
    detail = " ".join(f"{word}({n})" for word, n in counts)
    if total == budget:
        return Check(
            "syllables", True, f"{total} syllables, as needed: {detail}", f"{total} 个音节，符合要求：{detail}"
        )
    return Check(
        "syllables",
        False,
        f"{total} syllables, but this line needs {budget}: {detail}",
        f"{total} 个音节，本行需要 {budget} 个：{detail}",
    )


def last_word(line: str) -> str:
    words = words_of(line)
    return words[-1] if words else ""


def _rhyme_check(earlier: LineCheck, later: LineCheck) -> Check:
    a, b = last_word(earlier.text), last_word(later.text)
    where_en, where_zh = f"line {earlier.index}'s “{a}”", f"第 {earlier.index} 行的“{a}”"
    if not (a and b):
        return Check("rhyme", False, f"No end word to rhyme with line {earlier.index}.", "缺少可押韵的末尾单词。")
    if a.lower() == b.lower():
        return Check(
            "rhyme",
            False,
            f"“{b}” repeats {where_en}: same word, not a rhyme.",
            f"“{b}”与{where_zh}是同一个词，不算押韵。",
        )
    ok = rhyme(a, b)
    unknown = [word for word in (a, b) if not rhyme_keys(word)]
    en = f"“{b}” rhymes with {where_en}." if ok else f"“{b}” does not rhyme with {where_en}."
    zh = f"“{b}”与{where_zh}押韵。" if ok else f"“{b}”与{where_zh}不押韵。"
    if unknown:
        en += f" (Judged by spelling: {', '.join(unknown)} not in the CMU dictionary.)"
        zh += f"（{', '.join(unknown)} 不在 CMU 词典中，按拼写判断。）"
    return Check("rhyme", ok, en, zh)


def _check_quatrain_rhymes(lines: list[LineCheck]) -> Check:
    if len(lines) < 4:
        return Check("rhyme_scheme", None, "Rhymes not checked: fewer than 4 lines.", "不足 4 行，未检查押韵。")
    checks = {pair: _rhyme_check(lines[pair[0]], lines[pair[1]]) for pair in ((0, 1), (0, 2), (1, 3), (2, 3))}
    if checks[1, 3].ok:
        scheme, shown = ("ABAB", [(1, 3), (0, 2)]) if checks[0, 2].ok else ("ABCB", [(1, 3)])
    elif checks[0, 1].ok and checks[2, 3].ok:
        scheme, shown = "AABB", [(0, 1), (2, 3)]
    else:
        scheme, shown = None, [(1, 3)]
    for pair in shown:
        lines[pair[1]].checks.append(checks[pair])
    if scheme:
        return Check("rhyme_scheme", True, f"Rhyme scheme {scheme}.", f"韵式 {scheme}。")
    return Check(
        "rhyme_scheme",
        False,
        "Lines 2 and 4 must rhyme (ABAB or ABCB), or lines 1-2 and 3-4 (AABB).",
        "第 2、4 行须押韵（ABAB 或 ABCB），或第 1、2 行与第 3、4 行分别押韵（AABB）。",
    )
