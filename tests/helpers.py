"""What many test files share: the app's worker threads found by name, and a model's forward passes counted."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from aigc_demo.tasks.common.worker import GENERATE_THREAD, IMAGE_THREAD, RUN_THREAD, SUMMARIZE_THREAD, WAIT_THREAD

# The threads that run a model, or hold (or wait for) a model slot: none is alive once a run has really stopped.
MODEL_THREADS = (RUN_THREAD, WAIT_THREAD, GENERATE_THREAD, SUMMARIZE_THREAD, IMAGE_THREAD)


def alive_threads(*names: str) -> list[threading.Thread]:
    """The live threads named one of `names` (the thread names in aigc_demo.tasks.common.worker)."""
    return [t for t in threading.enumerate() if t.name in names and t.is_alive()]


def threads_left(*names: str, within_s: float) -> list[threading.Thread]:
    """Wait up to `within_s` for the threads named one of `names` to end; those still alive then (assert `== []`)."""
    deadline = time.monotonic() + within_s
    while (alive := alive_threads(*names)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def wait_for(condition: Callable[[], object], within_s: float = 10.0, what: str = "condition") -> None:
    """Poll `condition` until it is true; fail, naming `what`, if it is not within `within_s`."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} not reached within {within_s:g} s"
        time.sleep(0.01)


def counted_module(model):
    """The module whose forward passes a run's work is counted in: a diffusion pipeline's UNet (one pass per denoising
    step), else the model itself; None for what has no forward passes to count (a pipeline without a UNet)."""
    module = getattr(model, "unet", model)
    return module if hasattr(module, "register_forward_pre_hook") else None


@contextlib.contextmanager
def forward_passes(manager, key: str, delay_s: float = 0.0, *, part=counted_module) -> Iterator[list[float]]:
    """Count `key`'s forward passes while the block runs: yields a list that gets each pass's start time.

    `part(model)` picks the module counted (`counted_module` unless given: e.g. a seq2seq model's encoder, one pass per
    `generate()`). `delay_s` lengthens each pass, for a twin that would otherwise finish before a click can reach the
    Stop button; the stop path (generator closed, stop event, StoppingCriteria, thread joined) is the app's own.
    """
    module = part(manager.get(key).model)
    if module is None:
        raise TypeError(f"{key} has no module whose forward passes can be counted")
    passes: list[float] = []

    def hook(_module, _args) -> None:  # returns None: the inputs go on unchanged
        passes.append(time.monotonic())
        if delay_s:
            time.sleep(delay_s)

    handle = module.register_forward_pre_hook(hook)
    try:
        yield passes
    finally:
        handle.remove()
