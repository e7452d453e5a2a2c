"""The news summary tab: `layout()` builds its controls, `wire()` its events; the handlers below are plain functions
of a layout, the task and a dict of inputs. No torch here: the tab runs the callables it is given."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from aigc_demo import settings
from aigc_demo.catalog import models_for
from aigc_demo.tasks.news.fetch import FetchedArticle, fetch_article
from aigc_demo.tasks.news.news_summary import AUTO, Progress, SummaryRequest, SummaryResult
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.common import licence_info, model_choices, tr, twin_notice, user_errors, warn
from aigc_demo.ui.downloads import TextFiles
from aigc_demo.ui.forgiving import bounded_slider
from aigc_demo.ui.handlers import bound
from aigc_demo.ui.i18n import t
from aigc_demo.ui.limits import LIGHT_CONCURRENCY_ID
from aigc_demo.ui.news_summary_api import summary_info
from aigc_demo.ui.news_summary_views import (
    ARTICLE_CSS,
    article_info,
    highlighted_article,
    load_examples,
    rouge_table,
    stats_text,
    support_text,
)
from aigc_demo.ui.stopping import Stopper, stopped_note

SummarizeStream = Callable[[SummaryRequest], Iterator[Progress | SummaryResult]]
REQUEST_FIELDS = ("article", "method", "model", "max_new_tokens", "num_sentences", "min_new_tokens", "reference")
DEFAULT_MIN_NEW_TOKENS = 30  # tokens; a shorter abstractive summary rarely says anything
EXTRACTIVE_HELP = (
    "✅ **Extractive** picks the most important sentences and copies them word for word, in article order. It works "
    "instantly and offline, needs no AI model, and never invents facts.",
    "✅ **抽取式**挑出最重要的句子，按原文顺序逐字照录。即时完成、无需联网、不用 AI 模型，绝不会编造事实。",
)
ABSTRACTIVE_HELP = (
    "✍️ **Abstractive**: an AI model writes the summary in its own words. It is slower, loads a model on first use, "
    "and can get facts wrong: check each sentence against the article sentences marked below.",
    "✍️ **生成式**：由 AI 模型用自己的话写摘要。速度较慢，首次使用需加载模型，而且可能出错："
    "请对照下方标出的原文句子核对每一句。",
)


@dataclass
class NewsLayout:
    """The tab's controls, named as the request fields they set where they set one."""

    url: gr.Textbox
    fetch_button: gr.Button
    article: gr.Textbox
    info: gr.Markdown  # the article's length and language, or where it was fetched from
    method: gr.Radio
    method_help: gr.Markdown
    help_texts: dict[str, I18nData]  # per method
    num_sentences: gr.Slider
    abstractive_settings: gr.Group
    model: gr.Dropdown
    min_new_tokens: gr.Slider
    max_new_tokens: gr.Slider
    reference: gr.Textbox
    run_button: gr.Button
    summarize_label: I18nData
    stop_button: gr.Button
    notice: gr.Markdown
    summary: gr.Textbox
    stats: gr.Markdown
    download: gr.DownloadButton
    scores: gr.Markdown  # ROUGE against the reference
    support: gr.Markdown
    highlight: gr.HTML

    @property
    def run_inputs(self) -> set:
        return {getattr(self, name) for name in REQUEST_FIELDS}

    @property
    def outputs(self) -> list:
        return [self.summary, self.stats, self.scores, self.support, self.highlight, self.notice, self.download]

    def request(self, inputs: dict) -> SummaryRequest:
        return SummaryRequest(**{name: inputs[getattr(self, name)] for name in REQUEST_FIELDS})


def layout() -> NewsLayout:
    """Build the tab's controls inside the current Blocks (no events but the controls' own)."""
    with gr.Row():
        with gr.Column(scale=1):
            inputs = _article_column()
        with gr.Column(scale=1):
            outputs = _result_column()
    ui = NewsLayout(**inputs, **outputs)
    examples, example_labels = load_examples()
    if examples:
        gr.Examples(
            examples,
            inputs=[ui.article, ui.reference],
            label=t("common.examples", "Examples", "示例"),
            example_labels=example_labels,
            cache_examples=False,
        )
    return ui


