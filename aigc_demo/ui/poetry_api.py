"""/write_poem, and the info object a poem run is labelled with (the API's second output, the tab's download).

No `from __future__ import annotations` here: gradio reads /write_poem's annotations for the API page (form choices).
"""

from collections.abc import Callable, Iterator
from typing import Literal

import gradio as gr

from aigc_demo.tasks.common import labels
from aigc_demo.tasks.poetry.forms import FORMS
from aigc_demo.tasks.poetry.poetry import PoemResult
from aigc_demo.tasks.poetry.request import PoemRequest
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, user_errors
from aigc_demo.ui.poem_check_api import RhymeBookChoice
from aigc_demo.ui.poem_check_api import create_api as create_check_api
from aigc_demo.ui.stopping import Run

WriteFn = Callable[[PoemRequest], Iterator[PoemResult]]
WriteFormChoice = Literal[tuple(FORMS)]  # the API page lists the forms
# The request's fields an info object names, in this order (the tab adds num_candidates and any kept lines).
INFO_FIELDS = ("form", "acrostic", "temperature", "top_k", "top_p", "strict_rhyme", "enforce_tone", "rhyme_book")


def poem_parameters(req: PoemRequest, *extra: str) -> dict:
    """The settings a run was asked for, as the info object shows them: INFO_FIELDS, then `extra` fields."""
    return {name: getattr(req, name) for name in (*INFO_FIELDS, *extra)}


def poem_info(lang: str, result: PoemResult, parameters: dict) -> dict:
    """The info object of a poem run (the API's second output, the download's header)."""
    return labels.info(
        lang,
        task="poem",
        model=result.model,
        seed=result.seed,
        parameters=parameters,
        is_twin=result.is_twin,
        metrics=result.evaluation,  # the finished poems' numbers (None while writing)
        stand_in_for=result.stand_in_for,
    )


def create_api(write_poem_stream: WriteFn) -> None:
    """Register /write_poem: the first poem's text, streamed (so that a client's cancel stops the model)."""

    def api_write_poem(
        prompt: str,
        form: WriteFormChoice = PoemRequest.form,
        acrostic: str = PoemRequest.acrostic,
        model: str = PoemRequest.model,
        temperature: float = PoemRequest.temperature,
        top_k: int = PoemRequest.top_k,
        top_p: float = PoemRequest.top_p,
        seed: int = PoemRequest.seed,
        strict_rhyme: bool = PoemRequest.strict_rhyme,
        enforce_tone: bool = PoemRequest.enforce_tone,
        rhyme_book: RhymeBookChoice = PoemRequest.rhyme_book,
        request: gr.Request = None,
    ) -> tuple[str, dict]:
        """Write a poem in a classical Chinese or an English form; the form is guaranteed while the poem is written.

        Returns the poem and its info: ai_generated, label (in the client's language), model, seed, parameters, twin.

        Args:
            prompt: a theme, keywords or a first line
            form: wuyan-jueju, qiyan-jueju, wuyan-lushi, qiyan-lushi, english-quatrain, haiku or english-free
            acrostic: one character (Chinese) or letter (English) per line, optional
            model: catalogue key; empty picks the form's default (gpt2-chinese-poem or qwen2.5-0.5b-instruct)
            temperature: 0 = always the likeliest, 1 = the model's own distribution
            top_k: keep the k likeliest tokens (0 = off)
            top_p: nucleus sampling threshold (1 = off)
            seed: random seed; -1 picks one
            strict_rhyme: Chinese forms: make the even lines rhyme while decoding
            enforce_tone: Chinese forms: make characters 2/4/6 follow the 平仄 pattern
            rhyme_book: Chinese forms: "pingshui" (平水韵, Tang and Song) or "xinyun" (中华新韵), for both of the above
        """
        with user_errors(request) as lang:
            req = PoemRequest(
                prompt, form, acrostic, model, temperature, top_k, top_p, seed,
                strict_rhyme=strict_rhyme, enforce_tone=enforce_tone, rhyme_book=rhyme_book,
            )  # fmt: skip
            parameters = poem_parameters(req)
            for result in Run().follow(
                write_poem_stream(req)
            ):  # the model slot, the run-time limit, a stop that waits
                yield result.poems[0], poem_info(lang, result, parameters)

    api_write_poem.__name__ = "write_poem"
    gr.api(api_write_poem, api_name="write_poem", concurrency_id=MODEL_CONCURRENCY_ID)
    create_check_api()  # /check_poem: the same checker, no model
