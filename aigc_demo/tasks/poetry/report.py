"""The one report shape of both poem checkers (Chinese and English), rendered as Markdown for the UI or as a dict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from aigc_demo.tasks.poetry.forms import FORMS

# Short names of the checks for the per-line summary ("length ✓ · rhyme ✗").
CHECK_NAMES = {
    "line_count": ("lines", "句数"),
    "length": ("length", "字数"),
    "characters": ("characters", "汉字"),
    "punctuation": ("punctuation", "标点"),
    "acrostic": ("acrostic", "藏头"),
    "rhyme": ("rhyme", "押韵"),
    "tone": ("tones", "平仄"),
    "syllables": ("syllables", "音节"),
}


def _zh(lang: str) -> bool:
    return lang.lower().startswith("zh")


@dataclass
class Check:
    """One rule applied to a line or a whole poem; `ok` is None when the rule could not be decided.

    Only `required` checks decide whether a poem passes; the others (Chinese tones) are advice.
    """

    name: str  # line_count, length, characters, punctuation, acrostic, rhyme, rhyme_scheme, tone, tone_pattern, ...
    ok: bool | None
    en: str
    zh: str
    line: int | None = None  # 1-based line the check is about; None for the whole poem
    required: bool = True

    def message(self, lang: str = "en") -> str:
        """The sentence in `lang` ("zh..." picks Chinese, anything else English)."""
        return self.zh if _zh(lang) else self.en


@dataclass
class LineCheck:
    """The checks of one line; `index` counts from 1. Chinese lines also carry their mark, tones and rhyme group."""

    index: int
    text: str
    checks: list[Check] = field(default_factory=list)
    punctuation: str = ""  # the mark that ended the line ("" if none)
    tones: str = ""  # 平/仄/? per character
    rhyme_group: str | None = None  # the rhyme book's group of the last character

    @property
    def ok(self) -> bool:
        """True unless a required check failed (undecided checks and advice do not fail a line)."""
        return all(check.ok is not False for check in self.checks if check.required)


@dataclass
class PoemReport:
    """Per-line checks plus poem-wide notes (line count, rhyme scheme, tone pattern)."""

    form: str  # form key
    lines: list[LineCheck]
    ok: bool
    notes: list[Check] = field(default_factory=list)
    rhyme_book: str = ""  # Chinese forms: the book rhyme and tones were judged by ("pingshui" or "xinyun")

    @property
    def checks(self) -> list[Check]:
        """Every check: the poem-wide notes, then each line's."""
        return self.notes + [check for line in self.lines for check in line.checks]

    def failures(self, required_only: bool = True) -> list[Check]:
        """The failed checks (only the required ones by default)."""
        return [c for c in self.checks if c.ok is False and (c.required or not required_only)]

    def summary(self, lang: str = "en") -> str:
        """One paragraph: the verdict, then each failed required check."""
        form = FORMS[self.form]
        if _zh(lang):
            head = f"符合{form.label_zh}的格律要求。" if self.ok else f"不完全符合{form.label_zh}的要求："
        elif self.ok:
            head = f"The poem follows the rules of a {form.name_en}."
        else:
            head = f"The poem breaks some rules of a {form.name_en}:"
        return " ".join([head] + [c.message(lang) for c in self.failures()])

    def verdict(self, lang: str = "en") -> str:
        """One line: the form, whether the poem follows it, how many rules it breaks, and by which rhyme book."""
        zh = _zh(lang)
        form = FORMS[self.form]
        broken = len(self.failures())
        book = {"pingshui": ("Pingshui rhyme", "平水韵"), "xinyun": ("中华新韵", "中华新韵")}.get(self.rhyme_book)
        if zh:
            head = f"**{form.label_zh}**：{'✓ 符合格律' if self.ok else f'✗ 有 {broken} 处不合格律'}"
            return head + (f"（按{book[1]}）" if book else "")
        title = form.label_en if form.language == "en" else f"{form.label_en} ({form.label_zh})"
        rules = "rule" if broken == 1 else "rules"
        head = f"**{title}**: {'✓ follows the form' if self.ok else f'✗ breaks the form ({broken} {rules})'}"
        return head + (f" (by {book[0]})" if book else "")

    def to_markdown(self, lang: str = "en", details: bool = False) -> str:
        """The form checker as the UI shows it: the verdict, the poem-wide notes, then every line with ✓/✗ per rule.

        Failed (and undecided) line checks get their full sentence; failed advice is marked as advice. With
        `details` everything after the verdict and the broken rules folds into an expander (<details>).
        """
        zh = _zh(lang)
        form = FORMS[self.form]
        out = [self.verdict(lang), ""]
        if details:
            out += [f"- ✗ {check.message(lang)}" for check in self.failures()]
            summary = "逐句检查" if zh else "Line by line"
            if form.language == "zh":  # the poem box shows a couplet (two 句) per row; the checker counts 句
                summary += "（每句为半联，一行两句）" if zh else " (a line is one 句, half a couplet: two to a row)"
            out += ["", f"<details><summary>{summary}</summary>", ""]
        out += [f"- {_mark(note.ok)} {note.message(lang)}" for note in self.notes]
        for line in self.lines:
            label = f"第 {line.index} {'句' if form.language == 'zh' else '行'}" if zh else f"Line {line.index}"
            out.append(f"- {_mark(line.ok)} {label}{'：' if zh else ': '}{line.text}{line.punctuation}")
            summary = " · ".join(
                f"{CHECK_NAMES.get(c.name, (c.name, c.name))[1 if zh else 0]} {_mark(c.ok)}" for c in line.checks
            )
            if summary:
                out.append(f"    - {summary}")
            out += [f"    - {_mark(c.ok)} {_sentence(c, lang)}" for c in line.checks if c.ok is not True]
        if details:
            out += ["", "</details>"]
        return "\n".join(out)

    def to_dict(self) -> dict:
        """Plain JSON-ready data (e.g. for a `gr.JSON` or an API response)."""
        return asdict(self)

    def to_api(self, lang: str = "en") -> dict:
        """The /check_poem answer: the verdict, failures and advice as sentences in `lang`, then each line."""

        def check(c: Check) -> dict:
            return {"name": c.name, "ok": c.ok, "required": c.required, "message": c.message(lang)}

        return {
            "form": self.form,
            "follows_form": self.ok,
            "rhyme_book": self.rhyme_book or None,
            "verdict": self.verdict(lang).replace("**", ""),
            "failures": [c.message(lang) for c in self.failures()],
            "advice": [c.message(lang) for c in self.failures(required_only=False) if not c.required],
            "notes": [check(c) for c in self.notes],
            "lines": [
                {
                    "number": line.index,
                    "text": line.text,
                    "punctuation": line.punctuation,
                    "tones": line.tones,
                    "rhyme_group": line.rhyme_group,
                    "ok": line.ok,
                    "checks": [check(c) for c in line.checks],
                }
                for line in self.lines
            ],
        }


def _mark(ok: bool | None) -> str:
    return "?" if ok is None else ("✓" if ok else "✗")


def _sentence(check: Check, lang: str) -> str:
    if check.required or check.ok is not False:
        return check.message(lang)
    return ("（仅供参考）" if _zh(lang) else "(advice only) ") + check.message(lang)
