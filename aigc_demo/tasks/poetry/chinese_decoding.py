"""Constrained decoding that guarantees a Chinese poem's form (lines, length, punctuation, acrostic, rhyme, tone)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import LogitsProcessor

from aigc_demo.errors import UserError
from aigc_demo.tasks.common.language import is_cjk
from aigc_demo.tasks.poetry.forms import Form, get_form
from aigc_demo.tasks.poetry.pinyin import LEVEL, OBLIQUE, pattern_tone
from aigc_demo.tasks.poetry.prosody import starts_level as prosody_starts_level
from aigc_demo.tasks.poetry.rhyme_books import RhymeBook, get_rhyme_book

COMMA, PERIOD = "，", "。"
# uer/gpt2-chinese-poem was trained with ASCII commas ("[CLS]梅 山 如 积 翠 ," on its model card): a "," token counts
# as a line-end comma, prompts use it, and decoded poems show "，".
ASCII_COMMA = ","
MIN_RHYME_CHOICES = 30  # level-tone characters a rhyme group needs in the vocab before it may open the rhyme
_CJK_SPACES_RE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


def max_new_tokens_for(form: Form | str, fixed_lines: Sequence[str] = ()) -> int:
    """Tokens left to generate: one per character and one per line-end mark, for the lines not fixed yet."""
    form = get_form(form) if isinstance(form, str) else form
    return (form.num_lines - len(fixed_lines)) * (form.chars_per_line + 1)


def build_prompt(fixed_lines: Sequence[str] = (), prefix: str = "[CLS]") -> str:
    """The uer/gpt2-chinese-poem prompt: `prefix`, then the fixed lines as space-separated characters and marks.

    Encode it with `add_special_tokens=False`: the prefix already holds the [CLS] the model was trained with.
    """
    tokens = [ch for i, line in enumerate(fixed_lines) for ch in (*line, PERIOD if i % 2 else ASCII_COMMA)]
    return prefix + " ".join(tokens)


def decode_poem(tokenizer, sequence: Sequence[int], prompt_length: int, fixed_lines: Sequence[str] = ()) -> str:
    """The poem in one generated sequence: fixed lines plus generated ones, one couplet per text line."""
    ids = sequence[prompt_length:]
    text = tokenizer.decode(ids.tolist() if hasattr(ids, "tolist") else list(ids), skip_special_tokens=True)
    text = "".join(f"{line}{PERIOD if i % 2 else COMMA}" for i, line in enumerate(fixed_lines)) + text
    text = _CJK_SPACES_RE.sub("", text.replace(ASCII_COMMA, COMMA)).strip()
    return re.sub(rf"(?<=[{PERIOD}！？])(?=.)", "\n", text)


@dataclass(frozen=True)
class _VocabIndex:
    """Which token ids are one CJK character or a line-end mark, with masks over the vocab by tone and rhyme."""

    char_of: dict[int, str]
    ids_of: dict[str, list[int]]
    size: int
    cjk: torch.Tensor
    level: torch.Tensor
    oblique: torch.Tensor
    known: torch.Tensor  # characters of one tone only
    group_level: dict[str, torch.Tensor]
    group_any: dict[str, torch.Tensor]
    rhyme_openers: torch.Tensor  # level-tone characters of groups with at least MIN_RHYME_CHOICES such characters

    def mask_of(self, chars: str) -> torch.Tensor:
        mask = torch.zeros(self.size, dtype=torch.bool)
        mask[[i for ch in chars for i in self.ids_of.get(ch, [])]] = True
        return mask


_INDEX_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer -> rhyme book key -> index


def _token_text(tokenizer, token: str) -> str:
    if len(token) == 1:
        return token
    # Byte-level BPE and sentencepiece spell one character with several symbols; BERT's "##x" stays two.
    return tokenizer.convert_tokens_to_string([token]).strip()


def vocab_index(tokenizer, rhyme_book: str | RhymeBook | None = None) -> _VocabIndex:
    """Index the tokenizer's single-character tokens once per rhyme book; BERT char vocabs and byte-level BPE alike."""
    book = get_rhyme_book(rhyme_book)
    cached = _INDEX_CACHE.setdefault(tokenizer, {})
    if book.key in cached:
        return cached[book.key]
    size = len(tokenizer)
    special = set(tokenizer.all_special_ids)
    char_of, ids_of = {}, {}
    for token_id, token in enumerate(tokenizer.convert_ids_to_tokens(list(range(size)))):
        if token is None or token_id in special:
            continue
        text = _token_text(tokenizer, token)
        text = COMMA if text == ASCII_COMMA else text
        if len(text) == 1 and (is_cjk(text) or text in (COMMA, PERIOD)):
            char_of[token_id] = text
            ids_of.setdefault(text, []).append(token_id)

    def mask(predicate) -> torch.Tensor:
        out = torch.zeros(size, dtype=torch.bool)
        out[[i for i, ch in char_of.items() if is_cjk(ch) and predicate(ch)]] = True
        return out

    # A character the book lists in both tones fits a level and an oblique position alike; one that sets the
    # 平起/仄起 pattern (line 1's second character) must have one tone only ("known" below).
    level = mask(lambda ch: LEVEL in book.tones(ch))
    oblique = mask(lambda ch: OBLIQUE in book.tones(ch))
    known = mask(lambda ch: len(book.tones(ch)) == 1)
    groups = book.all_groups()
    group_any = {g: mask(lambda ch, g=g: g in book.groups(ch)) for g in groups}
    group_level = {g: m & level for g, m in group_any.items()}
    # The rhyme opens on a character whose main group (the one _state reads back) has enough level characters.
    openers = torch.zeros(size, dtype=torch.bool)
    for g, m in group_level.items():
        if int(m.sum()) >= MIN_RHYME_CHOICES:
            openers |= m & mask(lambda ch, g=g: book.group(ch) == g)
    index = _VocabIndex(
        char_of=char_of,
        ids_of=ids_of,
        size=size,
        cjk=mask(lambda ch: True),
        level=level,
        oblique=oblique,
        known=known,
        group_level=group_level,
        group_any=group_any,
        rhyme_openers=openers,
    )
    cached[book.key] = index
    return index


