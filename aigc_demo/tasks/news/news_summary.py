"""News summary: extractive (no model; sentences picked from the article) or abstractive (seq2seq or instruct model).

`summarize_stream` yields Progress events and ends with a SummaryResult: the summary, the article sentences that
support each summary sentence, the compression ratio, warnings, and ROUGE against an optional reference summary with
Lead-3 beside it. An article longer than the model's input window is summarised map-reduce: chunks cut on sentence
boundaries are summarised one by one, then their summaries are summarised until one remains. Nothing is truncated;
whatever is cut short (a summary that hits max_new_tokens, a sentence longer than the window) comes with a warning.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import ClassVar

from aigc_demo import settings
from aigc_demo.catalog import get_spec, models_for
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.common.evaluation import share_found_in
from aigc_demo.tasks.common.language import detect_language
from aigc_demo.tasks.common.validation import check_choice, check_number, check_text
from aigc_demo.tasks.news.abstractive import AbstractiveWriter, Progress
from aigc_demo.tasks.news.chunks import Chunk
from aigc_demo.tasks.news.extractive import extractive_summary, lead_n
from aigc_demo.tasks.news.fetch import looks_like_url
from aigc_demo.tasks.news.rouge import rouge
from aigc_demo.tasks.news.support import support_map
from aigc_demo.tasks.news.text_units import Sentence, split_sentences

METHODS = ("extractive", "abstractive")
AUTO = "auto"  # the model for the article's language: the seq2seq news model for English, the chat model for Chinese


@dataclass(frozen=True)
class SummaryRequest:
    """What to summarise, and how. `validated()` is called once, where the task starts; the UI and /summarize read
    the defaults from here. Only the fields of the chosen method are checked: the others are not used."""

    article: str  # English or Chinese
    method: str = "extractive"  # extractive (sentences copied, no model) or abstractive (a model writes)
    model: str = AUTO  # catalogue key of the abstractive model, or AUTO
    max_new_tokens: int = settings.DEFAULT_SUMMARY_TOKENS  # longest abstractive summary (of each chunk), in tokens
    num_sentences: int = settings.DEFAULT_SUMMARY_SENTENCES  # sentences in an extractive summary
    min_new_tokens: int | None = None  # shortest abstractive summary; None = the model's default, never above max
    reference: str = ""  # a person's summary to score against (ROUGE); "" = none

    BOUNDS: ClassVar[dict[str, tuple[int, int]]] = {
        "num_sentences": (1, settings.MAX_SUMMARY_SENTENCES),
        "max_new_tokens": (8, settings.MAX_SUMMARY_TOKENS),
        "min_new_tokens": (0, settings.MAX_SUMMARY_TOKENS),
    }

    def validated(self) -> SummaryRequest:
        """A checked copy (UserError on the first bad field); `model` and a None `min_new_tokens` are decided by
        the article's language, in the task."""
        article = _check_article(self.article)
        method = check_choice("method", self.method, METHODS)
        reference = check_text("reference", self.reference, max_chars=settings.MAX_ARTICLE_CHARS, allow_empty=True)
        checked = replace(self, article=article, method=method, reference=reference)
        if method == "extractive":
            sentences = check_number("num_sentences", self.num_sentences, *self.BOUNDS["num_sentences"], integer=True)
            return replace(checked, num_sentences=sentences)
        most = check_number("max_new_tokens", self.max_new_tokens, *self.BOUNDS["max_new_tokens"], integer=True)
        least = self.min_new_tokens
        if least is not None:
            least = check_number("min_new_tokens", least, *self.BOUNDS["min_new_tokens"], integer=True)
            if least > most:
                raise UserError(
                    f"`min_new_tokens` ({least}) must not be above `max_new_tokens` ({most}).",
                    f"最短生成长度（{least}）不能大于最大生成长度（{most}）。",
                )
        return replace(checked, max_new_tokens=most, min_new_tokens=least)


