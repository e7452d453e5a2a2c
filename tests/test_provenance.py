"""Labels and signed provenance: the text download header and the C2PA manifest round-trip, tampering is caught."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from aigc_demo.tasks import labels, provenance

RECIPE = {"model": "sd-turbo", "seed": 7, "prompt": "a cat", "num_inference_steps": 1, "guidance_scale": 0.0}


@pytest.fixture()
def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_signed_manifest_round_trips_marker_and_recipe(png, tmp_path, monkeypatch):
    monkeypatch.setattr(provenance.settings, "CACHE_DIR", tmp_path)
    signed, operator = provenance.sign_png(png, RECIPE, "cat.png")
    assert operator is False  # no AIGC_C2PA_CERT/KEY: the local self-signed pair
    report = provenance.read_manifest(signed)
    assert report.present and report.ai_generated and report.recipe == RECIPE
    assert report.state == "Valid"  # signature and hashes verify
    assert "unverified" in report.signer
    assert Image.open(io.BytesIO(signed)).size == (64, 64)
    assert (tmp_path / "c2pa" / "signer.key").stat().st_mode & 0o077 == 0  # the key is the owner's alone


def test_tampered_pixels_fail_verification(png, tmp_path, monkeypatch):
    monkeypatch.setattr(provenance.settings, "CACHE_DIR", tmp_path)
    signed = bytearray(provenance.sign_png(png, RECIPE)[0])
    idat = signed.find(b"IDAT")
    signed[idat + 10] ^= 0xFF
    report = provenance.read_manifest(bytes(signed))
    assert report.present and report.state == "Invalid"
    assert any("mismatch" in e for e in report.errors)


def test_a_png_without_a_manifest_says_so(png):
    assert provenance.read_manifest(png).present is False


def test_text_download_header_round_trips():
    meta = labels.info("zh", model="gpt2", seed=42, parameters={"temperature": 0.7}, is_twin=True, task="text")
    document = labels.text_document("第一行\n---\n第二行", meta)
    header, text = labels.read_text_label(document)
    assert header == meta and header["ai_generated"] is True and header["label"] == "🤖 AI 生成 · gpt2 · 种子 42"
    assert text == "第一行\n---\n第二行"  # a fence inside the text is text
    assert labels.read_text_label("plain text, no header") is None


def test_extracted_summaries_are_not_called_generated():
    meta = labels.info(
        "en", model="extractive", seed=None, parameters={}, is_twin=False, task="summary", ai_generated=False
    )
    assert meta["ai_generated"] is False and meta["label"].startswith("✂️ Extracted by an algorithm")


def test_file_names_carry_task_slug_and_seed():
    assert labels.file_name("image", "A Cat, on the MAT!", 42, ".png") == "image-a-cat-on-the-mat-seed42.png"
    assert labels.file_name("poem", "明月", None, ".md") == "poem-output.md"
