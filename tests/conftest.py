"""Test set-up: offline, twins only, and a twin cache shared across the run.

The environment is set before anything imports huggingface_hub, which reads HF_HUB_OFFLINE once at import.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("AIGC_MODELS", "tiny")
os.environ.setdefault("AIGC_CACHE_DIR", str(ROOT / ".cache"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def manager():
    """One manager with twins for the whole run (models stay loaded between tests, as in the app)."""
    from aigc_demo.manager import ModelManager

    return ModelManager(mode="tiny", device="cpu")


@pytest.fixture(scope="session", autouse=True)
def gradio_temp_dir(tmp_path_factory):
    """One GRADIO_TEMP_DIR for the run: an app outlives single tests and serves files only from where it saved them."""
    path = tmp_path_factory.mktemp("gradio")
    os.environ["GRADIO_TEMP_DIR"] = str(path)
    return path


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    """The real app launched in-process on twins, and a gradio_client connected to it."""
    from gradio_client import Client

    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo, launch_kwargs

    manager = ModelManager(mode="tiny", device="cpu")
    demo = build_demo(manager)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
    client = Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))
    client.manager = manager
    client.url = url
    try:
        yield client
    finally:
        client.close()
        demo.close()
