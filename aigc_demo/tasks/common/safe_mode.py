"""Safe mode for prompts on every tab: a block list shipped as data, checked before any model runs.

The list lives in `aigc_demo/assets/safety/blocklist.txt` (its header explains the format); an operator replaces it with
AIGC_BLOCKLIST_FILE. It is a floor, not a filter anyone should rely on: it catches the plain words for what a public
demo should not make, in English and Chinese (simplified and traditional). Prompts are normalised first (NFKC, so
full-width letters match; format characters such as zero-width spaces removed), so the plainest evasions fail too.

Only prompts are checked: people put these very words in negative prompts to steer away from them, and a news article
about a war is not a request for gore.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aigc_demo import settings
from aigc_demo.errors import UserError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "assets" / "safety" / "blocklist.txt"
SCOPES = ("all", "image", "text")
# What each checked kind of prompt is matched against.
_SCOPES_OF = {"image": ("all", "image"), "text": ("all", "text")}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


@dataclass(frozen=True)
class BlockList:
    """Compiled terms per scope: one regex of whole English words, and CJK terms matched as substrings."""

    words: dict[str, re.Pattern | None]
    cjk: dict[str, tuple[str, ...]]

    def first_match(self, prompt: str, kind: str) -> str | None:
        text = normalise(prompt)
        for scope in _SCOPES_OF[kind]:
            pattern = self.words.get(scope)
            match = pattern.search(text) if pattern else None
            if match:
                return match.group(0)
            term = next((t for t in self.cjk.get(scope, ()) if t in text), None)
            if term:
                return term
        return None


def normalise(text: str) -> str:
    """NFKC, lower case, without format characters (zero-width spaces and joiners, bidi marks)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").lower()


def _word_pattern(term: str) -> str:
    stem, wildcard = (term[:-1], True) if term.endswith("*") else (term, False)
    words = [re.escape(word) for word in stem.split()]
    return r"\s+".join(words) + (r"\w*" if wildcard else "")


def parse(text: str, source: str = "block list") -> BlockList:
    """The block list in `text` (the shipped file's format); ValueError naming `source` and the line when malformed."""
    scope = None
    terms: dict[str, list[str]] = {s: [] for s in SCOPES}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            scope = line[1:-1].strip()
            if scope not in SCOPES:
                raise ValueError(f"{source}, line {number}: unknown section [{scope}] (use one of {', '.join(SCOPES)}).")
            continue
        if scope is None:
            raise ValueError(f"{source}, line {number}: a term before any [section].")
        terms[scope].append(normalise(line))
    words, cjk = {}, {}
    for name, listed in terms.items():
        latin = [t for t in listed if not _CJK.search(t)]
        words[name] = re.compile(r"\b(?:" + "|".join(map(_word_pattern, latin)) + r")\b") if latin else None
        cjk[name] = tuple(t for t in listed if _CJK.search(t))
    return BlockList(words, cjk)


@cache
def _load(path: str) -> BlockList:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"The block list {file} cannot be read ({type(exc).__name__}).") from None
    return parse(text, str(file))


def blocklist() -> BlockList:
    """The configured block list (AIGC_BLOCKLIST_FILE, else the shipped one), read once."""
    return _load(settings.BLOCKLIST_FILE or str(DEFAULT_FILE))


def blocked_term(prompt: str, kind: str = "image") -> str | None:
    """The first blocked term in `prompt` for a `kind` ("image" or "text") prompt, or None."""
    return blocklist().first_match(prompt, kind)


def check_prompt(prompt: str, kind: str = "image", *, enabled: bool | None = None) -> None:
    """Refuse, in one sentence, a prompt asking for what safe mode does not make; no-op when safe mode is off."""
    if not (settings.SAFE_MODE if enabled is None else enabled):
        return
    term = blocked_term(prompt, kind)
    if term is None:
        return
    if kind == "image":
        raise UserError(
            f"Safe mode is on: this demo does not draw what the prompt asks for (“{term}”). Please rephrase.",
            f"安全模式已开启：本演示不生成提示词所要求的内容（“{term}”）。请换一种说法。",
        )
    raise UserError(
        f"Safe mode is on: this demo does not write what the prompt asks for (“{term}”). Please rephrase.",
        f"安全模式已开启：本演示不撰写提示词所要求的内容（“{term}”）。请换一种说法。",
    )
