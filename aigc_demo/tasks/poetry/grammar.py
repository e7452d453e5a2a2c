"""Poem forms as GBNF grammars, for serving engines that take one (llama.cpp's `grammar` field).

A grammar can say how many lines, how long each line is and what each line starts with; it cannot say which words
rhyme or which characters are level or oblique. `poem_grammar` covers the whole poem, `line_grammar` one line (for
the line-by-line mode that checks rhyme and tones after each line and asks again). No torch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from aigc_demo.tasks.poetry.forms import Form

CJK = r"[\u4e00-\u9fff]"  # one CJK unified ideograph
# English words: letters, with an apostrophe or hyphen only between letters ("don't", "sea-bird"), and no longer than
# real words. A looser [A-Za-z'’-]+ let Gemma on llama-server write "’’’’…" until its tokens ran out, one line long.
LETTERS = "[A-Za-z]{1,20}"
JOINED = f"(['’-] {LETTERS}){{0,3}}"
FREE_VERSE_LINES = 8


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def line_count(form: Form, acrostic: str) -> int:
    """Lines the poem has: the form's, else one per acrostic letter, else FREE_VERSE_LINES."""
    return form.num_lines or len(acrostic) or FREE_VERSE_LINES


def line_rule(form: Form, index: int, head: str = "", last: Sequence[str] = ()) -> str:
    """The GBNF right-hand side of line `index` (0-based): its length, its first character, its end mark, and
    (for a line that must rhyme) its last character or word, one of `last`."""
    if form.language == "zh":
        mark = "，" if index % 2 == 0 else "。"  # odd lines end with a comma, even lines with a full stop
        n = form.chars_per_line or 5
        first = _literal(head) if head else "cjk"
        if last:
            return f"{first} cjk{{{n - 2}}} [{''.join(last)}] {_literal(mark)}"
        return f"{first} cjk{{{n - 1}}} {_literal(mark)}"
    first = f"[{head.upper()}{head.lower()}] word-rest" if head else "word"
    # Between min_words and max_words words, an optional mark after each, an optional end mark.
    more = max(0, form.max_words - 1)
    least = max(0, form.min_words - 1)
    if last:
        words = " | ".join(_literal(w) for w in last)
        return f'{first} sep? (" " word sep?){{{max(0, least - 1)},{max(0, more - 1)}}} " " ({words}) end?'
    return f'{first} sep? (" " word sep?){{{least},{more}}} end?'


def _common(form: Form) -> list[str]:
    if form.language == "zh":
        return [f"cjk ::= {CJK}"]
    rest = "[A-Za-z]{0,19}"  # after an acrostic's first letter
    return [f"word ::= {LETTERS} {JOINED}", f"word-rest ::= {rest} {JOINED}", "sep ::= [,;:]", "end ::= [.!?]"]


def poem_grammar(form: Form, acrostic: str = "", fixed_lines: list[str] | tuple[str, ...] = ()) -> str:
    """The whole poem: the form's line count, each line's length and acrostic head; kept lines as they are."""
    n = line_count(form, acrostic)
    rules = []
    for i in range(n):
        if i < len(fixed_lines):
            mark = ("，" if i % 2 == 0 else "。") if form.language == "zh" else ""
            rules.append(f"l{i + 1} ::= {_literal(fixed_lines[i] + mark)}")
        else:
            rules.append(f"l{i + 1} ::= {line_rule(form, i, acrostic[i] if i < len(acrostic) else '')}")
    root = ' "\\n" '.join(f"l{i + 1}" for i in range(n))
    return "\n".join([f"root ::= {root}", *rules, *_common(form)]) + "\n"


def line_grammar(form: Form, index: int, head: str = "", last: Sequence[str] = ()) -> str:
    """One line, `index` (0-based), alone: for generating line by line."""
    return "\n".join([f"root ::= {line_rule(form, index, head, last)}", *_common(form)]) + "\n"


@functools.lru_cache(maxsize=64)
def rhyming_characters(group: str, book_key: str) -> str:
    """Every CJK character that `book_key` puts in rhyme `group` (for a grammar's last character)."""
    from aigc_demo.tasks.poetry.rhyme_books import get_rhyme_book

    book = get_rhyme_book(book_key)
    return "".join(chr(c) for c in range(0x4E00, 0xA000) if group in book.groups(chr(c)))


def rhyme_targets(form: Form, lines: Sequence[str], index: int, book_key: str) -> list[str]:
    """The allowed last characters (Chinese) or words (English) of line `index` (0-based) so that it rhymes with
    the lines before it; empty when the line is free (the first line of a rhyme, or no rhyme asked)."""
    if form.language == "zh":
        if index % 2 == 0 or index < 3 or not lines[1:2] or not lines[1]:
            return []  # line 2 sets the rhyme; lines 4, 6, 8 follow it
        from aigc_demo.tasks.poetry.rhyme_books import get_rhyme_book

        book = get_rhyme_book(book_key)
        group = book.group(lines[1].rstrip("，。")[-1:])
        return list(rhyming_characters(group, book_key)) if group else []
    if form.key != "english-quatrain" or index < 2:
        return []
    import pronouncing

    from aigc_demo.tasks.poetry.english_check import last_word

    word = last_word(lines[index - 2]).lower()  # ABAB: line 3 rhymes with line 1, line 4 with line 2
    return sorted({w for w in pronouncing.rhymes(word) if w.isalpha()})[:300]
