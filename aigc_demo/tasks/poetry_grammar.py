"""Poem forms as GBNF grammars, for serving engines that take one (llama.cpp's `grammar` field).

A grammar can say how many lines, how long each line is and what each line starts with; it cannot say which words
rhyme or which characters are level or oblique. `poem_grammar` covers the whole poem, `line_grammar` one line (for
the line-by-line mode that checks rhyme and tones after each line and asks again). No torch.
"""

from __future__ import annotations

from aigc_demo.tasks.poetry_forms import Form

CJK = r"[\u4e00-\u9fff]"  # one CJK unified ideograph
WORD = r"[A-Za-z'’-]"  # English words: letters, apostrophes and hyphens
FREE_VERSE_LINES = 8


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def line_count(form: Form, acrostic: str) -> int:
    """Lines the poem has: the form's, else one per acrostic letter, else FREE_VERSE_LINES."""
    return form.num_lines or len(acrostic) or FREE_VERSE_LINES


def line_rule(form: Form, index: int, head: str = "") -> str:
    """The GBNF right-hand side of line `index` (0-based): its length, its first character, its end mark."""
    if form.language == "zh":
        mark = "，" if index % 2 == 0 else "。"  # odd lines end with a comma, even lines with a full stop
        n = form.chars_per_line or 5
        first = _literal(head) if head else "cjk"
        return f"{first} cjk{{{n - 1}}} {_literal(mark)}"
    first = f"[{head.upper()}{head.lower()}] word-rest" if head else "word"
    # Between min_words and max_words words, an optional mark after each, an optional end mark.
    more = max(0, form.max_words - 1)
    least = max(0, form.min_words - 1)
    return f'{first} sep? (" " word sep?){{{least},{more}}} end?'


def _common(form: Form) -> list[str]:
    if form.language == "zh":
        return [f"cjk ::= {CJK}"]
    return [f"word ::= {WORD}+", f"word-rest ::= {WORD}*", "sep ::= [,;:]", "end ::= [.!?]"]


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


def line_grammar(form: Form, index: int, head: str = "") -> str:
    """One line, `index` (0-based), alone: for generating line by line."""
    return "\n".join([f"root ::= {line_rule(form, index, head)}", *_common(form)]) + "\n"
