"""Poetry: a theme, keywords or a first line in; poems in a classical Chinese or an English form out, each checked.

The form is guaranteed while decoding (logits processors in poetry_constraints.py and poetry_english_decoding.py),
never by sampling many poems and keeping the good ones. Those modules import torch, so they load on first use.
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from aigc_demo import settings
from aigc_demo.catalog import get_spec, models_for
from aigc_demo.errors import UserError
from aigc_demo.manager import LoadedModel, ModelManager
from aigc_demo.tasks.common.language import is_cjk
from aigc_demo.tasks.common.safe_mode import check_prompt
from aigc_demo.tasks.common.validation import check_bool, check_choice, check_number, check_text, resolve_seed
from aigc_demo.tasks.poetry.chinese_check import check_poem, guess_form, split_lines
from aigc_demo.tasks.poetry.english_check import check_english_poem, validate_english_request
from aigc_demo.tasks.poetry.forms import FORMS, Form, get_form
from aigc_demo.tasks.poetry.report import PoemReport
from aigc_demo.tasks.poetry.rhyme_books import DEFAULT_RHYME_BOOK, RHYME_BOOKS, get_rhyme_book

MAX_PROMPT_CHARS = 200  # a theme, keywords or a first line
MAX_POEM_CHARS = 2000  # a pasted poem: a 律诗 is 64 characters, a long free verse a few hundred
MAX_THEME_CHARS = 32  # Chinese characters of the theme shown to the classical-poem model
DEFAULT_MODELS = {"zh": "gpt2-chinese-poem", "en": "qwen2.5-0.5b-instruct"}  # per form language
ENGLISH_LINE_TOKENS = 24  # decoding ends an English line after this many tokens
FREE_VERSE_LINES = 8  # token budget of free verse without an acrostic, in lines


@dataclass
class PoemResult:
    """The candidates of one request; `reports` (one form check per poem) arrive with the final update."""

    poems: list[str]
    reports: list[PoemReport]
    seed: int
    is_twin: bool
    model: str = ""
    form: str = ""
    done: bool = True
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)


@dataclass
class _Plan:
    """How to decode one request: prompt ids, logits processors, token budget, and ids -> poem text."""

    inputs: dict
    processors: list
    max_new_tokens: int
    decode: Callable[[list[int]], str]
    warnings: list[tuple[str, str]] = field(default_factory=list)


def default_model(form_key: str) -> str:
    """The catalogue model that writes `form_key` poems when the user picks none."""
    return DEFAULT_MODELS[get_form(form_key).language]


def check(text: str, form_key: str, acrostic: str | None = None, rhyme_book: str | None = None) -> PoemReport:
    """The form checker for any registered form; Chinese forms judge rhyme and tones by `rhyme_book`."""
    form = get_form(form_key)
    if form.language == "zh":
        return check_poem(text, form_key, "".join((acrostic or "").split()) or None, rhyme_book)
    return check_english_poem(text, form_key, acrostic)


def check_pasted(poem: str, form: str = "auto", rhyme_book: str = DEFAULT_RHYME_BOOK) -> PoemReport:
    """The checker for a poem anyone pastes: `form` "auto" guesses it (Chinese by line shape, English by line count)."""
    text = check_text("poem", poem, max_chars=MAX_POEM_CHARS)
    form_key = check_choice("form", form, ("auto", *FORMS))
    book = check_choice("rhyme_book", rhyme_book, tuple(RHYME_BOOKS))
    if form_key == "auto":
        form_key = guess_form(text) if any(is_cjk(ch) for ch in text) else _guess_english_form(text)
    return check(text, form_key, rhyme_book=book)


def _guess_english_form(text: str) -> str:
    count = len([line for line in text.splitlines() if line.strip()])
    return {3: "haiku", 4: "english-quatrain"}.get(count, "english-free")


def poem_lines(text: str, form_key: str) -> list[str]:
    """The lines of a poem as written, without their line-end marks (Chinese) or surrounding spaces (English)."""
    if get_form(form_key).language == "zh":
        return [line.text for line in split_lines(text)]
    return [line.strip() for line in text.splitlines() if line.strip()]


def lines_before(poem: str, form_key: str, line_number) -> list[str]:
    """The lines that "regenerate from line `line_number`" keeps: those before it (line numbers count from 1)."""
    lines = poem_lines(poem or "", form_key)
    if not lines:
        raise UserError(
            "Write a poem first, then choose the line to regenerate from.", "请先写一首诗，再选择从第几行重新生成。"
        )
    try:
        number = check_number("line", line_number, 1, len(lines), integer=True)
    except UserError:
        raise UserError(
            f"Choose a line from 1 to {len(lines)} to regenerate from, not {line_number!r}.",
            f"请选择从第 1 到第 {len(lines)} 行之间的一行重新生成，而不是 {line_number!r}。",
        ) from None
    return lines[: number - 1]


def _check_model(model: str, form: Form) -> str:
    key = model or DEFAULT_MODELS[form.language]
    spec = get_spec(key)
    poets = ", ".join(s.key for s in models_for("poetry"))
    if "poetry" not in spec.tasks:
        raise UserError(
            f"{key} does not write poems; choose one of: {poets} (or leave the model empty).",
            f"{key} 不能写诗；可选：{poets}（或不选模型）。",
        )
    if form.language not in spec.languages:
        raise UserError(
            f"{key} cannot write {'Chinese' if form.language == 'zh' else 'English'} poems; "
            f"choose {DEFAULT_MODELS[form.language]} or leave the model empty.",
            f"{key} 不能写{'中文' if form.language == 'zh' else '英文'}诗；请选择 {DEFAULT_MODELS[form.language]} 或不选模型。",
        )
    return key


def write_poem_stream(
    manager: ModelManager,
    prompt: str,
    form: str,
    acrostic: str = "",
    model: str = "",
    temperature: float = 1.0,
    top_k: int = 50,
    top_p: float = 0.95,
    seed: int = 0,
    *,
    strict_rhyme: bool = True,
    enforce_tone: bool = False,
    num_candidates: int = 1,
    fixed_lines: Sequence[str] = (),
    rhyme_book: str = DEFAULT_RHYME_BOOK,
) -> Iterator[PoemResult]:
    """Stream `num_candidates` poems in `form` about `prompt`; the last update carries one form check per poem.

    `acrostic` puts one character (Chinese) or letter (English) at the head of each line. `fixed_lines` are kept
    as the poem's first lines ("regenerate from line N"). Chinese forms: `strict_rhyme` makes the even lines rhyme
    while decoding, `enforce_tone` makes characters 2/4/6 follow the 平仄 pattern, both by `rhyme_book` ("pingshui"
    or "xinyun"), which the final check uses too. Temperature 0 is greedy.
    """
    import torch

    prompt = check_text("prompt", prompt, max_chars=MAX_PROMPT_CHARS)
    poem_form = get_form(form)
    if acrostic is not None and not isinstance(acrostic, str):
        raise UserError(f"`acrostic` must be text, but got {type(acrostic).__name__}.", "“藏头”必须是文本。")
    check_prompt(f"{prompt}\n{acrostic or ''}", "text")  # safe mode: refused before any model loads
    fixed_lines = [str(line) for line in fixed_lines or ()]
    if poem_form.language == "zh":
        from aigc_demo.tasks.poetry.chinese_decoding import validate_poem_request

        _, clean_acrostic, fixed_lines = validate_poem_request(None, form, acrostic, fixed_lines)
        clean_acrostic = clean_acrostic or ""
    else:
        _, clean_acrostic = validate_english_request(form, acrostic)
    key = _check_model(model, poem_form)
    temperature = check_number("temperature", temperature, 0, settings.MAX_TEMPERATURE)
    top_k = check_number("top_k", top_k, 0, settings.MAX_TOP_K, integer=True)
    top_p = check_number("top_p", top_p, 0.01, 1.0)
    num_candidates = check_number("num_candidates", num_candidates, 1, settings.MAX_CANDIDATES, integer=True)
    seed = resolve_seed(seed)
    strict_rhyme = check_bool("strict_rhyme", strict_rhyme)  # "no" or 0 must not quietly mean a rhyme rule
    enforce_tone = check_bool("enforce_tone", enforce_tone)
    book = get_rhyme_book(rhyme_book).key
    warnings: list[tuple[str, str]] = []
    kwargs: dict = {"do_sample": False, "num_return_sequences": 1}
    if temperature > 0:
        kwargs = {"do_sample": True, "temperature": temperature, "top_k": top_k, "top_p": top_p}
        kwargs["num_return_sequences"] = num_candidates
    elif num_candidates > 1:
        warnings.append(
            (
                "Temperature 0 always picks the likeliest word, so there is only one poem to show.",
                "温度为 0 时总是选最可能的字词，只有一首诗可显示。",
            )
        )
    with manager.use(key) as lm:
        if poem_form.language == "zh":
            plan = _chinese_plan(lm, prompt, poem_form, clean_acrostic, fixed_lines, strict_rhyme, enforce_tone, book)
        else:
            plan = _english_plan(lm, prompt, poem_form, clean_acrostic, fixed_lines)
        from transformers import LogitsProcessorList

        from aigc_demo.tasks.common.streaming import stream_generate

        tok = lm.tokenizer
        kwargs["logits_processor"] = LogitsProcessorList(plan.processors)
        kwargs["max_new_tokens"] = plan.max_new_tokens
        kwargs["pad_token_id"] = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        inputs = {k: v.to(lm.device) for k, v in plan.inputs.items()}
        about = dict(seed=seed, is_twin=lm.is_twin, model=key, form=form, warnings=warnings + plan.warnings)
        poems = [""] * kwargs["num_return_sequences"]
        torch.manual_seed(seed)
        with contextlib.closing(stream_generate(lm.model, inputs, **kwargs)) as steps:
            for rows in steps:
                poems = [plan.decode(row) for row in rows]
                yield PoemResult(poems, [], done=False, **about)
    yield PoemResult(poems, [check(poem, form, clean_acrostic, book) for poem in poems], **about)


def _chinese_plan(
    lm: LoadedModel, prompt, form: Form, acrostic, fixed_lines, strict_rhyme, enforce_tone, rhyme_book
) -> _Plan:
    """Decoding a Chinese form: the prompt as a first line or a theme, the form processor, exact token budget."""
    from aigc_demo.tasks.poetry.chinese_decoding import (
        ChinesePoemLogitsProcessor,
        ThemeCharsBias,
        build_prompt,
        decode_poem,
        max_new_tokens_for,
        vocab_index,
    )

    tok, warnings = lm.tokenizer, []
    known = vocab_index(tok).ids_of
    line = re.sub(r"[\s，。！？；,.!?;]", "", prompt)
    if (
        not fixed_lines
        and len(line) == form.chars_per_line
        and all(is_cjk(ch) and ch in known for ch in line)
        and (not acrostic or line[0] == acrostic[0])
    ):
        fixed_lines, theme = [line], ""  # the user wrote the first line
    else:
        theme = "".join(ch for ch in prompt if is_cjk(ch) and ch in known)[:MAX_THEME_CHARS]
        if not theme:
            warnings.append(
                (
                    "Chinese poems take a Chinese theme: the theme was ignored, so the poem is about anything.",
                    "中文诗需要中文主题：此主题无法使用，诗的内容不限。",
                )
            )
    if lm.spec.kind == "instruct":
        head = f"，每句以“{'、'.join(acrostic)}”开头（藏头诗）" if acrostic else ""
        ask = f"写一首{form.label_zh}，主题：{prompt}{head}。只写诗，不要标题。"
        body = "".join(f"{text}{'。' if i % 2 else '，'}" for i, text in enumerate(fixed_lines))
        text = tok.apply_chat_template([{"role": "user", "content": ask}], add_generation_prompt=True, tokenize=False)
        inputs = dict(tok(text + body, add_special_tokens=False, return_tensors="pt"))
    else:
        # uer/gpt2-chinese-poem continues "[CLS]" + spaced poem characters and knows no instructions: the theme goes
        # in as a short text before the poem, and ThemeCharsBias makes its characters likelier in the poem.
        prefix = f"[CLS]{' '.join(theme)}[SEP][CLS]" if theme else "[CLS]"
        inputs = dict(tok(build_prompt(fixed_lines, prefix), add_special_tokens=False, return_tensors="pt"))
    length = int(inputs["input_ids"].shape[1])
    processors = [ThemeCharsBias(tok, theme, length)] if theme and lm.spec.kind != "instruct" else []
    processors.append(
        ChinesePoemLogitsProcessor(
            tok,
            form.key,
            prompt_length=length,
            acrostic=acrostic or None,
            strict_rhyme=bool(strict_rhyme),
            enforce_tone=bool(enforce_tone),
            fixed_lines=fixed_lines,
            rhyme_book=rhyme_book,
        )
    )
    decode = lambda row: decode_poem(tok, row, 0, fixed_lines)
    return _Plan(inputs, processors, max_new_tokens_for(form, fixed_lines), decode, warnings)


def _english_plan(lm: LoadedModel, prompt, form: Form, acrostic, fixed_lines) -> _Plan:
    """Decoding an English form: the instruct model's chat prompt, kept lines after it, the form processor."""
    from aigc_demo.tasks.poetry.english_decoding import EnglishFormLogitsProcessor

    tok = lm.tokenizer
    shape = {
        "haiku": "a haiku: three lines of 5, 7 and 5 syllables",
        "english-quatrain": "a rhyming quatrain: four lines, rhymed ABAB",
        "english-free": "a short free-verse poem",
    }[form.key]
    head = f" The first letters of the lines spell {acrostic}." if acrostic else ""
    ask = f"Write {shape} about: {prompt}.{head} Reply with the poem only, one line per line, no title."
    text = tok.apply_chat_template([{"role": "user", "content": ask}], add_generation_prompt=True, tokenize=False)
    kept = "".join(line + "\n" for line in fixed_lines)
    inputs = dict(tok(text + kept, add_special_tokens=False, return_tensors="pt"))
    processor = EnglishFormLogitsProcessor(
        tok,
        form.key,
        acrostic or None,
        int(inputs["input_ids"].shape[1]),
        fixed_lines,
        eos_token_id=lm.model.generation_config.eos_token_id,
        max_line_tokens=ENGLISH_LINE_TOKENS,
    )
    lines = processor.line_count or FREE_VERSE_LINES
    budget = (lines - len(fixed_lines)) * (ENGLISH_LINE_TOKENS + 1) + 1

    def decode(row: list[int]) -> str:
        poem = kept + tok.decode(row, skip_special_tokens=True)
        return "\n".join(line.strip() for line in poem.splitlines() if line.strip())

    return _Plan(inputs, [processor], budget, decode)


def write_poem(
    manager: ModelManager,
    prompt: str,
    form: str,
    acrostic: str = "",
    model: str = "",
    temperature: float = 1.0,
    top_k: int = 50,
    top_p: float = 0.95,
    seed: int = 0,
    *,
    strict_rhyme: bool = True,
    enforce_tone: bool = False,
    num_candidates: int = 1,
    fixed_lines: Sequence[str] = (),
    rhyme_book: str = DEFAULT_RHYME_BOOK,
) -> PoemResult:
    """`write_poem_stream`'s final result: the poems and their form checks."""
    with contextlib.closing(
        write_poem_stream(
            manager,
            prompt,
            form,
            acrostic,
            model,
            temperature,
            top_k,
            top_p,
            seed,
            strict_rhyme=strict_rhyme,
            enforce_tone=enforce_tone,
            num_candidates=num_candidates,
            fixed_lines=fixed_lines,
            rhyme_book=rhyme_book,
        )
    ) as updates:
        return deque(updates, maxlen=1)[0]
