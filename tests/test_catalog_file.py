"""AIGC_CATALOG_FILE entries are checked (issue #12, item 20): one error naming the file and entry, and a twin's
folder never leaves the cache."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from aigc_demo import catalog, twins
from aigc_demo.catalog_file import CatalogFileError

GOOD = {
    "key": "my-gpt2",
    "tasks": ["text-generation"],
    "repo_id": "someone/gpt2",
    "revision": "main",
    "library": "transformers",
    "architecture": "GPT2LMHeadModel",
    "tokenizer_class": "GPT2TokenizerFast",
    "kind": "base",
    "languages": ["en"],
    "params_m": 124,
    "license": "mit",
    "context_window": 1024,
}


def load(tmp_path, monkeypatch, *entries) -> None:
    monkeypatch.setattr(catalog, "CATALOG", dict(catalog.CATALOG))  # the real catalogue stays as it was
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(list(entries)), encoding="utf-8")
    catalog._load_extra(str(path))


def test_a_good_entry_is_added(tmp_path, monkeypatch):
    load(tmp_path, monkeypatch, GOOD)
    assert catalog.CATALOG["my-gpt2"].tasks == ("text-generation",)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"key": "../../victim"}, "must be lower-case letters"),
        ({"key": "Upper"}, "must be lower-case letters"),
        ({"key": "gpt2"}, "already defined"),
        ({"tasks": "poetry"}, "tasks must be a list"),
        ({"tasks": ["poetry", "painting"]}, "tasks must be some of"),
        ({"params_m": -5}, "params_m must be a positive number"),
        ({"params_m": "big"}, "params_m must be a positive number"),
        ({"context_window": -1}, "context_window must be a number of 0 or more"),
        ({"endpoint": "file:///etc/passwd"}, "endpoint must be an http(s) URL"),
        ({"repo_id": ["a"]}, "repo_id must be text"),
        ({"gpu_only": "yes"}, "gpu_only must be true or false"),
        ({"surprise": 1}, "unknown catalogue fields"),
    ],
)
def test_a_wrong_entry_is_one_error_naming_file_and_entry(tmp_path, monkeypatch, change, said):
    with pytest.raises(CatalogFileError) as caught:
        load(tmp_path, monkeypatch, GOOD | {"key": "first"}, GOOD | change)
    message = str(caught.value)
    assert said in message and "extra.json, entry 2" in message, message


def test_a_repeated_key_in_the_file_is_refused(tmp_path, monkeypatch):
    with pytest.raises(CatalogFileError, match="entry 2 .my-gpt2.: the key 'my-gpt2' is already defined"):
        load(tmp_path, monkeypatch, GOOD, GOOD)


def test_a_file_that_is_not_a_list_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    with pytest.raises(CatalogFileError, match="expected a JSON list"):
        catalog._load_extra(str(path))


def test_a_twin_folder_stays_inside_the_cache():
    spec = replace(catalog.get_spec("gpt2"), key="../../victim")
    with pytest.raises(ValueError, match="outside"):
        twins.twin_dir(spec)
    assert twins.twin_dir(catalog.get_spec("gpt2")).parent.name == "twins"
