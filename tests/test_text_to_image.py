"""Text to image on twins: reproducible bytes, per-step progress and previews, real cancellation, PNG metadata that
survives gradio and downloads, safe mode, prompt translation, and a clear sentence for every bad input."""

from __future__ import annotations

import time

import pytest

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.worker import IMAGE_THREAD
from aigc_demo.tasks.image import metadata as image_metadata
from aigc_demo.tasks.image.text_to_image import ImageRequest, generate_images

from .helpers import alive_threads, forward_passes, threads_left

SMALL = {"width": 64, "height": 64}


@pytest.fixture(scope="module", autouse=True)
def module_gradio_temp_dir(tmp_path_factory):
    """One GRADIO_TEMP_DIR for the module, set before the module's app launches: it serves files from that folder."""
    patch = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("gradio")
    patch.setenv("GRADIO_TEMP_DIR", str(path))
    yield path
    patch.undo()


@pytest.fixture(autouse=True)
def gradio_temp_dir(module_gradio_temp_dir):
    """Overrides conftest's per-test folder, which the module-scoped app would refuse to serve files from."""
    return module_gradio_temp_dir


def run(manager, prompt="a red bicycle", **kwargs):
    kwargs = {**SMALL, "seed": 7, **kwargs}
    return list(generate_images(manager, ImageRequest(prompt, **kwargs)))


def png_bytes(image) -> bytes:
    from gradio.processing_utils import encode_pil_to_bytes

    return encode_pil_to_bytes(image, "png")


@pytest.fixture
def count_unet_calls(manager):
    """How many UNet forward passes (denoising steps) the sd-turbo twin started since the fixture started."""
    with forward_passes(manager, "sd-turbo") as passes:
        yield lambda: len(passes)


# --- reproducibility ---------------------------------------------------------------------------------------------


def test_same_parameters_and_seed_give_identical_png_bytes_twice(manager):
    a = run(manager, num_inference_steps=2, seed=123)[-1].images[0]
    b = run(manager, num_inference_steps=2, seed=123)[-1].images[0]
    c = run(manager, num_inference_steps=2, seed=124)[-1].images[0]
    assert png_bytes(a) == png_bytes(b)
    assert a.tobytes() != c.tobytes()


def test_image_i_uses_seed_plus_i_and_can_be_reproduced_alone(manager):
    batch = run(manager, num_images=3, seed=40)[-1].images
    alone = run(manager, num_images=1, seed=42)[-1].images[0]
    assert png_bytes(batch[2]) == png_bytes(alone)
    assert [image_metadata.read_recipe(im)["seed"] for im in batch] == [40, 41, 42]


def test_matches_a_plain_diffusers_call_outside_the_label(manager):
    import numpy as np
    import torch

    ours = run(manager, num_inference_steps=2, seed=5)[-1].images[0]
    pipe = manager.get("sd-turbo").model
    plain = pipe(
        "a red bicycle",
        num_inference_steps=2,
        guidance_scale=0.0,
        generator=torch.Generator("cpu").manual_seed(5),
        **SMALL,
    ).images[0]
    # the visible "AI-generated" tag is too wide for a 64 px image, so nothing was drawn on it
    assert np.array_equal(np.asarray(ours), np.asarray(plain))


def test_random_seed_is_reported_and_reproduces(manager):
    first = run(manager, seed=-1)[-1]
    again = run(manager, seed=first.seed)[-1]
    assert 0 <= first.seed <= settings.MAX_SEED
    assert png_bytes(first.images[0]) == png_bytes(again.images[0])


# --- progress, previews, cancel ----------------------------------------------------------------------------------


def test_progress_reports_every_step_and_previews_arrive_before_the_image(manager):
    updates = run(manager, num_inference_steps=3, num_images=2)
    steps = [u.step for u in updates if u.preview is not None]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert all(u.total == 6 for u in updates)
    first_image = next(i for i, u in enumerate(updates) if u.images)
    assert all(u.preview is not None for u in updates[:3]) and first_image == 3
    assert updates[0].preview.size == (64, 64) and updates[0].preview.mode == "RGB"
    final = updates[-1]
    assert final.done and len(final.images) == 2 and final.seconds > 0 and final.is_twin


