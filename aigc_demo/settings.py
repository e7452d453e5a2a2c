"""Environment-driven constants (AIGC_*). Imports neither torch nor gradio, so it is cheap to read and to import.

Every slider has a MAX_/DEFAULT_ pair; the README's settings table is checked against this file by the tests.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path


class SettingsError(SystemExit):
    """A setting with a value the app cannot use: raised at import, so the app stops at start-up with one sentence.

    A SystemExit, so that `python app.py` and `python -m aigc_demo` print the sentence alone (no traceback) and exit 1.
    """


def _fail(name: str, value: str, allowed: str) -> SettingsError:
    return SettingsError(f"Setting {name}={value!r} is not allowed: {allowed}.")


def _raw(name: str) -> str | None:
    """The variable's value, or None when it is unset or blank (blank = use the default)."""
    value = os.getenv(name)
    return value.strip() if value is not None and value.strip() else None


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    return f" of at most {high}" if high is not None else ""


def _int(name: str, default: int, low: int | None = 0, high: int | None = None) -> int:
    text = _raw(name)
    if text is None:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise _fail(name, text, f"it must be a whole number{_bounds(low, high)}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise _fail(name, text, f"it must be a whole number{_bounds(low, high)}")
    return value


def _float(name: str, default: float, low: float | None = 0.0, high: float | None = None) -> float:
    text = _raw(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise _fail(name, text, f"it must be a number{_bounds(low, high)}")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _bool(name: str, default: bool) -> bool:
    text = _raw(name)
    if text is None:
        return default
    if text.lower() in _TRUE + _FALSE:
        return text.lower() in _TRUE
    raise _fail(name, text, "it must be 1, true, yes or on (on), or 0, false, no or off (off)")


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, case-insensitive (returned as spelled in `choices`)."""
    text = _raw(name)
    if text is None:
        return default
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    raise _fail(name, text, f"it must be one of {', '.join(choices)}")


def _size(name: str, default: str) -> str:
    """`auto` or an amount of memory parse_bytes reads ('8GB', '512MiB', bytes); kept as text."""
    text = _raw(name)
    if text is None or text.lower() == "auto":
        return default if text is None else "auto"
    try:
        ok = parse_bytes(text) > 0
    except ValueError:
        ok = False
    if not ok:
        raise _fail(name, text, "it must be auto or an amount of memory such as 8GB, 512MiB or a number of bytes")
    return text


def _url(name: str) -> str:
    text = (_raw(name) or "").rstrip("/")
    if text and not re.match(r"https?://[^/\s]+", text):
        raise _fail(name, text, "it must be empty or an http:// or https:// URL such as http://localhost:8000/v1")
    return text


def parse_bytes(text: str) -> int:
    """'8GB', '512MiB', '1.5g' or a plain number of bytes -> bytes."""
    text = text.strip().lower().replace(" ", "")
    units = {
        "tib": 1024**4,
        "gib": 1024**3,
        "mib": 1024**2,
        "kib": 1024,
        "tb": 1000**4,
        "gb": 1000**3,
        "mb": 1000**2,
        "kb": 1000,
        "t": 1024**4,
        "g": 1024**3,
        "m": 1024**2,
        "k": 1024,
        "b": 1,
    }
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(float(text))


# --- Models and memory ------------------------------------------------------------------------------------------
MODELS = _choice("AIGC_MODELS", "auto", ("hub", "tiny", "auto"))  # hub = real only, tiny = twins, auto = real if can
DEVICE = _choice("AIGC_DEVICE", "auto", ("auto", "cpu", "cuda", "mps"))
DTYPE = _choice("AIGC_DTYPE", "auto", ("auto", "float32", "float16", "bfloat16"))  # auto = per model (see manager)
MEMORY_BUDGET = _size("AIGC_MEMORY_BUDGET", "auto")  # bytes ("8GB"); auto = 70% of free RAM/VRAM at start-up
IDLE_UNLOAD_S = _float("AIGC_IDLE_UNLOAD_S", 0)  # seconds a model may sit unused before it is unloaded; 0 = never
PRELOAD = [
    k for k in os.getenv("AIGC_PRELOAD", "").split(",") if k.strip()
]  # keys loaded at start-up (ZeroGPU loads all)
CACHE_DIR = Path(os.getenv("AIGC_CACHE_DIR", str(Path.home() / ".cache" / "aigc_demo")))  # twins live here
HUB_CHECK_TIMEOUT_S = _float("AIGC_HUB_CHECK_TIMEOUT_S", 1.5, low=0.01)  # how long `auto` waits for the Hub
CATALOG_FILE = os.getenv("AIGC_CATALOG_FILE", "")  # JSON file of extra catalogue entries, for administrators
TEXT_ENGINE_URL = _url("AIGC_TEXT_ENGINE_URL")  # OpenAI-compatible server, e.g. vLLM
TEXT_ENGINE_MODEL = os.getenv("AIGC_TEXT_ENGINE_MODEL", "")  # the model id the engine serves (see its /v1/models)
TEXT_ENGINE_KIND = _choice("AIGC_TEXT_ENGINE_KIND", "instruct", ("instruct", "base"))  # chat model, or continues text
TEXT_ENGINE_API_KEY = os.getenv("AIGC_TEXT_ENGINE_API_KEY", "")  # sent as a Bearer token, when the engine wants one
TEXT_ENGINE_TIMEOUT_S = _float("AIGC_TEXT_ENGINE_TIMEOUT_S", 60, low=0.1)  # longest wait for the next chunk
TEXT_ENGINE_TOTAL_S = _float("AIGC_TEXT_ENGINE_TOTAL_S", 300)  # seconds one engine request may stream in all
# `python -m aigc_demo serve-engine MODEL`: a llama.cpp engine on this machine, next to the app
ENGINE_PORT = _int("AIGC_ENGINE_PORT", 8000, low=1, high=65535)  # the port it listens on (127.0.0.1)
ENGINE_SLOTS = _int("AIGC_ENGINE_SLOTS", 4, low=1, high=64)  # requests it decodes together (llama-server --parallel)
ENGINE_CONTEXT = _int("AIGC_ENGINE_CONTEXT", 2048, low=256)  # tokens of context per slot (prompt + answer)
# llama-server samples inside its decoding graph (its --backend-sampling), on all its threads, instead of one slot
# after another on its main thread: each token of each slot otherwise walks Gemma's 262,144-token vocabulary there
ENGINE_BACKEND_SAMPLING = _bool("AIGC_ENGINE_BACKEND_SAMPLING", True)
ALLOW_UNLOAD = _bool("AIGC_ALLOW_UNLOAD", False)  # let visitors unload models (an operator action; on with auth)

# --- Serving ----------------------------------------------------------------------------------------------------
QUEUE_SIZE = _int("AIGC_QUEUE_SIZE", 64, low=1)  # requests that may wait; more get "queue full, try again"
CONCURRENCY = _int("AIGC_CONCURRENCY", 1, low=1)  # model runs at the same time (one shared queue for all tabs)
SAFE_MODE = _bool("AIGC_SAFE_MODE", True)  # safety checker on images, blocklist on prompts
# Safe mode also runs Stable Diffusion's own safety checker (catalogue "sd-safety-checker", ~1.2 GB) on the images of
# models that ship none (sd-turbo, sdxl-turbo): opt-in, as it is one more model to download and hold.
SAFETY_CHECKER = _bool("AIGC_SAFETY_CHECKER", False)
BLOCKLIST_FILE = os.getenv("AIGC_BLOCKLIST_FILE", "").strip()  # safe mode's prompt block list; empty = the shipped one
if BLOCKLIST_FILE and not os.path.isfile(BLOCKLIST_FILE):
    raise _fail("AIGC_BLOCKLIST_FILE", BLOCKLIST_FILE, "it must name a readable file in the block list's format")
LOG_LEVEL = _choice("AIGC_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
MCP = _bool("AIGC_MCP", False)  # gradio's MCP server beside the web app (needs the optional `gradio[mcp]`)
MAX_JOBS_PER_SESSION = _int("AIGC_MAX_JOBS_PER_SESSION", 2)  # requests one browser session may have waiting or running
MAX_JOBS_PER_IP = _int("AIGC_MAX_JOBS_PER_IP", 8)  # requests one client address may have waiting or running
LIGHT_CONCURRENCY = _int("AIGC_LIGHT_CONCURRENCY", 4)  # model-free runs (extractive summaries) at the same time
RUN_TIMEOUT_S = _float("AIGC_RUN_TIMEOUT_S", 300)  # seconds one run may take before it is stopped
STOP_GRACE_S = _float("AIGC_STOP_GRACE_S", 30)  # seconds a stopped run's worker gets to end before the slot is freed
SESSION_CAPACITY = _int("AIGC_SESSION_CAPACITY", 500)  # browser sessions whose state is kept; the oldest go first
MAX_REQUEST_BYTES = _int("AIGC_MAX_REQUEST_BYTES", 2_000_000)  # largest request body; uploads are refused

# --- Text generation --------------------------------------------------------------------------------------------
MAX_PROMPT_CHARS = _int("AIGC_MAX_PROMPT_CHARS", 4000)
MAX_NEW_TOKENS = _int("AIGC_MAX_NEW_TOKENS", 1024)
DEFAULT_NEW_TOKENS = min(MAX_NEW_TOKENS, _int("AIGC_DEFAULT_NEW_TOKENS", 128))
MAX_TEMPERATURE = _float("AIGC_MAX_TEMPERATURE", 2.0)
DEFAULT_TEMPERATURE = min(MAX_TEMPERATURE, _float("AIGC_DEFAULT_TEMPERATURE", 0.7))  # 0 = greedy, 1 = unchanged
MAX_TOP_K = _int("AIGC_MAX_TOP_K", 200)
DEFAULT_TOP_K = min(MAX_TOP_K, _int("AIGC_DEFAULT_TOP_K", 50))  # 0 = off
DEFAULT_TOP_P = _float("AIGC_DEFAULT_TOP_P", 0.9)  # 1.0 = off
DEFAULT_MIN_P = _float("AIGC_DEFAULT_MIN_P", 0.0)  # 0 = off
DEFAULT_TYPICAL_P = _float("AIGC_DEFAULT_TYPICAL_P", 1.0)  # 1.0 = off
MAX_REPETITION_PENALTY = _float("AIGC_MAX_REPETITION_PENALTY", 2.0)
DEFAULT_REPETITION_PENALTY = min(MAX_REPETITION_PENALTY, _float("AIGC_DEFAULT_REPETITION_PENALTY", 1.1))  # 1.0 = off
MAX_NO_REPEAT_NGRAM = _int("AIGC_MAX_NO_REPEAT_NGRAM", 10)
MAX_CANDIDATES = _int("AIGC_MAX_CANDIDATES", 4)
DEFAULT_CANDIDATES = min(MAX_CANDIDATES, _int("AIGC_DEFAULT_CANDIDATES", 1))
MAX_SEED = 2**31 - 1

# --- News summary -----------------------------------------------------------------------------------------------
MAX_ARTICLE_CHARS = _int("AIGC_MAX_ARTICLE_CHARS", 50_000)
MAX_SUMMARY_SENTENCES = _int("AIGC_MAX_SUMMARY_SENTENCES", 10)
DEFAULT_SUMMARY_SENTENCES = min(MAX_SUMMARY_SENTENCES, _int("AIGC_DEFAULT_SUMMARY_SENTENCES", 3))
MAX_SUMMARY_TOKENS = _int("AIGC_MAX_SUMMARY_TOKENS", 512)
DEFAULT_SUMMARY_TOKENS = min(MAX_SUMMARY_TOKENS, _int("AIGC_DEFAULT_SUMMARY_TOKENS", 142))

# --- Text to image ----------------------------------------------------------------------------------------------
MAX_IMAGE_SIZE = _int("AIGC_MAX_IMAGE_SIZE", 1024)  # pixels per side
MIN_IMAGE_SIZE = _int("AIGC_MIN_IMAGE_SIZE", 64)
MAX_IMAGE_STEPS = _int("AIGC_MAX_IMAGE_STEPS", 50)
MAX_GUIDANCE_SCALE = _float("AIGC_MAX_GUIDANCE_SCALE", 20.0)
MAX_NUM_IMAGES = _int("AIGC_MAX_NUM_IMAGES", 4)
DEFAULT_NUM_IMAGES = min(MAX_NUM_IMAGES, _int("AIGC_DEFAULT_NUM_IMAGES", 1))
CPU_IMAGE_WORK = _float("AIGC_CPU_IMAGE_WORK", 4.5)  # megapixel-steps one request may ask of a CPU (w x h x steps x n)

# --- Labels and provenance --------------------------------------------------------------------------------------
C2PA_CERT = os.getenv("AIGC_C2PA_CERT", "")  # PEM chain (signer first) that signs images' C2PA manifests
C2PA_KEY = os.getenv("AIGC_C2PA_KEY", "")  # its private key (PEM); neither set = a local self-signed pair, unverified