@dataclass
class SummaryResult:
    """The finished summary and everything the UI shows around it."""

    summary: str
    summary_sentences: list[str]
    support: list[list[tuple[int, float]]]  # per summary sentence: (article sentence index, score 0-1), best first
    article_sentences: list[Sentence]  # with character spans into the article
    language: str
    method: str
    model: str  # the catalogue key that wrote it, or "extractive"
    article_length: int  # words, or characters for Chinese
    summary_length: int
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)
    is_twin: bool = False
    chunks: list[Chunk] = field(default_factory=list)  # what each map step read (abstractive; one when it fits)
    levels: int = 0  # rounds of combining part summaries
    input_budget: int = 0  # article tokens the model reads per call (abstractive)
    rouge: dict[str, float] | None = None  # F1 0-1 against the reference summary
    # Share of the summary's bigrams (words; characters for Chinese) found in the article: 1.0 when copied.
    found_in_article: float | None = None
    lead3_rouge: dict[str, float] | None = None
    seconds: float = 0.0

    @property
    def compression(self) -> float:
        """Summary length / article length (0-1; lower is shorter)."""
        return self.summary_length / self.article_length if self.article_length else 0.0


def text_length(text: str, language: str) -> int:
    """Words for English, characters (without spaces) for Chinese."""
    return sum(not c.isspace() for c in text) if language == "zh" else len(text.split())


def pick_model(model: str, language: str) -> str:
    """The catalogue key to use for `language`; `auto` prefers a CPU-friendly seq2seq news model, then a chat model."""
    if model and model != AUTO:
        spec = get_spec(model)
        if "summarization" not in spec.tasks:
            keys = ", ".join([AUTO] + [s.key for s in models_for("summarization")])
            raise UserError(
                f"{model} is not a summarization model; choose one of: {keys}.",
                f"{model} 不是摘要模型；可选：{keys}。",
            )
        if language not in spec.languages:
            name = {"en": ("English", "英文"), "zh": ("Chinese", "中文")}[language]
            raise UserError(
                f"{model} cannot summarise {name[0]}; choose `{AUTO}` or {pick_model(AUTO, language)} instead.",
                f"{model} 不能摘要{name[1]}文章；请改选 `{AUTO}` 或 {pick_model(AUTO, language)}。",
            )
        return model
    for gpu in (False, True):
        specs = [s for s in models_for("summarization", include_gpu_only=gpu) if language in s.languages]
        if specs:
            return sorted(specs, key=lambda s: (s.is_served, s.kind != "seq2seq"))[0].key  # an engine when asked
    raise UserError(
        f"No summarization model handles language {language!r}.", f"没有能摘要该语言（{language}）的模型。"
    )


def summarize_stream(
    manager: ModelManager, req: SummaryRequest, *, max_input_tokens: int | None = None
) -> Iterator[Progress | SummaryResult]:
    """Progress events, then one SummaryResult. `max_input_tokens` caps a chunk below the model's window (tests, slow
    machines)."""
    start = time.perf_counter()
    req = req.validated()
    language = detect_language(req.article)
    sentences = split_sentences(req.article, language)
    if len(sentences) < 2:
        raise UserError(
            f"The article is too short to summarise: it has {len(sentences)} sentence; paste at least two.",
            f"文章太短，无法摘要：只有 {len(sentences)} 句，请至少输入两句。",
        )
    if req.method == "extractive":
        yield Progress("extract", 0, 1, "Picking the key sentences…", "正在挑选关键句……")
        result = _extractive(req, sentences, language)
    else:
        result = yield from _abstractive(manager, req, sentences, language, max_input_tokens)
    if req.reference:
        _score(result, req.article, req.reference)
    result.seconds = time.perf_counter() - start
    yield result


def _extractive(req: SummaryRequest, sentences: list[Sentence], language: str) -> SummaryResult:
    picked = extractive_summary(req.article, req.num_sentences, language)
    result = _result(req.article, picked.summary, sentences, language, "extractive", "extractive")
    result.summary_sentences = picked.sentences
    result.support = [[(index, 1.0)] for index in picked.indices]  # exact: each one is an article sentence
    if req.num_sentences >= len(sentences):
        result.warnings.append(
            (
                f"The article has only {len(sentences)} sentences, so the summary is the whole article.",
                f"文章只有 {len(sentences)} 句，摘要就是全文。",
            )
        )
    return result