def test_latent_preview_is_a_cheap_projection_for_sd_and_sdxl():
    import torch

    from aigc_demo.tasks.image.text_to_image import latent_preview

    latents = torch.zeros(4, 8, 12)
    sd = latent_preview(latents, "StableDiffusionPipeline", 96, 64)
    xl = latent_preview(latents, "StableDiffusionXLPipeline", 96, 64)
    assert sd.size == xl.size == (96, 64)
    assert sd.getpixel((0, 0)) == (128, 128, 128) != xl.getpixel((0, 0))  # SDXL adds a bias
    assert latent_preview(torch.zeros(16, 8, 8), "FluxPipeline", 64, 64) is None


def test_closing_the_stream_stops_the_pipeline_early(manager, count_unet_calls):
    stream = generate_images(manager, ImageRequest("a long run", num_inference_steps=4, num_images=4, **SMALL))
    next(stream)
    next(stream)
    assert alive_threads(IMAGE_THREAD)
    stream.close()
    assert alive_threads(IMAGE_THREAD) == []  # close() joined the thread
    assert count_unet_calls() < 16 // 2
    assert not any(m["in_use"] for m in manager.status()["loaded"])
    assert run(manager)[-1].done  # the model is free for the next request


def test_client_cancel_stops_the_pipeline(app_client):
    with forward_passes(app_client.manager, "sd-turbo") as calls:
        job = app_client.submit("a long run", num_inference_steps=4, num_images=4, api_name="/generate_image", **SMALL)
        deadline = time.monotonic() + 60
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert alive_threads(IMAGE_THREAD), "the pipeline should be running"
        job.cancel()
        assert threads_left(IMAGE_THREAD, within_s=5) == []
        assert len(calls) < 16
    images, _ = app_client.predict("next request", api_name="/generate_image", **SMALL)
    assert len(images) == 1


# --- PNG metadata ------------------------------------------------------------------------------------------------


def test_png_carries_its_recipe_an_a1111_string_and_the_ai_marker(manager):
    image = run(
        manager,
        "一只猫 and a dog",
        negative_prompt="blurry",
        num_inference_steps=2,
        guidance_scale=1.5,
        width=72,
        height=64,
        seed=9,
        scheduler="EulerAncestralDiscreteScheduler",
    )[-1].images[0]
    recipe = image_metadata.read_recipe(image)
    assert recipe == {
        "prompt": "一只猫 and a dog",
        "negative_prompt": "blurry",
        "model": "sd-turbo",
        "repo_id": "stabilityai/sd-turbo",
        "revision": recipe["revision"],
        "seed": 9,
        "num_inference_steps": 2,
        "guidance_scale": 1.5,
        "width": 72,
        "height": 64,
        "scheduler": "EulerAncestralDiscreteScheduler",
        "offline_twin": True,
        "ai_generated": True,
        "software": "aigc-demo",
    }
    assert len(recipe["revision"]) == 40
    assert image.info["parameters"] == (
        "一只猫 and a dog\nNegative prompt: blurry\nSteps: 2, Sampler: Euler a, CFG scale: 1.5, Seed: 9, "
        f"Size: 72x64, Model hash: {recipe['revision'][:10]}, Model: sd-turbo, Version: aigc-demo"
    )
    assert image_metadata.is_marked_ai_generated(image)
    assert image.size == (72, 64)


def _reopened(path):
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        return im


def test_metadata_survives_the_gallery_and_image_postprocess(manager, tmp_path):
    import gradio as gr

    image = run(manager, seed=11)[-1].images[0]
    gallery = gr.Gallery(format="png", type="filepath").postprocess([(image, "caption")])
    single = gr.Image(format="png").postprocess(image)
    for path in (gallery.root[0].image.path, single.path):
        assert path.endswith(".png")
        again = _reopened(path)
        assert image_metadata.read_recipe(again) == image_metadata.read_recipe(image)
        assert again.info["parameters"] == image.info["parameters"]
        assert image_metadata.is_marked_ai_generated(again)
    webp = _reopened(gr.Image(format="webp").postprocess(image).path)  # why the components say format="png"
    assert image_metadata.read_recipe(webp) is None


