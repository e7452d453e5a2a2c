"""The only place that calls `from_pretrained`: where a model's files come from, and how they become a live model.

`resolve` decides between the real weights (cached, or downloaded) and the offline twin, quickly: a handler never sits
through the Hub client's ~25 s of retries. `load` turns a local folder into a model on an explicit device and dtype,
safetensors only, never remote code.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from aigc_demo import settings, twins
from aigc_demo.catalog import ModelSpec
from aigc_demo.errors import UserError

log = logging.getLogger(__name__)

# Files worth fetching: configs, tokenizers and safetensors weights, nothing else (.bin, .h5, onnx, flax...).
_TRANSFORMERS_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]


@dataclass(frozen=True)
class Source:
    path: Path  # a local folder the loader reads
    is_twin: bool
    reason: str = ""  # why a twin was used, for the UI's warning


def allow_patterns(spec: ModelSpec) -> list[str]:
    if not spec.is_diffusion:
        return _TRANSFORMERS_FILES
    variant = spec.defaults.get("variant")
    weights = f"*/*.{variant}.safetensors" if variant else "*/*.safetensors"
    return ["model_index.json", "*/*.json", "*/*.txt", weights]


def download_command(spec: ModelSpec) -> str:
    return f"python -m aigc_demo download {spec.key}"


# --- where the files come from ----------------------------------------------------------------------------------

_reachable: tuple[float, bool] | None = None
_reachable_lock = threading.Lock()


def hub_reachable(timeout: float | None = None) -> bool:
    """Whether the Hub answers a TCP connect within `timeout` seconds; remembered for a minute."""
    global _reachable
    import huggingface_hub.constants as hfc

    if hfc.HF_HUB_OFFLINE:
        return False
    with _reachable_lock:
        if _reachable and time.monotonic() - _reachable[0] < 60:
            return _reachable[1]
    timeout = settings.HUB_CHECK_TIMEOUT_S if timeout is None else timeout
    url = urlparse(hfc.ENDPOINT)
    result: list[bool] = []

    def probe() -> None:  # in a thread, because DNS lookups ignore socket timeouts
        try:
            socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    ok = bool(result and result[0])
    with _reachable_lock:
        _reachable = (time.monotonic(), ok)
    return ok


def cached_snapshot(spec: ModelSpec) -> Path | None:
    """The local snapshot folder of `spec` if its files are in the Hub cache, without touching the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = Path(
            snapshot_download(
                spec.repo_id, revision=spec.revision, allow_patterns=allow_patterns(spec), local_files_only=True
            )
        )
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    # snapshot_download(local_files_only) succeeds on a folder with no weights in it, so check for them.
    return path if any(path.rglob("*.safetensors")) else None


def hub_unreachable_message() -> str:
    """The one sentence `download` says when there is no Hub to download from."""
    import huggingface_hub.constants as hfc

    why = "HF_HUB_OFFLINE is set" if hfc.HF_HUB_OFFLINE else f"{hfc.ENDPOINT} is unreachable from here"
    return (
        f"Cannot download: {why}. To run offline, use AIGC_MODELS=tiny (untrained offline twins, built by "
        "`python -m aigc_demo twins`) or AIGC_MODELS=auto (cached real models, twins for the rest)."
    )


