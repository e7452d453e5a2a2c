"""Environment-driven constants (AIGC_*). Imports neither torch nor gradio, so it is cheap to read and to import.

Every slider has a MAX_/DEFAULT_ pair; the README's settings table is checked against this file by the tests.
"""

from __future__ import annotations

import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    return int(os.getenv(name, str(default)))


def _float(name: str, default: float) -> float:
    return float(os.getenv(name, str(default)))


def _bool(name: str, default: bool) -> bool:
    return os.getenv(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


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
MODELS = (
    os.getenv("AIGC_MODELS", "auto").strip().lower()
)  # hub = real models only, tiny = offline twins, auto = real if possible
DEVICE = os.getenv("AIGC_DEVICE", "auto").strip().lower()  # auto | cpu | cuda | mps
DTYPE = os.getenv("AIGC_DTYPE", "auto").strip().lower()  # auto | float32 | float16 | bfloat16
MEMORY_BUDGET = os.getenv("AIGC_MEMORY_BUDGET", "auto")  # bytes ("8GB"); auto = 70% of free RAM/VRAM at start-up
IDLE_UNLOAD_S = _float("AIGC_IDLE_UNLOAD_S", 0)  # seconds a model may sit unused before it is unloaded; 0 = never
PRELOAD = [
    k for k in os.getenv("AIGC_PRELOAD", "").split(",") if k.strip()
]  # keys loaded at start-up (ZeroGPU loads all)
CACHE_DIR = Path(os.getenv("AIGC_CACHE_DIR", str(Path.home() / ".cache" / "aigc_demo")))  # twins live here
HUB_CHECK_TIMEOUT_S = _float("AIGC_HUB_CHECK_TIMEOUT_S", 1.5)  # how long `auto` waits for the Hub before using a twin
CATALOG_FILE = os.getenv("AIGC_CATALOG_FILE", "")  # JSON file of extra catalogue entries, for administrators
TEXT_ENGINE_URL = os.getenv("AIGC_TEXT_ENGINE_URL", "").strip().rstrip("/")  # OpenAI-compatible server, e.g. vLLM
TEXT_ENGINE_MODEL = os.getenv("AIGC_TEXT_ENGINE_MODEL", "")  # the model id the engine serves (see its /v1/models)
TEXT_ENGINE_API_KEY = os.getenv("AIGC_TEXT_ENGINE_API_KEY", "")  # sent as a Bearer token, when the engine wants one
TEXT_ENGINE_TIMEOUT_S = _float("AIGC_TEXT_ENGINE_TIMEOUT_S", 60)  # longest wait for the engine's next streamed chunk
TEXT_ENGINE_TOTAL_S = _float("AIGC_TEXT_ENGINE_TOTAL_S", 300)  # seconds one engine request may stream in all
ALLOW_UNLOAD = _bool("AIGC_ALLOW_UNLOAD", False)  # let visitors unload models (an operator action; on with auth)

# --- Serving ----------------------------------------------------------------------------------------------------
QUEUE_SIZE = _int("AIGC_QUEUE_SIZE", 64)  # requests that may wait; more get "queue full, try again"
CONCURRENCY = _int("AIGC_CONCURRENCY", 1)  # model runs at the same time (one shared queue for all tabs)
SAFE_MODE = _bool("AIGC_SAFE_MODE", True)  # safety checker on images, blocklist on prompts
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
CPU_IMAGE_WORK = _float("AIGC_CPU_IMAGE_WORK", 2.0)  # megapixel-steps one request may ask of a CPU (w x h x steps x n)
