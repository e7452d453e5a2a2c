"""The text tab on a serving engine: `transformers serve` (an OpenAI-compatible server) runs the Qwen twin in a
subprocess, and the app streams from it through the same task and endpoint as a local model."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from aigc_demo import catalog
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.engine import request_body
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate

from .processes import free_port, serving

pytest.importorskip("openai", reason="`transformers serve` needs the openai package (requirements-test.txt)")


@pytest.fixture(scope="module")
def engine_url():
    """`transformers serve` on the Qwen twin: its base URL (…/v1) once /v1/models answers."""
    from aigc_demo import loaders

    twin = loaders.resolve(catalog.get_spec("qwen2.5-0.5b-instruct"), "tiny").path
    port = free_port()
    command = [str(Path(sys.executable).parent / "transformers"), "serve", str(twin)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    url = f"http://127.0.0.1:{port}/v1"
    with serving(command, f"{url}/models", {**os.environ, "HF_HUB_OFFLINE": "1"}):
        yield url, str(twin)


@pytest.fixture
def served(engine_url, monkeypatch):
    """The `engine` catalogue entry that AIGC_TEXT_ENGINE_URL adds, pointing at the running engine."""
    url, model = engine_url
    spec = catalog.served_text_model(url, model)
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    return spec


def engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "aigc-engine" and t.is_alive()]


def test_a_served_model_streams_through_the_text_task(manager, served):
    params = GenerationParams(max_new_tokens=24, temperature=0.7)
    updates = list(generate(manager, TextRequest("Tell me about the sea.", served.key, params, seed=3)))
    last = updates[-1]
    assert last.done and not any(u.done for u in updates[:-1])
    assert last.texts[0], "the engine's text arrived"
    assert last.new_tokens > 0 and last.prompt_tokens > 0  # from the engine's usage report
    assert not last.is_twin  # the app loaded nothing: the engine answered
    # `transformers serve` refuses top_k and repetition_penalty (the defaults turn them on): asked again without them
    assert any("top_k" in en and "not applied" in en for en, _ in updates[0].warnings)
    assert not manager.is_loaded(served.key)


def test_candidates_are_separate_requests_with_their_own_seeds(manager, served):
    params = GenerationParams(max_new_tokens=16, temperature=1.0, num_candidates=2)
    last = list(generate(manager, TextRequest("Once upon a time", served.key, params, seed=11)))[-1]
    assert len(last.texts) == 2 and all(last.texts)
    again = list(generate(manager, TextRequest("Once upon a time", served.key, params, seed=11)))[-1]
    assert again.texts == last.texts  # the same seeds give the same candidates


def test_closing_the_stream_ends_every_request(manager, served):
    params = GenerationParams(max_new_tokens=1000, temperature=0.7, num_candidates=2)
    updates = generate(manager, TextRequest("Write a very long story.", served.key, params, seed=1))
    first = next(updates)
    assert not first.done
    updates.close()
    deadline = time.monotonic() + 10
    while engine_threads():
        assert time.monotonic() < deadline, "engine readers still running after close"
        time.sleep(0.05)


def test_an_engine_that_is_not_running_gets_one_clear_sentence(manager, monkeypatch):
    spec = catalog.served_text_model(f"http://127.0.0.1:{free_port()}/v1", "anything")
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    with pytest.raises(UserError) as caught:
        list(generate(manager, TextRequest("Hello", spec.key, GenerationParams(max_new_tokens=8))))
    assert "not reachable" in caught.value.message("en")
    assert "无法连接服务引擎" in caught.value.message("zh")


def test_an_engine_that_refuses_says_why(manager, served, monkeypatch):
    spec = catalog.served_text_model(served.endpoint, "no-such-model-here")
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    with pytest.raises(UserError, match="refused the request|failed"):
        list(generate(manager, TextRequest("Hello", spec.key, GenerationParams(max_new_tokens=8))))


def test_the_api_endpoint_streams_from_the_engine(app_client, served):
    text, info = app_client.predict("Hello there", model=served.key, max_new_tokens=12, api_name="/generate_text")
    assert isinstance(text, str) and text
    assert info["model"] == served.key and info["twin"] is False and info["ai_generated"] is True


def test_request_body_sends_only_the_sampling_settings_that_are_on():
    spec = catalog.served_text_model("http://engine/v1", "m")
    params = GenerationParams(max_new_tokens=5, temperature=0.5, top_k=0, repetition_penalty=1.0, min_p=0.1)
    path, body = request_body(spec, "Hi", "Be brief.", params, seed=4)
    assert path == "/chat/completions"
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert body["max_tokens"] == 5 and body["seed"] == 4 and body["stream"] is True
    assert body["min_p"] == 0.1
    assert "top_k" not in body and "repetition_penalty" not in body  # off: not sent

    base = catalog.ModelSpec(**{**spec.__dict__, "kind": "base"})
    path, body = request_body(base, "Once", "", params, seed=4)
    assert path == "/completions" and body["prompt"] == "Once" and "messages" not in body


def test_a_configured_engine_is_the_text_tabs_default_and_never_loaded(manager, monkeypatch):
    from aigc_demo.manager import ModelManager

    spec = catalog.served_text_model("http://engine/v1", "m")
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    assert catalog.default_model("text-generation") == "engine"
    assert catalog.default_model("poetry") != "engine"
    assert "engine" not in ModelManager.default_keys()  # preloading skips it
    with pytest.raises(UserError, match="nothing to load"):
        manager.get("engine")


def test_served_entries_from_a_catalogue_file_draw_no_images(tmp_path):
    entry = {**catalog.served_text_model("http://engine/v1", "m").__dict__, "key": "x", "tasks": ["text-to-image"]}
    path = tmp_path / "extra.json"
    path.write_text(__import__("json").dumps([entry]), encoding="utf-8")
    with pytest.raises(ValueError, match="text, poetry and summary tabs only"):
        catalog._load_extra(str(path))


def test_on_zerogpu_a_served_model_asks_for_no_gpu(manager, served, monkeypatch):
    """Local models run under spaces.GPU on ZeroGPU; the engine's model streams from here without asking for one."""
    from aigc_demo import zerogpu
    from aigc_demo.ui import bind_text_generation

    wrapped: list[str] = []

    def fake_gpu(duration: int = 60):
        def wrap(fn):
            def on_gpu(*args, **kwargs):
                wrapped.append(args[0].model)  # the request's model key
                return fn(*args, **kwargs)

            return on_gpu

        return wrap

    monkeypatch.setattr(zerogpu, "ON_ZEROGPU", True)
    monkeypatch.setattr(zerogpu, "gpu", fake_gpu)
    generate = bind_text_generation(manager)
    params = GenerationParams(max_new_tokens=4)
    assert list(generate(TextRequest("Hello", served.key, params)))[-1].done
    assert list(generate(TextRequest("Hello", "gpt2", params)))[-1].done
    assert wrapped == ["gpt2"]


def test_the_models_tab_names_the_engine(manager, monkeypatch):
    from aigc_demo.ui.models_tab import summary

    assert "serving engine" not in summary(manager.status())
    spec = catalog.served_text_model("http://gpu-box:8000/v1", "Qwen/Qwen2.5-7B-Instruct")
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    line = summary(manager.status())
    assert "`engine` (`Qwen/Qwen2.5-7B-Instruct`) runs on a serving engine" in line
    assert "运行在服务引擎上" in summary(manager.status(), "zh")
    assert "gpu-box" not in line + spec.description  # visitors see the engine's name, never its address
