"""Finished images as the files visitors download: signed PNGs named by prompt and seed (not `image.png`)."""

from __future__ import annotations

from aigc_demo.tasks.common import labels
from aigc_demo.tasks.image import provenance
from aigc_demo.tasks.image.metadata import read_recipe
from aigc_demo.ui.downloads import RunFolder


class SignedFiles(RunFolder):
    """One run's finished images as signed PNG files, each written once although a run yields its list often."""

    def __init__(self):
        super().__init__("images")
        self._paths: dict[int, str] = {}

    def __call__(self, images: list) -> list[str]:
        for image in images:
            if id(image) not in self._paths:
                recipe = read_recipe(image) or {}
                name = labels.file_name("image", recipe.get("prompt", ""), recipe.get("seed"), ".png")
                self._paths[id(image)] = str(provenance.signed_png_file(image, self._folder, name))
        return [self._paths[id(image)] for image in images]
