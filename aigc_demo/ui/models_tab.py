"""The Models tab: what is loaded, where, how big, since when; unload buttons; and /model_status."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import CATALOG
from aigc_demo.errors import UserError
from aigc_demo.packaged import PACKAGES, installed
from aigc_demo.ui import models_table
from aigc_demo.ui.common import tr, user_errors, user_lang
from aigc_demo.ui.i18n import t


def summary(status: dict, lang: str = "en", health: list | None = None) -> str:
    """The tab's first lines: what is loaded against the budget, then each serving engine by name (never its
    address: that is the operator's business) with its health when `health` (EngineHealth per engine) is given."""
    n, used, budget = len(status["loaded"]), status["used"], status["budget"]
    device, dtype, mode = status["device"], status["dtype"], models_table.mode_text(lang, status["mode"])
    line = tr(
        lang,
        f"**{n}** loaded · {used} of {budget} budget · device `{device}` · dtype `{dtype}` · models: {mode}",
        f"已加载 **{n}** 个 · 已用 {used}，预算 {budget} · 设备 `{device}` · 数据类型 `{dtype}` · 模型：{mode}",
    )
    by_key = {h.key: h for h in health or []}
    for s in CATALOG.values():
        if s.is_served:
            line += "  \n" + _engine_line(s, by_key.get(s.key), lang)
    for key in PACKAGES:
        spec = CATALOG.get(key)
        if spec is not None and installed(spec):
            line += tr(
                lang,
                f"  \n📦 `{key}` is a real model installed from PyPI packages (licence: {spec.license}); "
                "it answers in the text and poetry tabs when the Hub cannot be reached",
                f"  \n📦 `{key}` 是从 PyPI 软件包安装的真实模型（许可：{spec.license}）；"
                "无法连接 Hub 时由它在文本和诗歌标签页作答",
            )
    return line


def _engine_line(spec, health, lang: str) -> str:
    name = f"🌐 `{spec.key}` (`{spec.repo_id}`)"
    if health is None:
        return tr(lang, f"{name} runs on a serving engine", f"{name} 运行在服务引擎上")
    if not health.reachable:
        return tr(
            lang,
            f"{name}: the serving engine is not reachable ({health.problem}); its requests will fail until it is back",
            f"{name}：无法连接服务引擎（{health.problem}），恢复前该模型的请求都会失败",
        )
    ms = f"{health.latency_ms:.0f} ms"
    ids = ", ".join(f"`{i}`" for i in health.model_ids) or tr(lang, "none", "无")
    if health.problem:
        return tr(
            lang,
            f"{name}: reachable ({ms}) but it {health.problem}; it serves {ids}",
            f"{name}：可连接（{ms}），但未提供 `{spec.repo_id}`；它提供 {ids}",
        )
    return tr(lang, f"{name}: ✅ reachable · {ms} · serves {ids}", f"{name}：✅ 可连接 · {ms} · 提供 {ids}")


def engine_health() -> list:
    """One cheap call to each serving engine (GET /models); only the open Models tab asks (see follow_tabs)."""
    from aigc_demo.tasks.common.engine import check_health  # httpx only: no torch

    return [check_health(s) for s in CATALOG.values() if s.is_served]


@dataclass(frozen=True)
class Refresh:
    """How the tab refreshes: its timer (off until the tab is opened, see follow_tabs) and the event it runs."""

    timer: gr.Timer
    show: Callable
    relabel: Callable  # show without the engines' health
    inputs: Any
    outputs: list


