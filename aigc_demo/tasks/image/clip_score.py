"""Prompt-image alignment: the CLIP score of each generated image against its prompt, from the catalogue CLIP model.

The definition is torchmetrics' `CLIPScore`: 100 x the cosine similarity of CLIP's image embedding and its text
embedding, clipped at 0. Roughly 30+ is a good match for ViT-B/32, under 20 a poor one; it compares images of the
same prompt well, and says little about beauty. Prompts longer than CLIP's 77 tokens are scored on their start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigc_demo.manager import ModelManager

CLIP_MODEL = "clip-vit-base-patch32"  # catalogue key (task "image-scoring")
HELP = (
    "CLIP score (0-100): how well the picture matches the prompt, as judged by the CLIP model (100 x the cosine "
    "similarity of their embeddings, at least 0). Higher = closer to the words; compare images of the same prompt.",
    "CLIP 分数（0-100）：CLIP 模型判断的图片与提示词的吻合程度（二者向量余弦相似度 x 100，最低 0）。"
    "越高越贴近文字；适合比较同一提示词生成的几张图。",
)


@dataclass(frozen=True)
class ImageScores:
    """One CLIP score per image, in the images' order, and which model (twin or real) gave them."""

    scores: list[float]
    model: str
    is_twin: bool
    hidden: list[int] = field(default_factory=list)  # images safe mode replaced: not scored, ranked last

    @property
    def ranking(self) -> list[int]:
        """Image indexes from the best match to the worst (ties keep the generation order; hidden ones last)."""
        return sorted(range(len(self.scores)), key=lambda i: (i in self.hidden, -self.scores[i]))

    def as_dict(self) -> dict:
        return {"clip_scores": self.scores, "ranking": self.ranking, "model": self.model, "twin": self.is_twin}


def image_processor(model):
    """CLIP's own preprocessing for `model`'s image size: shortest side resized (bicubic), centre crop, CLIP mean/std."""
    import transformers

    # The PIL backend by name: the default one wants torchvision and says so on every call without it.
    processor = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    side = model.config.vision_config.image_size
    return processor(size={"shortest_edge": side}, crop_size={"height": side, "width": side})


def clip_scores(lm, prompt: str, images: list) -> list[float]:
    """CLIP score of each PIL image in `images` against `prompt`, with the loaded CLIP model `lm`."""
    return [max(100.0 * c, 0.0) for c in clip_cosines(lm, prompt, images)]


def clip_cosines(lm, prompt: str, images: list) -> list[float]:
    """Cosine similarity (-1..1) of each image's CLIP embedding with the prompt's."""
    import torch

    if not images:
        return []
    text = lm.tokenizer([prompt], padding=True, truncation=True, max_length=77, return_tensors="pt")
    pixels = image_processor(lm.model)(images=[im.convert("RGB") for im in images], return_tensors="pt")
    with torch.inference_mode():
        text_features = lm.model.get_text_features(**{k: v.to(lm.device) for k, v in text.items()}).pooler_output
        image_features = lm.model.get_image_features(
            pixel_values=pixels["pixel_values"].to(lm.device, lm.model.dtype)
        ).pooler_output
        cosine = torch.nn.functional.cosine_similarity(image_features.float(), text_features.float(), dim=-1)
    return [float(c) for c in cosine]


def score_images(manager: ModelManager, prompt: str, images: list, model: str = CLIP_MODEL) -> ImageScores:
    """The CLIP scores of `images` for `prompt`, borrowing the CLIP model from the manager like any model."""
    with manager.use(model) as lm:
        return ImageScores(clip_scores(lm, prompt, images), lm.key, lm.is_twin)