def _article_column() -> dict[str, Any]:
    with gr.Row(equal_height=True):
        url = gr.Textbox(
            label=t("news.url", "Article web address (optional)", "文章网址（可选）"),
            placeholder="https://…",
            scale=4,
            elem_id="news-url",
        )
        fetch_button = gr.Button(t("news.fetch", "Fetch", "获取"), scale=1, elem_id="news-fetch")
    article = gr.Textbox(
        label=t("news.article", "Article", "新闻正文"),
        lines=12,
        value="",
        placeholder=t(
            "news.article.ph",
            "Paste a news article in English or Chinese, or pick an example below…",
            "粘贴一篇中文或英文新闻，或选择下方的示例……",
        ),
        elem_id="news-article",
    )
    info = gr.Markdown("", elem_id="news-article-info")
    method = gr.Radio(
        [
            (t("news.extractive", "Extractive (instant, no AI model)", "抽取式（即时，无需 AI 模型）"), "extractive"),
            (t("news.abstractive", "Abstractive (an AI model rewrites)", "生成式（AI 模型改写）"), "abstractive"),
        ],
        value=SummaryRequest.method,
        label=t("news.method", "Method", "方法"),
        elem_id="news-method",
    )
    # Both texts are registered now: the browser translates only keys known when the app starts.
    help_texts = {
        "extractive": t("news.help.ext", *EXTRACTIVE_HELP),
        "abstractive": t("news.help.abs", *ABSTRACTIVE_HELP),
    }
    method_help = gr.Markdown(help_texts[SummaryRequest.method], elem_id="news-method-help")
    num_sentences = bounded_slider(
        *SummaryRequest.BOUNDS["num_sentences"],
        value=SummaryRequest.num_sentences,
        step=1,
        label=t("news.sentences", "Sentences in the summary", "摘要句数"),
        elem_id="news-sentences",
    )
    with gr.Group(visible=False) as abstractive_settings:
        abstractive = _abstractive_settings()
    with gr.Accordion(
        t("news.ref.acc", "Score against a reference summary (optional)", "与参考摘要比较（可选）"), open=False
    ):
        reference = gr.Textbox(
            label=t("news.ref", "Reference summary written by a person", "人工撰写的参考摘要"),
            lines=3,
            value=SummaryRequest.reference,
            elem_id="news-reference",
        )
    with gr.Row():
        summarize_label = t("news.run", "Summarize", "生成摘要")
        run_button = gr.Button(summarize_label, variant="primary", elem_id="news-run")
        stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="news-stop")
    return dict(
        url=url, fetch_button=fetch_button, article=article, info=info, method=method, method_help=method_help,
        help_texts=help_texts, num_sentences=num_sentences, abstractive_settings=abstractive_settings, **abstractive,
        reference=reference, run_button=run_button, summarize_label=summarize_label, stop_button=stop_button,
    )  # fmt: skip


def _abstractive_settings() -> dict[str, Any]:
    auto = t(
        "news.auto", "auto: news model for English, chat model for Chinese", "自动：英文用新闻模型，中文用对话模型"
    )
    model = gr.Dropdown(
        [(auto, AUTO)] + model_choices(models_for("summarization")),
        value=SummaryRequest.model,
        label=t("common.model", "Model", "模型"),
        info=licence_info(models_for("summarization")),
        elem_id="news-model",
    )
    with gr.Row():
        min_new_tokens = bounded_slider(
            *SummaryRequest.BOUNDS["min_new_tokens"],
            value=min(DEFAULT_MIN_NEW_TOKENS, SummaryRequest.max_new_tokens),
            step=1,
            label="min_new_tokens",
            elem_id="news-min-tokens",
            info=t("news.min", "Shortest summary, in tokens (a token is about ¾ of a word)", "最短长度（词元）"),
        )
        max_new_tokens = bounded_slider(
            *SummaryRequest.BOUNDS["max_new_tokens"],
            value=SummaryRequest.max_new_tokens,
            step=1,
            label="max_new_tokens",
            elem_id="news-max-tokens",
            info=t("news.max", "Longest summary, in tokens", "最大长度（词元）"),
        )
    return dict(model=model, min_new_tokens=min_new_tokens, max_new_tokens=max_new_tokens)


def _result_column() -> dict[str, Any]:
    notice = gr.Markdown("", elem_id="news-notice")
    summary = gr.Textbox(
        label=t("news.summary", "Summary", "摘要"), lines=6, interactive=False, buttons=["copy"], elem_id="news-output"
    )
    stats = gr.Markdown("", elem_id="news-stats")
    download = gr.DownloadButton(
        t("news.download", "⬇️ Download the summary (labelled .md)", "⬇️ 下载摘要（带标识的 .md）"),
        size="sm",
        elem_id="news-download",
    )
    scores = gr.Markdown("", elem_id="news-rouge")
    gr.Markdown(t("news.support.title", "#### Where each summary sentence comes from", "#### 每句摘要的出处"))
    support = gr.Markdown("", elem_id="news-support")
    highlight = gr.HTML(
        "",
        label=t("news.highlight", "The article, with the supporting sentences marked", "原文（标出依据句）"),
        show_label=True,
        container=True,
        padding=True,
        max_height=640,
        css_template=ARTICLE_CSS,
        elem_id="news-highlight",
    )
    return dict(
        notice=notice, summary=summary, stats=stats, download=download, scores=scores, support=support,
        highlight=highlight,
    )  # fmt: skip