def _abstractive(
    manager: ModelManager, req: SummaryRequest, sentences: list[Sentence], language: str, max_input_tokens: int | None
) -> Iterator[Progress | SummaryResult]:
    """The map-reduce summary by a model (loaded here, or a serving engine); returns the result."""
    key = pick_model(req.model, language)
    min_new_tokens = req.min_new_tokens
    if min_new_tokens is None:
        min_new_tokens = min(get_spec(key).defaults.get("min_new_tokens", 0), req.max_new_tokens)
    limits = (req.max_new_tokens, min_new_tokens, max_input_tokens)
    yield Progress("load", 0, 1, f"Loading {key} (the first time can take a while)…", f"正在加载 {key}……")
    if get_spec(key).is_served:  # the same map-reduce, each generation a request to the engine
        from aigc_demo.tasks.news.engine import EngineWriter

        writer = EngineWriter(get_spec(key), language, *limits)
        summary, chunks, levels = yield from writer.map_reduce([s.text for s in sentences])
        is_twin = False
    else:
        with manager.use(key) as lm:
            writer = AbstractiveWriter(lm, language, *limits)
            summary, chunks, levels = yield from writer.map_reduce([s.text for s in sentences])
        is_twin = lm.is_twin
    result = _result(req.article, summary, sentences, language, "abstractive", key)
    result.summary_sentences = [s.text for s in split_sentences(summary, language)] if summary else []
    result.support = support_map(result.summary_sentences, [s.text for s in sentences], language)
    result.warnings, result.is_twin, result.chunks, result.levels = writer.warnings, is_twin, chunks, levels
    result.input_budget = writer.budget
    if not summary:
        result.warnings.append(("The model returned an empty summary.", "模型返回了空摘要。"))
    return result


def summarize(manager: ModelManager, req: SummaryRequest) -> SummaryResult:
    """`summarize_stream`'s finished result, without the progress events (what /summarize reports)."""
    result = None
    for event in summarize_stream(manager, req):
        result = event
    return result


def _check_article(article) -> str:
    if isinstance(article, str) and not article.strip():
        raise UserError(
            "Please paste a news article (or fetch one from its web address): the article is empty.",
            "请粘贴一篇新闻（或通过网址获取）：文章为空。",
        )
    article = check_text("article", article, max_chars=settings.MAX_ARTICLE_CHARS)
    if looks_like_url(article):
        raise UserError(
            "That is a web address, not an article: put it in the URL box and press Fetch, or paste the text.",
            "这是网址而不是文章：请填入网址栏并点击“获取”，或直接粘贴正文。",
        )
    return article


def _result(article, summary, sentences, language, method, model) -> SummaryResult:
    return SummaryResult(
        summary=summary,
        summary_sentences=[],
        support=[],
        article_sentences=sentences,
        language=language,
        method=method,
        model=model,
        article_length=text_length(article, language),
        summary_length=text_length(summary, language),
        found_in_article=share_found_in(summary, article, language),
    )


def _score(result: SummaryResult, article: str, reference: str) -> None:
    """ROUGE of the summary and of Lead-3 against a person's reference summary, never against the article."""
    norm_reference, norm_article = " ".join(reference.split()), " ".join(article.split())
    if norm_reference == norm_article or (len(norm_reference) >= len(norm_article) and norm_article in norm_reference):
        result.warnings.append(
            (
                "The reference summary is the article itself, so no ROUGE score is given: paste a summary written "
                "by a person.",
                "参考摘要就是原文本身，因此不计算 ROUGE：请粘贴人工撰写的摘要。",
            )
        )
        return
    result.rouge = rouge(result.summary, reference, result.language)
    result.lead3_rouge = rouge(lead_n(article, 3).summary, reference, result.language)
