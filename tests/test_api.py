"""The launched app, driven through gradio_client: every public endpoint answers, bad input gets a clear error."""

from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

ENDPOINTS = {
    "/generate_text", "/write_poem", "/check_poem", "/summarize", "/generate_image", "/model_status", "/evaluate_text",
    "/compare_text",
}  # fmt: skip

ARTICLE = (
    "The city council approved a new budget on Monday. It adds money for parks and libraries. "
    "Officials said the plan would also repair three bridges. Residents welcomed the decision at a packed meeting. "
    "The budget takes effect next month."
)


def test_public_endpoints_are_exactly_the_documented_ones(app_client):
    api = app_client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == ENDPOINTS


def test_every_endpoint_works_with_only_its_first_parameter(app_client):
    text = app_client.predict("Hello", api_name="/generate_text")
    assert isinstance(text, str) and text
    poem = app_client.predict("明月", api_name="/write_poem")
    assert isinstance(poem, str) and poem
    summary = app_client.predict(ARTICLE, api_name="/summarize")
    assert isinstance(summary, str) and summary
    images = app_client.predict("a red bicycle", api_name="/generate_image", width=64, height=64)
    assert len(images) == 1 and images[0]["image"].endswith(".png")
    status = app_client.predict(api_name="/model_status")
    loaded = {m["key"] for m in status["loaded"]}
    assert {"qwen2.5-0.5b-instruct", "gpt2-chinese-poem", "sd-turbo"} <= loaded
    assert all(m["twin"] for m in status["loaded"]) and status["used_bytes"] > 0


def test_model_status_starts_empty_no_model_loads_at_start_up():
    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo

    manager = ModelManager(mode="tiny", device="cpu")
    build_demo(manager)
    assert manager.status()["loaded"] == [] and manager.load_count == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt": ""}, "Please enter a prompt"),
        ({"prompt": "   "}, "Please enter a prompt"),
        ({"prompt": "x" * 5000}, "limit is 4,000"),
        ({"prompt": "hi", "model": "nope"}, "Unknown model 'nope'"),
        ({"prompt": "hi", "model": "sd-turbo"}, "not a text generation model"),
        ({"prompt": "hi", "temperature": -0.5}, "`temperature` must be between 0 and 2"),
        ({"prompt": "hi", "temperature": "hot"}, "`temperature` must be a number"),
        ({"prompt": "hi", "max_new_tokens": 0}, "`max_new_tokens` must be between 1"),
        ({"prompt": "hi", "max_new_tokens": 2.5}, "`max_new_tokens` must be a whole number"),
        ({"prompt": "hi", "top_k": 1000}, "`top_k` must be between 0 and 200"),
        ({"prompt": "hi", "top_p": 0}, "`top_p` must be between 0.01 and 1"),
        ({"prompt": "hi", "repetition_penalty": 0.5}, "`repetition_penalty` must be between 1 and 2"),
        ({"prompt": "hi", "seed": -7}, "`seed` must be between 0"),
        ({"prompt": "hi", "seed": "abc"}, "`seed` must be a whole number"),
        ({"prompt": "hi", "min_p": 2}, "`min_p` must be between 0 and 1"),
        ({"prompt": "hi", "typical_p": 0}, "`typical_p` must be between 0.01 and 1"),
        ({"prompt": "hi", "no_repeat_ngram_size": -1}, "`no_repeat_ngram_size` must be between 0 and 10"),
    ],
)
def test_generate_text_bad_input_gets_one_clear_sentence(app_client, kwargs, message):
    with pytest.raises(AppError, match=message):
        app_client.predict(**kwargs, api_name="/generate_text")
    assert app_client.predict("still up?", max_new_tokens=3, api_name="/generate_text")


def test_errors_follow_the_clients_language(app_client):
    from gradio_client import Client

    zh = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    with pytest.raises(AppError, match="请输入提示词"):
        zh.predict("", api_name="/generate_text")
    with pytest.raises(AppError, match="温度"):
        zh.predict("hi", temperature=9, api_name="/generate_text")
    zh.close()
