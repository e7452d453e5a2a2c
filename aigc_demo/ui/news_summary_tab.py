"""The news summary tab and the /summarize endpoint. No torch here: the tab runs the callables it is given."""

from collections.abc import Callable, Iterator
from typing import Literal

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import models_for
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.news.fetch import FetchedArticle, fetch_article
from aigc_demo.tasks.news.news_summary import AUTO, Progress, SummaryResult
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.common import licence_info, model_choices, tr, twin_notice, user_errors, warn
from aigc_demo.ui.downloads import TextFiles
from aigc_demo.ui.forgiving import bounded_slider
from aigc_demo.ui.i18n import t
from aigc_demo.ui.limits import LIGHT_CONCURRENCY_ID, model_slot
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

SummarizeStream = Callable[..., Iterator[Progress | SummaryResult]]
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


def summary_info(lang: str, result: SummaryResult, num_sentences, max_new_tokens, min_new_tokens) -> dict:
    """The info object of a summary (the API's second output, the download's header). An extractive summary is
    copied from the article, not generated: ai_generated false, labelled as extracted by an algorithm."""
    extractive = result.method == "extractive"
    parameters = {"method": result.method, "language": result.language} | (
        {"num_sentences": num_sentences}
        if extractive
        else {"max_new_tokens": max_new_tokens, "min_new_tokens": min_new_tokens}
    )
    return labels.info(
        lang,
        task="summary",
        model=result.model,
        seed=None,
        parameters=parameters,
        is_twin=result.is_twin,
        ai_generated=not extractive,
        metrics=summary_metrics(result),
    )


def summary_metrics(result: SummaryResult) -> dict:
    """The summary's numbers for the info object: compression, faithfulness share, ROUGE (with a reference)."""
    metrics = {"compression": result.compression, "found_in_article": result.found_in_article}
    if result.rouge:
        metrics |= {"rouge": result.rouge, "lead3_rouge": result.lead3_rouge}
    return metrics


