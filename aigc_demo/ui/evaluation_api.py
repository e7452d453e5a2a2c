"""/evaluate_text: the numbers the tabs show beside generated text, for API clients (the same function).

No `from __future__ import annotations` here: gradio reads the annotations to show real types in the API page.
"""

import json
from collections.abc import Callable
from typing import Literal

import gradio as gr

from aigc_demo.errors import UserError
from aigc_demo.ui.common import user_errors

EVALUATION_CONCURRENCY_ID = "evaluation"  # cheap without a model: never waits behind the model queue


def parse_texts(texts: str | list) -> list:
    """`texts` as a list: a JSON list of strings (as the API page shows it) or, from Python clients, a list."""
    if isinstance(texts, list):
        return texts
    try:
        parsed = json.loads(texts) if isinstance(texts, str) else texts
    except json.JSONDecodeError:
        parsed = [texts]  # one plain text is a list of one
    if isinstance(parsed, str):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise UserError("`texts` must be a JSON list of strings.", "`texts` 必须是字符串组成的 JSON 列表。")
    return parsed


def create_api(evaluate: Callable) -> None:
    def evaluate_text(
        texts: str,
        language: Literal["en", "zh"] = "en",
        model: str = "",
        request: gr.Request = None,
    ) -> dict:
        """How varied, repetitive and alike a set of texts is (distinct-1/2, repeated 4-grams, self-BLEU), and with
        `model` the model's perplexity of each.

        Args:
            texts: a JSON list of strings, e.g. ["first candidate", "second candidate"]
            language: "en" counts words, "zh" counts characters
            model: optional catalogue key of a text generation model, for perplexity
        """
        with user_errors(request):
            return evaluate(parse_texts(texts), language, model).as_dict()

    gr.api(
        evaluate_text,
        api_name="evaluate_text",
        concurrency_id=EVALUATION_CONCURRENCY_ID,
        concurrency_limit=2,
    )