# --- handlers ---------------------------------------------------------------------------------------------------


def show_method(ui: NewsLayout, key: str) -> dict:
    extractive = key == "extractive"
    return {
        ui.num_sentences: gr.update(visible=extractive),
        ui.abstractive_settings: gr.update(visible=not extractive),
        ui.method_help: ui.help_texts[key],
    }


def describe(text: str, request: gr.Request = None):
    with user_errors(request) as lang:
        return article_info(lang, text)


def fetch_url(ui: NewsLayout, fetch: Callable[[str], FetchedArticle], address: str, request: gr.Request = None):
    with user_errors(request) as lang:
        fetched = fetch(address)
        title = f"**{fetched.title}** · " if fetched.title else ""
        where = tr(
            lang,
            f"fetched from {fetched.url}: check the text before summarising",
            f"取自 {fetched.url}：摘要前请核对正文",
        )
        return {ui.article: fetched.text, ui.info: title + where}


def run_summary(
    ui: NewsLayout,
    summarize_stream: SummarizeStream,
    stopper: Stopper,
    inputs: dict,
    request: gr.Request = None,
    progress=gr.Progress(),  # noqa: B008 - gradio injects progress through this default
):
    with user_errors(request, calm=True) as lang:
        yield dict.fromkeys(ui.outputs[:-1], "") | {ui.download: None}
        req = ui.request(inputs)
        events = summarize_stream(req)
        step, result = None, None
        with stopper.run(request) as current:
            for event in current.follow(events, needs_model=req.method != "extractive"):
                if isinstance(event, Progress):
                    step = event
                    progress((event.done, event.total), desc=event.message(lang))
                    yield {ui.stats: f"⏳ {event.message(lang)}"}
                else:
                    result = event
        if result is None:  # stopped: say where, and leave the article as it is
            where = f" ({step.message(lang)})" if step else ""
            yield {ui.stats: stopped_note(lang, kept=False) + where}
            return
        warn(lang, result.warnings)
        with TextFiles() as files:  # removed once gradio has taken the download
            yield shown(ui, lang, req, result, files)


def shown(ui: NewsLayout, lang: str, req: SummaryRequest, result: SummaryResult, files: TextFiles) -> dict:
    """Every output for a finished summary; the download is named after the article's first words."""
    return {
        ui.summary: result.summary,
        ui.stats: stats_text(lang, result),
        ui.scores: rouge_table(lang, result),
        ui.support: support_text(lang, result),
        ui.highlight: highlighted_article(req.article.strip(), result),
        ui.notice: twin_notice(lang, result.is_twin),
        ui.download: files(result.summary, summary_info(lang, result, req), req.article),
    }


# --- wiring -----------------------------------------------------------------------------------------------------


def wire(ui: NewsLayout, summarize_stream: SummarizeStream, fetch: Callable[[str], FetchedArticle]) -> None:
    """The tab's events: method help, article info, Fetch, and the run with Stop and the busy state."""
    stopper = Stopper()
    ui.method.change(
        bound(show_method, ui),
        ui.method,
        [ui.num_sentences, ui.abstractive_settings, ui.method_help],
        queue=False,
        api_visibility="private",
    )
    ui.article.change(
        describe,
        ui.article,
        ui.info,
        queue=False,
        trigger_mode="always_last",
        show_progress="hidden",
        api_visibility="private",
    )
    fetching = bound(fetch_url, ui, fetch)
    fetch_events = [
        ui.fetch_button.click(fetching, ui.url, [ui.article, ui.info], api_visibility="private"),
        ui.url.submit(fetching, ui.url, [ui.article, ui.info], api_visibility="private"),
    ]
    stopper.attach([ui.run_button.click], ui.stop_button)
    busy = Busy(
        [(ui.run_button, ui.summarize_label)], t("news.running", "Summarizing…", "摘要中…"), scroll_to="news-output"
    )
    busy.wire(
        [ui.run_button.click],
        lambda: ui.run_button.click(
            bound(run_summary, ui, summarize_stream, stopper),
            ui.run_inputs,
            ui.outputs,
            concurrency_id=LIGHT_CONCURRENCY_ID,  # an extractive run needs no model; an abstractive one takes a slot
            concurrency_limit=settings.LIGHT_CONCURRENCY,
            api_visibility="private",
        ),
    )
    ui.stop_button.click(None, None, None, cancels=fetch_events, queue=False)  # a fetch streams nothing: cancel it


def create_tab(summarize_stream: SummarizeStream, fetch: Callable[[str], FetchedArticle] = fetch_article) -> None:
    """Build the tab inside the current Blocks; `summarize_stream` is the task, `fetch` reads an article URL."""
    wire(layout(), summarize_stream, fetch)
