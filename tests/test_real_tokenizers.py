"""The twins carry the real tokenizers, rebuilt from package-registry files: the README table's facts, checked.

Each tokenizer is read back from its twin's folder through the loader, as the app reads it. Where the registry could
not be reached when the twins were built, the twin has a local tokenizer and says so in its marker; those tests skip
with that reason (CI fetches them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aigc_demo import loaders, twins
from aigc_demo.catalog import get_spec

ROOT = Path(__file__).resolve().parents[1]


def _real_tokenizer(key: str):
    path = twins.ensure_twin(get_spec(key))
    if twins.twin_tokenizer(path) != "real":
        pytest.skip(f"{key}'s twin has a local tokenizer: the package registry was unreachable when it was built")
    return loaders.load_tokenizer(path)


def test_gpt2_twin_has_openai_gpt2_tokenizer():
    tok = _real_tokenizer("gpt2")
    assert type(tok).__name__ == "GPT2Tokenizer" and len(tok) == 50257
    assert tok("Hello world").input_ids == [15496, 995]
    assert tok(" the").input_ids == [262]
    assert tok.eos_token == "<|endoftext|>" and tok.eos_token_id == 50256
    assert tok.decode(tok("naïve café, 你好!").input_ids) == "naïve café, 你好!"  # byte-level: nothing is lost


def test_qwen_twin_has_qwen25_tokenizer_special_tokens_and_chat_template():
    from aigc_demo.twin_tokenizers import QWEN_ADDED_TOKENS

    tok = _real_tokenizer("qwen2.5-0.5b-instruct")
    assert type(tok).__name__ == "Qwen2Tokenizer" and len(tok) == 151665
    assert tok("Hello world").input_ids == [9707, 1879]
    assert tok("你好").input_ids == [108386]
    assert [tok.convert_tokens_to_ids(t) for t, _ in QWEN_ADDED_TOKENS] == list(range(151643, 151665))
    assert tok.convert_ids_to_tokens([151643, 151644, 151645]) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert (tok.eos_token_id, tok.pad_token_id, tok.bos_token_id) == (151645, 151643, None)
    assert tok("<|im_start|>user\n").input_ids == [151644, 872, 198]  # one id each, never split
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert text == (
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    twin_config = json.loads((twins.twin_dir(get_spec("qwen2.5-0.5b-instruct")) / "config.json").read_text())
    assert twin_config["vocab_size"] == 151936  # the real model's padded embedding rows


def test_poem_twin_has_bert_base_chinese_vocab():
    tok = _real_tokenizer("gpt2-chinese-poem")
    assert type(tok).__name__ == "BertTokenizer" and len(tok) == 21128
    assert tok.convert_tokens_to_ids(["[CLS]", "[SEP]", "春", "的"]) == [101, 102, 3217, 4638]
    assert tok("春眠不觉晓").input_ids == [101, 3217, 4697, 679, 6230, 3236, 102]


def test_sd_turbo_twin_has_clip_tokenizer():
    from transformers import CLIPTokenizer

    path = twins.ensure_twin(get_spec("sd-turbo"))
    if twins.twin_tokenizer(path) != "real":
        pytest.skip("sd-turbo's twin has a local tokenizer: the package registry was unreachable")
    tok = CLIPTokenizer.from_pretrained(path / "tokenizer")
    assert len(tok) == 49408 and tok.model_max_length == 77
    assert tok("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert tok.pad_token == "!" and tok.pad_token_id == 0
    padded = tok("a cat", padding="max_length", max_length=77).input_ids
    assert len(padded) == 77 and padded[:4] == [49406, 320, 2368, 49407] and set(padded[4:]) == {0}


def test_bart_twins_keep_a_local_tokenizer():
    path = twins.ensure_twin(get_spec("distilbart-cnn-12-6"))
    assert twins.twin_tokenizer(path) == "local"  # no registry carries BART's renumbered vocabulary


def test_twins_fall_back_to_local_tokenizers_without_a_registry(tmp_path):
    """No index at all: the twin still builds, with a trained tokenizer, and one logged line says why."""
    env = {
        **os.environ,
        "AIGC_CACHE_DIR": str(tmp_path),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
    }
    script = (
        "import logging; logging.basicConfig(level=logging.WARNING);"
        "from aigc_demo import twins; from aigc_demo.catalog import get_spec;"
        "print(twins.twin_tokenizer(twins.ensure_twin(get_spec('gpt2'))));"
        "print(twins.twin_tokenizer(twins.ensure_twin(get_spec('gpt2-chinese-poem'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["local", "local"]
    lines = [line for line in done.stderr.splitlines() if "Real tokenizer files cannot be fetched" in line]
    assert len(lines) == 1 and "openai-whisper==20250625" in lines[0]
    assert not (tmp_path / "registry" / "gpt2.tiktoken").exists()
