"""What every output says about itself: the info object beside API text, and the header of a text download.

A text download is the generated text under a front-matter header, one `key: <JSON value>` a line between `---`
lines (readable by people, parsed by `read_text_label` and by any YAML reader):

    ---
    ai_generated: true
    label: "🤖 AI-generated · gpt2 · seed 42"
    model: "gpt2"
    ...
    ---

    <the text>
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SOFTWARE = "aigc-demo"
AI_LABEL = {"en": "🤖 AI-generated", "zh": "🤖 AI 生成"}
# An extractive summary copies sentences from the article: an algorithm chose them, nothing was generated.
EXTRACTED_LABEL = {
    "en": "✂️ Extracted by an algorithm (sentences copied from the article)",
    "zh": "✂️ 算法摘录（句子摘自原文）",
}
_FENCE = "---"
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def label_text(lang: str, model: str, *, seed: int | None = None, ai_generated: bool = True) -> str:
    """The visible label, in the reader's language: marker, model, and the seed that reproduces it."""
    parts = [(AI_LABEL if ai_generated else EXTRACTED_LABEL)["zh" if lang == "zh" else "en"]]
    if model and ai_generated:  # an extract names no model: the label already says how it was made
        parts.append(model)
    if seed is not None:
        parts.append(f"{'种子' if lang == 'zh' else 'seed'} {seed}")
    return " · ".join(parts)


def info(
    lang: str,
    *,
    task: str,
    model: str,
    seed: int | None,
    parameters: dict,
    is_twin: bool,
    ai_generated: bool = True,
    metrics: dict | None = None,
    stand_in_for: str = "",
) -> dict:
    """The one info object of a text output: beside its text in the API, and the header of its download.

    `lang` ("en"/"zh") is the reader's: only `label` depends on it. `task` is "text", "poem", "summary" or "image" (it also
    names the download). `parameters` are the settings the run used, by the API's parameter names. `metrics`
    (optional, e.g. from tasks/common/evaluation.py) are added under "metrics" when given, never computed here.
    `stand_in_for` names the model asked for when the packaged real model answered instead (no Hub).
    """
    meta = {
        "ai_generated": ai_generated,
        "label": label_text(lang, model, seed=seed, ai_generated=ai_generated),
        "task": task,
        "model": model,
        "seed": seed,
        "parameters": parameters,
        "twin": is_twin,
        "software": SOFTWARE,
    }
    if metrics is not None:
        meta["metrics"] = metrics
    if stand_in_for:
        meta["stand_in_for"] = stand_in_for
    return meta


def text_document(text: str, meta: dict) -> str:
    """`text` under its front-matter header."""
    header = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items())
    return f"{_FENCE}\n{header}\n{_FENCE}\n\n{text}\n"


def read_text_label(document: str) -> tuple[dict, str] | None:
    """(header, text) of a document made by `text_document`, or None when it carries no such header."""
    lines = document.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        return None
    meta = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(": ")
        if not sep:
            return None
        try:
            meta[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            meta[key.strip()] = value
    return meta, "\n".join(lines[end + 1 :]).strip("\n")


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe slug of a prompt: lower-case ASCII words joined by '-', whole words up to `limit` characters;
    'output' when nothing is left."""
    words = _SLUG_RE.sub("-", text.lower()).strip("-")
    if len(words) > limit:
        head = words[: limit + 1]
        words = head.rsplit("-", 1)[0] if "-" in head else words[:limit]
    return words.rstrip("-") or "output"


def file_name(task: str, prompt: str, seed: int | None, suffix: str) -> str:
    """e.g. `poem-moonlight-over-the-river-seed42.md`: the task, the prompt's slug and the seed."""
    seed_part = f"-seed{seed}" if seed is not None else ""
    return f"{task}-{slug(prompt)}{seed_part}{suffix}"


def write_text_download(directory: Path, text: str, meta: dict, prompt: str) -> Path:
    """The labelled `.md` download of a text output, in `directory` (gradio's cache or a temp folder)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(meta.get("task", "text"), prompt, meta.get("seed"), ".md")
    path.write_text(text_document(text, meta), encoding="utf-8")
    return path