def _clean_line(line: str) -> str:
    return re.sub(r"[\s，。！？；,.!?;]", "", line)


def validate_poem_request(
    tokenizer, form_key: str, acrostic: str | None = None, fixed_lines: Sequence[str] = ()
) -> tuple[Form, str | None, list[str]]:
    """Check what the user asked for against the form and the vocab; returns (form, acrostic, fixed lines) cleaned.

    Raises `UserError` for an unknown or non-Chinese form, an acrostic of the wrong length or with non-Chinese
    characters, characters the model cannot write, and fixed lines that break the form or the acrostic. With
    `tokenizer=None` the vocab is not consulted: the check a request gets before its model is loaded.
    """
    form = get_form(form_key)
    if form.language != "zh":
        raise UserError(
            f"'{form.label_en}' is not a Chinese form; the Chinese poem writer needs one of 五言/七言 绝句/律诗.",
            f"“{form.label_zh}”不是中文诗体，请选择五言或七言的绝句或律诗。",
        )
    known = vocab_index(tokenizer).ids_of if tokenizer is not None else None
    acrostic = "".join((acrostic or "").split()) or None
    if acrostic is not None:
        if len(acrostic) != form.num_lines:
            raise UserError(
                f"The acrostic needs exactly {form.num_lines} characters, one per line, but got {len(acrostic)}.",
                f"藏头字需要{form.num_lines}个（每句一个），实际为{len(acrostic)}个。",
            )
        wrong = [ch for ch in acrostic if not is_cjk(ch)]
        if wrong:
            raise UserError(
                f"The acrostic must be Chinese characters, but '{''.join(wrong)}' is not.",
                f"藏头字必须是汉字，“{''.join(wrong)}”不是。",
            )
        unknown = [ch for ch in acrostic if known is not None and ch not in known]
        if unknown:
            raise UserError(
                f"The model cannot write '{''.join(unknown)}'; please choose other acrostic characters.",
                f"模型的字表中没有“{''.join(unknown)}”，请换其他藏头字。",
            )
    lines = [_clean_line(line) for line in fixed_lines]
    if len(lines) >= form.num_lines:
        raise UserError(
            f"A {form.label_en} has {form.num_lines} lines, so at most {form.num_lines - 1} can be kept.",
            f"{form.label_zh}共{form.num_lines}句，最多保留{form.num_lines - 1}句。",
        )
    for number, line in enumerate(lines, start=1):
        if len(line) != form.chars_per_line or not all(is_cjk(ch) and (known is None or ch in known) for ch in line):
            raise UserError(
                f"Kept line {number} '{line}' must be {form.chars_per_line} Chinese characters the model knows.",
                f"保留的第{number}句“{line}”必须是{form.chars_per_line}个模型字表中的汉字。",
            )
        if acrostic is not None and line[0] != acrostic[number - 1]:
            raise UserError(
                f"Kept line {number} starts with '{line[0]}' but the acrostic needs '{acrostic[number - 1]}'.",
                f"保留的第{number}句以“{line[0]}”开头，但藏头字要求“{acrostic[number - 1]}”。",
            )
    return form, acrostic, lines


