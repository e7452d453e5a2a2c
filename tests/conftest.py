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


ENGINE_KINDS = ("llama_cpp.server", "llama-server")


def require_engine(kind: str) -> None:
    """Skip (outside CI) or fail (in CI) when the llama.cpp engine `kind` is not installed."""
    import importlib.util

    from aigc_demo import engine_server

    installs = {
        "llama_cpp.server": "pip install -r requirements-test.txt",
        "llama-server": "bench/build_llama_server.sh",
    }
    missing = {
        "llama_cpp.server": lambda: importlib.util.find_spec("llama_cpp") is None,
        "llama-server": lambda: engine_server.llama_server_binary() is None,
    }[kind]()
    # CI never skips either: llama-cpp-python's server is in requirements-test.txt, and .ci/run builds llama.cpp's own
    # llama-server (bench/build_llama_server.sh). Elsewhere a missing one is skipped, with how to get it.
    if missing and os.environ.get("CI"):
        pytest.fail(f"{kind} is missing in CI; {installs[kind]} installs it")
    if missing:
        pytest.skip(f"{kind} is not installed ({installs[kind]})")


@pytest.fixture(scope="session", params=ENGINE_KINDS)
def llama_engine(request):
    """A llama.cpp engine on loopback serving the Gemma 3 270M GGUF, once per kind: llama-cpp-python's server (pip)
    and llama.cpp's own llama-server (2 parallel slots). Yields its EngineCommand and Popen; stopped at the end.

    Skipped only outside CI when the engine is missing (CI installs both: requirements-test.txt and
    bench/build_llama_server.sh).
    """
    from aigc_demo import engine_server

    from .processes import free_port, serving

    kind = request.param
    require_engine(kind)
    model = engine_server.gguf_path("gemma-3-270m")
    command = engine_server.engine_command(model, port=free_port(), slots=2, context=1024, kind=kind)
    with serving(command.argv, command.ready_url, dict(os.environ), within_s=180) as proc:
        yield command, proc


@pytest.fixture
def llama_served(llama_engine, monkeypatch):
    """The catalogue's `engine` entry (as AIGC_TEXT_ENGINE_URL adds it) pointing at the running llama.cpp engine."""
    from aigc_demo import catalog, engine_server

    command, _ = llama_engine
    kind = engine_server.model_kind(engine_server.gguf_path("gemma-3-270m"))  # base: Gemma 3 270M is pre-trained
    spec = catalog.served_text_model(command.url, command.model, kind)
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    return spec
