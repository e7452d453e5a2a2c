"""Module-level handlers, bound to their tab for gradio.

A tab's handlers are plain functions of its layout, its task callables and the inputs' values, so that a test can call
them. gradio, though, decides what to pass a handler from its signature and type hints: a `gr.Request` parameter gets
the request, and a generator function streams. `functools.partial` hides both (gradio reads no type hints through
it, so the handler would get no request: no language, no session for Stop). `bound` keeps them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any


def bound(fn: Callable, *args: Any, **keywords: Any) -> Callable:
    """`fn` with its first `len(args)` arguments (and `keywords`) given: a function (a generator function if `fn` is
    one) whose signature and type hints are the rest of `fn`'s, as gradio reads them."""
    signature = inspect.signature(fn)
    rest = [p for p in list(signature.parameters.values())[len(args) :] if p.name not in keywords]
    if inspect.isgeneratorfunction(fn):

        def call(*more, **kwargs):
            yield from fn(*args, *more, **keywords, **kwargs)

    else:

        def call(*more, **kwargs):
            return fn(*args, *more, **keywords, **kwargs)

    functools.update_wrapper(call, fn, assigned=("__module__", "__name__", "__qualname__", "__doc__"), updated=())
    call.__signature__ = signature.replace(parameters=rest)
    hints = {p.name: _hint(fn, p.annotation) for p in rest if p.annotation is not p.empty}
    call.__annotations__ = {name: hint for name, hint in hints.items() if hint is not None}
    return call


def _hint(fn: Callable, annotation: Any) -> Any:
    """An annotation as an object (under `from __future__ import annotations` it is a string); None for one that
    names a type known only to type checkers (one unresolvable hint would make gradio read none of them)."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, fn.__globals__)  # noqa: S307 - our own source's annotations
    except NameError:
        return None
