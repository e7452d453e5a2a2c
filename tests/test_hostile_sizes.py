"""Size and memory bounds against hostile visitors (issue #12, items 11-13): every handler answered outside the queue
refuses over-limit text before any work, request bodies and uploads are refused, cached files are cleaned, and
session state is bounded and budgeted for. One launched app on twins for the module.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import httpx
import pytest

from aigc_demo import manager as manager_module
from aigc_demo import settings
from aigc_demo.catalog import default_model
from aigc_demo.ui import news_summary_views, stopping, text_to_image_tab
from aigc_demo.ui.stopping import Stopper

TEN_MB = "x" * 10_000_000
ZH = SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9"}, session_hash="zh-visitor")
WORK_LINES = 20_000  # Python lines a refusal may run; reading 10 MB character by character takes millions


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The real app launched in-process on twins, with its token counter recorded (it is bound at build time)."""
    from gradio_client import Client

    import aigc_demo.ui as ui
    from aigc_demo.manager import ModelManager
    from aigc_demo.tasks.text import text_generation as owner  # the registry binds it from here at build time

    counted: list[tuple] = []
    real_count = owner.count_tokens

    def recording_count(manager, text, key, system):
        counted.append((text[:20], key, system[:20]))
        return real_count(manager, text, key, system)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(owner, "count_tokens", recording_count)
        demo = ui.build_demo(ModelManager(mode="tiny", device="cpu"))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **ui.launch_kwargs())
    client = Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))
    try:
        yield SimpleNamespace(demo=demo, url=url, client=client, counted=counted)
    finally:
        client.close()
        demo.close()


def handler(demo: gr.Blocks, name: str):
    (fn,) = [f.fn for f in demo.fns.values() if f.name == name]
    return fn


def recorder(monkeypatch, module, name: str) -> list:
    """Replace `module.name` with a wrapper that records its calls and then does the real work."""
    calls: list = []
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


# -- item 12: unqueued handlers refuse over-limit text before any work -----------------------------------------------


def test_the_token_counter_refuses_10_mb_before_counting(app):
    show_count = handler(app.demo, "show_count")
    key = default_model("text-generation")
    app.counted.clear()
    note = show_count(TEN_MB, key, "")
    assert "10,000,000 characters" in note and f"limit is {settings.MAX_PROMPT_CHARS:,}" in note, note
    assert "system prompt" in show_count("Hello", key, TEN_MB)
    assert "超过上限" in show_count(TEN_MB, key, "", ZH)
    assert app.counted == [], "the counter ran on over-limit text"
    assert "tokens" in show_count("Hello there", key, "") and len(app.counted) == 1  # a normal prompt is counted


def test_the_article_box_refuses_10_mb_before_reading_it(app, monkeypatch):
    describe = handler(app.demo, "describe")
    sentence_calls = recorder(monkeypatch, news_summary_views, "split_sentences")
    language_calls = recorder(monkeypatch, news_summary_views, "detect_language")
    note = describe(TEN_MB)
    assert "article is 10,000,000 characters" in note and f"{settings.MAX_ARTICLE_CHARS:,}" in note, note
    assert "文章长度为 10,000,000 个字符" in describe(TEN_MB, ZH)
    assert sentence_calls == [] and language_calls == [], "the article was read before it was refused"
    assert "2 sentences" in describe("One sentence here. And a second one.") and len(sentence_calls) == 1


def test_the_image_prompt_box_refuses_10_mb_before_reading_it(app, monkeypatch):
    on_prompt = handler(app.demo, "on_prompt")
    calls = recorder(monkeypatch, text_to_image_tab, "looks_non_english")
    with pytest.raises(gr.Error, match="10,000,000 characters long; the limit is"):
        on_prompt(TEN_MB)
    assert calls == []
    updates = on_prompt("一座灯塔")  # {component: value}: the translation box, and the English prompt emptied
    box = next(value for component, value in updates.items() if isinstance(component, gr.Group))
    assert box["visible"] is True and len(calls) == 1


class TooMuchWork(Exception):
    pass


