"""The reliability suite: quick in CI (AIGC_RELIABILITY=quick, the default), the issue's full sizes with =full."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import pytest

from ..conftest import ROOT
from ..processes import free_port, serving

FULL = os.getenv("AIGC_RELIABILITY", "quick") == "full"


@contextmanager
def served_app(**env_overrides: str):
    """`python app.py` in a subprocess on a free loopback port (twins, offline); yields (url, Popen)."""
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "AIGC_MODELS": "tiny",
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        **env_overrides,
    }
    url = f"http://127.0.0.1:{port}/"
    with serving([sys.executable, "app.py"], url, env, cwd=ROOT) as proc:
        yield url, proc


@pytest.fixture(scope="package")
def served():
    with served_app(AIGC_QUEUE_SIZE="8") as (url, proc):
        yield url, proc
