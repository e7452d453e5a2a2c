"""The Stop button: a cooperative stop that ends a run the way a finished run ends.

Why not gradio's `cancels=`: a cancel cuts the server's stream while its last chunks are still on their way, and the
browser then fails on a chunk for a run it has already dropped. About one stopped run in ten (more with several
outputs streaming) came back with red "Error" badges over every output and the text the user had so far wiped.

Here Stop only raises a flag. The run's handler drives its task in a worker thread (`Run.follow`), so it sees the flag
within `POLL_S` even while a step or a model load is still running; it stops reading, waits (boundedly) for the worker
to end, says "Stopped" and keeps what it made, and its last update reaches the browser as an ordinary result. The
worker closes the task, which stops the model; an image pipeline sees the Stop inside its step (`tasks.common.cancel`).
The whole chain, from this button to the model, is written down once, in `tasks.common.worker`. The model slot (`limits.MODEL_SLOTS`) is held until the worker has really ended. A Stop that comes while the run is still waiting in the queue is kept
for it: the run then ends as soon as it starts, before any model is loaded.

A session's pending Stop is cleared when its next run is submitted (the `arm` event on the same triggers), so a Stop
clicked when nothing runs never reaches a later run.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import gradio as gr

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.common import cancel
from aigc_demo.tasks.common.worker import END, RUN_THREAD, WAIT_THREAD, Worker
from aigc_demo.ui import limits
from aigc_demo.ui.common import tr

T = TypeVar("T")
POLL_S = 0.05  # how soon a waiting run notices Stop
PENDING_TTL_S = 3600.0  # a queued run's Stop is kept this long at most
MAX_PENDING = 10_000  # sessions whose early Stop is remembered; the oldest are forgotten first
WORKER_NAME = RUN_THREAD  # a worker that runs (holds a model slot, or needs none): the tests count these threads
WAITING_NAME = WAIT_THREAD  # a worker still waiting for a model slot: it runs nothing yet


class Run:
    """One run of a tab's task in one browser session."""

    def __init__(self) -> None:
        self._stop = threading.Event()  # the user pressed Stop
        self._quit = threading.Event()  # the worker should stop pulling: Stop, or the handler went away

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._quit.set()

    def follow(self, updates: Iterator[T], *, needs_model: bool = True) -> Iterator[T]:
        """Yield `updates` until they end, or until Stop: then return with no error, once the worker has stopped.

        The updates are pulled one at a time by a worker thread (one ahead of the consumer at most), which closes them
        when they end, when Stop is pressed, or when this generator is closed (a browser that went away). Errors the
        task raises are raised here. The caller must not close `updates` itself: the worker may be inside it.

        With `needs_model`, the worker holds one of `limits.MODEL_SLOTS` for as long as it runs, and this generator
        returns only after the worker has ended (at most `STOP_GRACE_S` after Stop): a run stopped mid-step keeps its
        slot until its pipeline has really stopped, so the next run cannot start beside it. A run longer than
        `RUN_TIMEOUT_S` is stopped and ends in a UserError saying so.
        """
        quit_ = self._quit
        # One item ahead of the consumer at most; the worker runs in a copy of this context, where gradio keeps the
        # request's progress tracker.
        worker = Worker(
            WAITING_NAME if needs_model else WORKER_NAME,
            join_s=settings.STOP_GRACE_S,
            maxsize=1,
            stop=quit_,
            copy_context=True,
        )

        def pull() -> None:
            try:
                for item in updates:
                    if quit_.is_set() or not worker.emit(item):
                        return
            finally:
                close = getattr(updates, "close", None)
                if close is not None:
                    close()

        def pump() -> None:
            cancel.STOP.set(quit_)  # lets a task stop mid-step (see tasks.common.cancel); the worker's own context
            if not needs_model:
                pull()
                return
            with limits.model_slot(give_up=quit_) as held:
                if held:
                    threading.current_thread().name = WORKER_NAME
                    pull()
                    return
            close = getattr(updates, "close", None)  # stopped while waiting for a slot: the task never started
            if close is not None:
                close()

        if self._quit.is_set():  # stopped while queued: the task never starts
            return
        worker.start(pump)
        deadline = time.monotonic() + settings.RUN_TIMEOUT_S
        try:
            while not quit_.is_set():
                if time.monotonic() > deadline:
                    raise UserError(
                        f"This run took longer than {settings.RUN_TIMEOUT_S:g} s, the limit here "
                        "(AIGC_RUN_TIMEOUT_S), and was stopped; try a smaller request.",
                        f"本次运行超过了此处的时限 {settings.RUN_TIMEOUT_S:g} 秒（AIGC_RUN_TIMEOUT_S），已停止；请减小请求规模。",
                    )
                try:
                    item = worker.get(POLL_S)
                except queue.Empty:
                    continue
                if item is END:
                    worker.reraise()
                    return
                yield item
        finally:
            worker.close(join=needs_model)  # the gradio slot is freed only when the model is (almost) free


class Stopper:
    """Stop for one tab, across browser sessions: `attach` wires the buttons, the handler wraps its run in `run`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[str, list[Run]] = {}
        self._pending: dict[str, float] = {}  # session -> when Stop was pressed with no run started yet

    def attach(self, triggers: Sequence[Any], stop_button: gr.Button) -> None:
        """Register `arm` on the run's triggers and `stop` on the button; both answer at once, outside the queue.

        Call before registering the run itself on the same triggers, so that the browser sends `arm` first.
        """
        quiet = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
        gr.on(list(triggers), self.arm, None, None, **quiet)
        stop_button.click(self.stop, None, None, **quiet)

    def arm(self, request: gr.Request = None) -> None:
        """A run is being submitted: forget an earlier Stop that found nothing to stop."""
        session = session_of(request)
        with self._lock:
            self._pending.pop(session, None)

    def stop(self, request: gr.Request = None) -> None:
        """Stop the session's runs; with none started yet, the one waiting in the queue stops when it starts."""
        session = session_of(request)
        now = time.monotonic()
        with self._lock:
            runs = list(self._active.get(session, ()))
            if not runs:
                self._pending.pop(session, None)
                self._pending[session] = now  # dicts keep insertion order: the first is the oldest
                while self._pending and (
                    len(self._pending) > MAX_PENDING or now - next(iter(self._pending.values())) >= PENDING_TTL_S
                ):  # from the oldest end only: a flood of Stops costs O(1) each, never a pass over all of them
                    self._pending.pop(next(iter(self._pending)))
        for run in runs:
            run.stop()

    @contextlib.contextmanager
    def run(self, request: gr.Request | None) -> Iterator[Run]:
        """A run for the handler's duration, stopped already if Stop was pressed while it waited in the queue."""
        session = session_of(request)
        current = Run()
        with self._lock:
            if self._pending.pop(session, None) is not None:
                current.stop()
            self._active.setdefault(session, []).append(current)
        try:
            yield current
        finally:
            with self._lock:
                runs = self._active.get(session, [])
                if current in runs:
                    runs.remove(current)
                if not runs:
                    self._active.pop(session, None)


def stopped_note(lang: str, kept: bool = True) -> str:
    """What a stopped run says where its statistics would be; `kept`: it shows what it made before Stop."""
    if kept:
        return tr(lang, "⏹ **Stopped.** What was made so far is kept.", "⏹ **已停止。** 已生成的内容都保留着。")
    return tr(lang, "⏹ **Stopped.**", "⏹ **已停止。**")


def session_of(request: gr.Request | None) -> str:
    return (getattr(request, "session_hash", None) or "") if request is not None else ""