def create_tab(summarize_stream: SummarizeStream, fetch: Callable[[str], FetchedArticle] = fetch_article) -> None:
    """Build the tab inside the current Blocks; `summarize_stream` is the task, `fetch` reads an article URL."""
    stopper = Stopper()
    with gr.Row():
        with gr.Column(scale=1):
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
                    (
                        t("news.extractive", "Extractive (instant, no AI model)", "抽取式（即时，无需 AI 模型）"),
                        "extractive",
                    ),
                    (
                        t("news.abstractive", "Abstractive (an AI model rewrites)", "生成式（AI 模型改写）"),
                        "abstractive",
                    ),
                ],
                value="extractive",
                label=t("news.method", "Method", "方法"),
                elem_id="news-method",
            )
            # Both texts are registered now: the browser translates only keys known when the app starts.
            help_texts = {
                "extractive": t("news.help.ext", *EXTRACTIVE_HELP),
                "abstractive": t("news.help.abs", *ABSTRACTIVE_HELP),
            }
            method_help = gr.Markdown(help_texts["extractive"], elem_id="news-method-help")
            num_sentences = bounded_slider(
                1,
                settings.MAX_SUMMARY_SENTENCES,
                value=settings.DEFAULT_SUMMARY_SENTENCES,
                step=1,
                label=t("news.sentences", "Sentences in the summary", "摘要句数"),
                elem_id="news-sentences",
            )
            with gr.Group(visible=False) as abstractive_settings:
                model = gr.Dropdown(
                    [
                        (
                            t(
                                "news.auto",
                                "auto: news model for English, chat model for Chinese",
                                "自动：英文用新闻模型，中文用对话模型",
                            ),
                            AUTO,
                        )
                    ]
                    + model_choices(models_for("summarization")),
                    value=AUTO,
                    label=t("common.model", "Model", "模型"),
                    info=licence_info(models_for("summarization")),
                    elem_id="news-model",
                )
                with gr.Row():
                    min_new_tokens = bounded_slider(
                        0,
                        settings.MAX_SUMMARY_TOKENS,
                        value=min(DEFAULT_MIN_NEW_TOKENS, settings.DEFAULT_SUMMARY_TOKENS),
                        step=1,
                        label="min_new_tokens",
                        elem_id="news-min-tokens",
                        info=t(
                            "news.min",
                            "Shortest summary, in tokens (a token is about ¾ of a word)",
                            "最短长度（词元）",
                        ),
                    )
                    max_new_tokens = bounded_slider(
                        8,
                        settings.MAX_SUMMARY_TOKENS,
                        value=settings.DEFAULT_SUMMARY_TOKENS,
                        step=1,
                        label="max_new_tokens",
                        elem_id="news-max-tokens",
                        info=t("news.max", "Longest summary, in tokens", "最大长度（词元）"),
                    )
            with gr.Accordion(
                t("news.ref.acc", "Score against a reference summary (optional)", "与参考摘要比较（可选）"), open=False
            ):
                reference = gr.Textbox(
                    label=t("news.ref", "Reference summary written by a person", "人工撰写的参考摘要"),
                    lines=3,
                    value="",
                    elem_id="news-reference",
                )
            with gr.Row():
                summarize_label = t("news.run", "Summarize", "生成摘要")
                run_button = gr.Button(summarize_label, variant="primary", elem_id="news-run")
                stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="news-stop")
        with gr.Column(scale=1):
            notice = gr.Markdown("", elem_id="news-notice")
            summary = gr.Textbox(
                label=t("news.summary", "Summary", "摘要"),
                lines=6,
                interactive=False,
                buttons=["copy"],
                elem_id="news-output",
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
    examples, labels = load_examples()
    if examples:
        gr.Examples(
            examples,
            inputs=[article, reference],
            label=t("common.examples", "Examples", "示例"),
            example_labels=labels,
            cache_examples=False,
        )

    def show_method(key: str):
        extractive = key == "extractive"
        return gr.update(visible=extractive), gr.update(visible=not extractive), help_texts[key]

    method.change(
        show_method, method, [num_sentences, abstractive_settings, method_help], queue=False, api_visibility="private"
    )

    def describe(text: str, request: gr.Request = None):
        with user_errors(request) as lang:
            return article_info(lang, text)

    article.change(
        describe,
        article,
        info,
        queue=False,
        trigger_mode="always_last",
        show_progress="hidden",
        api_visibility="private",
    )

    def fetch_url(address: str, request: gr.Request = None):
        with user_errors(request) as lang:
            fetched = fetch(address)
            title = f"**{fetched.title}** · " if fetched.title else ""
            return fetched.text, title + tr(
                lang,
                f"fetched from {fetched.url}: check the text before summarising",
                f"取自 {fetched.url}：摘要前请核对正文",
            )

    fetch_events = [
        fetch_button.click(fetch_url, url, [article, info], api_visibility="private"),
        url.submit(fetch_url, url, [article, info], api_visibility="private"),
    ]

    def run(
        text,
        method_key,
        model_key,
        mnt,
        sentences,
        min_nt,
        reference_text,
        request: gr.Request = None,
        progress=gr.Progress(),  # noqa: B008 - gradio injects progress through this default
    ):
        with user_errors(request, calm=True) as lang:
            blank = ("", "", "", "", "", "", None)
            yield blank
            events = summarize_stream(text, method_key, model_key, mnt, sentences, min_nt, reference_text)
            step, result = None, None
            with stopper.run(request) as current:
                for event in current.follow(events, needs_model=method_key != "extractive"):
                    if isinstance(event, Progress):
                        step = event
                        progress((event.done, event.total), desc=event.message(lang))
                        yield gr.skip(), f"⏳ {event.message(lang)}", *(gr.skip(),) * 5
                    else:
                        result = event
            if result is None:  # stopped: say where, and leave the article as it is
                where = f" ({step.message(lang)})" if step else ""
                yield gr.skip(), stopped_note(lang, kept=False) + where, *(gr.skip(),) * 5
                return
            warn(lang, result.warnings)
            meta = summary_info(lang, result, sentences, mnt, min_nt)
            with TextFiles() as files:  # named after the article's first words
                yield (
                    result.summary,
                    stats_text(lang, result),
                    rouge_table(lang, result),
                    support_text(lang, result),
                    highlighted_article(text.strip(), result),
                    twin_notice(lang, result.is_twin),
                    files(result.summary, meta, text),
                )

    stopper.attach([run_button.click], stop_button)
    busy = Busy([(run_button, summarize_label)], t("news.running", "Summarizing…", "摘要中…"))
    busy.wire(
        [run_button.click],
        lambda: run_button.click(
            run,
            [article, method, model, max_new_tokens, num_sentences, min_new_tokens, reference],
            [summary, stats, scores, support, highlight, notice, download],
            concurrency_id=LIGHT_CONCURRENCY_ID,  # an extractive run needs no model; an abstractive one takes a slot
            concurrency_limit=settings.LIGHT_CONCURRENCY,
            api_visibility="private",
        ),
    )
    stop_button.click(None, None, None, cancels=fetch_events, queue=False)  # a fetch streams nothing: cancel it


def create_api(summarize: Callable[..., SummaryResult]) -> None:
    def api_summarize(
        article: str,
        method: Literal["extractive", "abstractive"] = "extractive",
        model: str = AUTO,
        max_new_tokens: int = settings.DEFAULT_SUMMARY_TOKENS,
        num_sentences: int = settings.DEFAULT_SUMMARY_SENTENCES,
        min_new_tokens: int | None = None,
        request: gr.Request = None,
    ) -> tuple[str, dict]:
        """Summarize a news article (English or Chinese), extractively or abstractively.

        Returns the summary and its info: ai_generated (false for an extractive summary, which is copied from the
        article), label (in the client's language), model, seed, parameters, twin.

        Args:
            article: the article text, English or Chinese
            method: extractive (sentences copied from the article, no model) or abstractive (a model writes)
            model: catalogue key of the abstractive model, or auto (news model for English, chat model for Chinese)
            max_new_tokens: longest abstractive summary, in tokens
            num_sentences: sentences in an extractive summary
            min_new_tokens: shortest abstractive summary, in tokens (None = the model's default)
        """
        with user_errors(request) as lang:
            if method == "extractive":
                result = summarize(article, method, model, max_new_tokens, num_sentences, min_new_tokens)
            else:
                with model_slot() as _:
                    result = summarize(article, method, model, max_new_tokens, num_sentences, min_new_tokens)
            return result.summary, summary_info(lang, result, num_sentences, max_new_tokens, min_new_tokens)

    api_summarize.__name__ = "summarize"
    # Its own group: extractive summaries need no model, so they never wait behind model runs; abstractive ones take
    # one of the process's model slots, as every model run does.
    gr.api(
        api_summarize,
        api_name="summarize",
        concurrency_id=LIGHT_CONCURRENCY_ID,
        concurrency_limit=settings.LIGHT_CONCURRENCY,
    )
