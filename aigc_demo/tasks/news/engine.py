"""Abstractive summary on a serving engine: the same map-reduce, progress and Stop as with a loaded model.

The engine's tokenizer is not here, so chunks are sized by a conservative count (every CJK character one token,
every four characters of other text one token), against AIGC_ENGINE_CONTEXT tokens per request. Each chunk (then
each group of chunk summaries) is one streamed, greedy request; the writer yields its Progress while the answer
streams, so closing it (Stop) closes the request, which stops the engine. No torch.
"""

from __future__ import annotations

import re

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.engine import EngineParams, stream_from_engine
from aigc_demo.tasks.news.abstractive import MIN_INPUT_BUDGET, PROMPTS, AbstractiveWriter, Progress

PIECE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff]{1,4}|\s+")
PROMPT_TOKENS = 64  # the instruction and the chat template around the text, counted generously


class ApproxTokenizer:
    """Just enough of a tokenizer for news_chunks: counts and offsets of pieces that are never fewer than the
    engine's tokens (a CJK character, up to four other characters)."""

    def __call__(self, text: str, add_special_tokens: bool = False, return_offsets_mapping: bool = False) -> dict:
        spans = [m.span() for m in PIECE.finditer(text) if not m.group().isspace()]
        out: dict = {"input_ids": list(range(len(spans)))}
        if return_offsets_mapping:
            out["offset_mapping"] = spans
        return out


class EngineWriter(AbstractiveWriter):
    """AbstractiveWriter's map-reduce, each generation a request to the serving engine `spec`."""

    def __init__(self, spec: ModelSpec, language: str, max_new_tokens: int, min_new_tokens: int, cap: int | None):
        self.spec, self.tok, self.language = spec, ApproxTokenizer(), language
        self.max_new_tokens, self.min_new_tokens = max_new_tokens, min_new_tokens
        self.seq2seq = False
        self.window = settings.ENGINE_CONTEXT
        self.budget = min(self.window - PROMPT_TOKENS - max_new_tokens, cap or self.window)
        if self.budget < MIN_INPUT_BUDGET:
            raise UserError(
                f"max_new_tokens ({max_new_tokens}) leaves too little room for the article in the serving engine's "
                f"context of {self.window:,} tokens (AIGC_ENGINE_CONTEXT); lower it.",
                f"最大生成长度（{max_new_tokens}）过大，服务引擎的上下文（{self.window:,} 个词元，AIGC_ENGINE_CONTEXT）"
                "放不下文章，请调低。",
            )
        self.joiner = "" if language == "zh" else " "
        self.warnings: list[tuple[str, str]] = []
        self.current = Progress("map", 0, 1, "Writing the summary…", "正在生成摘要……")

    def write(self, text: str, prompt: str):
        """One streamed request for `text`; yields the current Progress while it streams, returns (summary, hit)."""
        params = EngineParams(max_new_tokens=self.max_new_tokens)  # greedy: the summary keeps close to the article
        request = f"{PROMPTS[prompt, self.language]}\n\n{text}"
        if self.spec.kind == "base":  # a pre-trained model continues the text: end it where a summary begins
            request += "\n\n摘要：" if self.language == "zh" else "\n\nSummary:"
        state = None
        for update in stream_from_engine(self.spec, request, "", params, seed=0):
            state = update  # the latest texts and token counts
            yield self.current
        summary = state.texts[0].strip() if state else ""
        tokens = (state.completion_tokens[0] or state.chunks) if state else 0
        return summary, tokens >= self.max_new_tokens