@dataclass(frozen=True)
class _RowState:
    line: int  # 0-based line being written
    position: int  # characters already in that line
    rhyme_group: str | None  # set by the first even line's last character
    starts_level: bool | None  # 平起 (True) or 仄起 (False), set by line 1's second character


class ChinesePoemLogitsProcessor(LogitsProcessor):
    """Masks logits so that `model.generate` can only write a poem of the given Chinese form.

    Inside a line only single-CJK-character tokens survive; each line ends with "，" (odd lines) or "。" (even
    lines); with `acrostic` line i starts with its i-th character. With `strict_rhyme` the first even line ends in a
    level-tone (平) character of a rhyme group with enough members in the vocab, and every later even line ends in a
    level-tone character of that group. With `enforce_tone` characters 2/4/6 follow the 平起/仄起 pattern set by
    line 1's second character, and even lines end level. `fixed_lines` are lines already in the prompt (regenerate
    from line N): generation continues after them and takes its rhyme and tone pattern from them. Once the poem is
    complete only `eos_token_id` may follow (if there is none, logits after the poem are left alone).

    State is recomputed from each row's generated ids, so batches and `num_return_sequences` just work. A
    constraint that would leave no token (say a kept line rhymes in a group the vocab barely covers) is dropped
    for that step, tone before rhyme, so a row never ends up all -inf; if earlier processors already set every
    allowed token to -inf, the allowed tokens are reset to 0 (uniform) for the same reason.
    """

    def __init__(
        self,
        tokenizer,
        form_key: str,
        prompt_length: int,
        acrostic: str | None = None,
        strict_rhyme: bool = True,
        enforce_tone: bool = False,
        fixed_lines: Sequence[str] = (),
        eos_token_id: int | None = None,
        rhyme_book: str | RhymeBook | None = None,
    ):
        self.form, self.acrostic, self.fixed_lines = validate_poem_request(tokenizer, form_key, acrostic, fixed_lines)
        self.book = get_rhyme_book(rhyme_book)
        self.index = vocab_index(tokenizer, self.book)
        missing = [mark for mark in (COMMA, PERIOD) if mark not in self.index.ids_of]
        if missing:
            raise ValueError(f"The tokenizer needs single tokens for '，' and '。' but lacks {missing}.")
        self.prompt_length = prompt_length
        self.strict_rhyme = strict_rhyme
        self.enforce_tone = enforce_tone
        if eos_token_id is None:
            eos_token_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
        self.eos_token_id = eos_token_id
        self._masks: dict[tuple, torch.Tensor] = {}
        self._combined_masks: dict[tuple, torch.Tensor] = {}
        self._blocked: dict[int, dict[tuple, torch.Tensor]] = {}  # scores width -> key tuple -> tokens to mask

    def _state(self, generated: list[int]) -> _RowState:
        cpl = self.form.chars_per_line
        lines = [*self.fixed_lines, ""]
        for token_id in generated:
            ch = self.index.char_of.get(token_id)
            if ch in (COMMA, PERIOD):
                lines.append("")
            elif ch is not None:
                lines[-1] += ch
        group = self.book.group(lines[1][-1]) if len(lines) > 1 and len(lines[1]) == cpl else None
        if len(lines) > 1 or len(lines[0]) >= 2:
            starts_level = prosody_starts_level(lines, self.book)
        else:
            starts_level = None
        return _RowState(len(lines) - 1, len(lines[-1]), group, starts_level)

    def _constraints(self, state: _RowState) -> list[tuple]:
        """Mask keys for the next token, most important first."""
        number, position = state.line + 1, state.position + 1  # 1-based line and character position
        keys: list[tuple] = [("cjk",)]
        if self.acrostic and position == 1:
            keys.append(("chars", self.acrostic[state.line]))
        line_end = position == self.form.chars_per_line and number % 2 == 0
        if line_end and self.strict_rhyme:
            keys.append(("rhyme", state.rhyme_group))
        if self.enforce_tone:
            if line_end:
                keys.append(("tone", LEVEL))
            elif position == self.form.chars_per_line:  # odd lines end oblique (line 1 could rhyme instead)
                keys.append(("tone", OBLIQUE))
            elif number == 1 and position == 2:
                keys.append(("tone", None))  # line 1's second character sets the pattern, so it needs a known tone
            elif state.starts_level is not None and pattern_tone(number, position, state.starts_level):
                keys.append(("tone", pattern_tone(number, position, state.starts_level)))
        return keys

    def _mask(self, key: tuple) -> torch.Tensor:
        if key not in self._masks:
            index, kind, arg = self.index, key[0], key[1] if len(key) > 1 else None
            if kind == "cjk":
                mask = index.cjk
            elif kind == "chars":
                mask = index.mask_of(arg)
            elif kind == "rhyme":
                mask = index.rhyme_openers if arg is None else index.group_level[arg]
                if arg is not None and not mask.any():
                    mask = index.group_any[arg]
            elif kind == "tone":
                mask = index.level if arg == LEVEL else index.oblique if arg == OBLIQUE else index.known
            self._masks[key] = mask
        return self._masks[key]

    def _next_keys(self, generated: list[int]) -> tuple:
        """The mask keys for the token after `generated`; () once the poem is complete."""
        state = self._state(generated)
        if state.line >= self.form.num_lines:
            return ()
        if state.position == self.form.chars_per_line:
            return (("chars", PERIOD if state.line % 2 else COMMA),)
        return tuple(self._constraints(state))

    def _combined(self, keys: tuple) -> torch.Tensor:
        """Intersect the masks in priority order, skipping any that would leave nothing (cached per key tuple)."""
        if keys not in self._combined_masks:
            if not keys:
                allowed = torch.zeros(self.index.size, dtype=torch.bool)
                if self.eos_token_id is not None:
                    allowed[self.eos_token_id] = True
            else:
                allowed = self._mask(keys[0])
                for key in keys[1:]:
                    narrowed = allowed & self._mask(key)
                    if narrowed.any():
                        allowed = narrowed
            self._combined_masks[keys] = allowed
        return self._combined_masks[keys]

    def allowed_tokens(self, generated: Sequence[int]) -> torch.Tensor:
        """Boolean mask over the tokenizer's vocab of what may follow `generated` (the ids after the prompt)."""
        return self._combined(self._next_keys(list(generated)))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        width = scores.shape[-1]
        blocked_by_keys = self._blocked.setdefault(width, {})
        rows = []
        for ids in input_ids[:, self.prompt_length :].tolist():
            keys = self._next_keys(ids)
            if keys not in blocked_by_keys:
                allowed = self._combined(keys)
                if not allowed.any():  # a complete poem and no EOS token to force: leave the row to the model
                    allowed = torch.ones_like(allowed)
                # Columns past len(tokenizer) (models often pad the embedding matrix) are never allowed.
                blocked = torch.ones(width, dtype=torch.bool)
                blocked[: min(width, allowed.shape[0])] = ~allowed[:width]
                blocked_by_keys[keys] = blocked.to(scores.device)
            rows.append(blocked_by_keys[keys])
        blocked = torch.stack(rows)
        scores.masked_fill_(blocked, float("-inf"))
        dead = torch.isinf(scores.amax(dim=1))
        if dead.any():  # earlier processors removed every allowed token: sample uniformly among them instead
            scores[dead] = torch.zeros_like(scores[dead]).masked_fill_(blocked[dead], float("-inf"))
        return scores


class ThemeCharsBias(LogitsProcessor):
    """Adds `bonus` to the logits of the theme's characters that a row has not written yet.

    uer/gpt2-chinese-poem is not an instruction model: besides seeing the theme in its prompt, this nudges the poem to
    use the user's keywords. It runs before ChinesePoemLogitsProcessor, so it never breaks the form.
    """

    def __init__(self, tokenizer, theme: str, prompt_length: int, bonus: float = 2.0):
        index = vocab_index(tokenizer)
        self.ids = [index.ids_of[ch] for ch in dict.fromkeys(theme) if is_cjk(ch) and ch in index.ids_of]
        self.prompt_length = prompt_length
        self.bonus = bonus

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row, generated in enumerate(input_ids[:, self.prompt_length :].tolist()):
            used = set(generated)
            columns = [i for ids in self.ids if used.isdisjoint(ids) for i in ids if i < scores.shape[-1]]
            if columns:
                scores[row, columns] += self.bonus
        return scores
