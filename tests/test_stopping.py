"""The Stop button's mechanism (ui/stopping.py): a run follows its task in a worker thread and ends at once on Stop.

The browser side (no Error badge, the text kept, "Stopped." shown) is in test_browser.py; here the guarantees under
it: order, errors, closing the task, a Stop while queued, sessions apart, and a real twin's generation stopped.
"""

from __future__ import annotations

import contextvars
import threading
import time
from types import SimpleNamespace

import pytest

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.worker import GENERATE_THREAD, RUN_THREAD, WAIT_THREAD
from aigc_demo.ui import limits, stopping
from aigc_demo.ui.stopping import Run, Stopper

from .helpers import alive_threads, wait_for

ALICE, BOB = SimpleNamespace(session_hash="alice"), SimpleNamespace(session_hash="bob")


class Source:
    """A task stand-in: yields 0, 1, 2... and blocks before item `block_at` until released; records its own close."""

    def __init__(self, n: int = 5, block_at: int | None = None, fail_at: int | None = None):
        self.n, self.block_at, self.fail_at = n, block_at, fail_at
        self.release = threading.Event()
        self.blocked = threading.Event()
        self.closed = threading.Event()
        self.made: list[int] = []

    def __iter__(self):
        try:
            for i in range(self.n):
                if i == self.block_at:
                    self.blocked.set()
                    assert self.release.wait(10), "never released"
                if i == self.fail_at:
                    raise UserError("The model ran out of ideas.", "模型没主意了。")
                self.made.append(i)
                yield i
        finally:
            self.closed.set()


def test_follow_yields_every_update_in_order_and_closes_the_task():
    source = Source(n=5)
    assert list(Run().follow(iter(source))) == [0, 1, 2, 3, 4]
    assert source.closed.wait(5)


def test_stop_ends_the_run_once_the_step_in_progress_has_ended():
    """Stop is seen at once, but the run ends only after its worker: until then the model is still busy."""
    source = Source(n=5, block_at=2)
    run = Run()
    got = []
    for item in run.follow(iter(source)):
        got.append(item)
        if item == 1:
            assert source.blocked.wait(5)  # the worker is inside the next step, which will not end by itself
            run.stop()
            threading.Timer(0.2, source.release.set).start()
    assert got == [0, 1]
    assert run.stopped
    assert source.closed.is_set()  # the run returned after its task was closed, not before
    assert source.made == [0, 1, 2]  # and the task was not asked for more


def test_a_run_still_winding_down_after_the_grace_keeps_its_model_slot(monkeypatch):
    monkeypatch.setattr(settings, "STOP_GRACE_S", 0.1)
    monkeypatch.setattr(limits, "MODEL_SLOTS", threading.BoundedSemaphore(1))
    first = Source(n=5, block_at=1)
    run = Run()
    for _ in run.follow(iter(first)):
        assert first.blocked.wait(5)
        run.stop()
    assert not first.closed.is_set()  # the grace is over and its step still runs
    second = Source(n=2)
    got: list[int] = []
    follower = threading.Thread(target=lambda: got.extend(Run().follow(iter(second))))
    follower.start()
    time.sleep(0.3)
    assert second.made == []  # the next run waits for the slot the stopped one still holds
    first.release.set()
    follower.join(10)
    assert got == [0, 1] and first.closed.is_set()


def test_a_run_longer_than_the_run_time_limit_is_stopped_with_a_sentence(monkeypatch):
    monkeypatch.setattr(settings, "RUN_TIMEOUT_S", 0.2)
    source = Source(n=5, block_at=1)
    threading.Timer(1.0, source.release.set).start()
    with pytest.raises(UserError, match="AIGC_RUN_TIMEOUT_S"):
        list(Run().follow(iter(source)))
    assert source.closed.wait(5)


def test_a_pending_stop_per_session_is_bounded(monkeypatch):
    monkeypatch.setattr(stopping, "MAX_PENDING", 3)
    stopper = Stopper()
    for i in range(10):
        stopper.stop(SimpleNamespace(session_hash=f"s{i}"))
    assert list(stopper._pending) == ["s7", "s8", "s9"]


def test_a_task_error_reaches_the_handler_with_its_type():
    source = Source(n=5, fail_at=2)
    got = []
    with pytest.raises(UserError, match="ran out of ideas"):
        for item in Run().follow(iter(source)):
            got.append(item)
    assert got == [0, 1]
    assert source.closed.wait(5)


def test_a_handler_that_goes_away_closes_the_task():
    """A browser that leaves closes the handler's generator: the task is closed after its step, never left running."""
    source = Source(n=1000)
    follower = Run().follow(iter(source))
    assert next(follower) == 0
    follower.close()
    assert source.closed.wait(5)
    assert len(source.made) <= 3  # the one handed over, at most one waiting, and the one in progress


def test_the_task_sees_the_handlers_context():
    """gradio keeps the request's progress tracker in a context variable: the worker must see the handler's."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("handler")

    def task():
        yield var.get()

    assert list(Run().follow(task())) == ["handler"]


def test_stop_reaches_the_sessions_running_run_and_no_other():
    stopper = Stopper()
    with stopper.run(ALICE) as alice, stopper.run(BOB) as bob:
        stopper.stop(ALICE)
        assert alice.stopped
        assert not bob.stopped


def test_a_stop_while_queued_stops_the_run_before_its_task_starts():
    stopper = Stopper()
    stopper.arm(ALICE)  # Generate: the run waits in the queue
    stopper.stop(ALICE)  # Stop, before it started
    source = Source(n=3)
    with stopper.run(ALICE) as run:
        assert run.stopped
        assert list(run.follow(iter(source))) == []
    assert source.made == []  # the task never ran: no model was loaded for it


def test_a_stop_with_nothing_running_does_not_reach_the_next_run():
    stopper = Stopper()
    stopper.stop(ALICE)  # a click on an idle tab
    stopper.arm(ALICE)  # the next Generate
    with stopper.run(ALICE) as run:
        assert not run.stopped
        assert list(run.follow(iter(Source(n=3)))) == [0, 1, 2]


def test_a_finished_run_is_forgotten():
    stopper = Stopper()
    with stopper.run(ALICE):
        pass
    stopper.arm(ALICE)
    stopper.stop(ALICE)  # nothing runs: kept for a queued run, not sent to the finished one
    assert not stopper._active


def test_stop_frees_a_twin_mid_generation(manager):
    """The real path: a streaming generate on the text twin, stopped after two updates; the model is released."""
    from aigc_demo.catalog import default_model
    from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate

    key = default_model("text-generation")
    params = GenerationParams(max_new_tokens=1000, num_candidates=2)
    stopper = Stopper()
    updates = []
    with stopper.run(ALICE) as run:
        for update in run.follow(generate(manager, TextRequest("Tell a long story.", key, params, seed=1))):
            updates.append(update)
            if len(updates) == 2:
                stopper.stop(ALICE)
    assert len(updates) == 2 and all(updates[-1].texts)
    assert not updates[-1].done  # 1000 tokens were asked for: the run ended on Stop, not at the end

    def released() -> bool:
        busy = any(m["key"] == key and m["in_use"] for m in manager.status()["loaded"])
        return not busy and not alive_threads(RUN_THREAD, WAIT_THREAD, GENERATE_THREAD)

    wait_for(released, what="the model released and the run's threads ended")
