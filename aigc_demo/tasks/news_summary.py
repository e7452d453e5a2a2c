"""News summary: extractive (no model) or abstractive (seq2seq or an instruct model)."""

from __future__ import annotations

import re

from aigc_demo import settings
from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.validation import check_choice, check_number, check_text

METHODS = ("extractive", "abstractive")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?。！？])\s*", text) if s.strip()]


def summarize(
    manager: ModelManager,
    article: str,
    method: str = "extractive",
    model: str = "",
    max_new_tokens: int = settings.DEFAULT_SUMMARY_TOKENS,
) -> str:
    """A summary of `article` (minimal version: lead sentences, or one seq2seq pass)."""
    import torch

    article = check_text("article", article, max_chars=settings.MAX_ARTICLE_CHARS)
    method = check_choice("method", method, METHODS)
    sentences = _sentences(article)
    if len(sentences) < 2:
        raise UserError(
            "The article is too short to summarise: it needs at least two sentences.",
            "文章太短，无法摘要：至少需要两句话。",
        )
    if method == "extractive":
        return " ".join(sentences[:3])
    max_new_tokens = check_number("max_new_tokens", max_new_tokens, 8, settings.MAX_SUMMARY_TOKENS, integer=True)
    spec = get_spec(model or "distilbart-cnn-12-6")
    with manager.use(spec.key) as lm:
        tok = lm.tokenizer
        if spec.kind == "seq2seq":
            inputs = tok(article, return_tensors="pt", truncation=True, max_length=spec.context_window)
        else:
            messages = [{"role": "user", "content": f"Summarize this news article:\n\n{article}"}]
            inputs = tok.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        with torch.inference_mode():
            out = lm.model.generate(**inputs.to(lm.device), max_new_tokens=max_new_tokens, do_sample=False)
        if not lm.model.config.is_encoder_decoder:
            out = out[:, inputs["input_ids"].shape[1] :]
        return tok.decode(out[0], skip_special_tokens=True).strip()
