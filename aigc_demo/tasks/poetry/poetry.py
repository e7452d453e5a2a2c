"""Poetry: a theme, keywords or a first line in; poems in a classical Chinese or an English form out, each checked.

The form is guaranteed while decoding (logits processors in chinese_decoding.py and english_decoding.py),
never by sampling many poems and keeping the good ones. Those modules import torch, so they load on first use.
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import LoadedModel, ModelManager
from aigc_demo.tasks.common.evaluation import score_candidates
from aigc_demo.tasks.common.language import is_cjk
from aigc_demo.tasks.common.validation import check_choice, check_number, check_text
from aigc_demo.tasks.poetry.base_prompts import chinese_opening, english_opening
from aigc_demo.tasks.poetry.chinese_check import check_poem, guess_form, split_lines
from aigc_demo.tasks.poetry.english_check import check_english_poem
from aigc_demo.tasks.poetry.forms import FORMS, Form, get_form
from aigc_demo.tasks.poetry.report import PoemReport
from aigc_demo.tasks.poetry.request import PoemRequest, default_model  # noqa: F401 - callers take both from here
from aigc_demo.tasks.poetry.rhyme_books import DEFAULT_RHYME_BOOK, RHYME_BOOKS

MAX_POEM_CHARS = 2000  # a pasted poem: a 律诗 is 64 characters, a long free verse a few hundred
MAX_THEME_CHARS = 32  # Chinese characters of the theme shown to the classical-poem model
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
    stand_in_for: str = ""  # the model asked for, when a packaged real model answered instead (no Hub)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)
    evaluation: dict | None = None  # the finished poems' metrics (tasks.common.evaluation.score_candidates)


@dataclass
class _Plan:
    """How to decode one request: prompt ids, logits processors, token budget, and ids -> poem text."""

    inputs: dict
    processors: list
    max_new_tokens: int
    decode: Callable[[list[int]], str]
    warnings: list[tuple[str, str]] = field(default_factory=list)


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


def write_poem_stream(manager: ModelManager, req: PoemRequest) -> Iterator[PoemResult]:
    """Stream `req.num_candidates` poems in `req.form` about `req.prompt`; the last update carries one form check per
    poem. The form, the acrostic and the kept lines are guaranteed while decoding; temperature 0 is greedy."""
    req = req.validated()
    form = get_form(req.form)
    warnings: list[tuple[str, str]] = []
    if req.temperature == 0 and req.num_candidates > 1:
        warnings.append(
            (
                "Temperature 0 always picks the likeliest word, so there is only one poem to show.",
                "温度为 0 时总是选最可能的字词，只有一首诗可显示。",
            )
        )
    if get_spec(req.model).is_served:
        yield from _served(req, form, warnings)
        return
    yield from _local(manager, req, form, warnings)


def _local(manager: ModelManager, req: PoemRequest, form: Form, warnings: list) -> Iterator[PoemResult]:
    """Poems from a model loaded here: `model.generate` with the form's logits processor, streamed."""
    import torch
    from transformers import LogitsProcessorList

    from aigc_demo.tasks.common.streaming import stream_generate

    kwargs: dict = {"do_sample": False, "num_return_sequences": 1}
    if req.temperature > 0:
        kwargs = {"do_sample": True, "temperature": req.temperature, "top_k": req.top_k, "top_p": req.top_p}
        kwargs["num_return_sequences"] = req.num_candidates
    key = manager.answering(req.model, "poetry", form.language)
    with manager.use(key) as lm:
        plan = _chinese_plan(lm, req, form) if form.language == "zh" else _english_plan(lm, req, form)
        tok = lm.tokenizer
        kwargs["logits_processor"] = LogitsProcessorList(plan.processors)
        kwargs["max_new_tokens"] = plan.max_new_tokens
        kwargs["pad_token_id"] = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        inputs = {k: v.to(lm.device) for k, v in plan.inputs.items()}
        about = dict(seed=req.seed, is_twin=lm.is_twin, model=key, form=form.key, warnings=warnings + plan.warnings)
        about["stand_in_for"] = req.model if key != req.model else ""
        poems = [""] * kwargs["num_return_sequences"]
        torch.manual_seed(req.seed)
        with contextlib.closing(stream_generate(lm.model, inputs, **kwargs)) as steps:
            for rows in steps:
                poems = [plan.decode(row) for row in rows]
                yield PoemResult(poems, [], done=False, **about)
        evaluation = score_candidates(poems, lm, language=form.language)  # with the model that wrote them
    reports = [check(poem, form.key, req.acrostic, req.rhyme_book) for poem in poems]
    yield PoemResult(poems, reports, evaluation=evaluation, **about)


