"""Finished images as the files visitors download: signed PNGs named by prompt and seed (not `image.png`)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from aigc_demo.tasks.common import labels
from aigc_demo.tasks.image import provenance
from aigc_demo.tasks.image.metadata import read_recipe


class SignedFiles:
    """One run's finished images as signed PNG files, each written once although a run yields its list often."""

    def __init__(self):
        self._folder = Path(tempfile.gettempdir()) / "aigc-demo-images" / uuid.uuid4().hex
        self._paths: dict[int, str] = {}

    def __enter__(self) -> SignedFiles:
        return self

    def __exit__(self, *exc) -> None:
        # gradio has copied every yielded file into its own cache (which delete_cache cleans) by the time the run
        # resumes the handler after its last yield: the originals go, so one run leaves nothing behind here.
        shutil.rmtree(self._folder, ignore_errors=True)

    def __call__(self, images: list) -> list[str]:
        for image in images:
            if id(image) not in self._paths:
                recipe = read_recipe(image) or {}
                name = labels.file_name("image", recipe.get("prompt", ""), recipe.get("seed"), ".png")
                self._paths[id(image)] = str(provenance.signed_png_file(image, self._folder, name))
        return [self._paths[id(image)] for image in images]
