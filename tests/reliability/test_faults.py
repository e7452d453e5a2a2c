"""Faults: a loader that fails mid-load, an interrupted download, out of memory at load, a client that disconnects
mid-stream. Each ends in a clear error or a clean recovery, and the next request works."""

from __future__ import annotations

import json

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from aigc_demo import loaders
from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.common.worker import GENERATE_THREAD
from aigc_demo.ui import build_demo, launch_kwargs

from ..helpers import alive_threads, wait_for


class FlakyLoad:
    """The real loader, failing the first `fail_times` calls with `exc`."""

    def __init__(self, fail_times: int, exc: BaseException):
        self.fail_times = fail_times
        self.exc = exc
        self.calls = 0

    def __call__(self, spec, path, device, dtype):
        self.calls += 1
        if self.calls <= self.fail_times:
            raise self.exc
        return loaders.load(spec, path, device, dtype)


@pytest.fixture
def app_with(request):
    demos = []

    def launch(manager):
        demo = build_demo(manager)
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
        demos.append(demo)
        return url

    yield launch
    for demo in demos:
        demo.close()


def test_loader_failing_mid_load_shows_the_error_and_the_next_request_loads(app_with):
    load = FlakyLoad(1, OSError("disk read failed halfway through model.safetensors"))
    url = app_with(ModelManager(mode="tiny", device="cpu", load=load))
    client = Client(url, verbose=False)
    with pytest.raises(AppError, match="disk read failed"):
        client.predict("Hello", max_new_tokens=4, api_name="/generate_text")
    assert client.predict("Hello", max_new_tokens=4, api_name="/generate_text")
    assert load.calls == 2


def test_out_of_memory_at_load_evicts_retries_then_fails_clearly(app_with):
    load = FlakyLoad(0, MemoryError())
    manager = ModelManager(mode="tiny", device="cpu", load=load)
    url = app_with(manager)
    client = Client(url, verbose=False)
    client.predict("Hello", max_new_tokens=4, api_name="/generate_text")  # loads the text model
    load.fail_times, load.calls = 1, 0
    assert client.predict("明月", api_name="/write_poem")  # OOM once: idle models evicted, retried, fine
    assert load.calls == 2 and not manager.is_loaded("qwen2.5-0.5b-instruct")
    load.fail_times, load.calls = 2, 0
    manager.unload_all()
    with pytest.raises(AppError, match="Not enough memory"):
        client.predict("明月", api_name="/write_poem")
    assert client.predict("明月", api_name="/write_poem")


def test_interrupted_download(monkeypatch):
    monkeypatch.setattr(loaders, "cached_snapshot", lambda spec: None)
    monkeypatch.setattr(loaders, "hub_reachable", lambda timeout=None: True)

    def broken(spec):
        raise ConnectionError("connection reset after 1.2 GB of 2.0 GB")

    monkeypatch.setattr(loaders, "download", broken)
    spec = get_spec("gpt2")
    with pytest.raises(UserError, match="Could not download openai-community/gpt2.*connection reset") as info:
        loaders.resolve(spec, "hub")
    assert "python -m aigc_demo download gpt2" in info.value.en
    source = loaders.resolve(spec, "auto")
    assert source.is_twin and "download failed" in source.reason


def test_client_disconnecting_mid_stream_releases_the_model(app_with):
    manager = ModelManager(mode="tiny", device="cpu")
    url = app_with(manager)
    manager.get("qwen2.5-0.5b-instruct")
    base = url.rstrip("/") + "/gradio_api"
    event = httpx.post(
        f"{base}/call/generate_text", json={"data": ["Tell me a long story", "qwen2.5-0.5b-instruct", 1000, 1.0]}
    ).json()["event_id"]
    with httpx.stream("GET", f"{base}/call/generate_text/{event}", timeout=30) as response:
        for line in response.iter_lines():
            if line.startswith("data:") and json.loads(line[5:] or "null"):
                if alive_threads(GENERATE_THREAD):
                    break

    # The connection is closed now, mid-stream.
    def released() -> bool:
        return not alive_threads(GENERATE_THREAD) and not manager.status()["loaded"][0]["in_use"]

    wait_for(released, within_s=15, what="the generation thread ended and the model released")
    assert Client(url, verbose=False).predict("next", max_new_tokens=3, api_name="/generate_text")