def python_lines_run(call) -> int:
    """How many Python lines `call()` ran (stopping it past WORK_LINES): a work count that timing noise cannot move."""
    lines = 0

    def tracer(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
            if lines > WORK_LINES:
                raise TooMuchWork
        return tracer

    sys.settrace(tracer)
    try:
        call()
    except Exception:  # noqa: BLE001, S110 - a refusal may be an error; only the work done counts here
        pass
    finally:
        sys.settrace(None)
    return lines


def unqueued_text_handlers(demo: gr.Blocks):
    """(name, fn, inputs, index of a Textbox input) for every handler outside the queue or on change/input events."""
    for f in demo.fns.values():
        on_typing = any(event in ("change", "input") for _, event in f.targets)
        if f.fn is None or (f.queue is not False and not on_typing):
            continue
        for i, component in enumerate(f.inputs):
            if isinstance(component, gr.Textbox):
                yield f.name, f.fn, f.inputs, i


def test_every_unqueued_handler_does_bounded_work_on_10_mb(app):
    """Each Textbox input of each such handler in turn gets 10 MB; the handler must answer without reading it."""
    seen = set()
    for name, fn, inputs, i in unqueued_text_handlers(app.demo):
        values = [getattr(c, "value", None) for c in inputs]
        values[i] = TEN_MB
        lines = python_lines_run(lambda fn=fn, values=values: fn(*values))
        assert lines <= WORK_LINES, f"{name} (input {i}) ran over {WORK_LINES:,} lines on 10 MB"
        seen.add(name)
    assert {"show_count", "describe", "on_prompt", "run"} <= seen, seen  # the poem checker's "run" is unqueued too


def test_the_body_limit_refuses_an_oversized_request_with_413(app):
    join = f"{app.url}gradio_api/queue/join"
    big = b"x" * (settings.MAX_REQUEST_BYTES + 1)
    declared = httpx.post(join, content=big, headers={"content-type": "application/json"}, timeout=60)
    assert declared.status_code == 413, declared.text[:300]
    assert "AIGC_MAX_REQUEST_BYTES" in declared.json()["detail"]

    def chunks():  # no Content-Length: the limit must count what arrives
        for _ in range(settings.MAX_REQUEST_BYTES // 100_000 + 2):
            yield b"x" * 100_000

    streamed = httpx.post(join, content=chunks(), headers={"content-type": "application/json"}, timeout=60)
    assert streamed.status_code == 413 and "AIGC_MAX_REQUEST_BYTES" in streamed.json()["detail"], streamed.text[:300]
    assert httpx.get(f"{app.url}gradio_api/info", timeout=30).status_code == 200  # still serving


# -- item 13: uploads are refused, cached files are cleaned -----------------------------------------------------------


def test_uploads_are_refused_and_nothing_is_stored(app, gradio_temp_dir):
    before = set(Path(gradio_temp_dir).rglob("*"))
    answer = httpx.post(
        f"{app.url}gradio_api/upload", files={"files": ("notes.txt", b"hello " * 1000, "text/plain")}, timeout=30
    )
    assert answer.status_code == 413 and "takes no uploads" in answer.json()["detail"], answer.text[:300]
    assert not [p for p in set(Path(gradio_temp_dir).rglob("*")) - before if p.name == "notes.txt"]
    deep_link = httpx.get(f"{app.url}gradio_api/deep_link", params={"session_hash": "anyone"}, timeout=30)
    assert deep_link.status_code == 404 and "no deep links" in deep_link.json()["detail"]  # it writes state to disk
    from aigc_demo.ui import launch_kwargs

    assert launch_kwargs()["max_file_size"] == "10mb"  # gradio's own cap, behind ours


def test_a_link_in_a_file_input_is_refused_not_downloaded(app):
    """gradio would download any http(s) link a client puts in a file input (the gallery's), of any size."""
    from aigc_demo.ui.limits import LINK_REFUSAL

    (fn_index,) = [i for i, f in app.demo.fns.items() if f.name == "restore"]
    link = {
        "path": "https://example.com/huge.bin",
        "url": "https://example.com/huge.bin",
        "meta": {"_type": "gradio.FileData"},
    }
    inputs = app.demo.fns[fn_index].inputs  # the gallery, and the settings it restores over (for Undo)
    data = [[{"image": link, "caption": None}] if isinstance(c, gr.Gallery) else c.value for c in inputs]
    assert sum(isinstance(c, gr.Gallery) for c in inputs) == 1
    body = {
        "data": data,
        "fn_index": fn_index,
        "session_hash": "link-test",
        "event_data": {"index": 0, "value": None},
    }
    answer = httpx.post(f"{app.url}gradio_api/run/predict", json=body, timeout=30)
    assert LINK_REFUSAL.split(".")[0] in answer.text, answer.text[:500]


def test_generated_files_are_removed_by_the_cache_cleaner_once_old(app, gradio_temp_dir, monkeypatch):
    from gradio import route_utils

    frequency, age = app.demo.delete_cache
    assert 0 < frequency <= 3600 and 0 < age <= 24 * 3600
    start = time.time() - 1
    app.client.predict("a red square", width=64, height=64, num_inference_steps=1, api_name="/generate_image")
    made = [p for p in Path(gradio_temp_dir).rglob("*.png") if p.stat().st_mtime >= start]
    assert made, "the image run cached no file"
    known = {str(Path(f)) for files in app.demo.temp_file_sets for f in files}
    assert {str(p) for p in made} <= known, "a cached file the cleaner does not know of would stay for ever"
    route_utils.delete_files_created_by_app(app.demo, age)
    assert all(p.exists() for p in made), "a fresh file was removed"

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(seconds=age + 1)

    monkeypatch.setattr(route_utils, "datetime", Later)
    route_utils.delete_files_created_by_app(app.demo, age)
    assert not any(p.exists() for p in made), "a file older than the configured age was kept"


# -- item 11: session memory is bounded and budgeted for -------------------------------------------------------------


def plain_http_call(url: str) -> None:
    """One /model_status call by plain HTTP: each such call is a new gradio session."""
    posted = httpx.post(f"{url}gradio_api/call/model_status", json={"data": []}, timeout=30)
    answer = httpx.get(f"{url}gradio_api/call/model_status/{posted.json()['event_id']}", timeout=30)
    assert "event: complete" in answer.text, answer.text[:300]


def test_session_state_is_capped_for_plain_http_callers(app, monkeypatch):
    holder = app.demo.state_holder
    assert app.demo.state_session_capacity == holder.capacity == settings.SESSION_CAPACITY < 10_000  # gradio: 10,000
    monkeypatch.setattr(holder, "capacity", 20)
    before = set(holder.session_data)
    for _ in range(60):
        plain_http_call(app.url)
    assert len(holder.session_data) == 20 and not before & set(holder.session_data), "the oldest were not dropped"


def traced_bytes(make, n: int) -> float:
    """Python memory `make(i)` for i in range(n) keeps, per call (tracemalloc: allocations, not timing)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        kept = [make(i) for i in range(n)]
        gc.collect()
        used = (tracemalloc.get_traced_memory()[0] - base) / n
        del kept
        return used
    finally:
        tracemalloc.stop()


def test_a_session_costs_little_and_never_more_than_the_budget_reserves(app, monkeypatch):
    """A new session (what every plain-HTTP call makes) skips gradio's config copy; one holding a config for every
    block (the most a browser session can hold) still fits the reserve; past the cap, sessions give memory back."""
    from gradio.state_holder import SessionState

    from aigc_demo.ui import limits

    holder = app.demo.state_holder
    monkeypatch.setattr(holder, "capacity", 20)
    holder["warm-up"]  # noqa: B018 - the first session fills caches that are not per session
    lean = traced_bytes(lambda i: holder[f"probe-{i}"], 20)
    past_cap = traced_bytes(lambda i: holder[f"past-the-cap-{i}"] and None, 200)  # kept by the holder alone

    def full_session(i):
        session = object.__new__(SessionState)
        limits.lean_session_state()
        SessionState.__init__.full(session, app.demo)
        return session

    full = traced_bytes(full_session, 5)
    print(
        f"\nsession state: {lean / 1e3:.0f} KB new, {full / 1e3:.0f} KB with every config, {past_cap:+.0f} B past cap"
    )
    assert lean < 50_000, "a new session copies the app's config again"
    assert full <= manager_module.SESSION_STATE_BYTES, "the budget's reserve per session is too small"
    assert past_cap < 5_000, "sessions past the cap kept their memory"
    assert len(holder.session_data) == 20


def test_the_automatic_budget_leaves_room_for_session_state(monkeypatch):
    import psutil

    gb = 1024**3
    monkeypatch.setattr(settings, "MEMORY_BUDGET", "auto")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=10 * gb))
    monkeypatch.setattr(settings, "SESSION_CAPACITY", 1000)
    reserve = 1000 * manager_module.SESSION_STATE_BYTES
    assert manager_module.session_reserve() == reserve
    assert manager_module.default_budget("cpu") == int(10 * gb * 0.7) - reserve
    monkeypatch.setattr(settings, "SESSION_CAPACITY", 10**6)  # a reserve past the share: half the share is kept
    assert manager_module.default_budget("cpu") == int(10 * gb * 0.7) // 2
    monkeypatch.setattr(settings, "MEMORY_BUDGET", "3GB")  # the operator's own budget is taken as given
    assert manager_module.default_budget("cpu") == settings.parse_bytes("3GB")


def test_a_flood_of_early_stops_drops_the_oldest_and_never_touches_live_runs(monkeypatch):
    monkeypatch.setattr(stopping, "MAX_PENDING", 100)
    stopper = Stopper()
    alice = SimpleNamespace(session_hash="alice")
    with stopper.run(alice) as live:
        stopper.stop(SimpleNamespace(session_hash="early-bird"))  # a Stop for a run still queued: the oldest
        for i in range(5000):
            stopper.stop(SimpleNamespace(session_hash=f"flood-{i}"))
            assert len(stopper._pending) <= 100
        assert "early-bird" not in stopper._pending and "flood-4999" in stopper._pending
        assert list(stopper._pending)[0] == "flood-4900"  # exactly the newest 100 remain
        assert not live.stopped and stopper._active == {"alice": [live]}
        stopper.stop(alice)  # the live run still stops
        assert live.stopped and "alice" not in stopper._pending
    assert stopping.MAX_PENDING == 100 and Stopper()._pending == {}


def test_the_default_pending_stop_cap_is_small(monkeypatch):
    """At the default cap a flood's bookkeeping stays around a megabyte."""
    stopper = Stopper()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(stopping.MAX_PENDING + 2000):
            stopper.stop(SimpleNamespace(session_hash=f"{i:032x}"))
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(stopper._pending) == stopping.MAX_PENDING
    assert used < 5_000_000, used
