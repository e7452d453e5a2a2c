"""The text tab on llama.cpp, for real: the Gemma 3 270M GGUF served by llama-cpp-python's server and by llama.cpp's
own llama-server (the `llama_engine` fixture, once per kind), driven through the app's task and its API."""

from __future__ import annotations

import os
import signal
import time

import httpx
import psutil
import pytest

from aigc_demo import catalog, engine_server
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate

from .conftest import require_engine
from .processes import free_port, serving

PROMPT = "Write a short story about a lighthouse keeper."
LONG_STORY = "Chapter One\n\nIt was a cold morning in the harbour town, and the old lighthouse keeper"  # goes on


def run(manager, spec, seed: int, **params) -> list:
    return list(generate(manager, TextRequest(PROMPT, spec.key, GenerationParams(**params), seed=seed)))


def test_the_engine_streams_gemma_through_the_text_task(manager, llama_served, llama_engine):
    command, _ = llama_engine
    updates = run(manager, llama_served, seed=5, max_new_tokens=32, temperature=0.8)
    last = updates[-1]
    assert len(updates) > 3, "the answer arrived in pieces, not at once"
    assert [u.texts[0] for u in updates[:-1]] == sorted((u.texts[0] for u in updates[:-1]), key=len)
    assert last.done and len(last.texts[0].split()) >= 5  # a real model writes words
    assert 0 < last.new_tokens <= 32  # the engine's usage report, or its chunks (llama_cpp.server streams no usage)
    if command.kind == "llama-server":
        assert last.prompt_tokens > 5  # llama-server reports usage (stream_options.include_usage)
    assert not last.is_twin and not manager.is_loaded(llama_served.key)


def test_the_same_seed_gives_the_same_answer_and_another_seed_another(manager, llama_served):
    first = run(manager, llama_served, seed=21, max_new_tokens=24, temperature=1.0)[-1].texts
    again = run(manager, llama_served, seed=21, max_new_tokens=24, temperature=1.0)[-1].texts
    others = {run(manager, llama_served, seed=s, max_new_tokens=24, temperature=1.0)[-1].texts[0] for s in (22, 23)}
    assert first == again
    assert others - {first[0]}, "two other seeds both gave the seed-21 answer: the seed is not honoured"


def test_the_api_streams_from_the_engine(app_client, llama_served):
    job = app_client.submit(PROMPT, model=llama_served.key, max_new_tokens=24, seed=3, api_name="/generate_text")
    updates = list(job)  # (text, info) pairs, see README's API section
    outputs = [text for text, _ in updates]
    assert len(outputs) > 1 and outputs[-1], "streamed, and the last update has the text"
    assert updates[-1][1]["model"] == llama_served.key and updates[-1][1]["ai_generated"] is True


def test_stop_closes_the_stream_and_the_engine_stops_generating(manager, llama_served, llama_engine):
    """The engine's own CPU time says whether it still decodes: after Stop it must use far less than the rest of
    the 900 tokens asked for would cost, measured against what the first tokens cost."""
    _, proc = llama_engine
    server = psutil.Process(proc.pid)
    cpu = lambda: sum(server.cpu_times()[:2])  # noqa: E731 - user + system seconds
    before = cpu()
    params = GenerationParams(max_new_tokens=900, temperature=0.8)
    updates = generate(manager, TextRequest(LONG_STORY, llama_served.key, params, seed=1))
    for update in updates:
        if len(update.texts[0].split()) >= 12:
            break
    tokens_so_far = len(update.texts[0].split())
    per_token = (cpu() - before) / tokens_so_far  # prompt included: an overestimate, so a looser check
    updates.close()
    at_stop = cpu()
    _wait_until_idle(cpu)
    assert cpu() - at_stop < 150 * per_token, "the engine went on decoding after Stop"
    if (slots := _slots(llama_served)) is not None:
        assert not any(s.get("is_processing") for s in slots)
    again = run(manager, llama_served, seed=2, max_new_tokens=8, temperature=0.8)[-1]
    assert again.done and again.texts[0]  # the engine is free for the next visitor


def test_an_engine_killed_mid_stream_is_one_sentence_and_the_app_stays_up(app_client, monkeypatch):
    from gradio_client.exceptions import AppError

    require_engine("llama_cpp.server")
    command = engine_server.engine_command(
        engine_server.gguf_path("gemma-3-270m"), port=free_port(), context=1024, kind="llama_cpp.server"
    )
    spec = catalog.served_text_model(command.url, command.model)
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    with serving(command.argv, command.ready_url, dict(os.environ), within_s=180) as proc:
        job = app_client.submit(LONG_STORY, model=spec.key, max_new_tokens=800, seed=1, api_name="/generate_text")
        while not (job.outputs() and job.outputs()[-1]):
            assert not job.done(), "the answer ended before the engine was killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        with pytest.raises(AppError) as caught:
            job.result()
    message = str(caught.value)
    assert "serving engine engine" in message and ("complete answer" in message or "not reachable" in message)
    assert "Traceback" not in message and message.count("\n") == 0
    assert app_client.predict("床前明月光", api_name="/check_poem")  # the app still answers
    with pytest.raises(AppError, match="not reachable"):  # and says so again, at once, for the next visitor
        app_client.predict("Hello", model=spec.key, max_new_tokens=4, api_name="/generate_text")


