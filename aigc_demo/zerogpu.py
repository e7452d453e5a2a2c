"""ZeroGPU support: import before torch touches CUDA. `gpu()` wraps task functions; a no-op off ZeroGPU."""

from __future__ import annotations

import os
from collections.abc import Callable

try:
    import spaces  # the real package is itself a no-op unless SPACES_ZERO_GPU is set
except ImportError:  # local runs and tests need not install it
    spaces = None

ON_ZEROGPU = os.getenv("SPACES_ZERO_GPU", "").lower() in {"1", "t", "true"}


def gpu(duration: int = 60) -> Callable[[Callable], Callable]:
    """`spaces.GPU(duration=...)` where the package exists, else the function unchanged."""

    def wrap(fn: Callable) -> Callable:
        return fn if spaces is None else spaces.GPU(duration=duration)(fn)

    return wrap
