"""Text to image: validated settings, a seeded diffusers pipeline through the manager, PNGs that carry their recipe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aigc_demo import settings
from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.validation import check_number, check_text, resolve_seed

AI_MARKER = "AI-generated"


@dataclass
class ImageRequest:
    prompt: str
    negative_prompt: str = ""
    model: str = "sd-turbo"
    num_inference_steps: int = 1
    guidance_scale: float = 0.0
    width: int = 512
    height: int = 512
    seed: int = 0
    num_images: int = 1

    def validated(self) -> ImageRequest:
        spec = get_spec(self.model)
        if not spec.is_diffusion:
            raise UserError(f"{self.model} is not an image model.", f"{self.model} 不是图像模型。")
        width = check_number("width", self.width, settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, integer=True)
        height = check_number("height", self.height, settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, integer=True)
        if width % 8 or height % 8:
            raise UserError(
                f"Width and height must be multiples of 8, but are {width} and {height}.",
                f"宽度和高度必须是 8 的倍数，当前为 {width} 和 {height}。",
            )
        return ImageRequest(
            prompt=check_text("prompt", self.prompt, max_chars=settings.MAX_PROMPT_CHARS),
            negative_prompt=check_text(
                "negative_prompt", self.negative_prompt, max_chars=settings.MAX_PROMPT_CHARS, allow_empty=True
            ),
            model=self.model,
            num_inference_steps=check_number(
                "num_inference_steps", self.num_inference_steps, 1, settings.MAX_IMAGE_STEPS, integer=True
            ),
            guidance_scale=check_number("guidance_scale", self.guidance_scale, 0.0, settings.MAX_GUIDANCE_SCALE),
            width=width,
            height=height,
            seed=resolve_seed(self.seed),
            num_images=check_number("num_images", self.num_images, 1, settings.MAX_NUM_IMAGES, integer=True),
        )


def parameters_text(req: ImageRequest, spec_revision: str) -> str:
    """The A1111-style `parameters` string that image tools read."""
    negative = f"\nNegative prompt: {req.negative_prompt}" if req.negative_prompt else ""
    return (
        f"{req.prompt}{negative}\nSteps: {req.num_inference_steps}, CFG scale: {req.guidance_scale}, "
        f"Seed: {req.seed}, Size: {req.width}x{req.height}, Model: {req.model}, Model hash: {spec_revision[:10]}"
    )


def annotate(image: Any, req: ImageRequest, index: int, scheduler: str, is_twin: bool) -> Any:
    """Attach the recipe and the AI-generated marker as PNG text chunks (kept by gr.Image/Gallery format='png')."""
    spec = get_spec(req.model)
    seed = req.seed + index
    recipe = {
        "prompt": req.prompt,
        "negative_prompt": req.negative_prompt,
        "model": req.model,
        "repo_id": spec.repo_id,
        "revision": spec.revision,
        "seed": seed,
        "num_inference_steps": req.num_inference_steps,
        "guidance_scale": req.guidance_scale,
        "width": req.width,
        "height": req.height,
        "scheduler": scheduler,
        "offline_twin": is_twin,
        "ai_generated": True,
    }
    image.info["parameters"] = parameters_text(ImageRequest(**{**req.__dict__, "seed": seed}), spec.revision)
    image.info["aigc_demo"] = json.dumps(recipe, ensure_ascii=False)
    image.info["ai_generated"] = "true"
    image.info["Software"] = "aigc-demo"
    image.info["Comment"] = AI_MARKER
    return image


def generate_images(manager: ModelManager, req: ImageRequest) -> tuple[list[Any], bool]:
    """Images for `req` (validated here), each seeded with seed + index so any one can be reproduced alone."""
    import torch

    req = req.validated()
    with manager.use(req.model) as lm:
        pipe = lm.model
        images = []
        for i in range(req.num_images):
            generator = torch.Generator(device="cpu").manual_seed(req.seed + i)
            out = pipe(
                prompt=req.prompt,
                negative_prompt=req.negative_prompt or None,
                num_inference_steps=req.num_inference_steps,
                guidance_scale=req.guidance_scale,
                width=req.width,
                height=req.height,
                generator=generator,
            )
            images.append(annotate(out.images[0], req, i, type(pipe.scheduler).__name__, lm.is_twin))
        return images, lm.is_twin
