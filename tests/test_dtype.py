"""A dtype per model: LMs bf16 on GPUs with compute capability >= 8 (fp16 before), diffusion fp16, CPU fp32."""

from __future__ import annotations

import pytest
import torch

from aigc_demo import manager as manager_module
from aigc_demo.catalog import CATALOG
from aigc_demo.manager import ModelManager, model_dtype

LMS = [s for s in CATALOG.values() if s.library == "transformers"]
PIPELINES = [s for s in CATALOG.values() if s.library == "diffusers"]


@pytest.mark.parametrize(
    "capability, expected", [((9, 0), torch.bfloat16), ((8, 0), torch.bfloat16), ((7, 5), torch.float16)]
)
def test_language_models_bf16_where_the_gpu_has_it(capability, expected):
    assert LMS and all(model_dtype(s, "cuda", capability) == expected for s in LMS)


@pytest.mark.parametrize("capability", [(9, 0), (7, 5)])
def test_diffusion_pipelines_fp16_on_any_gpu(capability):
    assert PIPELINES and all(model_dtype(s, "cuda", capability) == torch.float16 for s in PIPELINES)


def test_cpu_fp32_and_mps_fp16():
    assert {model_dtype(s, "cpu") for s in CATALOG.values()} == {torch.float32}
    assert {model_dtype(s, "mps") for s in LMS + PIPELINES} == {torch.float16}


def test_each_loaded_model_keeps_its_own_dtype(monkeypatch):
    """Recorded per model on the LoadedModel and in status (the Models tab's table), not one manager-wide dtype."""
    seen = {}
    monkeypatch.setattr(
        manager_module,
        "model_dtype",
        lambda spec, device: seen.setdefault(
            spec.key, torch.bfloat16 if spec.library == "transformers" else torch.float16
        ),
    )

    from aigc_demo import loaders

    # the real loader, in fp32: half precision on CPU is not the point here, the bookkeeping is
    load = lambda spec, path, device, dtype: loaders.load(spec, path, device, torch.float32)
    mgr = ModelManager(mode="tiny", device="cpu", budget_bytes=10**9, load=load)
    assert mgr.get("gpt2").dtype == torch.bfloat16
    assert mgr.get("sd-turbo").dtype == torch.float16
    rows = {m["key"]: m["dtype"] for m in mgr.status()["loaded"]}
    assert rows == {"gpt2": "bfloat16", "sd-turbo": "float16"}
    assert mgr.status()["dtype"] == "per model"


def test_explicit_dtype_overrides_every_model(monkeypatch):
    monkeypatch.setattr(manager_module.settings, "DTYPE", "float16")
    mgr = ModelManager(mode="tiny", device="cuda", budget_bytes=10**9)
    assert mgr.dtype == torch.float16
    assert {mgr.dtype_for(s) for s in LMS + PIPELINES} == {torch.float16}