def test_metadata_survives_gradio_client_downloads(app_client):
    result, _ = app_client.predict(
        "a lighthouse", seed=21, num_images=2, num_inference_steps=2, api_name="/generate_image", **SMALL
    )
    assert [item["image"].endswith(".png") for item in result] == [True, True]
    recipes = [image_metadata.read_recipe(item["image"]) for item in result]
    assert [r["seed"] for r in recipes] == [21, 22] and recipes[0]["prompt"] == "a lighthouse"
    assert all(image_metadata.is_marked_ai_generated(_reopened(item["image"])) for item in result)
    again, _ = app_client.predict("a lighthouse", seed=21, num_inference_steps=2, api_name="/generate_image", **SMALL)
    # The same seed draws the same pixels and recipe (the files differ only in their C2PA manifest's signature).
    first, second = _reopened(result[0]["image"]), _reopened(again[0]["image"])
    assert first.tobytes() == second.tobytes()
    assert image_metadata.read_recipe(first) == image_metadata.read_recipe(second)


def test_api_images_are_signed_and_named_by_prompt_and_seed(app_client):
    from pathlib import Path

    from aigc_demo.tasks.image import provenance

    result, _ = app_client.predict("A lighthouse, at dawn!", seed=5, api_name="/generate_image", **SMALL)
    path = Path(result[0]["image"])
    assert path.name == "image-a-lighthouse-at-dawn-seed5.png"
    report = provenance.read_manifest(path.read_bytes())
    assert report.present and report.valid and report.ai_generated
    assert report.recipe["seed"] == 5 and report.recipe["prompt"] == "A lighthouse, at dawn!"


def test_selecting_a_gallery_image_restores_all_its_settings(manager):
    import gradio as gr

    from aigc_demo.ui.image_controls import restore_values

    image = run(
        manager,
        "a blue boat",
        negative_prompt="fog",
        num_inference_steps=3,
        guidance_scale=2.0,
        width=96,
        height=64,
        seed=30,
        num_images=2,
        scheduler="EulerAncestralDiscreteScheduler",
    )[-1].images[1]
    path = gr.Gallery(format="png", type="filepath").postprocess([(image, None)]).root[0].image.path
    values = restore_values(path, "en")
    prompt, english, negative, model, steps, guidance, width, height, shape, seed, randomize, scheduler, _ = values
    assert (prompt, english, negative, model) == ("a blue boat", "", "fog", "sd-turbo")
    assert steps["value"] == 3 and steps["maximum"] == 4 and guidance == 2.0
    assert (width, height, shape) == (96, 64, "custom")
    assert (seed, randomize) == (31, False)
    assert scheduler["value"] == "EulerAncestralDiscreteScheduler"
    regenerated = run(
        manager, prompt, negative_prompt=negative, num_inference_steps=3, guidance_scale=guidance, width=width,
        height=height, seed=seed, scheduler=scheduler["value"],
    )[-1].images[0]  # fmt: skip
    assert png_bytes(regenerated) == png_bytes(image)


def test_visible_label_is_stamped_on_images_large_enough_to_read_it():
    from PIL import Image

    plain = Image.new("RGB", (512, 512), (20, 120, 200))
    stamped = image_metadata.stamp_label(plain)
    assert stamped.size == plain.size
    assert stamped.getpixel((500, 505)) != plain.getpixel((500, 505))  # bottom-right corner carries the tag
    assert stamped.getpixel((10, 10)) == plain.getpixel((10, 10))


# --- sizes and shapes --------------------------------------------------------------------------------------------


