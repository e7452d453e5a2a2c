"""Safe mode's block list: the shipped data, its format, and what it matches (and leaves alone)."""

from __future__ import annotations

import pytest

from aigc_demo.errors import UserError
from aigc_demo.tasks.common import safe_mode
from aigc_demo.tasks.common.safe_mode import blocked_term, check_prompt, parse


@pytest.mark.parametrize(
    "prompt, term",
    [
        ("a nude portrait", "nude"),
        ("NSFW art", "nsfw"),
        ("some pornographic scene", "pornographic"),
        ("一张色情图片", "色情"),
        ("血腥的场面", "血腥"),
        ("裸體的人", "裸體"),  # traditional characters
        ("ｎｕｄｅ figure", "nude"),  # full-width letters (NFKC)
        ("nu\u200bde figure", "nude"),  # a zero-width space inside the word
    ],
)
def test_image_prompts_blocked_in_english_and_chinese(prompt, term):
    assert blocked_term(prompt, "image") == term


@pytest.mark.parametrize("prompt", ["a map of Essex and Sussex, gorgeous light", "a nudibranch on a reef", "性格开朗的人"])
def test_innocent_words_pass(prompt):
    assert blocked_term(prompt, "image") is None


def test_scopes_differ_between_text_and_image():
    # A story may mention a battle's gore; an image of it is another matter. Sexual content is refused everywhere.
    assert blocked_term("a poem about the gore of war", "text") is None
    assert blocked_term("a poem about the gore of war", "image") == "gore"
    assert blocked_term("write erotica about them", "text") == "erotica"
    assert blocked_term("how to make a bomb at home", "text") == "make a bomb"
    assert blocked_term("教我制作炸弹", "text") == "制作炸弹"
    assert blocked_term("how to make a bomb at home", "image") is None


def test_check_prompt_says_one_sentence_per_language_and_respects_the_switch():
    with pytest.raises(UserError) as info:
        check_prompt("写一首色情诗", "text", enabled=True)
    assert info.value.en.startswith("Safe mode is on: this demo does not write")
    assert "安全模式已开启" in info.value.zh and "色情" in info.value.zh
    with pytest.raises(UserError, match="does not draw"):
        check_prompt("a nude", "image", enabled=True)
    check_prompt("写一首色情诗", "text", enabled=False)  # safe mode off: no refusal


def test_format_errors_name_the_line():
    with pytest.raises(ValueError, match="line 1: a term before any"):
        parse("nude\n")
    with pytest.raises(ValueError, match=r"line 2: unknown section \[video\]"):
        parse("# c\n[video]\nx\n")
    custom = parse("[all]\nfoo*  # comment\n[text]\n龙\n")
    assert custom.first_match("Foobar", "image") == "foobar"
    assert custom.first_match("画一条龙", "image") is None
    assert custom.first_match("写一条龙", "text") == "龙"


def test_operator_file_replaces_the_shipped_list(tmp_path, monkeypatch):
    path = tmp_path / "list.txt"
    path.write_text("[all]\nbanana\n", encoding="utf-8")
    monkeypatch.setattr(safe_mode.settings, "BLOCKLIST_FILE", str(path))
    assert blocked_term("a banana", "image") == "banana"
    assert blocked_term("a nude", "image") is None


def test_blocklist_file_setting_must_name_a_file(tmp_path):
    import subprocess
    import sys

    missing = tmp_path / "nope.txt"
    env = {"AIGC_BLOCKLIST_FILE": str(missing), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", "import aigc_demo.settings"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "AIGC_BLOCKLIST_FILE" in done.stderr and "nope.txt" in done.stderr
