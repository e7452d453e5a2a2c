"""Labels and signed provenance: the text download header and the C2PA manifest round-trip, tampering is caught."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from aigc_demo.tasks.common import labels
from aigc_demo.tasks.image import provenance

RECIPE = {"model": "sd-turbo", "seed": 7, "prompt": "a cat", "num_inference_steps": 1, "guidance_scale": 0.0}


@pytest.fixture(autouse=True)
def fresh_signer(tmp_path, monkeypatch):
    """Each test signs with credentials made in its own cache (the signer is otherwise made once per process)."""
    monkeypatch.setattr(provenance.settings, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(provenance, "_signer_cache", {})


@pytest.fixture()
def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_signed_manifest_round_trips_marker_and_recipe(png, tmp_path, monkeypatch):
    signed, operator = provenance.sign_png(png, RECIPE, "cat.png")
    assert operator is False  # no AIGC_C2PA_CERT/KEY: the local self-signed pair
    report = provenance.read_manifest(signed)
    assert report.present and report.ai_generated and report.recipe == RECIPE
    assert report.state == "Valid" and report.valid  # signature and hashes verify; the signer is merely unknown
    assert "unverified" in report.signer
    assert Image.open(io.BytesIO(signed)).size == (64, 64)
    assert (tmp_path / "c2pa" / "signer.key").stat().st_mode & 0o077 == 0  # the key is the owner's alone


def test_tampered_pixels_fail_verification(png, tmp_path, monkeypatch):
    signed = bytearray(provenance.sign_png(png, RECIPE)[0])
    idat = signed.find(b"IDAT")
    signed[idat + 10] ^= 0xFF
    report = provenance.read_manifest(bytes(signed))
    assert report.present and report.state == "Invalid" and not report.valid
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


def _run_inspect(path, *flags):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "aigc_demo", "inspect", str(path), *flags], capture_output=True, text=True, timeout=120
    )


def test_inspect_round_trips_a_signed_generated_png(png, tmp_path, monkeypatch):
    import json

    from aigc_demo.tasks.image import metadata as image_metadata

    monkeypatch.setenv("AIGC_CACHE_DIR", str(tmp_path))
    image = image_metadata.annotate(
        Image.open(io.BytesIO(png)),
        RECIPE | {"scheduler": "EulerDiscreteScheduler", "width": 64, "height": 64, "revision": "abc"},
    )
    out = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in image.info.items():
        info.add_itxt(key, str(value)) if key == "XML:com.adobe.xmp" else info.add_text(key, str(value))
    image.save(out, "PNG", pnginfo=info)
    signed = tmp_path / "image-a-cat-seed7.png"
    signed.write_bytes(provenance.sign_png(out.getvalue(), RECIPE)[0])

    done = _run_inspect(signed, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ai_generated"] and report["model"] == "sd-turbo" and report["seed"] == 7
    assert report["parameters"]["prompt"] == "a cat" and report["c2pa"]["valid"] is True
    assert len(report["markers"]) == 3  # text chunk, XMP and the C2PA action
    human = _run_inspect(signed)
    assert "signature verifies" in human.stdout and "unverified signer" in human.stdout

    tampered = bytearray(signed.read_bytes())
    tampered[tampered.find(b"IDAT") + 10] ^= 0xFF
    signed.write_bytes(bytes(tampered))
    broken = _run_inspect(signed)
    assert broken.returncode == 3 and "does NOT verify" in broken.stdout


def test_inspect_reads_a_text_download_and_refuses_other_files(tmp_path):
    meta = labels.info("en", model="gpt2", seed=3, parameters={"top_p": 0.9}, is_twin=False, task="text")
    path = labels.write_text_download(tmp_path, "Once upon a time", meta, "Once upon")
    assert path.name == "text-once-upon-seed3.md"
    done = _run_inspect(path)
    assert done.returncode == 0 and "model: gpt2" in done.stdout and "seed: 3" in done.stdout
    plain = tmp_path / "plain.txt"
    plain.write_text("just words")
    assert _run_inspect(plain).returncode == 2
    assert _run_inspect(tmp_path / "missing.png").returncode == 2
    unmarked = tmp_path / "unmarked.png"
    Image.new("RGB", (8, 8)).save(unmarked)
    assert _run_inspect(unmarked).returncode == 1