def test_shape_presets_give_multiples_of_8_within_bounds():
    from aigc_demo.ui.image_controls import ASPECT_RATIOS, ratio_of, size_for

    assert size_for("1:1", 512) == (512, 512)
    for ratio, (rw, rh) in ASPECT_RATIOS.items():
        w, h = size_for(ratio, 512)
        assert w % 8 == 0 and h % 8 == 0
        assert settings.MIN_IMAGE_SIZE <= min(w, h) and max(w, h) <= settings.MAX_IMAGE_SIZE
        assert abs(w / h - rw / rh) < 0.05 and abs(w * h - 512 * 512) / (512 * 512) < 0.05
        assert ratio_of(w, h, 512) == ratio
    assert ratio_of(520, 512, 512) == "custom"


# --- safe mode -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["a nude portrait", "NSFW art", "a gory scene", "一张色情图片", "血腥的场面"])
def test_safe_mode_blocklist_refuses_plain_prompts(manager, prompt):
    with pytest.raises(UserError, match="Safe mode is on") as info:
        list(generate_images(manager, ImageRequest(prompt, **SMALL), safe_mode=True))
    assert "安全模式" in info.value.zh
    assert list(generate_images(manager, ImageRequest(prompt, **SMALL), safe_mode=False))[-1].done


def test_blocklist_leaves_innocent_words_and_negative_prompts_alone(manager):
    from aigc_demo.tasks.common.safe_mode import blocked_term

    assert blocked_term("a map of Essex and Sussex, gorgeous light") is None
    final = run(manager, "a portrait", negative_prompt="nsfw, nude", guidance_scale=2.0)[-1]
    assert final.done and final.safety == "blocklist"


def _tiny_safety_checker(flag_everything: bool):
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1},
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_attention_heads": 2,
            "num_hidden_layers": 1,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=8,
    )
    checker = StableDiffusionSafetyChecker(config).eval()
    if flag_everything:  # a negative threshold: every image "matches" a concept
        checker.concept_embeds_weights.data.fill_(-2.0)
    return checker, CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})


@pytest.fixture(scope="module")
def repo_with_checker(tmp_path_factory):
    """A twin saved with a (tiny, always-flagging) safety checker, like SD 1.5's repo layout."""
    from diffusers import StableDiffusionPipeline

    from aigc_demo import twins
    from aigc_demo.catalog import get_spec

    twin = StableDiffusionPipeline.from_pretrained(twins.ensure_twin(get_spec("sd-turbo")))
    checker, extractor = _tiny_safety_checker(flag_everything=True)
    pipe = StableDiffusionPipeline(
        **{**twin.components, "safety_checker": checker, "feature_extractor": extractor}, requires_safety_checker=True
    )
    path = tmp_path_factory.mktemp("sd-with-checker")
    pipe.save_pretrained(path, safe_serialization=True)
    return path


def test_loader_keeps_a_shipped_checker_in_safe_mode_only(repo_with_checker, monkeypatch):
    import torch

    from aigc_demo import loaders
    from aigc_demo.catalog import get_spec

    spec = get_spec("sd-turbo")
    monkeypatch.setattr(settings, "SAFE_MODE", True)
    assert loaders.load(spec, repo_with_checker, "cpu", torch.float32).model.safety_checker is not None
    monkeypatch.setattr(settings, "SAFE_MODE", False)
    assert loaders.load(spec, repo_with_checker, "cpu", torch.float32).model.safety_checker is None
    twin = loaders.load(spec, loaders.resolve(spec, "tiny").path, "cpu", torch.float32).model
    assert twin.safety_checker is None


def test_flagged_image_is_replaced_by_a_placeholder(repo_with_checker, monkeypatch):
    from aigc_demo.loaders import Source
    from aigc_demo.manager import ModelManager

    monkeypatch.setattr(settings, "SAFE_MODE", True)
    manager = ModelManager(mode="tiny", device="cpu", resolve=lambda spec, mode: Source(repo_with_checker, True, "t"))
    final = run(manager, "a harmless garden", num_images=2)[-1]
    assert final.safety == "checker" and final.hidden == 2
    placeholder = final.images[0]
    assert placeholder.size == (64, 64) and placeholder.getpixel((0, 0)) == (200, 200, 200)
    assert image_metadata.read_recipe(placeholder)["hidden_by_safe_mode"] is True
    assert not image_metadata.is_marked_ai_generated(placeholder)
    # safe mode off: the same pipeline's checker is left out of the run
    off = list(generate_images(manager, ImageRequest("a harmless garden", **SMALL), safe_mode=False))[-1]
    assert off.safety == "off" and off.hidden == 0


