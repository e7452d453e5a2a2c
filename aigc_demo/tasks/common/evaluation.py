"""Numbers beside generated text: how varied, how repetitive, how alike the candidates are, and how likely the model
finds each text. Pure Python (sacrebleu for BLEU); perplexity borrows a loaded model from the manager.

Units: English is counted in lower-cased words, Chinese in characters (punctuation and spaces are not units).

- distinct-n: unique n-grams / all n-grams, pooled over every text (0..1; higher = more varied).
- repeated 4-gram rate: 4-grams that already occurred earlier in the same text / all 4-grams (0..1; lower = better).
- self-BLEU: sacrebleu's `sentence_bleu` of each text against all the others as references, averaged, in BLEU points
  (0..100; higher = the candidates are more alike). 0 for a single text. `tokenize="zh"` for Chinese.
- perplexity: exp(mean negative log-likelihood per token) of the text under a causal language model (lower = the model
  finds it more likely).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass

from aigc_demo.errors import UserError

LANGUAGES = ("en", "zh")
MAX_TEXTS = 16
MAX_TEXT_CHARS = 20_000
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")


@dataclass(frozen=True)
class TextScores:
    """One text's own numbers."""

    units: int  # words (English) or characters (Chinese)
    distinct_1: float
    distinct_2: float
    repeated_4gram_rate: float
    self_bleu: float  # against the other texts; 0 when it is the only one
    perplexity: float | None = None  # None when no model was asked for


@dataclass(frozen=True)
class Evaluation:
    """The set's numbers and each text's."""

    language: str
    distinct_1: float
    distinct_2: float
    repeated_4gram_rate: float
    self_bleu: float
    texts: tuple[TextScores, ...]
    model: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["texts"] = [asdict(t) for t in self.texts]
        return data


def units(text: str, language: str) -> list[str]:
    """The counting units of `text`: lower-cased words for English, characters (no punctuation/space) for Chinese."""
    if language == "zh":
        return [ch for ch in text if unicodedata.category(ch)[0] in "LN"]
    return [word.lower() for word in _WORD_RE.findall(text)]


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(token_lists: list[list[str]], n: int) -> float:
    """Unique n-grams over all n-grams of all the lists; 0 when there are none."""
    pooled = [gram for tokens in token_lists for gram in ngrams(tokens, n)]
    return len(set(pooled)) / len(pooled) if pooled else 0.0


def share_found_in(text: str, source: str, language: str, n: int = 2) -> float | None:
    """Share of `text`'s n-grams (units as in `units`) that also occur in `source`, 0..1; None when `text` has none.

    A simple faithfulness signal for abstractive summaries: n-grams the article never contains were made up (or
    paraphrased). Extractive summaries score 1 by construction.
    """
    grams = ngrams(units(text, language), n)
    if not grams:
        return None
    found = set(ngrams(units(source, language), n))
    return sum(gram in found for gram in grams) / len(grams)


def repeated_ngram_counts(tokens: list[str], n: int = 4) -> tuple[int, int]:
    """(n-grams that repeat an earlier one in the same list, all n-grams)."""
    grams = ngrams(tokens, n)
    counts = Counter(grams)
    return sum(c - 1 for c in counts.values()), len(grams)


def self_bleu_each(texts: list[str], language: str) -> list[float]:
    """Each text's sentence BLEU against the others as references (BLEU points); [0.0] for a single text."""
    if len(texts) < 2:
        return [0.0] * len(texts)
    from sacrebleu.metrics import BLEU

    bleu = BLEU(tokenize="zh" if language == "zh" else "13a", effective_order=True)
    return [bleu.sentence_score(text, texts[:i] + texts[i + 1 :]).score for i, text in enumerate(texts)]