def test_extra_sampling_fields_reach_llama_cpp_without_a_warning(manager, llama_served):
    """llama.cpp reads top_k, min_p and repeat_penalty: nothing is reported as not applied."""
    last = run(manager, llama_served, seed=4, max_new_tokens=8, top_k=20, min_p=0.05, repetition_penalty=1.3)[-1]
    assert last.done and not last.warnings


def test_llama_server_samples_in_its_decoding_graph_unless_told_not_to(llama_served, llama_engine):
    """serve-engine's llama-server samples every slot inside the decoding graph (--backend-sampling: on all its
    threads at once, not slot after slot on its main thread); AIGC_ENGINE_BACKEND_SAMPLING=0 leaves it out. The
    seed and sampling tests here and the grammar tests (test_engine_poetry.py) run on this server: they hold with it."""
    command, _ = llama_engine
    if command.kind != "llama-server":
        pytest.skip("llama-cpp-python's server has no backend sampling")
    props = httpx.get(llama_served.endpoint.removesuffix("/v1") + "/props", timeout=5).json()
    assert props["default_generation_settings"]["params"]["backend_sampling"] is True
    plain = engine_server.engine_command(engine_server.gguf_path("gemma-3-270m"), backend_sampling=False)
    assert "--backend-sampling" in command.argv and "--backend-sampling" not in plain.argv


def _wait_until_idle(cpu, within_s: float = 60) -> None:
    """Until the engine uses under 5% of a core over half a second (or `within_s` passes)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        start = cpu()
        time.sleep(0.5)
        if cpu() - start < 0.025:
            return


def _slots(spec) -> list | None:
    """llama-server's /slots (which slot is decoding); None for llama_cpp.server, which has no such page."""
    try:
        response = httpx.get(spec.endpoint.removesuffix("/v1") + "/slots", timeout=5)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def test_the_models_tab_shows_the_engines_health_by_name(manager, llama_served, monkeypatch):
    from aigc_demo.ui.models_tab import engine_health, summary

    down = catalog.ModelSpec(
        **{**llama_served.__dict__, "key": "engine-2", "endpoint": f"http://127.0.0.1:{free_port()}/v1"}
    )
    monkeypatch.setitem(catalog.CATALOG, down.key, down)
    health = {h.key: h for h in engine_health()}
    assert health["engine"].reachable and health["engine"].latency_ms > 0 and not health["engine"].problem
    assert health["engine"].model_ids == [llama_served.repo_id]  # the id the engine reports
    assert not health["engine-2"].reachable
    text = summary(manager.status(), "en", list(health.values()))
    assert f"`engine` (`{llama_served.repo_id}`): ✅ reachable" in text and " ms · serves " in text
    assert "`engine-2`" in text and "not reachable (ConnectError)" in text
    assert "127.0.0.1" not in text and "Traceback" not in text  # names, never addresses
    assert "无法连接服务引擎" in summary(manager.status(), "zh", list(health.values()))


def test_two_visitors_are_decoded_together_through_the_app(app_client, llama_served, llama_engine):
    """The app sends served requests side by side (no model slot, a queue group as wide as the engine's slots):
    llama-server's /slots shows both of its slots decoding at once."""
    command, _ = llama_engine
    if command.kind != "llama-server":
        pytest.skip("llama-cpp-python's server decodes one request at a time; llama-server has the slots")
    from gradio_client import Client

    from aigc_demo.ui import build_demo, launch_kwargs

    demo = build_demo(app_client.manager)  # built now, with the engine in the catalogue: its queue group applies
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
    client = Client(url, verbose=False)
    try:
        jobs = [
            client.submit(
                "Tell me a long story.", model=llama_served.key, max_new_tokens=300, seed=s, api_name="/generate_text"
            )
            for s in (1, 2)
        ]
        deadline, busiest = time.monotonic() + 60, 0
        while time.monotonic() < deadline and busiest < 2 and not all(j.done() for j in jobs):
            busiest = max(busiest, sum(bool(s.get("is_processing")) for s in _slots(llama_served) or []))
            time.sleep(0.05)
        for job in jobs:
            job.cancel()
        assert busiest == 2, "the app let only one request reach the engine at a time"
    finally:
        client.close()
        demo.close()
