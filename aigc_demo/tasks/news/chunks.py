"""Split an article into pieces that fit a model's input window, on sentence boundaries, dropping nothing.

Token counts come from the model's own tokenizer, so a chunk that is said to fit really does. A sentence longer than
the whole window (a table flattened into text, an article without punctuation) is split between tokens, and that is
reported, because it is the one place where a piece does not end where the writer ended a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A running sum of per-sentence counts can be off by a token or two at each join (BPE merges across the space), so
# near the budget the joined text is counted exactly; well below it the sum is trusted.
EXACT_COUNT_MARGIN = 32  # tokens


@dataclass(frozen=True)
class Chunk:
    """One piece of the article: `text`, built from sentences `first`..`last` (inclusive), and its token count."""

    text: str
    first: int
    last: int
    tokens: int


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """Tokens of a text as the model sees it, without special tokens (their room is part of the budget)."""
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


def chunk_sentences(sentences: list[str], tokenizer: Any, budget: int, joiner: str = " ") -> tuple[list[Chunk], int]:
    """Pack consecutive `sentences` into chunks of at most `budget` tokens; also return how many had to be split.

    Every sentence lands in exactly one chunk, in order; none is shortened. A sentence longer than `budget` on its
    own becomes several chunks of its own, cut between tokens.
    """
    if budget < 1:
        raise ValueError(f"`budget` has to be at least 1 token but is {budget}.")
    count = token_counter(tokenizer)
    chunks: list[Chunk] = []
    oversized = 0
    current: list[str] = []
    first = 0
    running = 0

    def close(last: int) -> None:
        text = joiner.join(current)
        chunks.append(Chunk(text, first, last, count(text)))

    for index, sentence in enumerate(sentences):
        own = count(sentence)
        if own > budget:
            if current:
                close(index - 1)
                current = []
            oversized += 1
            for piece in split_by_tokens(sentence, tokenizer, budget):
                chunks.append(Chunk(piece, index, index, count(piece)))
            first, running = index + 1, 0
            continue
        if not current:
            current, first, running = [sentence], index, own
            continue
        estimate = running + count(joiner + sentence)
        fits = estimate <= budget - EXACT_COUNT_MARGIN or count(joiner.join([*current, sentence])) <= budget
        if fits:
            current.append(sentence)
            running = estimate
        else:
            close(index - 1)
            current, first, running = [sentence], index, own
    if current:
        close(len(sentences) - 1)
    return chunks, oversized


def split_by_tokens(text: str, tokenizer: Any, budget: int) -> list[str]:
    """`text` cut into consecutive pieces of at most `budget` tokens, at token boundaries, losing no character."""
    count = token_counter(tokenizer)
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    starts = [start for start, _ in offsets[::budget]]
    starts[0] = 0
    pieces = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    result = []
    for piece in pieces:
        # Re-tokenising a piece on its own can merge differently at its edges; split again in the rare case it grew.
        if count(piece) > budget and budget > 1 and len(piece) > 1:
            result.extend(split_by_tokens(piece, tokenizer, max(1, budget * 3 // 4)))
        elif piece.strip():
            result.append(piece)
    return result
