"""One way to run work in a daemon thread: items relayed to the consumer, the work's exception re-raised there, a
bounded join at the end, and thread names the tests can count.

How a Stop travels, from the button to the model (the one place this is written down):

1. The Stop button calls `ui.stopping.Stopper.stop`, which sets the run's quit event (`Run.stop`). A tab's handler
   drives its task through `Run.follow`, a `Worker` named `RUN_THREAD` (`WAIT_THREAD` while it waits for a model
   slot) whose stop event is that quit event; the handler sees it within `POLL_S`, stops reading and joins the
   worker for at most AIGC_STOP_GRACE_S, keeping the model slot until the worker has ended.
2. The run's worker sets `tasks.common.cancel.STOP` to the same event, then closes the task's generator when it
   sees Stop. Closing a task generator closes the `Worker` it reads from (`with Worker(...)`), which sets that
   worker's own stop event and joins it, boundedly:
   - text, poetry and abstractive summaries: `tasks.common.streaming.StopOnEvent`, a transformers StoppingCriteria,
     ends `model.generate` after the current token (`GENERATE_THREAD`, `SUMMARIZE_THREAD`);
   - images: the pipeline's `callback_on_step_end` sets `_interrupt` after the current denoising step, and a step
     still computing is cut short by a forward pre-hook on every block of the denoiser and VAE
     (`tasks.image.text_to_image.watch_for_stop`); both also read `cancel.STOP` (`IMAGE_THREAD`);
   - a serving engine: the readers see their stop event between chunks and close the HTTP streams (`ENGINE_THREAD`);
   - fetching an article: not stopped, but bounded by its deadline (`FETCH_THREAD`).
3. An API client that cancels, or a browser that goes away, closes the handler's generator: `Run.follow` then sets
   the quit event itself, and the chain above runs the same way.
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

# Thread names: the tests find a run's threads by these.
RUN_THREAD = "aigc-run"  # drives one run of a tab's task (holds a model slot, or needs none)
WAIT_THREAD = "aigc-wait"  # a run still waiting for a model slot: it runs nothing yet
GENERATE_THREAD = "aigc-generate"  # model.generate for text and poems
SUMMARIZE_THREAD = "aigc-summarize"  # model.generate for an abstractive summary
IMAGE_THREAD = "aigc-image"  # a diffusion pipeline
ENGINE_THREAD = "aigc-engine"  # one streamed request to a serving engine
FETCH_THREAD = "aigc-fetch"  # downloading a news article

END = object()  # what `get` returns once every thread's work has ended
POLL_S = 0.05  # how often a full bounded queue re-checks the stop event


class Worker:
    """Daemon threads running work for one consumer; use as a context manager so that leaving stops and joins them.

    Work started with `start(fn, *args)` calls `emit(item)` to hand items over; `get` returns them in order, then
    `END` once every started thread has ended (each thread's end is one `END`, so a consumer of n threads counts n).
    The first exception a work function raises is kept and raised by `reraise` or `result`. With `maxsize`, `emit`
    blocks while the queue is full, until the consumer takes an item or `stop` is set (then it returns False).
    """

    def __init__(
        self,
        name: str,
        *,
        join_s: float,
        maxsize: int = 0,
        stop: threading.Event | None = None,
        copy_context: bool = False,
    ):
        self.name = name
        self.join_s = join_s  # the longest `close` waits for the threads to end
        self.stop = stop if stop is not None else threading.Event()
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._bounded = maxsize > 0
        self._copy_context = copy_context  # run in a copy of the caller's context (gradio's progress tracker)
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._results: list[Any] = []

    def start(self, work: Callable[..., Any], *args: Any) -> Worker:
        """Run `work(*args)` in a new daemon thread; its return value is kept for `result`."""

        def run() -> None:
            try:
                self._results.append(work(*args))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer's thread
                self._errors.append(exc)
            finally:
                self._put(END)

        if self._copy_context:
            thread = threading.Thread(target=contextvars.copy_context().run, args=(run,), name=self.name, daemon=True)
        else:
            thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def emit(self, item: Any) -> bool:
        """Hand `item` to the consumer (from a work thread); False when stopped and the item was not handed over."""
        return self._put(item)

    def _put(self, item: Any) -> bool:
        if not self._bounded:
            self._queue.put(item)
            return True
        while not self.stop.is_set():
            try:
                self._queue.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def get(self, timeout: float | None = None) -> Any:
        """The next item, or `END`; raises queue.Empty after `timeout` seconds with nothing."""
        if timeout is not None and timeout <= 0:
            return self._queue.get_nowait()
        return self._queue.get(timeout=timeout)

    def get_until(self, deadline: float) -> Any:
        """The next item if one comes before `time.monotonic()` reaches `deadline` (else queue.Empty)."""
        return self.get(deadline - time.monotonic())

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` s for every thread to end; True if they have."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.alive

    @property
    def alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def reraise(self) -> None:
        """Raise the first exception a work function raised, if any."""
        if self._errors:
            raise self._errors[0]

    def result(self) -> Any:
        """The (first) work function's return value, or its exception raised here."""
        self.reraise()
        return self._results[0]

    def close(self, join: bool = True) -> None:
        """Set the stop event and, with `join`, wait up to `join_s` for the threads to end."""
        self.stop.set()
        if join:
            self.wait(self.join_s)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
