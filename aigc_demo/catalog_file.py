"""Checks for an administrator's catalogue file (AIGC_CATALOG_FILE): each entry is refused with one sentence naming
the file and the entry, because a key becomes a folder name (the twin cache), a size feeds the memory budget, and an
endpoint is a URL the server connects to."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from aigc_demo import registry

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
KNOWN_TASKS = registry.catalog_tasks()  # what catalog.TASKS is: catalog imports this module, not the reverse
TEXTS = ("key", "repo_id", "revision", "library", "architecture", "tokenizer_class", "kind", "license", "description")


class CatalogFileError(ValueError):
    """An entry of AIGC_CATALOG_FILE that cannot be used as it is."""


def check_entries(path: str, entries: Any, names: set[str], built_in: set[str]) -> list[dict]:
    """The file's entries as ModelSpec keyword arguments, or a CatalogFileError for the first one that is wrong."""
    if not isinstance(entries, list):
        raise CatalogFileError(f"{path}: expected a JSON list of catalogue entries, got {type(entries).__name__}.")
    seen: set[str] = set()
    checked = []
    for index, raw in enumerate(entries):
        where = f"{path}, entry {index + 1}"
        if not isinstance(raw, dict):
            raise CatalogFileError(f"{where}: expected an object of catalogue fields, got {type(raw).__name__}.")
        key = raw.get("key")
        if isinstance(key, str) and KEY.match(key):
            where += f" ({key})"
        entry = _check_entry(where, raw, names)
        if entry["key"] in built_in or entry["key"] in seen:
            raise CatalogFileError(
                f"{where}: the key {entry['key']!r} is already defined; pick a new key (entries never replace "
                "built-in or earlier ones)."
            )
        seen.add(entry["key"])
        checked.append(entry)
    return checked


def _check_entry(where: str, raw: dict, names: set[str]) -> dict:
    unknown = set(raw) - names
    if unknown:
        raise CatalogFileError(
            f"{where}: unknown catalogue fields {sorted(unknown)}; expected some of {sorted(names)}."
        )
    for name in TEXTS:
        if name in raw and not isinstance(raw[name], str):
            raise CatalogFileError(f"{where}: {name} must be text, got {type(raw[name]).__name__}.")
    key = raw.get("key", "")
    if not isinstance(key, str) or not KEY.match(key):
        raise CatalogFileError(
            f"{where}: key {key!r} must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
    entry = dict(raw)
    for name in ("tasks", "languages"):
        value = raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise CatalogFileError(f'{where}: {name} must be a list of names, e.g. ["text-generation"].')
        entry[name] = tuple(value)
    wrong = [t for t in entry["tasks"] if t not in KNOWN_TASKS]
    if not entry["tasks"] or wrong:
        raise CatalogFileError(f"{where}: tasks must be some of {', '.join(KNOWN_TASKS)}; got {raw.get('tasks')!r}.")
    _check_numbers(where, raw)
    endpoint = raw.get("endpoint", "")
    if not isinstance(endpoint, str) or (endpoint and not _is_http(endpoint)):
        raise CatalogFileError(f"{where}: endpoint must be an http(s) URL, got {endpoint!r}.")
    if "gpu_only" in raw and not isinstance(raw["gpu_only"], bool):
        raise CatalogFileError(f"{where}: gpu_only must be true or false.")
    if "defaults" in raw and not isinstance(raw["defaults"], dict):
        raise CatalogFileError(f"{where}: defaults must be an object.")
    return entry


def _check_numbers(where: str, raw: dict) -> None:
    for name, positive in (("params_m", True), ("context_window", False)):
        value = raw.get(name, 1 if positive else 0)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e7
        if not ok or (positive and value <= 0 and not raw.get("endpoint")):
            sign = "a positive number" if positive else "a number of 0 or more"
            raise CatalogFileError(f"{where}: {name} must be {sign} (below 10 million), got {value!r}.")


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
