"""The text tab's controls (ui/text_controls.py), the busy state of a tab's buttons (ui/busy.py), and the task's side of
Continue and of a stopped run's statistics, on twins."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from aigc_demo.errors import UserError
from aigc_demo.tasks.text.text_generation import (
    PRESETS,
    GenerationParams,
    TextRequest,
    TextUpdate,
    build_inputs,
    generate,
)
from aigc_demo.ui import text_controls
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.text_controls import CUSTOM, SAMPLING, matching_preset, preset_values, stats_text

ALICE, BOB = SimpleNamespace(session_hash="alice", headers={}), SimpleNamespace(session_hash="bob", headers={})


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_own_values_show_that_preset(name):
    assert matching_preset(*preset_values(name)) == name


def test_a_slider_moved_off_the_preset_shows_custom():
    values = preset_values("Balanced")
    values[SAMPLING.index("temperature")] = 1.3
    assert matching_preset(*values) == CUSTOM
    values[SAMPLING.index("temperature")] = 0.7  # moved back: Balanced again
    assert matching_preset(*values) == "Balanced"


def test_custom_leaves_the_sliders_and_says_where_the_settings_are():
    assert preset_values(CUSTOM) is None
    assert "Advanced settings" in text_controls.preset_summary(CUSTOM, "en")
    assert "高级设置" in text_controls.preset_summary(CUSTOM, "zh")
    assert "temperature 0.7" in text_controls.preset_summary("Balanced")
    assert "温度 temperature 0.7" in text_controls.preset_summary("Balanced", "zh")  # said in Chinese, then named
    precise = text_controls.preset_summary("Precise", "zh")
    assert "重复惩罚" in precise and "（贪心）" in precise


def test_only_chat_models_take_a_system_prompt():
    assert text_controls.takes_system_prompt("qwen2.5-0.5b-instruct")
    assert not text_controls.takes_system_prompt("gpt2")
    assert not text_controls.takes_system_prompt("no-such-model")


def test_a_stopped_run_keeps_its_statistics():
    u = TextUpdate(["Once upon"], seed=42, new_tokens=12, tokens_per_second=30.0, time_to_first_token=0.1)
    assert stats_text("en", u) == "Generating…"  # still streaming
    stopped = stats_text("en", u, stopped=True)
    assert "**12** tokens" in stopped and "tokens/s" in stopped and "seed 42" in stopped
    assert "词元/秒" in stats_text("zh", u, stopped=True)


def test_streamed_updates_carry_the_statistics_so_far(manager):
    updates = list(
        generate(manager, TextRequest("The news today", "gpt2", GenerationParams(max_new_tokens=40), seed=3))
    )
    partial = [u for u in updates if not u.done and u.texts[0]]
    assert partial and all(u.new_tokens > 0 and u.prompt_tokens > 0 and u.seed == 3 for u in partial)
    counts = [u.new_tokens for u in partial]
    assert counts == sorted(counts) and counts[-1] <= updates[-1].new_tokens


def test_continue_needs_a_text():
    with pytest.raises(UserError, match="generate a text first"):
        text_controls.continuation_source("  ")
    assert text_controls.continuation_source("The end") == "The end"


def test_a_base_model_continues_from_the_prompt_and_the_text_so_far(manager):
    lm = manager.get("gpt2")
    ids = build_inputs(lm, "The harbour", continue_from=" at night was quiet")["input_ids"]
    assert ids.tolist() == lm.tokenizer("The harbour at night was quiet", return_tensors="pt")["input_ids"].tolist()


def test_a_chat_model_continues_its_own_answer(manager):
    lm = manager.get("qwen2.5-0.5b-instruct")
    fresh = lm.tokenizer.decode(build_inputs(lm, "Tell a story.")["input_ids"][0])
    going_on = lm.tokenizer.decode(build_inputs(lm, "Tell a story.", continue_from="Once upon a time")["input_ids"][0])
    assert going_on.startswith(fresh)  # the same conversation, with the assistant's reply begun...
    assert going_on.rstrip().endswith("Once upon a time")  # ...and left open, not closed by an end-of-turn token


@pytest.mark.parametrize("model", ["gpt2", "qwen2.5-0.5b-instruct"])
def test_continue_writes_what_comes_after(manager, model):
    params = GenerationParams(max_new_tokens=12, temperature=1.0)
    fresh = list(generate(manager, TextRequest("A story", model, params, seed=5)))[-1]
    more = list(generate(manager, TextRequest("A story", model, params, seed=5, continue_from=fresh.texts[0])))[-1]
    assert more.done and more.new_tokens > 0
    assert more.prompt_tokens > fresh.prompt_tokens  # the text so far is part of what the model read


def busy_state():
    with gr.Blocks():
        run, again, hint = gr.Button("Generate"), gr.Button("Again"), gr.Markdown("")
        return Busy([(run, "Generate"), (again, "Again")], "Generating…", hint)


def test_a_run_locks_the_buttons_and_its_end_brings_them_back():
    busy = busy_state()
    run, again, hint = busy.start(ALICE)
    assert run["value"] == "Generating…" and run["interactive"] is False
    assert again["value"] == "Again" and again["interactive"] is False and hint == ""
    assert busy.is_busy("alice") and not busy.is_busy("bob")
    run, again, hint = busy.finish(ALICE)
    assert run["value"] == "Generate" and run["interactive"] is True and again["interactive"] is True
    assert not busy.is_busy("alice")


def test_a_second_trigger_while_busy_is_answered_not_dropped():
    busy = busy_state()
    busy.start(ALICE)
    *buttons, hint = busy.start(ALICE)  # Enter pressed in the prompt while the run goes
    assert all(isinstance(b, type(gr.skip())) and b == gr.skip() for b in buttons)  # the locked buttons stay so
    assert "Still working on your last request" in hint
    assert (
        "上一个请求还在进行中"
        in busy.start(SimpleNamespace(session_hash="alice", headers={"accept-language": "zh"}))[-1]
    )
    assert busy.start(BOB)[-1] == ""  # another visitor is not busy
    busy.finish(ALICE)
    assert busy.start(ALICE)[-1] == ""  # after the run, a new one starts


def test_a_tab_with_one_button_and_no_hint_gets_a_bare_update():
    """gradio gives a lone output the whole return value: a list would be shown as the button's label."""
    with gr.Blocks():
        run = gr.Button("Summarize")
        busy = Busy([(run, "Summarize")], "Summarizing…")
    locked = busy.start(ALICE)
    assert isinstance(locked, dict) and locked["value"] == "Summarizing…" and locked["interactive"] is False
    assert busy.start(ALICE) == gr.skip()  # busy, and no hint to answer in: nothing changes
    assert busy.finish(ALICE)["value"] == "Summarize"
