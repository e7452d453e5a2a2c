"""ZeroGPU support: import before torch touches CUDA. `bind` runs a task where the GPU is; a plain call off ZeroGPU.

On ZeroGPU `spaces.GPU` runs a task in a forked worker that holds a GPU for the `duration` it asked for, and pickles
the arguments and results across. It picks its wrapper with `inspect.isgeneratorfunction(task)`: a plain function
that *returns* a generator would have that generator pickled (`PicklingError`), so generator tasks are wrapped in
generator functions here. Models must be on cuda before the first request (a model loaded inside a worker is lost
when it exits), so start-up loads every local catalogue model (`startup_keys`).
"""

import functools
import inspect
import math
import os
from collections.abc import Callable
from typing import Any

try:
    import spaces  # the real package is itself a no-op unless SPACES_ZERO_GPU is set
except ImportError:  # local runs and tests need not install it
    spaces = None

from aigc_demo import catalog

ON_ZEROGPU = os.getenv("SPACES_ZERO_GPU", "").lower() in {"1", "t", "true"}

DEFAULT_DURATION_S = 60  # what spaces.GPU asks for when told nothing
MIN_DURATION_S = 5
MAX_DURATION_S = 120  # a longer request spends a visitor's daily quota (2-5 min unauthenticated/free) in one go


def gpu(duration: int | Callable[..., int] = DEFAULT_DURATION_S) -> Callable[[Callable], Callable]:
    """`spaces.GPU(duration=...)` where the package exists, else the function unchanged."""

    def wrap(fn: Callable) -> Callable:
        return fn if spaces is None else spaces.GPU(duration=duration)(fn)

    return wrap


def startup_keys() -> list[str]:
    """The models to place on cuda at start-up on ZeroGPU: every catalogue model that runs here, GPU-only ones too;
    the opt-in safety checker only when it is asked for (AIGC_SAFETY_CHECKER with safe mode)."""
    return [spec.key for spec in catalog.CATALOG.values() if not spec.is_served and catalog.opted_in(spec)]


# --- how long each task asks the GPU for (seconds; a callable of the task's own arguments) ----------------------


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and number > 0 else default


def text_seconds(arguments: dict) -> float:
    """Load-free generation: ~20 tokens/s is the slowest catalogue model on half a ZeroGPU card; candidates batch."""
    params = getattr(arguments.get("req"), "params", None)
    return 10 + _number(getattr(params, "max_new_tokens", None), 128) / 20


def compare_seconds(arguments: dict) -> float:
    """An A/B comparison is two text runs, one after the other."""
    return 2 * text_seconds(arguments)


def poem_seconds(arguments: dict) -> float:
    """A poem is under ~120 tokens; constrained decoding writes candidates one after another."""
    return 10 + 8 * _number(getattr(arguments.get("req"), "num_candidates", None), 1)


def summary_seconds(arguments: dict) -> float:
    """One generation per ~3,000-character chunk of the article, plus the reduce steps that combine them."""
    req = arguments.get("req")
    article = getattr(req, "article", None)
    chunks = math.ceil(len(article) / 3000) if isinstance(article, str) and article else 1
    generations = chunks + (chunks > 1) * math.ceil(math.log2(chunks) + 1)
    return 10 + generations * _number(getattr(req, "max_new_tokens", None), 142) / 25


def image_seconds(arguments: dict) -> float:
    """Steps x images x pixels: ~0.1 s a step for one 512x512 image, plus the text encoder, VAE and transfer."""
    req = arguments.get("req")
    steps = _number(getattr(req, "num_inference_steps", None), 1)
    images = _number(getattr(req, "num_images", None), 1)
    pixels = _number(getattr(req, "width", None), 512) * _number(getattr(req, "height", None), 512)
    return 10 + 0.1 * steps * images * pixels / 512**2


def translation_seconds(arguments: dict) -> float:
    """A prompt's translation: a few dozen tokens from the small instruct model."""
    return 10


def clamp_seconds(seconds: float) -> int:
    return int(min(MAX_DURATION_S, max(MIN_DURATION_S, math.ceil(seconds))))


# --- binding ----------------------------------------------------------------------------------------------------


def bind(
    task: Callable,
    manager: Any,
    seconds: Callable[[dict], float] = lambda arguments: DEFAULT_DURATION_S,
    needs_gpu: Callable[[dict], bool] = lambda arguments: True,
) -> Callable:
    """`task` with `manager` bound. On ZeroGPU a call that `needs_gpu` runs under spaces.GPU for `seconds(arguments)`
    (both see the call's arguments by parameter name); the others run right here, spending no GPU quota."""
    here = functools.partial(task, manager)
    if not ON_ZEROGPU:
        return here
    signature = inspect.signature(task)

    def arguments(args: tuple, kwargs: dict) -> dict:
        try:
            bound = signature.bind(manager, *args, **kwargs)
        except TypeError:  # a wrong call fails inside the task, with the task's own message
            return {}
        bound.apply_defaults()
        return bound.arguments

    def duration(*args, **kwargs) -> int:
        return clamp_seconds(seconds(arguments(args, kwargs)))

    if inspect.isgeneratorfunction(task):

        @functools.wraps(task)
        def on_gpu(*args, **kwargs):
            yield from task(manager, *args, **kwargs)

        on_gpu = gpu(duration=duration)(on_gpu)

        @functools.wraps(task)
        def routed(*args, **kwargs):
            yield from (on_gpu if needs_gpu(arguments(args, kwargs)) else here)(*args, **kwargs)

    else:

        @functools.wraps(task)
        def on_gpu(*args, **kwargs):
            return task(manager, *args, **kwargs)

        on_gpu = gpu(duration=duration)(on_gpu)

        @functools.wraps(task)
        def routed(*args, **kwargs):
            return (on_gpu if needs_gpu(arguments(args, kwargs)) else here)(*args, **kwargs)

    return routed


def runs_locally(arguments: dict) -> bool:
    """Whether a text request's model is a catalogue model that runs here (not one a serving engine runs): on ZeroGPU
    a served model streams from its engine right here, since asking for a GPU would spend the visitor's quota on
    waiting for another machine."""
    return catalog.runs_here(getattr(arguments.get("req"), "model", None) or catalog.default_model("text-generation"))


def perplexity(arguments: dict) -> bool:
    """Whether an evaluation asks for perplexity (it names a model): the other metrics are arithmetic."""
    return bool(arguments.get("model"))


def abstractive(arguments: dict) -> bool:
    """Whether a summary needs a model: the extractive method is arithmetic on the CPU."""
    return getattr(arguments.get("req"), "method", None) != "extractive"
