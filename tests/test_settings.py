"""Strict settings: a wrong value stops start-up with one sentence naming the variable, the value and what is allowed."""

import subprocess
import sys

import pytest

from .conftest import ROOT


def _import_settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import aigc_demo.settings as s; print(s.SAFE_MODE, s.QUEUE_SIZE, s.MODELS)"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("AIGC_SAFE_MODE", "ture", "1, true, yes or on"),
        ("AIGC_QUEUE_SIZE", "abc", "whole number of at least 1"),
        ("AIGC_MODELS", "hubb", "hub, tiny, auto"),
        ("AIGC_MEMORY_BUDGET", "lots", "8GB"),
        ("AIGC_MAX_TEMPERATURE", "nan", "a number"),
        ("AIGC_LOG_LEVEL", "loud", "DEBUG, INFO"),
        ("AIGC_TEXT_ENGINE_URL", "localhost:8000", "http://"),
    ],
)
def test_a_wrong_value_stops_start_up_with_one_sentence(variable, value, allowed):
    proc = _import_settings({variable: value})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{variable}='{value}'" in lines[0] and allowed in lines[0]


def test_good_values_are_read_case_insensitively():
    proc = _import_settings({"AIGC_SAFE_MODE": "OFF", "AIGC_QUEUE_SIZE": " 8 ", "AIGC_MODELS": "Tiny"})
    assert proc.returncode == 0 and proc.stdout.split() == ["False", "8", "tiny"]


def test_the_app_entry_points_stop_too():
    for command in (["app.py"], ["-m", "aigc_demo", "serve"]):
        proc = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "AIGC_SAFE_MODE": "ture"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1 and "AIGC_SAFE_MODE='ture'" in proc.stderr and "Traceback" not in proc.stderr
