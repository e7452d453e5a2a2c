"""Model-free extractive summary: directed, position-biased TextRank over TF-IDF similarity, then MMR against repeats."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from aigc_demo.errors import UserError
from aigc_demo.tasks.common.language import detect_language
from aigc_demo.tasks.news.text_units import Sentence, split_sentences, tokenize

# Each knob sits at its textbook value rather than a value tuned on the bench: on the 30 CNN/DailyMail dev articles
# the neighbours (damping 0.5, decay 2, MMR 0.5) all land within 0.5 ROUGE-1 of these.
DAMPING = 0.85  # 0-1; share of a sentence's score that flows along endorsement edges (TextRank's and PageRank's 0.85)
POSITION_DECAY = 1.0  # >= 0; random jumps land on sentence i with probability ∝ 1 / (i + 1) ** POSITION_DECAY
MMR_LAMBDA = 0.7  # 0-1; 1 = pick by score alone, lower = penalise overlap with sentences already picked more
MIN_WORDS = {"en": 6, "zh": 10}  # sentences shorter than this (words / characters) are picked only as a last resort


@dataclass
class ExtractiveResult:
    """Picked sentences in article order, with their indices into `article_sentences` and their spans."""

    indices: list[int]
    sentences: list[str]
    spans: list[tuple[int, int]]
    language: str
    article_sentences: list[Sentence]

    @property
    def summary(self) -> str:
        """The picked sentences as one text."""
        return ("" if self.language == "zh" else " ").join(self.sentences)


def extractive_summary(article: str, num_sentences: int = 3, language: str | None = None) -> ExtractiveResult:
    """The `num_sentences` most central, non-redundant sentences of `article` (all when it has no more), in order."""
    language, sentences = _sentences(article, language, num_sentences)
    n = len(sentences)
    if n <= num_sentences:
        return _result(range(n), sentences, language)

    tokens = [tokenize(s.text, language) for s in sentences]
    similarity = _tfidf_cosine(tokens)
    scores = _position_biased_textrank(similarity)
    # Captions, datelines and "he said." fragments can be central by accident; they carry no summary on their own.
    long_enough = [i for i, s in enumerate(sentences) if _length(s.text, language) >= MIN_WORDS[language]]
    candidates = long_enough if len(long_enough) >= num_sentences else list(range(n))
    picked = _mmr(scores, similarity, candidates, num_sentences)
    return _result(sorted(picked), sentences, language)


def lead_n(article: str, n: int = 3) -> ExtractiveResult:
    """The first `n` sentences of `article`: the baseline every news summariser has to beat."""
    language, sentences = _sentences(article, None, n)
    return _result(range(min(n, len(sentences))), sentences, language)


def _sentences(article: str, language: str | None, num_sentences: int) -> tuple[str, list[Sentence]]:
    if num_sentences < 1:
        raise UserError(
            f"The number of summary sentences must be at least 1, got {num_sentences}.",
            f"摘要句数至少为 1，收到的是 {num_sentences}。",
        )
    if language not in (None, "en", "zh"):
        raise ValueError(f"`language` has to be 'en', 'zh' or None but is {language!r}.")
    language = language or detect_language(article)
    sentences = split_sentences(article, language)
    if len(sentences) < 2:
        raise UserError(
            f"The article is too short to summarise: it has {len(sentences)} sentence(s); paste at least two.",
            f"文章太短，无法摘要：只有 {len(sentences)} 句，请至少输入两句。",
        )
    return language, sentences


def _result(indices, sentences: list[Sentence], language: str) -> ExtractiveResult:
    indices = list(indices)
    return ExtractiveResult(
        indices=indices,
        sentences=[sentences[i].text for i in indices],
        spans=[(sentences[i].start, sentences[i].end) for i in indices],
        language=language,
        article_sentences=sentences,
    )


def _length(text: str, language: str) -> int:
    return sum(not c.isspace() for c in text) if language == "zh" else len(text.split())


def _tfidf_cosine(tokens: list[list[str]]) -> np.ndarray:
    """Cosine similarity of sentences as sublinear TF-IDF vectors, each sentence counted as a document; zero diagonal."""
    n = len(tokens)
    vocabulary = {w: k for k, w in enumerate(sorted({w for sent in tokens for w in sent}))}
    document_frequency = Counter(w for sent in tokens for w in set(sent))
    vectors = np.zeros((n, max(len(vocabulary), 1)))
    for i, sent in enumerate(tokens):
        for word, count in Counter(sent).items():
            idf = math.log((1 + n) / (1 + document_frequency[word])) + 1
            vectors[i, vocabulary[word]] = (1 + math.log(count)) * idf
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1, norms)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0)
    return similarity


def _position_biased_textrank(similarity: np.ndarray) -> np.ndarray:
    """PageRank over a graph where each sentence endorses the earlier sentences it resembles, with jumps biased early.

    Plain TextRank finds what an article keeps returning to, but it favours long sentences and is blind to the inverted
    pyramid of news writing, which is why Lead-3 beats it. Two changes bring that knowledge in, both from the
    literature rather than tuned here: edges point only backwards, because in news a later sentence elaborates on an
    earlier one and a sentence that merely repeats earlier news (a photo caption, a recap) should not gain from it
    (PacSum's directed centrality, Zheng & Lapata 2019); and random jumps land on sentence i with probability
    ∝ 1 / (i + 1) (personalised PageRank, as in PositionRank). A central sentence deep in the article can still win.
    """
    n = len(similarity)
    prior = 1 / np.arange(1, n + 1) ** POSITION_DECAY
    prior /= prior.sum()
    # Row j holds the weights with which sentence j endorses sentences 0..j-1.
    endorsements = np.tril(similarity, k=-1)
    out_weight = endorsements.sum(axis=1, keepdims=True)
    # A sentence with nothing to endorse (the first one, or one sharing no words with what came before) hands its
    # score to the prior, as a dangling page does in PageRank.
    transition = np.where(out_weight > 0, endorsements / np.where(out_weight == 0, 1, out_weight), prior)
    scores = prior.copy()
    for _ in range(100):
        updated = (1 - DAMPING) * prior + DAMPING * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-10:
            break
        scores = updated
    return updated


def _mmr(scores: np.ndarray, similarity: np.ndarray, candidates: list[int], k: int) -> list[int]:
    """Maximal marginal relevance: greedily pick high scores that are unlike what is already picked."""
    relevance = scores / scores[candidates].max()
    picked: list[int] = []
    remaining = list(candidates)
    while remaining and len(picked) < k:
        redundancy = similarity[np.ix_(remaining, picked)].max(axis=1) if picked else np.zeros(len(remaining))
        gains = MMR_LAMBDA * relevance[remaining] - (1 - MMR_LAMBDA) * redundancy
        # argmax takes the first maximum, and `remaining` is in article order, so ties go to the earlier sentence.
        best = remaining[int(np.argmax(gains))]
        picked.append(best)
        remaining.remove(best)
    return picked
