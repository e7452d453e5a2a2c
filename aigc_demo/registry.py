"""The tasks the app serves, one record each: `build_demo` is a loop over TASKS. No torch, no gradio.

A record names its tab's titles, the task callables its tab and endpoints get (each with the manager bound, and how
ZeroGPU runs it), the function that builds its tab and the functions that register its endpoints. Callables are
named "module:function" and imported only when the app is built, so that this module (and the catalogue, which takes
its task ids from here) stays cheap to import; a test may give the functions themselves.

Adding a tab: one task package under tasks/, one tab module under ui/, one record here, and catalogue rows for its
models. Nothing else changes: the tab, its endpoints and its ZeroGPU binding follow from the record.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Target = str | Callable  # "package.module:function", or the function itself


@dataclass(frozen=True)
class Bind:
    """One task callable, given to a tab or endpoint with the manager bound as its first argument."""

    task: Target  # its first parameter is the ModelManager
    seconds: Target | None = None  # ZeroGPU: seconds to ask for, from the call's arguments (None: zerogpu's default)
    needs_gpu: Target | None = None  # ZeroGPU: whether this call needs the GPU at all (None: always)
    on_gpu: bool = True  # False: cheap work (counting tokens) that never runs under spaces.GPU


@dataclass(frozen=True)
class TaskRecord:
    key: str  # the tab's id, and its title's i18n key "tab.<key>"
    title_en: str
    title_zh: str
    catalog_tasks: tuple[str, ...]  # the catalogue tasks (Hub pipeline tags) whose models the record uses
    callables: dict[str, Bind] = field(default_factory=dict)
    # (function, names of the callables it takes, in order): builds the tab's content inside its gr.Tab; None = no tab
    tab: tuple[Target, tuple[str, ...]] | None = None
    apis: tuple[tuple[Target, tuple[str, ...]], ...] = ()  # the same shape: each registers endpoints


_Z = "aigc_demo.zerogpu"

TASKS: list[TaskRecord] = [
    TaskRecord(
        key="text",
        title_en="✍️ Text",
        title_zh="✍️ 文本生成",
        catalog_tasks=("text-generation",),
        callables={
            "generate": Bind(
                "aigc_demo.tasks.text.text_generation:generate", f"{_Z}:text_seconds", f"{_Z}:runs_locally"
            ),
            "count_tokens": Bind("aigc_demo.tasks.text.text_generation:count_tokens", on_gpu=False),
            "compare": Bind("aigc_demo.tasks.text.compare:compare", f"{_Z}:compare_seconds", f"{_Z}:runs_locally"),
        },
        tab=("aigc_demo.ui.text_generation_tab:create_tab", ("generate", "count_tokens", "compare")),
        apis=(
            ("aigc_demo.ui.text_api:create_api", ("generate",)),
            ("aigc_demo.ui.compare_view:create_api", ("compare",)),
        ),
    ),
    TaskRecord(
        key="poetry",
        title_en="📜 Poetry",
        title_zh="📜 诗词",
        catalog_tasks=("poetry",),
        callables={"write_poem_stream": Bind("aigc_demo.tasks.poetry.poetry:write_poem_stream", f"{_Z}:poem_seconds")},
        tab=("aigc_demo.ui.poetry_tab:create_tab", ("write_poem_stream",)),
        apis=(("aigc_demo.ui.poetry_api:create_api", ("write_poem_stream",)),),
    ),
    TaskRecord(
        key="news",
        title_en="📰 News summary",
        title_zh="📰 新闻摘要",
        catalog_tasks=("summarization",),
        callables={
            "summarize_stream": Bind(
                "aigc_demo.tasks.news.news_summary:summarize_stream", f"{_Z}:summary_seconds", f"{_Z}:abstractive"
            ),
            "summarize": Bind(
                "aigc_demo.tasks.news.news_summary:summarize", f"{_Z}:summary_seconds", f"{_Z}:abstractive"
            ),
        },
        tab=("aigc_demo.ui.news_summary_tab:create_tab", ("summarize_stream",)),
        apis=(("aigc_demo.ui.news_summary_api:create_api", ("summarize",)),),
    ),
    TaskRecord(
        key="image",
        title_en="🎨 Image",
        title_zh="🎨 文生图",
        # the tab draws with text-to-image models, scores with the CLIP one and (opt-in) checks with the safety one
        catalog_tasks=("text-to-image", "image-scoring", "image-safety"),
        callables={
            "generate_images": Bind("aigc_demo.tasks.image.text_to_image:generate_images", f"{_Z}:image_seconds"),
            "translate": Bind(
                "aigc_demo.tasks.image.prompt_translation:translate_to_english", f"{_Z}:translation_seconds"
            ),
        },
        tab=("aigc_demo.ui.text_to_image_tab:create_tab", ("generate_images", "translate")),
        apis=(("aigc_demo.ui.image_api:create_api", ("generate_images",)),),
    ),
    TaskRecord(  # an endpoint without a tab: the metrics the tabs show beside their outputs
        key="evaluation",
        title_en="",
        title_zh="",
        catalog_tasks=(),
        callables={
            "evaluate": Bind("aigc_demo.tasks.common.evaluation:evaluate_with_model", needs_gpu=f"{_Z}:perplexity")
        },
        apis=(("aigc_demo.ui.evaluation_api:create_api", ("evaluate",)),),
    ),
]


def catalog_tasks(records: list[TaskRecord] | None = None) -> tuple[str, ...]:
    """Every catalogue task some record uses, in the records' order (catalog.TASKS)."""
    return tuple(dict.fromkeys(task for record in (records or TASKS) for task in record.catalog_tasks))


def get(key: str) -> TaskRecord:
    return next(record for record in TASKS if record.key == key)


def resolve(target: Target) -> Callable:
    """The function a "module:function" target names (a function is returned as it is)."""
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def bind(spec: Bind, manager: Any) -> Callable:
    """`spec.task` with `manager` bound, under spaces.GPU on ZeroGPU where the call needs it (zerogpu.bind)."""
    import functools

    from aigc_demo import zerogpu

    task = resolve(spec.task)
    if not spec.on_gpu:
        return functools.partial(task, manager)
    rules = {"seconds": spec.seconds, "needs_gpu": spec.needs_gpu}
    return zerogpu.bind(task, manager, **{name: resolve(rule) for name, rule in rules.items() if rule is not None})


def bind_all(record: TaskRecord, manager: Any) -> dict[str, Callable]:
    return {name: bind(spec, manager) for name, spec in record.callables.items()}


def call(entry: tuple[Target, tuple[str, ...]], bound: dict[str, Callable]) -> Any:
    """Run a tab builder or endpoint registration with the bound callables it names."""
    function, names = entry
    return resolve(function)(*(bound[name] for name in names))
