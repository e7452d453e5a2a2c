"""Every catalogue twin loads through the real loader; AIGC_MODELS modes resolve quickly and clearly."""

from __future__ import annotations

import socket
import time

import pytest

from aigc_demo import loaders, twins
from aigc_demo.catalog import CATALOG, default_model, get_spec
from aigc_demo.errors import UserError


@pytest.mark.parametrize("key", list(CATALOG))
def test_every_twin_loads_through_the_real_loader(key):
    import diffusers
    import torch
    import transformers

    spec = CATALOG[key]
    source = loaders.resolve(spec, "tiny")
    assert source.is_twin and twins.is_twin(source.path)
    loaded = loaders.load(spec, source.path, "cpu", torch.float32)
    expected = getattr(transformers, spec.architecture, None) or getattr(diffusers, spec.architecture, None)
    if spec.architecture == "StableDiffusionSafetyChecker":  # the one class diffusers does not export
        from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker as expected
    assert isinstance(loaded.model, expected)
    if spec.is_diffusion:
        assert loaded.tokenizer is None
        assert all(p.dtype == torch.float32 for p in loaded.model.unet.parameters())
    elif spec.kind == "safety-checker":  # no tokenizer: the CLIP image processor it reads images with
        from PIL import Image

        assert isinstance(loaded.tokenizer, transformers.CLIPImageProcessor)
        assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
        side = loaded.model.config.vision_config.image_size
        pixels = loaded.tokenizer(images=[Image.new("RGB", (64, 48))], return_tensors="pt")["pixel_values"]
        assert pixels.shape == (1, 3, side, side)
    else:
        assert isinstance(loaded.tokenizer, getattr(transformers, spec.tokenizer_class))
        assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
        assert not loaded.model.training
        ids = loaded.tokenizer("hello 你好", return_tensors="pt")["input_ids"]
        assert ids.shape[1] > 0


def test_twins_are_cached_and_deterministic():
    spec = get_spec("gpt2")
    path = twins.ensure_twin(spec)
    mtime = (path / twins.MARKER).stat().st_mtime
    assert twins.ensure_twin(spec) == path and (path / twins.MARKER).stat().st_mtime == mtime


def test_every_task_has_a_cpu_default():
    for task in ("text-generation", "poetry", "summarization", "text-to-image"):
        assert not get_spec(default_model(task)).gpu_only


def test_hub_mode_offline_names_the_model_and_the_command():
    spec = get_spec("qwen2.5-0.5b-instruct")
    with pytest.raises(UserError) as info:
        loaders.resolve(spec, "hub")
    assert spec.repo_id in info.value.en and "python -m aigc_demo download qwen2.5-0.5b-instruct" in info.value.en
    assert spec.repo_id in info.value.zh


def test_auto_mode_offline_falls_back_to_twin():
    source = loaders.resolve(get_spec("gpt2"), "auto")
    assert source.is_twin and "unreachable" in source.reason


def test_hub_check_gives_up_after_its_timeout(monkeypatch):
    import huggingface_hub.constants as hfc

    monkeypatch.setattr(hfc, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(loaders, "_reachable", None)

    def never_answers(*args, **kwargs):  # a network that never answers: then a timeout, as a real socket would end
        time.sleep(30)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", never_answers)
    start = time.monotonic()
    assert loaders.hub_reachable(timeout=0.3) is False
    assert time.monotonic() - start < 5  # bounded by the timeout, not by the 30 s hang


def test_bad_mode_is_a_clear_error():
    with pytest.raises(UserError, match="AIGC_MODELS"):
        loaders.resolve(get_spec("gpt2"), "cloud")


def test_loader_rejects_a_folder_with_another_architecture():
    import torch

    wrong = get_spec("gpt2")
    bart_path = twins.ensure_twin(get_spec("distilbart-cnn-12-6"))
    with pytest.raises(RuntimeError, match="^gpt2: expected GPT2LMHeadModel, but the files hold BartForCausalLM"):
        loaders.load(wrong, bart_path, "cpu", torch.float32)
