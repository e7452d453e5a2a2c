"""Poems from a serving engine, with the form still guaranteed: what a grammar can say, the engine's grammar says;
what it cannot (rhyme, tones, syllables), each line is checked as it arrives and asked for again until it holds.

- Grammar: line count, characters or words per line, line-end marks and the acrostic go to the engine as a GBNF
  grammar in llama.cpp's `grammar` field (poetry/grammar.py). An engine that refuses the field is asked again without
  it, and the line checks below catch what it then gets wrong.
- Line by line: for forms with rhyme (the quatrain, Chinese forms with "strict rhyme"), tones ("follow the tone
  pattern") or syllables (haiku), each line is one request with a one-line grammar; the poem checker judges the
  poem so far, and a line that breaks a rule is asked for again with another seed, up to MAX_LINE_TRIES times.
The poem's report gets a note saying which rules were enforced and how, and how many tries each line took.
No torch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from aigc_demo.catalog import ModelSpec
from aigc_demo.tasks.common.engine import EngineParams, stream_from_engine
from aigc_demo.tasks.poetry.forms import Form
from aigc_demo.tasks.poetry.grammar import line_count, line_grammar, poem_grammar, rhyme_targets
from aigc_demo.tasks.poetry.report import Check, PoemReport

MAX_LINE_TRIES = 4  # requests per line before the best of them is kept (and the report says the rule was not met)
GRAMMAR_RULES = ("line_count", "length", "characters", "punctuation", "acrostic")  # what the grammar enforces


def line_rules(form: Form, strict_rhyme: bool, enforce_tone: bool) -> tuple[str, ...]:
    """The per-line rules that need line-by-line generation (a grammar cannot say them); empty = one request."""
    if form.language == "zh":
        return ("rhyme",) * strict_rhyme + ("tone",) * enforce_tone
    return {"english-quatrain": ("rhyme",), "haiku": ("syllables",)}.get(form.key, ())


def ask(form: Form, prompt: str, acrostic: str, kind: str = "instruct") -> str:
    """What the engine reads: an instruction for a chat model (as the local instruct model's), a title for a
    pre-trained one, which continues it with the poem."""
    if kind == "base":
        return f"{form.label_zh}·{prompt}\n\n" if form.language == "zh" else f"{form.label_en}: {prompt}\n\n"
    if form.language == "zh":
        head = f"，每句以“{'、'.join(acrostic)}”开头（藏头诗）" if acrostic else ""
        return f"写一首{form.label_zh}，主题：{prompt}{head}。只写诗，不要标题。每句一行。"
    shape = {
        "haiku": "a haiku: three lines of 5, 7 and 5 syllables",
        "english-quatrain": "a rhyming quatrain: four lines, rhymed ABAB",
    }.get(form.key, "a short free-verse poem")
    head = f" The first letters of the lines spell {acrostic}." if acrostic else ""
    return f"Write {shape} about: {prompt}.{head} Reply with the poem only, one line per line, no title."


def served_poem(
    spec: ModelSpec,
    form: Form,
    prompt: str,
    acrostic: str,
    fixed_lines: Sequence[str],
    sampling: EngineParams,
    seed: int,
    check,
    rules: tuple[str, ...],
    rhyme_book: str = "pingshui",
) -> Iterator[tuple[str, PoemReport | None]]:
    """Yield (poem so far, None) while it is written, then (poem, report with the enforcement note).

    `check(text) -> PoemReport` is the form checker with the request's acrostic and rhyme book.
    """
    if not rules:
        poem, refused = "", False
        grammar = poem_grammar(form, acrostic, list(fixed_lines))
        params = _params(sampling, line_count(form, acrostic) * ((form.chars_per_line or form.max_words * 2) + 2))
        request = ask(form, prompt, acrostic, spec.kind)
        for state in stream_from_engine(spec, request, "", params, seed, extra={"grammar": grammar}):
            poem, refused = _tidy(state.texts[0], form), "grammar" in state.not_applied
            yield poem, None
        report = check(poem)
        report.notes.append(_grammar_note(refused, rhyme=False))
        yield poem, report
        return
    yield from _line_by_line(spec, form, prompt, acrostic, fixed_lines, sampling, seed, check, rules, rhyme_book)


def _line_by_line(spec, form, prompt, acrostic, fixed_lines, sampling, seed, check, rules, rhyme_book):
    lines, tries, refused = list(fixed_lines), [], False
    n = line_count(form, acrostic)
    base = ask(form, prompt, acrostic, spec.kind)
    for index in range(len(lines), n):
        head = acrostic[index] if index < len(acrostic) else ""
        best, best_failures = "", None
        for attempt in range(MAX_LINE_TRIES):
            request = _next_line_request(spec.kind, base, lines, index, n)
            last = rhyme_targets(form, lines, index, rhyme_book) if "rhyme" in rules else []
            grammar = line_grammar(form, index, head, last)
            params = _params(sampling, (form.chars_per_line or form.max_words * 2) + 4)
            text = ""
            for state in stream_from_engine(
                spec, request, "", params, seed + 1000 * index + attempt, extra={"grammar": grammar}
            ):
                text = _tidy(state.texts[0], form).split("\n")[0] if state.texts[0].strip() else ""
                refused = refused or "grammar" in state.not_applied
                yield "\n".join([*lines, text]), None
            failures = _line_failures(check("\n".join([*lines, text])), index + 1, rules)
            if best_failures is None or len(failures) < len(best_failures):
                best, best_failures = text, failures
            if not failures:
                break
        lines.append(best)
        tries.append((index + 1, attempt + 1, not best_failures))
    poem = "\n".join(lines)
    report = check(poem)
    report.notes.append(_grammar_note(refused, rhyme="rhyme" in rules))
    report.notes.append(_line_note(rules, tries))
    yield poem, report


def _next_line_request(kind: str, base: str, lines: list[str], index: int, n: int) -> str:
    """A pre-trained model continues the poem so far; a chat model is asked for the next line."""
    if kind == "base":
        return base + "".join(line + "\n" for line in lines)
    so_far = "\n".join(lines)
    return (
        f"{base}\n\n" + (f"The poem so far:\n{so_far}\n\n" if lines else "") + f"Write line {index + 1} of {n} only."
    )


def _params(sampling: EngineParams, max_new_tokens: int) -> EngineParams:
    return EngineParams(**{**sampling.__dict__, "max_new_tokens": max_new_tokens, "num_candidates": 1})


def _tidy(text: str, form: Form) -> str:
    """The poem's lines, stripped; a Chinese poem's lines as the checker reads them."""
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _line_failures(report: PoemReport, number: int, rules: tuple[str, ...]) -> list[Check]:
    """The failed checks of line `number` among the grammar's rules and `rules` (tones count even as advice)."""
    wanted = set(GRAMMAR_RULES) | set(rules)
    return [c for c in report.checks if c.line == number and c.ok is False and c.name in wanted]


def _grammar_note(refused: bool, rhyme: bool) -> Check:
    if refused:
        return Check(
            "enforcement",
            None,
            "The serving engine does not take grammars: line count, length and acrostic were checked after "
            "writing, not enforced.",
            "服务引擎不支持语法约束：句数、字数与藏头只在写完后检查，未在生成时强制。",
            required=False,
        )
    en = "Line count, line length and acrostic: enforced by the serving engine's grammar (GBNF)"
    zh = "句数、每句长度与藏头：由服务引擎的语法（GBNF）在生成时强制"
    if rhyme:
        en += "; so is the rhyme of each rhyming line after the first, whose last word the grammar restricts"
        zh += "；首个韵脚之后，各韵句的末字也由语法限定在同一韵部"
    return Check("enforcement", True, en + ".", zh + "。", required=False)


def _line_note(rules: tuple[str, ...], tries: list[tuple[int, int, bool]]) -> Check:
    names = {"rhyme": ("rhyme", "押韵"), "tone": ("tones", "平仄"), "syllables": ("syllables", "音节")}
    en = " and ".join(names[r][0] for r in rules)
    zh = "与".join(names[r][1] for r in rules)
    retried = [(line, n) for line, n, _ in tries if n > 1]
    missed = [line for line, _, ok in tries if not ok]
    detail_en = ", ".join(f"line {line}: {n} tries" for line, n in retried) or "every line held at the first try"
    detail_zh = "，".join(f"第 {line} 句试了 {n} 次" for line, n in retried) or "每句一次即合格"
    miss_en = f"; not met after {MAX_LINE_TRIES} tries on line(s) {', '.join(map(str, missed))}" if missed else ""
    miss_zh = f"；第 {'、'.join(map(str, missed))} 句试了 {MAX_LINE_TRIES} 次仍未满足" if missed else ""
    return Check(
        "enforcement",
        not missed,
        f"{en.capitalize()}: each line written alone, checked, and asked for again when it broke a rule (at most "
        f"{MAX_LINE_TRIES} tries; {detail_en}{miss_en}).",
        f"{zh}：逐句生成并检查，不合格即重写（每句最多 {MAX_LINE_TRIES} 次；{detail_zh}{miss_zh}）。",
        required=False,
    )
