"""/summarize, and the info object a summary is labelled with (the API's second output, the tab's download).

No `from __future__ import annotations` here: gradio reads /summarize's annotations for the API page (the methods).
"""

from collections.abc import Callable
from typing import Literal

import gradio as gr

from aigc_demo import settings
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.news.news_summary import SummaryRequest, SummaryResult
from aigc_demo.ui.common import user_errors
from aigc_demo.ui.limits import LIGHT_CONCURRENCY_ID, model_slot

SummarizeFn = Callable[[SummaryRequest], SummaryResult]


def summary_info(lang: str, result: SummaryResult, req: SummaryRequest) -> dict:
    """The info object of a summary (the API's second output, the download's header). An extractive summary is
    copied from the article, not generated: ai_generated false, labelled as extracted by an algorithm."""
    extractive = result.method == "extractive"
    parameters = {"method": result.method, "language": result.language} | (
        {"num_sentences": req.num_sentences}
        if extractive
        else {"max_new_tokens": req.max_new_tokens, "min_new_tokens": req.min_new_tokens}
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


def create_api(summarize: SummarizeFn) -> None:
    def api_summarize(
        article: str,
        method: Literal["extractive", "abstractive"] = SummaryRequest.method,
        model: str = SummaryRequest.model,
        max_new_tokens: int = SummaryRequest.max_new_tokens,
        num_sentences: int = SummaryRequest.num_sentences,
        min_new_tokens: int | None = SummaryRequest.min_new_tokens,
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
            req = SummaryRequest(article, method, model, max_new_tokens, num_sentences, min_new_tokens)
            if method == "extractive":
                result = summarize(req)
            else:
                with model_slot() as _:
                    result = summarize(req)
            return result.summary, summary_info(lang, result, req)

    api_summarize.__name__ = "summarize"
    # Its own group: extractive summaries need no model, so they never wait behind model runs; abstractive ones take
    # one of the process's model slots, as every model run does.
    gr.api(
        api_summarize,
        api_name="summarize",
        concurrency_id=LIGHT_CONCURRENCY_ID,
        concurrency_limit=settings.LIGHT_CONCURRENCY,
    )
