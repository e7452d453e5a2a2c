"""The news summary tab and the /summarize endpoint."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import default_model, models_for
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, ai_label, model_choices, user_errors
from aigc_demo.ui.i18n import t


def create_tab(summarize: Callable[..., str]) -> None:
    with gr.Row():
        with gr.Column():
            article = gr.Textbox(
                label=t("news.article", "Article", "新闻正文"), lines=12, value="", elem_id="news-article"
            )
            method = gr.Radio(
                [("Extractive", "extractive"), ("Abstractive", "abstractive")],
                value="extractive",
                label=t("news.method", "Method", "方法"),
                elem_id="news-method",
            )
            model = gr.Dropdown(
                model_choices(models_for("summarization")),
                value=default_model("summarization"),
                label=t("common.model", "Model", "模型"),
            )
            run_button = gr.Button(t("news.run", "Summarize", "生成摘要"), variant="primary", elem_id="news-run")
        with gr.Column():
            summary = gr.Textbox(
                label=t("news.summary", "Summary", "摘要"), lines=8, interactive=False, elem_id="news-output"
            )
            label = gr.Markdown("")

    def run(article_text, method_key, model_key, request: gr.Request = None):
        with user_errors(request) as lang:
            text = summarize(article_text, method_key, model_key, settings.DEFAULT_SUMMARY_TOKENS)
            return text, ai_label(lang, model_key if method_key == "abstractive" else "extractive")

    run_button.click(
        run, [article, method, model], [summary, label], concurrency_id=MODEL_CONCURRENCY_ID, api_visibility="private"
    )


def create_api(summarize: Callable[..., str]) -> None:
    def api_summarize(
        article: str,
        method: str = "extractive",
        model: str = default_model("summarization"),
        max_new_tokens: int = settings.DEFAULT_SUMMARY_TOKENS,
        request: gr.Request = None,
    ) -> str:
        """Summarize a news article, extractively (sentences picked from the article) or abstractively.

        Args:
            article: the article text, English or Chinese
            method: extractive or abstractive
            model: catalogue key of the abstractive model
            max_new_tokens: summary length limit for abstractive summaries
        """
        with user_errors(request):
            return summarize(article, method, model, max_new_tokens)

    api_summarize.__name__ = "summarize"
    gr.api(api_summarize, api_name="summarize", concurrency_id=MODEL_CONCURRENCY_ID)