def line_rules_for(form: Form, strict_rhyme: bool, enforce_tone: bool) -> tuple[str, ...]:
    from aigc_demo.tasks.poetry.engine import line_rules

    return line_rules(form, strict_rhyme, enforce_tone)


def _served(req: PoemRequest, form: Form, warnings: list) -> Iterator[PoemResult]:
    """Poems from the serving engine `req.model`: its grammar and line-by-line checks keep the form (poetry/engine.py)."""
    from aigc_demo.tasks.common.engine import EngineParams
    from aigc_demo.tasks.poetry.engine import served_poem

    spec = get_spec(req.model)
    about = dict(seed=req.seed, is_twin=False, model=req.model, form=form.key, warnings=warnings)
    params = EngineParams(max_new_tokens=0, temperature=req.temperature, top_k=req.top_k, top_p=req.top_p)
    rules = line_rules_for(form, req.strict_rhyme, req.enforce_tone)
    poems: list[str] = []
    reports: list[PoemReport] = []
    lines = list(req.fixed_lines)
    for c in range(1 if req.temperature == 0 else req.num_candidates):  # one after another, each with its own seed
        checker = lambda text: check(text, form.key, req.acrostic, req.rhyme_book)  # noqa: E731
        for poem, report in served_poem(
            spec, form, req.prompt, req.acrostic, lines, params, req.seed + c, checker, rules, req.rhyme_book
        ):
            if report is None:
                yield PoemResult([*poems, poem], [], done=False, **about)
            else:
                poems.append(poem)
                reports.append(report)
    yield PoemResult(poems, reports, **about)


def _chinese_plan(lm: LoadedModel, req: PoemRequest, form: Form) -> _Plan:
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
    prompt, acrostic, fixed_lines = req.prompt, req.acrostic, list(req.fixed_lines)
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
    elif lm.spec.tokenizer_class == "BertTokenizer":
        # uer/gpt2-chinese-poem continues "[CLS]" + spaced poem characters and knows no instructions: the theme goes
        # in as a short text before the poem, and ThemeCharsBias makes its characters likelier in the poem.
        prefix = f"[CLS]{' '.join(theme)}[SEP][CLS]" if theme else "[CLS]"
        inputs = dict(tok(build_prompt(fixed_lines, prefix), add_special_tokens=False, return_tensors="pt"))
    else:
        # A pre-trained model that reads plain text (Gemma 3): a title line as poems are printed, then the poem.
        inputs = dict(tok(chinese_opening(form, theme, acrostic, fixed_lines), return_tensors="pt"))
    length = int(inputs["input_ids"].shape[1])
    processors = [ThemeCharsBias(tok, theme, length)] if theme and lm.spec.kind != "instruct" else []
    processors.append(
        ChinesePoemLogitsProcessor(
            tok,
            form.key,
            prompt_length=length,
            acrostic=acrostic or None,
            strict_rhyme=req.strict_rhyme,
            enforce_tone=req.enforce_tone,
            fixed_lines=fixed_lines,
            rhyme_book=req.rhyme_book,
        )
    )
    decode = lambda row: decode_poem(tok, row, 0, fixed_lines)
    return _Plan(inputs, processors, max_new_tokens_for(form, fixed_lines), decode, warnings)


def _english_plan(lm: LoadedModel, req: PoemRequest, form: Form) -> _Plan:
    """Decoding an English form: the instruct model's chat prompt, kept lines after it, the form processor."""
    from aigc_demo.tasks.poetry.english_decoding import EnglishFormLogitsProcessor

    tok, prompt, acrostic, fixed_lines = lm.tokenizer, req.prompt, req.acrostic, list(req.fixed_lines)
    shape = {
        "haiku": "a haiku: three lines of 5, 7 and 5 syllables",
        "english-quatrain": "a rhyming quatrain: four lines, rhymed ABAB",
        "english-free": "a short free-verse poem",
    }[form.key]
    head = f" The first letters of the lines spell {acrostic}." if acrostic else ""
    kept = "".join(line + "\n" for line in fixed_lines)
    if lm.spec.kind == "instruct":
        ask = f"Write {shape} about: {prompt}.{head} Reply with the poem only, one line per line, no title."
        text = tok.apply_chat_template([{"role": "user", "content": ask}], add_generation_prompt=True, tokenize=False)
        inputs = dict(tok(text + kept, add_special_tokens=False, return_tensors="pt"))
    else:  # a pre-trained model continues text: an example poem, then the user's subject
        inputs = dict(tok(english_opening(form, prompt, acrostic, fixed_lines), return_tensors="pt"))
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


def write_poem(manager: ModelManager, req: PoemRequest) -> PoemResult:
    """`write_poem_stream`'s final result: the poems and their form checks."""
    with contextlib.closing(write_poem_stream(manager, req)) as updates:
        return deque(updates, maxlen=1)[0]
