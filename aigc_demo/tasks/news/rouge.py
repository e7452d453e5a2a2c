"""ROUGE-1/2/L F1 of a summary against a reference: rouge_score's for English, character n-grams for Chinese."""

from __future__ import annotations

from functools import cache

from aigc_demo.tasks.news.text_units import CHAR_TOKEN, split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


class ChineseCharTokenizer:
    """rouge_score tokenizer that turns Chinese into characters, keeping Latin words and numbers whole."""

    def tokenize(self, text: str) -> list[str]:
        return CHAR_TOKEN.findall(text.lower())


def rouge(summary: str, reference: str, language: str) -> dict[str, float]:
    """ROUGE F1 (0-1) by type: rouge1, rouge2, rougeL (one LCS over the whole text) and rougeLsum (per sentence).

    rougeLsum is the ROUGE-L that CNN/DailyMail results in the literature report; it needs the sentences, so both texts
    are split here with the same splitter as the summariser.
    """
    if language not in ("en", "zh"):
        raise ValueError(f"`language` has to be 'en' or 'zh' but is {language!r}.")
    scores = _scorer(language).score(
        _one_sentence_per_line(reference, language), _one_sentence_per_line(summary, language)
    )
    return {name: score.fmeasure for name, score in scores.items()}


def _one_sentence_per_line(text: str, language: str) -> str:
    # rougeLsum splits on newlines; rouge1/2/L ignore them because the tokenizers drop all punctuation and spaces.
    return "\n".join(s.text for s in split_sentences(text, language))


@cache
def _scorer(language: str):
    from rouge_score import rouge_scorer  # here, not at import: it pulls in nltk (~0.3 s of start-up)

    if language == "zh":
        return rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=ChineseCharTokenizer())
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
