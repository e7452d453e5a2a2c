"""Operator logs: one line per load, eviction, unload and engine failure; user mistakes one line; bugs a traceback."""

from __future__ import annotations

import io
import logging
import re

import gradio as gr
import pytest

from aigc_demo import logs
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.ui.common import user_errors


@pytest.fixture
def log_text():
    """The app's log as configured at start-up, written to a string; the logger is put back afterwards."""
    logger = logging.getLogger("aigc_demo")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    stream = io.StringIO()
    logs.configure("INFO", stream)
    yield stream
    logger.handlers[:], logger.level, logger.propagate = saved


def test_load_evict_unload_are_one_line_each(log_text):
    keys = ("gpt2", "distilbart-cnn-12-6", "qwen2.5-0.5b-instruct")
    probe = ModelManager(mode="tiny", device="cpu")
    sizes = [probe.get(k).nbytes for k in keys]
    del probe
    log_text.truncate(0), log_text.seek(0)
    manager = ModelManager(mode="tiny", device="cpu", budget_bytes=sum(sizes) - min(sizes) + 1)  # two of three
    for key in keys:
        manager.get(key)
    manager.unload("qwen2.5-0.5b-instruct")
    lines = log_text.getvalue().splitlines()
    loads = [line for line in lines if "Loaded qwen2.5-0.5b-instruct" in line]
    assert len(loads) == 1
    assert re.search(
        r"INFO aigc_demo\.manager: Loaded qwen2\.5-0\.5b-instruct \(twin, cpu, float32, .* in \d+\.\ds$", loads[0]
    )
    assert any("Evicting gpt2 to make room for qwen2.5-0.5b-instruct" in line for line in lines)
    assert any(line.endswith("Unloaded qwen2.5-0.5b-instruct") for line in lines)
    assert "Traceback" not in log_text.getvalue()


def test_level_filters_lines(log_text):
    logs.configure("WARNING", log_text)
    ModelManager(mode="tiny", device="cpu").get("gpt2")
    assert "Loaded gpt2" not in log_text.getvalue()


def test_user_mistake_is_one_line_and_gradio_prints_no_traceback(log_text):
    with pytest.raises(gr.Error) as caught, user_errors(None):
        raise UserError("The prompt is empty.", "提示词为空。")
    assert caught.value.print_exception is False  # gradio's queue prints a traceback only when this is True
    assert log_text.getvalue().count("\n") == 1
    assert "INFO aigc_demo.ui.common: User error: The prompt is empty." in log_text.getvalue()


def test_bug_is_logged_once_with_its_traceback_at_error(log_text):
    with pytest.raises(gr.Error) as caught, user_errors(None):
        raise ZeroDivisionError("boom")
    text = log_text.getvalue()
    assert "ERROR aigc_demo.ui.common: Unexpected error" in text
    assert "Traceback" in text and "ZeroDivisionError: boom" in text
    assert caught.value.print_exception is False  # already logged: not printed twice
    assert "ZeroDivisionError" in str(caught.value.message)


def test_engine_failure_is_logged(log_text):
    from aigc_demo.catalog import served_text_model
    from aigc_demo.tasks.common import engine

    spec = served_text_model("http://127.0.0.1:9/v1", "qwen")
    error = engine._unreachable(spec, ConnectionRefusedError("refused"))
    assert isinstance(error, UserError)
    line = "WARNING aigc_demo.tasks.common.engine: Serving engine engine at http://127.0.0.1:9/v1 unreachable"
    assert line in log_text.getvalue()
