"""A/B comparison: two runs on the same prompt and seed whose parameters differ only in the field asked for."""

from __future__ import annotations

import json

import pytest

from aigc_demo.errors import UserError
from aigc_demo.tasks.text.compare import ab_parameters, compare
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate


def _differing(a: dict, b: dict) -> set[str]:
    assert set(a) == set(b)
    return {key for key in a if a[key] != b[key]}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("temperature", "1.4", 1.4), ("top_p", 0.5, 0.5), ("top_k", "7", 7), ("max_new_tokens", 5, 5)],
)
def test_b_differs_from_a_only_in_the_field_asked(field, value, expected):
    a, b = ab_parameters("gpt2", GenerationParams(max_new_tokens=8, temperature=0.7), 11, field, value)
    assert _differing(a, b) == {field}
    assert b[field] == expected and a["seed"] == b["seed"] == 11


def test_a_run_of_both_sides_on_the_twin(manager):
    params = GenerationParams(max_new_tokens=10, temperature=0.7, num_candidates=2)
    updates = list(compare(manager, TextRequest("The sea is", "gpt2", params, 5), "temperature", "1.5"))
    final = updates[-1]
    assert final.done and _differing(*final.parameters) == {"temperature"}
    a, b = final.results
    assert a.done and b.done and a.seed == b.seed == 5
    # Each side is exactly the plain run with its own settings: same prompt, same seed, nothing else changed.
    for side, result in zip(final.parameters, final.results, strict=True):
        alone = list(generate(manager, TextRequest("The sea is", "gpt2", GenerationParams(**_params(side)), 5)))[-1]
        assert result.texts == alone.texts
        assert result.evaluation["texts"][0]["perplexity"] == pytest.approx(alone.evaluation["texts"][0]["perplexity"])
    assert a.texts != b.texts  # temperature 0.7 vs 1.5 with the same seed samples differently


def test_comparing_two_models(manager):
    params = GenerationParams(max_new_tokens=6, temperature=0)
    final = list(compare(manager, TextRequest("Hello", "gpt2", params, 1), "model", "qwen2.5-0.5b-instruct"))[-1]
    assert _differing(*final.parameters) == {"model"}
    assert final.results[1].evaluation["model"] == "qwen2.5-0.5b-instruct"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("seed", "3", "Choose what to change"),
        ("temperature", "hot", "temperature"),
        ("top_p", "2", "between"),
        ("model", "sd-turbo", "not a text generation model"),
    ],
)
def test_bad_comparisons_get_one_sentence(field, value, fragment):
    with pytest.raises(UserError, match=fragment):
        ab_parameters("gpt2", GenerationParams(), 0, field, value)


def _params(side: dict) -> dict:
    return {key: value for key, value in side.items() if key not in ("model", "seed")}


def test_compare_text_endpoint(app_client):
    from gradio_client.exceptions import AppError

    settings = json.dumps({"max_new_tokens": 8, "temperature": 0.8})
    result = app_client.predict("Once", "top_p", "0.3", "gpt2", 9, settings, api_name="/compare_text")
    assert _differing(result["a"]["parameters"], result["b"]["parameters"]) == {"top_p"}
    assert result["a"]["parameters"]["temperature"] == 0.8 and result["b"]["parameters"]["top_p"] == 0.3
    for side in ("a", "b"):
        assert len(result[side]["texts"]) == 1
        assert result[side]["metrics"]["texts"][0]["perplexity"] > 1
    with pytest.raises(AppError, match="JSON object"):
        app_client.predict("Once", "top_p", "0.3", "gpt2", 9, '{"colour": 1}', api_name="/compare_text")
