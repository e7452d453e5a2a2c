"""The tabs' handlers are module-level functions of a layout and the inputs' values: called here directly, on twins.

Also what `ui.handlers.bound` must keep for gradio: the request parameter (else no language and no session for
Stop) and the generator kind (else no streaming).
"""

from __future__ import annotations

import functools
import inspect

import gradio as gr
import pytest
from gradio import helpers, utils

from aigc_demo.tasks.text.text_generation import TextRequest
from aigc_demo.ui import text_generation_tab, text_to_image_tab
from aigc_demo.ui.handlers import bound
from aigc_demo.ui.stopping import Stopper


def _streams(layout_arg, values: dict, request: gr.Request = None):
    yield layout_arg, values, request


def _answers(layout_arg, values: dict, request: gr.Request = None):
    return layout_arg, values, request


@pytest.mark.parametrize("fn", [_streams, _answers])
def test_bound_keeps_what_gradio_reads(fn):
    handler = bound(fn, "the layout")
    assert list(inspect.signature(handler).parameters) == ["values", "request"]
    assert inspect.isgeneratorfunction(handler) == inspect.isgeneratorfunction(fn)
    assert utils.get_type_hints(handler)["request"] is gr.Request
    # gradio's own argument filler gives the request to the bound handler, as it does to the function itself
    request = gr.Request(username="visitor")
    filled, *_ = helpers.special_args(handler, [{"a": 1}], request)
    assert filled == [{"a": 1}, request]
    result = handler(*filled)
    assert (next(result) if inspect.isgenerator(result) else result) == ("the layout", {"a": 1}, request)


def test_bound_takes_keywords_out_of_the_signature():
    def run(layout_arg, values: dict, request: gr.Request = None, *, again: bool = False):
        return again

    handler = bound(run, "the layout", again=True)
    assert list(inspect.signature(handler).parameters) == ["values", "request"]
    assert handler({}) is True


def test_a_partial_would_lose_the_request():
    """Why `bound` exists: gradio reads no type hints through functools.partial, so the request never arrives."""
    filled, *_ = helpers.special_args(functools.partial(_answers, "the layout"), [{"a": 1}], gr.Request())
    assert filled == [{"a": 1}, None]  # the request parameter gets its default, None, not the request


def _values(components) -> dict:
    return {c: c.value for c in components}


def test_the_text_handler_streams_a_twin_run_as_component_updates(manager):
    from aigc_demo.tasks.text.text_generation import generate

    with gr.Blocks():
        ui = text_generation_tab.layout()
    values = _values(ui.inputs) | {ui.prompt: "Once upon a time", ui.model: "gpt2", ui.max_new_tokens: 6}
    values |= {ui.randomize_seed: False, ui.seed: 21, ui.num_candidates: 2}
    asked = ui.request(values)
    assert isinstance(asked, TextRequest) and asked.seed == 21 and asked.params.num_candidates == 2
    assert asked.system_prompt == ""  # gpt2 is a completion model: no system prompt reaches it

    updates = list(
        text_generation_tab.run_text(ui, functools.partial(generate, manager), Stopper(), "generate", values)
    )
    assert all(set(u) <= set(ui.outputs) for u in updates)  # every update names the components it changes
    last = updates[-1]
    assert last[ui.seed] == 21 and last[ui.download]  # the finished run offers its labelled file
    assert last[ui.candidates[0]] and last[ui.candidates[1]] and last[ui.candidates[2]] == ""
    assert "AI" in last[ui.stats] and "seed 21" in last[ui.stats]
    # the same request through the task gives the same texts: the handler added nothing and lost nothing
    alone = list(generate(manager, asked))[-1]
    assert [last[box] for box in ui.candidates[:2]] == alone.texts


def test_regenerate_draws_a_new_seed_and_continue_writes_after_candidate_one():
    with gr.Blocks():
        ui = text_generation_tab.layout()
    values = _values(ui.inputs) | {ui.prompt: "Hi", ui.randomize_seed: False, ui.seed: 5, ui.num_candidates: 3}
    assert ui.request(values).seed == 5
    assert len({ui.request(values, new_seed=True).seed for _ in range(5)}) > 1
    going_on = ui.request(values, continue_from="It was a dark night")
    assert going_on.continue_from == "It was a dark night" and going_on.params.num_candidates == 1


def test_the_image_request_uses_the_english_prompt_only_for_a_non_english_one():
    with gr.Blocks():
        ui = text_to_image_tab.layout()
    values = _values(ui.inputs) | {ui.randomize: False, ui.seed: 3}
    chinese = ui.request(values | {ui.prompt: "月光下的猫", ui.english_prompt: "a cat in the moonlight"})
    assert chinese.prompt == "a cat in the moonlight" and chinese.seed == 3
    english = ui.request(values | {ui.prompt: "a red bicycle", ui.english_prompt: "stale translation"})
    assert english.prompt == "a red bicycle"
    assert english.num_inference_steps == ui.num_inference_steps.value and english.width == ui.width.value