@pytest.fixture
def separate_checker(manager, monkeypatch):
    """Safe mode with AIGC_SAFETY_CHECKER on; sets the loaded checker twin's thresholds (flag everything or nothing)."""
    from aigc_demo.tasks.image.safety_checker import SAFETY_CHECKER_MODEL

    monkeypatch.setattr(settings, "SAFE_MODE", True)
    monkeypatch.setattr(settings, "SAFETY_CHECKER", True)
    checker = manager.get(SAFETY_CHECKER_MODEL).model
    saved = checker.concept_embeds_weights.data.clone()

    def thresholds(flag_everything: bool) -> None:
        # A negative threshold: every image "matches" a concept. The twin's own (all ones) flag nothing.
        checker.concept_embeds_weights.data.fill_(-2.0 if flag_everything else 1.0)

    yield thresholds
    checker.concept_embeds_weights.data.copy_(saved)


def test_turbo_images_go_through_the_opt_in_checker(manager, separate_checker, monkeypatch):
    """sd-turbo ships no checker: with AIGC_SAFETY_CHECKER, Stable Diffusion's checker hides what it flags."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

    from aigc_demo.tasks.image.safety_checker import SAFETY_CHECKER_MODEL

    assert isinstance(manager.get(SAFETY_CHECKER_MODEL).model, StableDiffusionSafetyChecker)  # the real class
    separate_checker(flag_everything=True)
    updates = run(manager, "a harmless garden", num_images=2)
    final = updates[-1]
    assert final.safety == "checker" and final.hidden == 2
    assert all(image_metadata.read_recipe(im)["hidden_by_safe_mode"] is True for im in final.images)
    # no update ever carried an unchecked image: every image any update showed is a placeholder
    assert all(not image_metadata.is_marked_ai_generated(im) for u in updates for im in u.images)

    separate_checker(flag_everything=False)
    final = run(manager, "a harmless garden", num_images=2)[-1]
    assert final.safety == "checker" and final.hidden == 0
    assert all(image_metadata.is_marked_ai_generated(im) for im in final.images)

    monkeypatch.setattr(settings, "SAFETY_CHECKER", False)  # opt-in: off, the turbo model has the block list only
    assert run(manager, "a harmless garden")[-1].safety == "blocklist"


def test_opt_in_checker_is_loaded_at_start_only_when_asked(monkeypatch):
    from aigc_demo.catalog import get_spec
    from aigc_demo.manager import ModelManager
    from aigc_demo.tasks.image.safety_checker import SAFETY_CHECKER_MODEL
    from aigc_demo.ui.image_controls import safety_text

    monkeypatch.setattr(settings, "SAFE_MODE", True)
    monkeypatch.setattr(settings, "SAFETY_CHECKER", False)
    assert SAFETY_CHECKER_MODEL not in ModelManager.default_keys()
    assert "only a short list of blocked words" in safety_text("en", get_spec("sd-turbo"))
    monkeypatch.setattr(settings, "SAFETY_CHECKER", True)
    assert SAFETY_CHECKER_MODEL in ModelManager.default_keys()
    assert "Stable Diffusion's own checker looks at every image" in safety_text("en", get_spec("sd-turbo"))
    assert "安全检查器逐张检查" in safety_text("zh", get_spec("sd-turbo"))
    monkeypatch.setattr(settings, "SAFE_MODE", False)
    assert SAFETY_CHECKER_MODEL not in ModelManager.default_keys()


# --- translation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一只在月光下的猫", True),
        ("猫 cat", True),
        ("Кошка на крыше", True),
        ("a café in Zürich", False),
        ("4k, 8k", False),
    ],
)
def test_non_english_prompts_are_detected(text, expected):
    from aigc_demo.tasks.image.prompt_translation import looks_non_english

    assert looks_non_english(text) is expected


def test_translation_uses_the_instruct_model_through_its_chat_template(manager, monkeypatch):
    from aigc_demo.tasks.image import prompt_translation

    lm = manager.get("qwen2.5-0.5b-instruct")
    seen = {}
    generate = lm.model.generate

    def spy(**kwargs):
        seen["prompt"] = lm.tokenizer.decode(kwargs["input_ids"][0])
        return generate(**kwargs)

    monkeypatch.setattr(lm.model, "generate", spy)
    try:
        result = prompt_translation.translate_to_english(manager, "一只在月光下的猫")
    except UserError as exc:  # an untrained twin may answer with end-of-text at once
        assert "empty" in exc.en
    else:
        assert result.model == "qwen2.5-0.5b-instruct" and result.is_twin and result.text
    assert seen["prompt"].startswith("<|im_start|>system\nYou translate")
    assert "<|im_start|>user\n一只在月光下的猫<|im_end|>" in seen["prompt"]
    assert seen["prompt"].endswith("<|im_start|>assistant\n")


def test_non_english_prompt_gets_a_hint_to_translate(manager):
    final = run(manager, "一只在月光下的猫")[-1]
    assert any("English best" in en for en, _ in final.warnings)


# --- bad input -----------------------------------------------------------------------------------------------------

BAD_INPUTS = [
    ({"prompt": ""}, "Please enter a prompt"),
    ({"prompt": "   "}, "Please enter a prompt"),
    ({"prompt": "x" * 5000}, "limit is 4,000"),
    ({"width": 100}, "multiples of 8"),
    ({"height": 68}, "multiples of 8"),
    ({"width": 32}, "`width` must be between 64 and 1024"),
    ({"height": 2048}, "`height` must be between 64 and 1024"),
    ({"width": 64.5}, "`width` must be a whole number"),
    ({"num_inference_steps": 0}, "`num_inference_steps` must be between 1 and 4"),
    ({"num_inference_steps": 5}, "`num_inference_steps` must be between 1 and 4"),
    ({"num_inference_steps": "many"}, "`num_inference_steps` must be a whole number"),
    ({"guidance_scale": -1}, "`guidance_scale` must be between 0 and 20"),
    ({"guidance_scale": 25}, "`guidance_scale` must be between 0 and 20"),
    ({"guidance_scale": float("nan")}, "`guidance_scale` must be a number"),
    ({"num_images": 0}, "`num_images` must be between 1 and 4"),
    ({"num_images": 5}, "`num_images` must be between 1 and 4"),
    ({"seed": -7}, "`seed` must be between 0"),
    ({"scheduler": "DDIMScheduler"}, "`scheduler` must be one of"),
    ({"model": "nope"}, "Unknown model 'nope'"),
    ({"model": "gpt2"}, "not an image model"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_INPUTS)
def test_bad_input_gets_one_clear_sentence(manager, kwargs, message):
    kwargs = {"prompt": "a cat", **SMALL, **kwargs}
    with pytest.raises(UserError, match=message):
        list(generate_images(manager, ImageRequest(**kwargs)))


@pytest.mark.parametrize(("kwargs", "message"), [BAD_INPUTS[i] for i in (0, 3, 5, 9, 12, 15, 17)])
def test_bad_input_over_the_api_and_the_server_stays_up(app_client, kwargs, message):
    from gradio_client.exceptions import AppError

    kwargs = {"prompt": "a cat", **SMALL, **kwargs}
    with pytest.raises(AppError, match=message):
        app_client.predict(**kwargs, api_name="/generate_image")
    assert app_client.predict("still up?", api_name="/generate_image", **SMALL)


def test_api_errors_follow_the_clients_language(app_client):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    zh = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    try:
        with pytest.raises(AppError, match="8 的倍数"):
            zh.predict("a cat", width=100, height=64, api_name="/generate_image")
    finally:
        zh.close()
