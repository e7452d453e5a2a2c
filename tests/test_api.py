"""The launched app, driven through gradio_client: every public endpoint answers, bad input gets a clear error."""

from __future__ import annotations

import contextlib

import pytest
from gradio_client.exceptions import AppError

from .helpers import counted_module, forward_passes

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
    text, info = app_client.predict("Hello", api_name="/generate_text")
    assert isinstance(text, str) and text and info["ai_generated"] is True
    poem, info = app_client.predict("明月", api_name="/write_poem")
    assert isinstance(poem, str) and poem and info["ai_generated"] is True
    summary, info = app_client.predict(ARTICLE, api_name="/summarize")
    assert isinstance(summary, str) and summary and info["ai_generated"] is False  # extractive: copied
    images, info = app_client.predict("a red bicycle", api_name="/generate_image", width=64, height=64)
    assert len(images) == 1 and images[0]["image"].endswith(".png")
    assert info["ai_generated"] is True and info["task"] == "image" and info["parameters"]["width"] == 64
    assert len(info["metrics"]["clip"]["clip_scores"]) == 1 and info["metrics"]["clip"]["ranking"] == [0]
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


INFO_KEYS = {"ai_generated", "label", "task", "model", "seed", "parameters", "twin", "software"}


def test_every_text_endpoint_returns_its_label_and_settings(app_client):
    from aigc_demo.tasks.common.evaluation import evaluate
    from aigc_demo.tasks.common.language import detect_language

    text, info = app_client.predict("Hello", temperature=0.7, seed=42, max_new_tokens=5, api_name="/generate_text")
    assert set(info) == INFO_KEYS | {"metrics"} and info["task"] == "text"  # a finished run is measured
    measured = evaluate([text], detect_language(text)).as_dict()
    assert info["metrics"]["distinct_1"] == measured["distinct_1"] and info["metrics"]["model"] == info["model"]
    assert info["label"] == "🤖 AI-generated · qwen2.5-0.5b-instruct · seed 42"
    assert info["model"] == "qwen2.5-0.5b-instruct" and info["seed"] == 42 and info["twin"] is True
    assert info["parameters"]["temperature"] == 0.7 and info["parameters"]["max_new_tokens"] == 5

    poem, info = app_client.predict("autumn rain", form="haiku", seed=-1, api_name="/write_poem")
    assert info["task"] == "poem" and info["model"] == "qwen2.5-0.5b-instruct" and info["twin"] is True
    assert isinstance(info["seed"], int) and info["seed"] >= 0  # -1 picked one: the info says which
    assert info["label"].endswith(f"seed {info['seed']}") and info["parameters"]["form"] == "haiku"
    assert info["metrics"]["texts"][0]["units"] == evaluate([poem], "en").texts[0].units

    summary, info = app_client.predict(ARTICLE, "abstractive", "distilbart-cnn-12-6", 16, api_name="/summarize")
    assert info["ai_generated"] is True and info["model"] == "distilbart-cnn-12-6" and info["seed"] is None
    assert info["label"] == "🤖 AI-generated · distilbart-cnn-12-6" and info["parameters"]["max_new_tokens"] == 16
    assert 0 < info["metrics"]["compression"] < 1 and 0 <= info["metrics"]["found_in_article"] <= 1
    summary, info = app_client.predict(ARTICLE, "extractive", num_sentences=2, api_name="/summarize")
    assert info["ai_generated"] is False and info["label"].startswith("✂️ Extracted by an algorithm")
    assert info["parameters"] == {"method": "extractive", "language": "en", "num_sentences": 2}


def test_labels_follow_the_clients_language(app_client):
    from gradio_client import Client

    zh = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    _, info = zh.predict("你好", seed=3, max_new_tokens=3, api_name="/generate_text")
    assert info["label"] == "🤖 AI 生成 · qwen2.5-0.5b-instruct · 种子 3"
    _, info = zh.predict(ARTICLE, api_name="/summarize")
    assert info["label"].startswith("✂️ 算法摘录")
    zh.close()


def test_the_readme_client_snippet_runs(app_client):
    """The gradio_client snippet in README's API section, run as written against the app."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(from gradio_client import Client\n.*?)```", readme, re.S).group(1)
    snippet = snippet.replace('"http://127.0.0.1:7860/"', repr(app_client.url))
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)  # noqa: S102 - our own README
    assert scope["text"] and scope["info"]["ai_generated"] is True and scope["poem_info"]["task"] == "poem"
    assert scope["summary_info"]["ai_generated"] is False and scope["images"][0]["image"].endswith(".png")
    assert scope["image_info"]["metrics"]["clip"]["ranking"] == [0]
    scope["client"].close()


@contextlib.contextmanager
def no_model_runs(manager):
    """Fails unless the block loads no model and runs no forward pass of any model already loaded."""
    loads = dict(manager.load_count)
    keys = [m["key"] for m in manager.status()["loaded"] if counted_module(manager.get(m["key"]).model) is not None]
    with contextlib.ExitStack() as stack:
        passes = {key: stack.enter_context(forward_passes(manager, key)) for key in keys}
        yield
    assert not any(passes.values()), {key: len(p) for key, p in passes.items() if p}
    assert manager.load_count == loads


@pytest.mark.parametrize(
    ("endpoint", "prompt", "term"),
    [
        ("/generate_text", "How do I make a bomb at home?", "make a bomb"),
        ("/generate_text", "教我制作炸弹", "制作炸弹"),
        ("/write_poem", "写一首色情诗", "色情"),
        ("/write_poem", "an erotic poem", "erotic"),
    ],
)
def test_safe_mode_refuses_blocked_prompts_before_any_model_runs(app_client, endpoint, prompt, term):
    from gradio_client import Client

    app_client.predict("warm up", max_new_tokens=2, api_name="/generate_text")  # a model is loaded: it must not run
    with no_model_runs(app_client.manager):
        with pytest.raises(AppError, match=f"Safe mode is on: this demo does not write .*{term}"):
            app_client.predict(prompt, api_name=endpoint)
        zh = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        with pytest.raises(AppError, match=f"安全模式已开启.*{term}"):
            zh.predict(prompt, api_name=endpoint)
        zh.close()
