"""build_demo: a tab per registry record and the Models tab, around one ModelManager. No torch import here."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from aigc_demo import registry, settings
from aigc_demo.manager import ModelManager
from aigc_demo.ui import about, common, first_visit, language_switch, limits, models_tab
from aigc_demo.ui.i18n import build_i18n, t

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[1] / "assets"  # package data: travels in the wheel

MODELS_TITLE = ("🧠 Models", "🧠 模型")
HEADER_EN = "Try generative AI in your browser: write text and poems, summarise the news, draw pictures."


def bind_text_generation(manager: ModelManager):
    """`text_generation.generate` bound to `manager`, routed by `zerogpu.runs_locally` (the registry's binding)."""
    return registry.bind(registry.get("text").callables["generate"], manager)


def build_demo(manager: ModelManager, records: list[registry.TaskRecord] | None = None) -> gr.Blocks:
    """The whole app: a tab and endpoints per registry record (aigc_demo/registry.py), then the Models tab; each
    record's task callables are bound to `manager` (and to ZeroGPU) once, in registry.bind_all."""
    records = registry.TASKS if records is None else records
    first_visit.watch(manager)
    common.offer_models_for(manager.planned_device())  # no GPU-only model in the dropdowns on a CPU
    first_visit.log_mode()
    bound = {record.key: registry.bind_all(record, manager) for record in records}
    # delete_cache: gradio's cached files (images shown, anything a client managed to send) go after an hour.
    with gr.Blocks(title="AIGC Demo", delete_cache=(3600, 3600)) as demo:
        switch = _header()
        with gr.Tabs():
            titles = []  # (tab, English, Chinese): the language switch sets them
            for record in records:
                if record.tab is None:
                    continue
                with gr.Tab(t(f"tab.{record.key}", record.title_en, record.title_zh), id=record.key) as tab:
                    registry.call(record.tab, bound[record.key])
                titles.append((tab, record.title_en, record.title_zh))
            with gr.Tab(t("tab.models", *MODELS_TITLE), id="models") as models_tab_:
                refresh = models_tab.create_tab(manager.status, manager.unload, manager.unload_all)
        models_tab.follow_tabs(refresh, models_tab_, [tab for tab, _, _ in titles])
        switched = language_switch.wire(demo, switch, [*((en, zh) for _, en, zh in titles), MODELS_TITLE])
        models_tab.follow_language(refresh, switched)
        for record in records:
            for api in record.apis:
                registry.call(api, bound[record.key])
        models_tab.create_api(manager.status)
    demo.queue(max_size=settings.QUEUE_SIZE, default_concurrency_limit=settings.CONCURRENCY)
    limits.install(demo)  # per-session and per-address job limits, in front of the queue
    return demo


def _header() -> gr.Radio:
    """Title and the EN/中文 switch, what the app does, the offline/stand-in banner when it applies, and "About these
    outputs"; returns the switch."""
    with gr.Row(elem_id="app-header", equal_height=True):
        gr.Markdown(f"# {t('app.title', 'AIGC Demo', 'AIGC 生成式 AI 演示')}", elem_id="app-title")
        switch = language_switch.create_switch()
    gr.Markdown(
        t(
            "app.header",
            HEADER_EN + " Everything produced here is AI-generated and labelled as such.",
            "在浏览器里体验生成式 AI：写文章、作诗、新闻摘要、文字生成图片。"
            "这里产生的所有内容均由 AI 生成，并已标注。",
        )
    )
    if first_visit.mode_banner("en"):  # offline or stand-ins: said before anyone clicks
        mode_key = "app.mode." + ("tiny" if settings.MODELS == "tiny" else "offline")
        gr.Markdown(t(mode_key, first_visit.mode_banner("en"), first_visit.mode_banner("zh")), elem_id="app-mode")
    about.create_section()  # what the models are, how outputs are labelled, how to check a file
    return switch


def launch_kwargs() -> dict:
    """Everything gradio 6 wants on launch() rather than Blocks(): theme, css, i18n, footer."""
    css_path = ASSETS / "style.css"
    return {
        "theme": gr.themes.Soft(primary_hue="indigo", secondary_hue="pink"),
        "css": css_path.read_text(encoding="utf-8") if css_path.exists() else None,
        "i18n": build_i18n(),
        "footer_links": ["api", "settings"],
        "run_history": False,
        "max_file_size": "10mb",
        "state_session_capacity": settings.SESSION_CAPACITY,  # each session's state costs memory; oldest go first
        "app_kwargs": {"middleware": [Middleware(limits.BodyLimit)]},  # no body over AIGC_MAX_REQUEST_BYTES
        "mcp_server": mcp_server(),
    }


def mcp_server() -> bool:
    """AIGC_MCP=1: gradio's MCP server beside the app, when the optional `gradio[mcp]` extra is installed."""
    if not settings.MCP:
        return False
    if importlib.util.find_spec("mcp") is None:  # gradio[mcp] brings `mcp`; optional because it downgrades pydantic
        log.warning("AIGC_MCP=1 but gradio's MCP extra is not installed (pip install 'gradio[mcp]'): no MCP server.")
        return False
    return True
