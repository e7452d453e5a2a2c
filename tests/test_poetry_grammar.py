"""Poem forms as GBNF grammars (what a serving engine's grammar enforces), without an engine: their shape.

Whether llama.cpp really holds a poem to them is tested against the real engine in tests/test_engine_poetry.py."""

from __future__ import annotations

import re

from aigc_demo.tasks.poetry.forms import get_form
from aigc_demo.tasks.poetry.grammar import line_grammar, poem_grammar, rhyme_targets, rhyming_characters
from aigc_demo.tasks.poetry.rhyme_books import get_rhyme_book


def rules(grammar: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())


def test_a_chinese_quatrain_is_four_lines_of_five_with_its_marks_and_acrostic():
    g = rules(poem_grammar(get_form("wuyan-jueju"), "春夏"))
    assert g["root"] == 'l1 "\\n" l2 "\\n" l3 "\\n" l4'
    assert g["l1"] == '"春" cjk{4} "，"' and g["l2"] == '"夏" cjk{4} "。"'
    assert g["l3"] == 'cjk cjk{4} "，"' and g["l4"] == 'cjk cjk{4} "。"'
    assert g["cjk"] == r"[\u4e00-\u9fff]"


def test_kept_lines_are_literals_and_a_seven_character_form_has_six_more():
    g = rules(poem_grammar(get_form("qiyan-jueju"), "", ["白日依山尽黄河"]))
    assert g["l1"] == '"白日依山尽黄河，"' and g["l2"] == 'cjk cjk{6} "。"'


def test_english_lines_have_a_word_budget_and_an_acrostic_letter_either_case():
    form = get_form("english-free")
    g = rules(poem_grammar(form, "SEA"))
    assert g["root"].count("l") == 3  # free verse with an acrostic: one line per letter
    assert g["l1"].startswith("[Ss] word-rest")
    assert f"{{{form.min_words - 1},{form.max_words - 1}}}" in g["l1"]
    assert len(rules(poem_grammar(form, ""))["root"].split('"\\n"')) == 8  # free verse without one: 8 lines


def test_english_words_are_letters_with_inner_apostrophes_and_hyphens_only():
    """Gemma on llama-server once filled a line with "’’’’…" (the old rule allowed any run of them) until its
    tokens ran out. These two rules have no literal spaces, so without the GBNF separators they read as regexes."""
    g = rules(poem_grammar(get_form("english-free"), "SEA"))
    word, rest = (re.compile(g[name].replace(" ", "")) for name in ("word", "word-rest"))
    for good in ("sea", "don't", "O’er", "sea-bird", "jack-o-lantern"):
        assert word.fullmatch(good), good
    for bad in ("’’’", "'", "sea''", "-sea", "a" * 21):
        assert not word.fullmatch(bad), bad
    assert rest.fullmatch("") and rest.fullmatch("ea's") and not rest.fullmatch("’’’’")


def test_a_rhyming_line_ends_in_one_of_its_rhyme_groups_characters():
    form = get_form("wuyan-lushi")
    lines = ["床前明月光，", "疑是地上霜。", "举头望明月，"]
    targets = rhyme_targets(form, lines, 3, "pingshui")
    book = get_rhyme_book("pingshui")
    assert "香" in targets and "天" not in targets  # 霜 is 下平七阳: 香 rhymes, 天 (一先) does not
    assert all(book.group("霜") in book.groups(ch) for ch in targets)
    assert rhyme_targets(form, lines, 2, "pingshui") == []  # odd lines are free
    assert rhyme_targets(form, lines[:1], 1, "pingshui") == []  # line 2 sets the rhyme
    g = rules(line_grammar(form, 3, "", targets))
    assert re.fullmatch(r'cjk cjk\{3\} \[[^\]]+\] "。"', g["root"])
    assert rhyming_characters(book.group("霜"), "pingshui") == "".join(targets)


def test_an_english_quatrain_line_ends_on_a_rhyme_of_the_line_two_above():
    form = get_form("english-quatrain")
    targets = rhyme_targets(form, ["The cat sat on the mat", "A dog ran in the fog", "A bird"], 3, "pingshui")
    assert "log" in targets and "cat" not in targets
    assert rhyme_targets(form, ["The cat sat on the mat"], 1, "pingshui") == []
    g = rules(line_grammar(form, 3, "", ["log", "bog"]))
    assert g["root"].endswith('" " ("log" | "bog") end?')
