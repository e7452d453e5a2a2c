"""CLIP score: 100 x the cosine of CLIP's image and text embeddings, clipped at 0 (torchmetrics' CLIPScore)."""

from __future__ import annotations

import pytest
from PIL import Image

from aigc_demo.tasks.image.clip_score import CLIP_MODEL, ImageScores, clip_cosines, clip_scores, score_images

PROMPT = "sunset over the sea"
COLOURS = ("red", "blue", "white", "black")


def _images() -> list:
    return [Image.new("RGB", (48, 40), colour) for colour in COLOURS]


def test_clip_score_is_the_models_own_cosine_x100_clipped_at_0(manager):
    import torch

    from aigc_demo.tasks.image.clip_score import image_processor

    images = _images()
    with manager.use(CLIP_MODEL) as lm:
        scores = clip_scores(lm, PROMPT, images)
        cosines = clip_cosines(lm, PROMPT, images)
        # Directly from the model's forward pass: its own (normalised) image and text embeddings.
        text = lm.tokenizer([PROMPT], return_tensors="pt")
        pixels = image_processor(lm.model)(images=images, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            out = lm.model(input_ids=text["input_ids"], attention_mask=text["attention_mask"], pixel_values=pixels)
        direct = (out.image_embeds @ out.text_embeds.T)[:, 0].tolist()
    assert cosines == pytest.approx(direct, abs=1e-5)
    assert scores == pytest.approx([max(100 * c, 0) for c in direct], abs=1e-3)
    assert any(s > 0 for s in scores) and any(s == 0 for s in scores)  # both sides of the clip are exercised


def test_the_real_preprocessing_for_clip_vit_b32():
    """The twin's 32-pixel processor is the real model's recipe at another size: 224 for ViT-B/32."""
    from types import SimpleNamespace

    from aigc_demo.tasks.image.clip_score import image_processor

    model = SimpleNamespace(config=SimpleNamespace(vision_config=SimpleNamespace(image_size=224)))
    processor = image_processor(model)
    pixels = processor(images=[Image.new("RGB", (640, 480), "red")], return_tensors="pt")["pixel_values"]
    assert tuple(pixels.shape) == (1, 3, 224, 224)
    assert processor.image_mean == pytest.approx([0.48145466, 0.4578275, 0.40821073])  # OpenAI CLIP's mean


def test_ranking_best_first_ties_in_order_hidden_last():
    scores = ImageScores([20.0, 31.5, 20.0, 0.0], "clip", False, hidden=[1])
    assert scores.ranking == [0, 2, 3, 1]
    assert ImageScores([], "clip", False).ranking == []


def test_gallery_orders_by_score_and_marks_the_best():
    from aigc_demo.ui.evaluation_view import ranked_gallery

    images = ["a.png", "b.png", "c.png"]
    ordered, captions = ranked_gallery("en", images, 10, ImageScores([12.0, 30.0, 25.0], "clip", False))
    assert ordered == ["b.png", "c.png", "a.png"]
    assert captions[0] == "⭐ 🤖 AI · seed 11 · CLIP 30.0 · best match"
    assert captions[1:] == ["🤖 AI · seed 12 · CLIP 25.0", "🤖 AI · seed 10 · CLIP 12.0"]
    ordered, captions = ranked_gallery("zh", images, 10, None)  # still drawing: newest first, no scores
    assert ordered == ["c.png", "b.png", "a.png"] and captions[0] == "🤖 AI · 种子 12"


def test_a_finished_image_run_carries_each_images_clip_score(manager):
    from aigc_demo.tasks.image.text_to_image import ImageRequest, generate_images

    req = ImageRequest(PROMPT, model="sd-turbo", width=64, height=64, seed=4, num_images=3)
    updates = list(generate_images(manager, req, previews=False))
    assert all(u.clip is None for u in updates[:-1])
    final = updates[-1]
    assert final.done and final.clip.model == CLIP_MODEL and final.clip.is_twin
    assert final.clip.scores == pytest.approx(score_images(manager, PROMPT, final.images).scores, abs=1e-4)
    assert sorted(final.clip.ranking) == [0, 1, 2]
    assert list(generate_images(manager, req, previews=False, score=False))[-1].clip is None
