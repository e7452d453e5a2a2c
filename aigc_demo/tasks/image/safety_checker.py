"""Stable Diffusion's safety checker for the models that ship none (sd-turbo, sdxl-turbo): opt-in, AIGC_SAFETY_CHECKER.

The checker (CompVis/stable-diffusion-safety-checker, catalogue "sd-safety-checker") embeds each image with CLIP
ViT-L/14 and compares it with 17 concept embeddings and 3 "special care" ones, each with its own threshold; an image
over any threshold is flagged. It is what SD 1.x pipelines run inside; here it runs beside the pipeline, on each
finished image before anyone sees it. A flagged image becomes the safe-mode placeholder, as with a model's own checker.
"""

from __future__ import annotations

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec

SAFETY_CHECKER_MODEL = "sd-safety-checker"  # catalogue key (task "image-safety")


def wanted(spec: ModelSpec, has_own_checker: bool, safe_mode: bool) -> bool:
    """Whether images of `spec` go through the separate checker: safe mode on, opted in, and no checker of its own."""
    return safe_mode and settings.SAFETY_CHECKER and not has_own_checker and spec.key != SAFETY_CHECKER_MODEL


def flag_images(checker, images: list) -> list[bool]:
    """For each PIL image, whether the loaded checker (`checker`: a manager LoadedModel) flags it."""
    import numpy as np
    import torch

    if not images:
        return []
    rgb = [image.convert("RGB") for image in images]
    pixels = checker.tokenizer(images=rgb, return_tensors="pt")["pixel_values"]  # its CLIP image processor
    with torch.inference_mode():
        # The class also blacks out flagged images in `images`: we only read its verdicts (and show a placeholder).
        _, flagged = checker.model(
            clip_input=pixels.to(checker.device, checker.model.dtype),
            images=np.zeros((len(rgb), 1, 1, 3), dtype=np.float32),
        )
    return [bool(f) for f in flagged]
