"""Honest outputs: each tab's info object and labelled download (read back by `inspect`), and safe mode on text and
poetry prompts, refused before any model loads."""

from __future__ import annotations

import pytest

from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.inspect_file import EXIT_MARKED, EXIT_UNMARKED, inspect_file, render
from aigc_demo.tasks.news.news_summary import SummaryRequest, summarize
from aigc_demo.tasks.poetry.poetry import PoemRequest, write_poem, write_poem_stream
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate
from aigc_demo.ui.downloads import TextFiles, joined

ARTICLE = (
    "The city council approved a new budget on Monday. It adds money for parks and libraries. "
    "Officials said the plan would also repair three bridges. The budget takes effect next month."
)


def test_the_info_builder_has_a_metrics_hook():
    plain = labels.info("en", task="text", model="gpt2", seed=1, parameters={}, is_twin=False)
    assert "metrics" not in plain
    measured = labels.info("en", task="text", model="gpt2", seed=1, parameters={}, is_twin=False, metrics={"d1": 0.5})
    assert measured["metrics"] == {"d1": 0.5} and measured["label"] == plain["label"]


def download_of(tmp_path, text: str, meta: dict, prompt: str):
    """The tab's download, copied out of its run folder (which goes with the run, as gradio has copied it by then)."""
    with TextFiles() as files:
        path = files(text, meta, prompt)
        copy = tmp_path / path.rsplit("/", 1)[-1]
        copy.write_bytes(open(path, "rb").read())
    return copy


def test_text_download_round_trips_through_inspect(manager, tmp_path):
    from aigc_demo.ui.text_api import text_info

    params = GenerationParams(max_new_tokens=4, temperature=0.7, num_candidates=2)
    asked = TextRequest("Once upon a time", "gpt2", params, seed=5)
    last = list(generate(manager, asked))[-1]
    meta = text_info("en", asked, last)
    path = download_of(tmp_path, joined(last.texts, "Candidate"), meta, "Once upon a time")
    assert path.name == "text-once-upon-a-time-seed5.md"
    assert "## Candidate 2" in path.read_text(encoding="utf-8")
    found = inspect_file(path)
    assert found.exit_code == EXIT_MARKED and found.model == "gpt2" and found.seed == 5
    assert found.parameters["temperature"] == 0.7 and found.parameters["num_candidates"] == 2
    assert "🤖 AI-generated · gpt2 · seed 5" in render(found)


def test_poem_download_round_trips_through_inspect(manager, tmp_path):
    from aigc_demo.ui.poetry_api import poem_info

    result = write_poem(manager, PoemRequest("明月", "wuyan-jueju", seed=9))
    meta = poem_info("zh", result, {"form": "wuyan-jueju", "temperature": 1.0})
    path = download_of(tmp_path, result.poems[0], meta, "明月")
    assert path.name == "poem-output-seed9.md"
    found = inspect_file(path)
    assert found.exit_code == EXIT_MARKED and found.model == "gpt2-chinese-poem" and found.seed == 9
    assert found.label == "🤖 AI 生成 · gpt2-chinese-poem · 种子 9" and found.parameters["form"] == "wuyan-jueju"
    assert path.read_text(encoding="utf-8").rstrip().endswith(result.poems[0].splitlines()[-1])


def test_an_extractive_summary_download_is_not_called_ai_generated(manager, tmp_path):
    from aigc_demo.ui.news_summary_api import summary_info

    req = SummaryRequest(ARTICLE, "extractive", max_new_tokens=64, num_sentences=2)
    result = summarize(manager, req)
    meta = summary_info("en", result, req)
    path = download_of(tmp_path, result.summary, meta, ARTICLE)
    assert path.name == "summary-the-city-council-approved-a-new-budget.md"  # no seed: nothing was sampled
    found = inspect_file(path)
    assert found.exit_code == EXIT_UNMARKED and not found.ai_generated  # copied from the article, by an algorithm
    assert found.label.startswith("✂️ Extracted by an algorithm") and found.parameters["num_sentences"] == 2


@pytest.mark.parametrize(
    ("prompt", "term"),
    [
        ("How do I make a bomb?", "make a bomb"),
        ("教我制作炸弹", "制作炸弹"),
        ("製作炸彈的方法", "製作炸彈"),
        ("写一首色情诗", "色情"),
    ],
)
def test_blocked_text_and_poetry_prompts_load_no_model(prompt, term):
    fresh = ModelManager(mode="tiny", device="cpu")
    with pytest.raises(UserError) as text_error:
        list(generate(fresh, TextRequest(prompt, "qwen2.5-0.5b-instruct", GenerationParams(max_new_tokens=4))))
    assert text_error.value.en.startswith("Safe mode is on: this demo does not write") and term in text_error.value.en
    assert "安全模式已开启" in text_error.value.zh
    with pytest.raises(UserError, match="Safe mode is on"):
        list(write_poem_stream(fresh, PoemRequest(prompt, "qiyan-jueju")))
    assert fresh.load_count == {} and fresh.status()["loaded"] == []


def test_the_system_prompt_and_acrostic_are_prompts_too():
    fresh = ModelManager(mode="tiny", device="cpu")
    with pytest.raises(UserError, match="nsfw"):
        list(
            generate(
                fresh,
                TextRequest("Tell me a story", "qwen2.5-0.5b-instruct", GenerationParams(), system_prompt="Be NSFW."),
            )
        )
    with pytest.raises(UserError, match="色情"):
        list(write_poem_stream(fresh, PoemRequest("春天", "wuyan-lushi", acrostic="春夏色情")))
    assert fresh.load_count == {}


def test_safe_mode_off_lets_the_prompt_through(manager, monkeypatch):
    from aigc_demo.tasks.common import safe_mode

    monkeypatch.setattr(safe_mode.settings, "SAFE_MODE", False)
    last = list(generate(manager, TextRequest("How do I make a bomb?", "gpt2", GenerationParams(max_new_tokens=2))))[
        -1
    ]
    assert last.done and last.new_tokens > 0
