"""aigc-demo: a browser demo of generative AI (text, poetry, news summary, text-to-image)."""

__version__ = "0.1.0"

import os
import sys

# Idle OpenMP threads sleep instead of spinning, so that the web server's threads get a core while a model computes;
# measured on 2 cores it lifts streamed tokens/s from ~0.85x to ~0.95x of raw generate. Set before torch loads
# (every torch import in this package is lazy); an explicit OMP_WAIT_POLICY from the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _one_malloc_arena() -> None:
    """Have every thread allocate from glibc's main arena (as MALLOC_ARENA_MAX=1 would), unless the environment says.

    Models run in worker threads. In a thread's own arena glibc hands freed memory back to the kernel after each run,
    so the next run faults every page in again: an sd-turbo-sized UNet step took 1.3x as long in a worker thread as
    in the main thread (830,000 page faults a call); with one arena it is as fast, with no faults. Called at import,
    before gradio or torch start threads; threads then share the arena's lock, which the few large allocations a
    model makes do not contend for.
    """
    if sys.platform != "linux" or os.environ.get("MALLOC_ARENA_MAX"):
        return
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 1)  # M_ARENA_MAX from malloc.h
    except (OSError, ValueError, AttributeError):
        pass  # another C library: leave its allocator alone


_one_malloc_arena()
