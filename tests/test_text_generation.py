"""Text generation on twins: streaming, reproducibility, greedy == transformers, real cancellation, stats."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from aigc_demo.errors import UserError
from aigc_demo.tasks.common.worker import GENERATE_THREAD
from aigc_demo.tasks.text.text_generation import PRESETS, GenerationParams, TextRequest, count_prompt_tokens, generate

from .conftest import ROOT
from .helpers import alive_threads, threads_left, wait_for

MODELS = ["qwen2.5-0.5b-instruct", "gpt2"]


def run(manager, prompt="The news today", model="gpt2", seed=7, **params):
    params.setdefault("max_new_tokens", 16)
    return list(generate(manager, TextRequest(prompt, model, GenerationParams(**params), seed=seed)))


@pytest.mark.parametrize("model", MODELS)
def test_streams_growing_partial_outputs(manager, model):
    updates = run(manager, model=model, max_new_tokens=300)
    partial = [u.texts[0] for u in updates if not u.done]
    assert len(partial) >= 3
    assert all(len(b) >= len(a) for a, b in zip(partial, partial[1:], strict=False))
    assert len(set(partial)) >= 3  # the text grows while it streams, not only at the end
    final = updates[-1]
    assert final.done and final.new_tokens <= 300 and final.tokens_per_second > 0
    assert 0 < final.time_to_first_token and final.prompt_tokens > 0 and final.is_twin


@pytest.mark.parametrize("model", MODELS)
def test_same_seed_same_text_twice(manager, model):
    a = run(manager, model=model, temperature=1.0, seed=123)[-1].texts
    b = run(manager, model=model, temperature=1.0, seed=123)[-1].texts
    c = run(manager, model=model, temperature=1.0, seed=124)[-1].texts
    assert a == b and a != c


def test_same_seed_same_text_across_restarts(manager):
    code = (
        "from aigc_demo.manager import ModelManager\n"
        "from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate\n"
        "m = ModelManager(mode='tiny', device='cpu')\n"
        "print(repr(list(generate(m, TextRequest('The news today', 'gpt2', GenerationParams(max_new_tokens=16, temperature=1.0),"
        " seed=99)))[-1].texts[0]))\n"
    )
    outputs = [
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
        for _ in range(2)
    ]
    here = repr(run(manager, temperature=1.0, seed=99)[-1].texts[0])
    assert outputs[0] == outputs[1] == here


@pytest.mark.parametrize("model", MODELS)
def test_greedy_equals_plain_transformers_generate(manager, model):
    import torch

    from aigc_demo.tasks.text.text_generation import build_inputs

    ours = run(manager, model=model, temperature=0, max_new_tokens=20, repetition_penalty=1.0)[-1]
    lm = manager.get(model)
    inputs = build_inputs(lm, "The news today")
    with torch.inference_mode():
        out = lm.model.generate(
            **inputs,
            do_sample=False,
            max_new_tokens=20,
            pad_token_id=lm.tokenizer.pad_token_id or lm.tokenizer.eos_token_id,
        )
    new = out[0, inputs["input_ids"].shape[1] :].tolist()
    eos = lm.model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos])
    expected = []
    for token in new:
        if token in eos:
            break
        expected.append(token)
    assert ours.texts[0] == lm.tokenizer.decode(expected, skip_special_tokens=True)


def test_candidates_are_distinct_and_reported(manager):
    final = run(manager, num_candidates=3, temperature=1.2, seed=5)[-1]
    assert len(final.texts) == 3 and len(set(final.texts)) == 3


def test_temperature_zero_is_greedy_with_one_candidate_and_a_warning(manager):
    final = run(manager, temperature=0, num_candidates=3)[-1]
    assert len(final.texts) == 1
    assert any("greedy" in en for en, _ in final.warnings)


def test_presets_are_valid_settings():
    for values in PRESETS.values():
        GenerationParams(**values).validated()


def test_long_prompt_is_trimmed_with_a_warning(manager):
    long_prompt = "~ " * 1900  # under the 4,000-character limit, over the twin gpt2 window of 1,024 tokens
    final = run(manager, prompt=long_prompt, max_new_tokens=8)[-1]
    assert final.prompt_tokens == 1024 - 8
    assert any("only its last" in en for en, _ in final.warnings)
    assert count_prompt_tokens(manager.get("gpt2"), long_prompt) > 1024


def test_instruct_model_uses_chat_template_and_system_prompt(manager):
    from aigc_demo.tasks.text.text_generation import build_inputs

    lm = manager.get("qwen2.5-0.5b-instruct")
    with_system = lm.tokenizer.decode(build_inputs(lm, "Hi", "Be brief.")["input_ids"][0])
    assert "<|im_start|>system\nBe brief.<|im_end|>" in with_system and with_system.endswith("<|im_start|>assistant\n")
    base = manager.get("gpt2")
    assert base.tokenizer.decode(build_inputs(base, "Hi")["input_ids"][0]) == "Hi"


def test_closing_the_stream_stops_the_generation_thread(manager):
    stream = generate(
        manager, TextRequest("Tell me a story", "gpt2", GenerationParams(max_new_tokens=1000, temperature=1.0))
    )
    next(stream)
    next(stream)
    assert alive_threads(GENERATE_THREAD)
    stream.close()
    assert alive_threads(GENERATE_THREAD) == []  # close() joined the thread
    assert manager.status()["loaded"][0]["in_use"] is False


def test_client_cancel_stops_the_generation_thread(app_client):
    job = app_client.submit("Tell me a long story", max_new_tokens=1000, temperature=1.0, api_name="/generate_text")
    deadline = time.monotonic() + 30
    while len(job.outputs()) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert alive_threads(GENERATE_THREAD), "generation should be running"
    job.cancel()
    assert threads_left(GENERATE_THREAD, within_s=1.0) == []
    wait_for(job.done, within_s=5, what="the cancelled job ended")
    # A finished run's last output carries its metrics (text_api.text_info on the done update): this one never did.
    assert "metrics" not in job.outputs()[-1][1]
    assert app_client.predict("next request", max_new_tokens=3, api_name="/generate_text")


def test_streaming_over_the_api(app_client):
    job = app_client.submit("Once upon a time", max_new_tokens=300, api_name="/generate_text")
    final = job.result()
    outputs = [text for text, _ in job.outputs()]
    assert len(outputs) >= 3 and outputs[-1] == final[0]
    assert "metrics" in final[1]  # the finished run's info (test_client_cancel_stops_the_generation_thread's contrast)
    assert all(len(a) <= len(b) for a, b in zip(outputs, outputs[1:], strict=False))
    assert len(set(outputs)) >= 3  # the text grows while it streams, not only at the end


def test_same_seed_same_text_over_the_api(app_client):
    a = app_client.predict("Seeded", temperature=1.0, seed=42, max_new_tokens=10, api_name="/generate_text")
    b = app_client.predict("Seeded", temperature=1.0, seed=42, max_new_tokens=10, api_name="/generate_text")
    assert a == b


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"num_candidates": 5}, "num_candidates"),
        ({"num_candidates": 0}, "num_candidates"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
    ],
)
def test_bad_parameters_in_the_task(manager, params, message):
    with pytest.raises(UserError, match=message):
        run(manager, **params)
