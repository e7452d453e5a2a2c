"""ZeroGPU: the real `spaces` package wraps every bound task with the wrapper that fits it, twin tasks stream through
its forked worker, each task asks for a duration that fits its work, and work that needs no GPU asks for none."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_demo import zerogpu
from aigc_demo.tasks.image.text_to_image import ImageRequest
from aigc_demo.tasks.news.news_summary import SummaryRequest
from aigc_demo.tasks.poetry.request import PoemRequest
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("spaces")  # in requirements-test.txt; the real package, not a stand-in


@pytest.fixture(scope="module")
def probe():
    env = {
        **os.environ,
        "SPACES_ZERO_GPU": "true",
        "SPACES_ZERO_DEVICE_API_URL": "http://127.0.0.1:9",  # never called: the probe answers the scheduler
        "PROBE_RUN": "1",
        "OMP_NUM_THREADS": "1",  # the worker is forked from a process that has used torch
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "tests" / "zerogpu_probe.py")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("PROBE "))


def test_the_real_decorator_picks_the_generator_wrapper_for_every_streaming_task(probe):
    wrapped = probe["wrapped"]
    assert set(wrapped) == {
        "generate",
        "write_poem_stream",
        "summarize_stream",
        "summarize",
        "generate_images",
        "translate_to_english",
        "evaluate_with_model",
        "compare",
    }
    for name, seen in wrapped.items():
        assert seen["received_generator_function"] == seen["task_is_generator_function"], name
        expected = "generator_function_wrapper" if seen["task_is_generator_function"] else "regular_function_wrapper"
        assert seen["wrapper"] == expected, name
    assert wrapped["generate"]["wrapper"] == "generator_function_wrapper"  # the four streaming tabs
    assert wrapped["generate_images"]["wrapper"] == "generator_function_wrapper"


def test_twin_tasks_stream_through_the_forked_worker(probe):
    text = probe["runs"]["generate"]
    assert text["done"] and text["new_tokens"] == 6 and text["text"]
    assert text["updates"] >= 2  # streamed: partial updates, then the final one, each pickled across
    image = probe["runs"]["generate_images"]
    assert image["size"] == [64, 64] and image["updates"] >= 2
    assert probe["schedules"] == 2  # one GPU request per call
    assert text["seconds_asked"] == zerogpu.clamp_seconds(
        zerogpu.text_seconds({"req": TextRequest("x", params=GenerationParams(6))})
    )


def test_durations_grow_with_the_work_and_stay_within_bounds():
    small = zerogpu.text_seconds({"req": TextRequest("x", params=GenerationParams(max_new_tokens=32))})
    large = zerogpu.text_seconds({"req": TextRequest("x", params=GenerationParams(max_new_tokens=1024))})
    assert small < large
    one = ImageRequest("a cat", num_inference_steps=1, width=512, height=512)
    many = ImageRequest("a cat", num_inference_steps=4, num_images=4, width=1024, height=1024)
    assert zerogpu.image_seconds({"req": one}) < zerogpu.image_seconds({"req": many})
    most = ImageRequest("a cat", num_inference_steps=50, num_images=4, width=1024, height=1024)
    assert 60 < zerogpu.clamp_seconds(zerogpu.image_seconds({"req": most})) <= zerogpu.MAX_DURATION_S
    assert zerogpu.clamp_seconds(10_000) == zerogpu.MAX_DURATION_S and zerogpu.clamp_seconds(0.1) == 5
    short = zerogpu.summary_seconds({"req": SummaryRequest("x" * 1000, max_new_tokens=142)})
    long = zerogpu.summary_seconds({"req": SummaryRequest("x" * 30000, max_new_tokens=142)})
    assert short < long
    assert zerogpu.summary_seconds({"req": SummaryRequest("x" * 1000, max_new_tokens=284)}) > short
    one_poem = zerogpu.poem_seconds({"req": PoemRequest("月", num_candidates=1)})
    assert one_poem < zerogpu.poem_seconds({"req": PoemRequest("月", num_candidates=4)})
    assert zerogpu.poem_seconds({"req": "nonsense"}) == one_poem  # a bad request asks for the default
    # Bad input never breaks the scheduling; the task itself then says what is wrong.
    assert zerogpu.clamp_seconds(zerogpu.image_seconds({"req": "nonsense"})) >= zerogpu.MIN_DURATION_S
    assert zerogpu.clamp_seconds(zerogpu.text_seconds({"req": None})) >= zerogpu.MIN_DURATION_S


def test_extractive_summaries_and_bad_calls_ask_for_no_gpu(manager, monkeypatch):
    from aigc_demo.tasks.news import news_summary

    asked: list[int] = []

    def fake_gpu(duration):
        def wrap(fn):
            def on_gpu(*args, **kwargs):
                asked.append(duration(*args, **kwargs))
                return fn(*args, **kwargs)

            return on_gpu

        return wrap

    monkeypatch.setattr(zerogpu, "ON_ZEROGPU", True)
    monkeypatch.setattr(zerogpu, "gpu", fake_gpu)
    summarize = zerogpu.bind(news_summary.summarize, manager, zerogpu.summary_seconds, zerogpu.abstractive)
    article = "The council met on Monday. It approved a new park. Work starts in May. Residents welcomed the plan."
    assert summarize(SummaryRequest(article, "extractive", num_sentences=1)).summary
    assert asked == []
    abstractive = SummaryRequest(article, "abstractive", "distilbart-cnn-12-6", 16)
    assert summarize(abstractive).method == "abstractive"
    assert asked == [zerogpu.clamp_seconds(zerogpu.summary_seconds({"req": abstractive}))]


def test_on_zerogpu_every_local_model_is_placed_at_start_up(monkeypatch):
    from aigc_demo import catalog, settings

    monkeypatch.setattr(settings, "SAFETY_CHECKER", False)
    keys = zerogpu.startup_keys()
    assert {s.key for s in catalog.CATALOG.values() if s.gpu_only} <= set(keys)
    tasks = [task for task in catalog.TASKS if task != "image-safety"]
    assert set(catalog.default_model(task) for task in tasks) - {"engine"} <= set(keys)
    assert not any(catalog.CATALOG[k].is_served for k in keys)
    assert "sd-safety-checker" not in keys  # opt-in: 1.2 GB of GPU memory only when asked for
    monkeypatch.setattr(settings, "SAFETY_CHECKER", True)
    assert "sd-safety-checker" in zerogpu.startup_keys()


def test_routing_counts_an_unknown_or_malformed_model_as_local():
    """The task then refuses it with a sentence; the routing rule itself never raises (a list is not a key)."""
    from types import SimpleNamespace

    assert zerogpu.runs_locally({"req": SimpleNamespace(model=["gpt2"])})
    assert zerogpu.runs_locally({"req": SimpleNamespace(model="no-such-model")})
    assert zerogpu.runs_locally({"req": None})  # the default text model runs here on twins
