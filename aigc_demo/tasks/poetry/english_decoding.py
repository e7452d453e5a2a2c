"""Decoding that follows an English poem form: a logits processor for byte-level BPE tokenizers (GPT-2, Qwen2)."""

from __future__ import annotations

import re
import string
import threading
import weakref
from collections.abc import Callable

import torch
from transformers import LogitsProcessor

from aigc_demo.errors import UserError
from aigc_demo.tasks.poetry.english_check import (
    count_syllables,
    last_word,
    rhyme,
    rhyme_keys,
    validate_english_request,
    words_of,
)


# Byte-level BPE vocabularies spell each byte as a printable character (GPT-2's table).
def _byte_of_char() -> dict[str, int]:
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    table = {chr(b): b for b in printable}
    table.update({chr(256 + n): b for n, b in enumerate(others)})
    return table


_BYTE_OF_CHAR = _byte_of_char()
# Generated poems are kept to letters and plain punctuation so the processor counts exactly what the checker counts.
_POEM_CHARS = frozenset(string.ascii_letters + " .,;:!?'\"-")
_CLOSING_CHARS = frozenset(".,;:!?'\"")
_MAX_WORD_CHARS = 15  # a longer word gets no more continuation tokens (random or looping models)


class _Vocabulary:
    """What the processor needs to know about each token of one tokenizer, as boolean masks over its ids."""

    def __init__(self, tokenizer):
        special = set(tokenizer.all_special_ids) | set(getattr(tokenizer, "added_tokens_decoder", {}))
        # Each id's text, or None for special tokens and for pieces outside `_POEM_CHARS` (and "\n").
        self.texts: list[str | None] = []
        for token_id, piece in enumerate(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))):
            text = None
            if token_id not in special and piece and all(ch in _BYTE_OF_CHAR for ch in piece):
                text = bytes(_BYTE_OF_CHAR[ch] for ch in piece).decode("latin-1")
            self.texts.append(text if text == "\n" or (text and set(text) <= _POEM_CHARS) else None)
        self.newline_ids = {i for i, text in enumerate(self.texts) if text == "\n"}
        self.newline = self._mask(lambda t: t == "\n")
        # A "glued" token (no leading space or punctuation) continues the word before it, if there is one.
        self.glued = self._mask(lambda t: re.match(r"'?[A-Za-z]", t) is not None)
        self.new_word = self._mask(
            lambda t: re.match(r"'?[A-Za-z]", t) is None and re.search("[A-Za-z]", t) is not None
        )
        self.punct = self._mask(lambda t: t != "\n" and len(t) <= 3 and re.search("[A-Za-z]", t) is None)
        self.closing = self._mask(lambda t: set(t) <= _CLOSING_CHARS)
        self.vowelless = self._mask(lambda t: re.search("[aeiouyAEIOUY]", t) is None)
        self.syllables = torch.tensor([sum(map(count_syllables, words_of(t or ""))) for t in self.texts])
        self.vowel_groups = torch.tensor([len(re.findall("[aeiouyAEIOUY]+", t or "")) for t in self.texts])
        self.line_start = self._mask(lambda t: re.match(r" ?[A-Za-z]", t) is not None)
        self._head_letters = [
            t.lstrip()[0].upper() if start else ""
            for t, start in zip(self.texts, self.line_start.tolist(), strict=True)
        ]
        # Whole known words after a space, by rhyming part: the candidates for a line's last word.
        self.rhyme_index: dict[str, list[tuple[int, str]]] = {}
        for token_id, text in enumerate(self.texts):
            if text and re.fullmatch(r" [A-Za-z]{2,}", text):
                for key in rhyme_keys(text[1:].lower()):
                    self.rhyme_index.setdefault(key, []).append((token_id, text[1:].lower()))
        self.rhymable_words = {
            word for entries in self.rhyme_index.values() if len({w for _, w in entries}) > 1 for _, word in entries
        }
        self.rhymable = self._mask(lambda t: t[0] == " " and t[1:].lower() in self.rhymable_words)
        self.none = torch.zeros(len(self.texts), dtype=torch.bool)
        self._heads: dict[str, torch.Tensor] = {}
        self._rhymes: dict[str, list[int]] = {}

    def _mask(self, predicate: Callable[[str], bool]) -> torch.Tensor:
        return torch.tensor([text is not None and predicate(text) for text in self.texts])

    def head(self, letter: str) -> torch.Tensor:
        """Tokens that can start a line with `letter` (either case, optional leading space)."""
        if letter not in self._heads:
            self._heads[letter] = torch.tensor([head == letter.upper() for head in self._head_letters])
        return self._heads[letter]

    def rhyme_ids(self, target: str) -> list[int]:
        """Whole-word tokens (after a space) that rhyme with `target`, the same word excluded."""
        if target not in self._rhymes:
            if len(self._rhymes) > 4096:  # shared by every request: keep it bounded
                self._rhymes.clear()
            keys = rhyme_keys(target)
            self._rhymes[target] = [i for key in keys for i, word in self.rhyme_index.get(key, []) if word != target]
        return self._rhymes[target]


_VOCABULARIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer -> (its size, its vocabulary)
_VOCABULARIES_LOCK = threading.Lock()


def _vocabulary(tokenizer) -> _Vocabulary:
    """The tokenizer's vocabulary, read once: a large one (Qwen2: ~150k tokens) takes seconds, so requests share it.

    Weak-keyed, so that a tokenizer whose model was unloaded is not kept alive here; read again when the tokenizer's
    size changes (adding tokens changes its vocabulary).
    """
    size = len(tokenizer)
    with _VOCABULARIES_LOCK:
        cached = _VOCABULARIES.get(tokenizer)
    if cached is None or cached[0] != size:
        cached = (size, _Vocabulary(tokenizer))
        with _VOCABULARIES_LOCK:
            _VOCABULARIES[tokenizer] = cached
    return cached[1]


class EnglishFormLogitsProcessor(LogitsProcessor):
    """Masks logits so sampled text follows an English form; each row's state is re-read from its own ids.

    Always enforced: the line count (a newline only once a line is complete, EOS after the last line) and the
    acrostic heads. Enforced where the vocabulary allows: haiku syllable budgets and quatrain ABAB rhymes, by
    restricting word-starting tokens. For byte-level BPE tokenizers (GPT-2, Qwen2). `prompt_len` is the (padded)
    prompt length; with `fixed_lines` (kept by "regenerate from line N") the prompt must already end with those
    lines, each followed by a newline, and generation continues at the next line. Sampled text is limited to ASCII
    letters and plain punctuation, so what the processor counts is what `check_english_poem` counts.
    """

    def __init__(
        self,
        tokenizer,
        form_key: str,
        acrostic: str | None = None,
        prompt_len: int = 0,
        fixed_lines: tuple[str, ...] | list[str] = (),
        *,
        eos_token_id: int | list[int] | None = None,
        max_line_tokens: int = 24,  # a line is ended after this many tokens, whatever else is unmet
    ):
        self.form, self.letters = validate_english_request(form_key, acrostic)
        self.line_count = len(self.letters) if self.letters else self.form.num_lines
        self.fixed_lines = [line.strip() for line in fixed_lines]
        if self.line_count is not None and len(self.fixed_lines) >= self.line_count:
            raise UserError(
                f"Cannot regenerate from line {len(self.fixed_lines) + 1}: the poem has {self.line_count} lines.",
                f"无法从第 {len(self.fixed_lines) + 1} 行重新生成：这首诗只有 {self.line_count} 行。",
            )
        self.prompt_len = prompt_len
        self.max_line_tokens = max_line_tokens
        self.vocab = _vocabulary(tokenizer)
        eos = tokenizer.eos_token_id if eos_token_id is None else eos_token_id
        self.eos_ids = {eos} if isinstance(eos, int) else set(eos or [])
        if not self.vocab.newline_ids or not self.eos_ids:
            raise ValueError("EnglishFormLogitsProcessor needs a byte-level BPE tokenizer with a newline and an EOS.")
        self.eos = self.vocab.none.clone()
        self.eos[[i for i in self.eos_ids if i < len(self.eos)]] = True
        self._masks: dict[tuple, torch.Tensor] = {}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        allowed = torch.stack([self._allowed(row[self.prompt_len :].tolist()) for row in input_ids])
        vocab = scores.shape[-1]
        if vocab > allowed.shape[-1]:  # model vocabularies are often padded past the tokenizer's
            allowed = torch.nn.functional.pad(allowed, (0, vocab - allowed.shape[-1]))
        allowed = allowed[:, :vocab].to(scores.device)
        masked = scores.masked_fill(~allowed, float("-inf"))
        # An earlier processor may have put -inf on every allowed token: sample uniformly among them instead.
        dead = torch.isneginf(masked).all(dim=-1)
        if dead.any():
            masked[dead] = torch.where(allowed[dead], 0.0, float("-inf"))
        return masked

    def _allowed(self, ids: list[int]) -> torch.Tensor:
        """The tokens allowed next for one row, never empty; rows and steps in the same state share one mask."""
        state = self._state(ids)
        if state not in self._masks:
            self._masks[state] = self._mask_for(state)
        return self._masks[state]

    def _state(self, ids: list[int]) -> tuple:
        """What decides a row's next tokens, read from its generated ids, as a small hashable key."""
        v, form = self.vocab, self.form
        if any(token_id in self.eos_ids for token_id in ids):
            return ("finished",)
        text = "".join(v.texts[i] or "" for i in ids)  # ids past the tokenizer's vocabulary are never allowed
        *done, line = text.split("\n")
        index = len(self.fixed_lines) + len(done)
        if self.line_count is None:
            end = "either"
        else:
            end = "eos" if index >= self.line_count - 1 else "newline"
        budget = form.syllables[index] if index < len(form.syllables) else None
        if not line.strip():
            return ("start", self.letters[index] if index < len(self.letters) else None, budget)
        line_tokens = len(ids) - 1 - max((i for i, t in enumerate(ids) if t in v.newline_ids), default=-1)
        if line_tokens >= self.max_line_tokens:
            return ("end", end)
        words = words_of(line)
        in_word = line[-1].isalpha()
        glued_ok = in_word and len(words[-1]) < _MAX_WORD_CHARS
        if budget is not None:
            return ("syllables", end, in_word, glued_ok, budget - sum(map(count_syllables, words)))
        ending = self._line_ending(self.fixed_lines + done, index)
        if ending is None:
            good_end = True
        elif ending == "":
            good_end = words[-1].lower() in v.rhymable_words
        else:
            good_end = rhyme(words[-1], ending)
        can_end = len(words) >= form.min_words and good_end
        stage = 2 if len(words) >= form.max_words else 1 if len(words) == form.max_words - 1 else 0
        fragment = ending is not None and in_word and not rhyme_keys(words[-1].lower())
        return ("words", end, in_word, glued_ok, ending, can_end, stage, fragment)

    def _line_ending(self, lines: list[str], index: int) -> str | None:
        """What line `index` must end on: an earlier line's end word to rhyme with, "" for any word that has rhymes
        in the vocabulary (a later line will rhyme with it), None for anything."""
        pair = next((a for a, b in self.form.rhyme_pairs if b == index and a < len(lines)), None)
        target = last_word(lines[pair]).lower() if pair is not None else ""
        if target and self.vocab.rhyme_ids(target):
            return target
        return "" if any(a == index for a, _ in self.form.rhyme_pairs) else None

    def _mask_for(self, state: tuple) -> torch.Tensor:
        v = self.vocab
        kind, *rest = state
        if kind == "finished":
            return self.eos  # a finished row is padded; keep it finished
        if kind == "start":
            letter, budget = rest
            head = v.head(letter) if letter else v.line_start
            allowed = head & (v.syllables <= budget) if budget else head
            return allowed if allowed.any() else head
        end = {"newline": v.newline, "eos": self.eos, "either": v.newline | self.eos}[rest[0]]
        if kind == "end":
            return end
        in_word, glued_ok = rest[1:3]
        glued = v.glued if glued_ok else v.none
        starts = v.new_word if in_word else v.new_word | v.glued
        punct = v.punct if in_word else v.none
        closing = v.closing if in_word else v.none
        if kind == "syllables":
            remaining = rest[3]
            if remaining < 0 or (remaining == 0 and not in_word):
                allowed = end  # budget met at a word boundary (or overshot): break the line
            elif remaining == 0:
                allowed = end | (glued & v.vowelless) | closing
            else:
                allowed = (starts & (v.syllables <= remaining)) | (glued & (v.vowel_groups <= remaining)) | punct
        else:
            ending, can_end, stage, fragment = rest[3:]
            if ending is not None and stage >= 1:
                # Time for the last word: only words that can end the line, and no growing a known word past one.
                ending_words = v.rhymable
                if ending:
                    ending_words = v.none.clone()
                    ending_words[v.rhyme_ids(ending)] = True
                allowed = (
                    end | closing if can_end else (ending_words & starts) | (glued if fragment else v.none) | punct
                )
            elif stage == 2:
                allowed = end | glued | closing
            else:
                allowed = glued | starts | punct | (end if can_end else v.none)
        return allowed if allowed.any() else end