def download(spec: ModelSpec) -> Path:
    """Fetch `spec`'s files into the Hub cache (progress bars on stderr) and return the snapshot folder."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(spec.repo_id, revision=spec.revision, allow_patterns=allow_patterns(spec)))


def resolve(spec: ModelSpec, mode: str | None = None) -> Source:
    """Pick the folder to load for `spec` under AIGC_MODELS `mode` (hub, tiny or auto)."""
    mode = mode or settings.MODELS
    if mode not in ("hub", "tiny", "auto"):
        raise UserError(
            f"AIGC_MODELS must be hub, tiny or auto, not '{mode}'.",
            f"AIGC_MODELS 只能是 hub、tiny 或 auto，而不是“{mode}”。",
        )
    if mode == "tiny":
        return Source(twins.ensure_twin(spec), True, "AIGC_MODELS=tiny")
    path = cached_snapshot(spec)
    if path:
        return Source(path, False)
    if hub_reachable():
        try:
            return Source(download(spec), False)
        except Exception as exc:  # noqa: BLE001 - any download failure is reported, or falls back in auto mode
            if mode == "hub":
                raise UserError(
                    f"Could not download {spec.repo_id} ({type(exc).__name__}: {exc}). Try again, or run "
                    f"`{download_command(spec)}`.",
                    f"无法下载 {spec.repo_id}（{type(exc).__name__}）。请重试，或运行 `{download_command(spec)}`。",
                ) from exc
            log.warning("Download of %s failed (%s); using its offline twin.", spec.repo_id, exc)
            return Source(twins.ensure_twin(spec), True, f"download failed: {exc}")
    if mode == "hub":
        raise UserError(
            f"Model {spec.repo_id} is not downloaded and the Hugging Face Hub cannot be reached. On a machine with "
            f"network, run `{download_command(spec)}`.",
            f"模型 {spec.repo_id} 尚未下载，且无法连接 Hugging Face Hub。"
            f"请在联网的机器上运行 `{download_command(spec)}`。",
        )
    return Source(twins.ensure_twin(spec), True, "not cached and the Hub is unreachable")


# --- folders -> live models -------------------------------------------------------------------------------------


@dataclass
class Loaded:
    model: Any  # a transformers PreTrainedModel, or a diffusers pipeline
    tokenizer: Any  # None for diffusers


def load(spec: ModelSpec, path: Path, device: str, dtype: Any) -> Loaded:
    """Load the folder `path` as `spec`'s model on `device` in `dtype`: safetensors only, no remote code."""
    if spec.is_diffusion:
        return Loaded(_load_pipeline(spec, path, device, dtype), None)
    import transformers

    auto = {"seq2seq": transformers.AutoModelForSeq2SeqLM, "clip": transformers.CLIPModel}.get(
        spec.kind, transformers.AutoModelForCausalLM
    )
    model = auto.from_pretrained(
        path, dtype=dtype, use_safetensors=True, trust_remote_code=False, local_files_only=True
    )
    model.to(device).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, trust_remote_code=False, local_files_only=True)
    _check_class(spec, type(model), spec.architecture)
    _check_class(spec, type(tokenizer), spec.tokenizer_class)
    return Loaded(model, tokenizer)


def _load_pipeline(spec: ModelSpec, path: Path, device: str, dtype: Any):
    from diffusers import AutoPipelineForText2Image

    variant = spec.defaults.get("variant")
    if variant and not any(path.rglob(f"*.{variant}.safetensors")):
        variant = None  # twins are saved without a variant
    kwargs = {}
    if spec.architecture == "StableDiffusionPipeline" and not (settings.SAFE_MODE and _ships(path, "safety_checker")):
        # No checker in the repo (sd-turbo), or safe mode off: say so, instead of the library's licence warning.
        kwargs = {"safety_checker": None, "requires_safety_checker": False}
    pipe = AutoPipelineForText2Image.from_pretrained(
        path, dtype=dtype, variant=variant, use_safetensors=True, local_files_only=True, **kwargs
    )
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    _check_class(spec, type(pipe), spec.architecture)
    return pipe


def _ships(path: Path, component: str) -> bool:
    """Whether the pipeline folder `path` has `component` (model_index.json names a class for it)."""
    import json

    index = json.loads((path / "model_index.json").read_text(encoding="utf-8"))
    entry = index.get(component) or [None, None]
    return entry[1] is not None and (path / component).is_dir()


def _check_class(spec: ModelSpec, cls: type, expected: str) -> None:
    """Fail loudly if a folder holds another architecture than the catalogue promises (aliases allowed)."""
    import diffusers
    import transformers

    target = getattr(transformers, expected, None) or getattr(diffusers, expected, None)
    if target is None or not issubclass(cls, target):
        raise RuntimeError(f"{spec.key}: expected {expected}, but the files hold {cls.__name__}.")
