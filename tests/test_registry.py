"""The registry is the one list of tasks: build_demo serves a tab and endpoints per record, catalog.TASKS follows it,
and a new task is one record (here a throwaway one, defined in this file only) with nothing else edited."""

from __future__ import annotations

import pytest

from aigc_demo import catalog, registry
from aigc_demo.catalog_file import KNOWN_TASKS


def shout(manager, text: str) -> str:
    """A throwaway task: its first argument is the manager, like every task's."""
    return f"{text.upper()}! ({manager.device})"


def shout_tab(shout_fn) -> None:
    import gradio as gr

    words = gr.Textbox(value="hello", elem_id="shout-input")
    result = gr.Textbox(elem_id="shout-result")
    gr.Button("Shout", elem_id="shout-run").click(shout_fn, words, result, api_visibility="private")


def shout_api(shout_fn) -> None:
    import gradio as gr

    def shout_text(text: str = "hello") -> str:
        """Shout `text`."""
        return shout_fn(text)

    gr.api(shout_text, api_name="shout")


THROWAWAY = registry.TaskRecord(
    key="shout",
    title_en="📣 Shout",
    title_zh="📣 大喊",
    catalog_tasks=(),
    callables={"shout": registry.Bind(shout, on_gpu=False)},
    tab=(shout_tab, ("shout",)),
    apis=((shout_api, ("shout",)),),
)


def test_catalogue_tasks_come_from_the_registry():
    assert catalog.TASKS == registry.catalog_tasks() == KNOWN_TASKS
    assert {"text-generation", "poetry", "summarization", "text-to-image"} <= set(catalog.TASKS)
    used = {task for spec in catalog.CATALOG.values() for task in spec.tasks}
    assert used <= set(catalog.TASKS), "a catalogue row names a task no record uses"


@pytest.mark.parametrize("record", registry.TASKS, ids=lambda r: r.key)
def test_every_record_names_callables_that_exist(record):
    import inspect

    for name, spec in record.callables.items():
        task = registry.resolve(spec.task)
        assert next(iter(inspect.signature(task).parameters)) == "manager", (record.key, name)
        for rule in (spec.seconds, spec.needs_gpu):
            assert rule is None or callable(registry.resolve(rule))
    for function, names in ([record.tab] if record.tab else []) + list(record.apis):
        assert callable(registry.resolve(function)) and set(names) <= set(record.callables), (record.key, names)


def test_resolve_names_a_missing_function_loudly():
    with pytest.raises(AttributeError, match="no_such_task"):
        registry.resolve("aigc_demo.tasks.text.text_generation:no_such_task")


def test_a_new_record_is_served_as_a_tab_and_an_endpoint(tmp_path):
    from gradio_client import Client

    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo, launch_kwargs

    demo = build_demo(ModelManager(mode="tiny", device="cpu"), [*registry.TASKS, THROWAWAY])
    from aigc_demo.ui.i18n import EN, ZH

    tabs = {c["props"].get("id"): c["props"].get("label") for c in demo.config["components"] if c["type"] == "tabitem"}
    assert list(tabs) == ["text", "poetry", "news", "image", "shout", "models"]  # in the records' order
    assert "tab.shout" in str(tabs["shout"]) and EN["tab.shout"] == "📣 Shout" and ZH["tab.shout"] == "📣 大喊"
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
    try:
        client = Client(url, verbose=False, download_files=str(tmp_path))
        assert client.predict("hello", api_name="/shout") == "HELLO! (cpu)"
        assert client.predict("hi", api_name="/generate_text")[1]["task"] == "text"  # the others still served
        client.close()
    finally:
        demo.close()