def create_tab(
    get_status: Callable[[], dict], unload: Callable[[str], bool], unload_all: Callable[[], list]
) -> Refresh:
    """The tab's components and events; returns how it refreshes (follow_tabs runs it while the tab is open).

    The catalogue table is there from the start (it needs no model library); opening the tab fills in what is loaded
    at once, then every 5 s."""
    overview = gr.Markdown(
        t("models.summary.ph", "Open this tab to see what is loaded.", "打开此标签页即可查看已加载的模型。"),
        elem_id="models-summary",
    )
    table = gr.Dataframe(
        value=models_table.table_value("en", None, settings.MODELS),
        interactive=False,
        wrap=True,
        column_widths=["15%", "14%", "16%", "21%", "16%", "18%"],  # six columns that wrap fit the tab's width
        elem_id="models-table",
        elem_classes=["models-table"],
    )
    with gr.Row(visible=settings.ALLOW_UNLOAD):  # unloading is the operator's (AIGC_ALLOW_UNLOAD)
        key = gr.Dropdown(
            [], label=t("models.key", "Loaded model", "已加载的模型"), value=None, elem_id="models-unload-key"
        )
        unload_button = gr.Button(t("models.unload", "Unload", "卸载"), elem_id="models-unload")
        unload_all_button = gr.Button(t("models.unload_all", "Unload all", "全部卸载"), variant="stop")
    refresh = gr.Button(t("models.refresh", "Refresh", "刷新"), size="sm")

    def show(chosen: str | None = None, request: gr.Request = None, probe: bool = True):
        """Summary, table and the unload choices (only what is loaded, keeping the visitor's pick while it is);
        `probe`: with each engine's health (a call to it), which only the open tab asks for."""
        lang, s = user_lang(request), get_status()
        loaded = [m["key"] for m in s["loaded"]]
        return (
            summary(s, lang, engine_health() if probe else None),
            models_table.table_value(lang, s, s["mode"]),
            gr.update(choices=loaded, value=chosen if chosen in loaded else None),
        )

    def do_unload(k, request: gr.Request = None):
        with user_errors(request):
            _check_unload_allowed()
            if k:
                unload(k)
            return show(None, request)

    def do_unload_all(request: gr.Request = None):
        with user_errors(request):
            _check_unload_allowed()
            unload_all()
            return show(None, request)

    outputs = [overview, table, key]
    refresh.click(show, key, outputs, queue=False, api_visibility="private")
    unload_button.click(do_unload, key, outputs, api_visibility="private")
    unload_all_button.click(do_unload_all, None, outputs, api_visibility="private")
    timer = gr.Timer(5, active=False)
    timer.tick(show, key, outputs, queue=False, api_visibility="private", show_progress="hidden")

    def relabel(chosen: str | None = None, request: gr.Request = None):
        """`show` in the language just chosen, asking no engine: the switch may come from any tab."""
        return show(chosen, request, probe=False)

    return Refresh(timer, show, relabel, key, outputs)


def follow_tabs(refresh: Refresh, models: gr.Tab, others: list[gr.Tab]) -> None:
    """The timer ticks only while the Models tab is open: an open page elsewhere would poll every 5 s forever. Opening
    the tab also fills it in at once, not at the first tick 5 s later."""
    timer = refresh.timer
    models.select(lambda: gr.Timer(active=True), None, timer, queue=False, api_visibility="private")
    quiet = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    models.select(refresh.show, refresh.inputs, refresh.outputs, **quiet)
    for tab in others:
        tab.select(lambda: gr.Timer(active=False), None, timer, queue=False, api_visibility="private")


def follow_language(refresh: Refresh, switched: Any) -> None:
    """After the header's language switch, the table and summary are written again in the new language (the switch
    has set its cookie by then), not left in the old one until the next tick. No engine is asked: the switch may
    come from any tab, and engines are polled only while the Models tab is open (its next tick adds their health)."""
    quiet = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    switched.then(refresh.relabel, refresh.inputs, refresh.outputs, **quiet)


def _check_unload_allowed() -> None:
    """Unloading frees memory for everyone's next request: an operator's action, not an anonymous visitor's."""
    if not settings.ALLOW_UNLOAD:
        raise UserError(
            "Unloading models is for the operator of this app (set AIGC_ALLOW_UNLOAD=1 to allow it).",
            "卸载模型仅限本应用的运维人员（设置 AIGC_ALLOW_UNLOAD=1 后可用）。",
        )


def create_api(get_status: Callable[[], dict]) -> None:
    def model_status() -> dict:
        """Which models are loaded, on which device and dtype, how much memory each holds, and the budget."""
        return get_status()

    gr.api(model_status, api_name="model_status", queue=False)
