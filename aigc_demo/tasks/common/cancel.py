"""The current run's Stop, for tasks that can act on it while a step is still computing (no gradio here).

`ui.stopping.Run.follow` sets it in the worker thread that drives a task; a task reads it once, at its start, and
hands it to its own threads. Outside a run it is None and tasks stop only when their iterator is closed.
"""

from __future__ import annotations

import contextvars
import threading

STOP: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("aigc_stop", default=None)


def current() -> threading.Event | None:
    """The Stop event of the run this thread works for, if any."""
    return STOP.get()