def perplexity(lm, text: str) -> float:
    """exp(mean token NLL) of `text` under the causal LM in `lm` (a LoadedModel); the first token is given."""
    import torch

    tokenizer = lm.tokenizer
    ids = tokenizer(text, return_tensors="pt").input_ids
    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is not None and (ids.shape[1] == 0 or ids[0, 0].item() != bos):
        ids = torch.cat([torch.tensor([[bos]]), ids], dim=1)
    if ids.shape[1] < 2:
        raise UserError(
            "The text is too short to measure its perplexity (it needs at least two tokens).",
            "文本太短，无法计算困惑度（至少需要两个词元）。",
        )
    limit = getattr(lm.spec, "context_window", 0) or ids.shape[1]
    ids = ids[:, :limit].to(lm.device)
    with torch.inference_mode():
        loss = lm.model(input_ids=ids, labels=ids).loss
    return float(math.exp(loss.item()))


def check_texts(texts, language: str) -> list[str]:
    """The texts as a list of strings within bounds, or one clear sentence."""
    if language not in LANGUAGES:
        raise UserError(
            f"`language` must be 'en' or 'zh', not {str(language)[:20]!r}.",
            f"`language` 只能是 'en' 或 'zh'，而不是 {str(language)[:20]!r}。",
        )
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise UserError("`texts` must be a list of strings.", "`texts` 必须是字符串列表。")
    if not texts:
        raise UserError("Give at least one text to evaluate.", "请至少提供一段要评估的文本。")
    if len(texts) > MAX_TEXTS:
        raise UserError(
            f"At most {MAX_TEXTS} texts can be evaluated at once; {len(texts)} arrived.",
            f"一次最多评估 {MAX_TEXTS} 段文本，收到了 {len(texts)} 段。",
        )
    longest = max(len(t) for t in texts)
    if longest > MAX_TEXT_CHARS:
        raise UserError(
            f"Each text may have at most {MAX_TEXT_CHARS:,} characters; one has {longest:,}.",
            f"每段文本最多 {MAX_TEXT_CHARS:,} 个字符，其中一段有 {longest:,} 个。",
        )
    return texts


def evaluate(texts: list[str], language: str, lm=None) -> Evaluation:
    """All the numbers for a set of candidates; perplexity too when a loaded causal LM is given."""
    texts = check_texts(texts, language)
    token_lists = [units(text, language) for text in texts]
    bleus = self_bleu_each(texts, language)
    per_text = []
    for text, tokens, bleu in zip(texts, token_lists, bleus, strict=True):
        repeated, total = repeated_ngram_counts(tokens)
        per_text.append(
            TextScores(
                units=len(tokens),
                distinct_1=distinct_n([tokens], 1),
                distinct_2=distinct_n([tokens], 2),
                repeated_4gram_rate=repeated / total if total else 0.0,
                self_bleu=bleu,
                perplexity=perplexity(lm, text) if lm is not None and tokens else None,
            )
        )
    counts = [repeated_ngram_counts(tokens) for tokens in token_lists]
    all_4grams = sum(total for _, total in counts)
    return Evaluation(
        language=language,
        distinct_1=distinct_n(token_lists, 1),
        distinct_2=distinct_n(token_lists, 2),
        repeated_4gram_rate=sum(r for r, _ in counts) / all_4grams if all_4grams else 0.0,
        self_bleu=sum(bleus) / len(bleus),
        texts=tuple(per_text),
        model=lm.key if lm is not None else "",
    )


def evaluate_with_model(manager, texts: list[str], language: str, model: str = "") -> Evaluation:
    """`evaluate`, borrowing `model` from the manager for perplexity when one is named (causal LMs only)."""
    if not model:
        return evaluate(texts, language)
    from aigc_demo.catalog import get_spec

    spec = get_spec(str(model))
    if "text-generation" not in spec.tasks or spec.is_served or spec.kind not in ("instruct", "base"):
        raise UserError(
            f"Perplexity needs a local text-generation model; {spec.key} is not one.",
            f"困惑度需要本地的文本生成模型，{spec.key} 不是。",
        )
    check_texts(texts, language)
    with manager.use(model) as lm:
        return evaluate(texts, language, lm)
