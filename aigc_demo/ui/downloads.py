"""Labelled downloads of one run: text under its label header, named by task, prompt and seed (not `output.txt`).

A run writes its files into a folder of its own, which goes when the run ends: gradio has copied every yielded file
into its own cache (which delete_cache cleans) by the time it resumes the handler after the last yield.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from aigc_demo.tasks.common import labels


class RunFolder:
    """A folder for one run's files, removed when the `with` block ends."""

    def __init__(self, kind: str):
        self._folder = Path(tempfile.gettempdir()) / f"aigc-demo-{kind}" / uuid.uuid4().hex

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


class TextFiles(RunFolder):
    """One run's text downloads: `files(text, meta, prompt)` writes the labelled `.md` and returns its path."""

    def __init__(self):
        super().__init__("texts")

    def __call__(self, text: str, meta: dict, prompt: str) -> str:
        return str(labels.write_text_download(self._folder, text, meta, prompt))


def joined(texts: list[str], heading: str) -> str:
    """Several candidates in one document, each under `heading` and its number; one text as it is."""
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join(f"## {heading} {i}\n\n{text}" for i, text in enumerate(texts, start=1))
