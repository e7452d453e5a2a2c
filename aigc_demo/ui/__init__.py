"""build_demo: the four task tabs and the Models tab around one ModelManager. No torch import here."""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from aigc_demo import settings, zerogpu
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.common import evaluation
from aigc_demo.tasks.image import prompt_translation, text_to_image
from aigc_demo.tasks.news import news_summary
from aigc_demo.tasks.poetry import poetry
from aigc_demo.tasks.text import compare, text_generation
from aigc_demo.ui import (
    about,
    common,
    compare_view,
    evaluation_api,
    first_visit,
    image_api,
    limits,
    models_tab,
    news_summary_tab,
    poetry_tab,
    text_generation_tab,
    text_to_image_tab,
)
from aigc_demo.ui.i18n import build_i18n, t

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[1] / "assets"  # package data: travels in the wheel

HEADER_EN = "Try generative AI in your browser: write text and poems, summarise the news, draw pictures."


def bind_text_generation(manager: ModelManager):
    """`text_generation.generate` bound to `manager`, routed by `zerogpu.runs_locally`."""
    return zerogpu.bind(text_generation.generate, manager, zerogpu.text_seconds, zerogpu.runs_locally)


def build_demo(manager: ModelManager) -> gr.Blocks:
    """The whole app; tabs receive the task callables bound to `manager`."""
    generate = bind_text_generation(manager)
    compare_text = zerogpu.bind(compare.compare, manager, lambda a: 2 * zerogpu.text_seconds(a), zerogpu.runs_locally)
    first_visit.watch(manager)
    common.offer_models_for(manager.planned_device())  # no GPU-only model in the dropdowns on a CPU
    first_visit.log_mode()
    write_poem_stream = zerogpu.bind(poetry.write_poem_stream, manager, zerogpu.poem_seconds)
    summarize = zerogpu.bind(news_summary.summarize, manager, zerogpu.summary_seconds, zerogpu.abstractive)
    summarize_stream = zerogpu.bind(
        news_summary.summarize_stream, manager, zerogpu.summary_seconds, zerogpu.abstractive
    )
    generate_images = zerogpu.bind(text_to_image.generate_images, manager, zerogpu.image_seconds)
    translate_prompt = zerogpu.bind(prompt_translation.translate_to_english, manager, zerogpu.translation_seconds)
    # delete_cache: gradio's cached files (images shown, anything a client managed to send) go after an hour.
    with gr.Blocks(title="AIGC Demo", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# {t('app.title', 'AIGC Demo', 'AIGC 生成式 AI 演示')}", elem_id="app-title")
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
        with gr.Tabs():
            with gr.Tab(t("tab.text", "✍️ Text", "✍️ 文本生成"), id="text") as text_tab:
                text_generation_tab.create_tab(
                    generate, functools.partial(text_generation.count_tokens, manager), compare_text
                )
            with gr.Tab(t("tab.poetry", "📜 Poetry", "📜 诗词"), id="poetry") as poetry_tab_:
                poetry_tab.create_tab(write_poem_stream)
            with gr.Tab(t("tab.news", "📰 News summary", "📰 新闻摘要"), id="news") as news_tab:
                news_summary_tab.create_tab(summarize_stream)
            with gr.Tab(t("tab.image", "🎨 Image", "🎨 文生图"), id="image") as image_tab:
                text_to_image_tab.create_tab(generate_images, translate_prompt)
            with gr.Tab(t("tab.models", "🧠 Models", "🧠 模型"), id="models") as models_tab_:
                timer = models_tab.create_tab(manager.status, manager.unload, manager.unload_all)
        models_tab.follow_tabs(timer, models_tab_, [text_tab, poetry_tab_, news_tab, image_tab])
        text_generation_tab.create_api(generate)
        compare_view.create_api(compare_text)
        poetry_tab.create_api(write_poem_stream)
        news_summary_tab.create_api(summarize)
        models_tab.create_api(manager.status)
        image_api.create_api(generate_images)
        evaluation_api.create_api(
            zerogpu.bind(evaluation.evaluate_with_model, manager, needs_gpu=zerogpu.perplexity)
        )
    demo.queue(max_size=settings.QUEUE_SIZE, default_concurrency_limit=settings.CONCURRENCY)
    limits.install(demo)  # per-session and per-address job limits, in front of the queue
    return demo


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
