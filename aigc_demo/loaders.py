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

from aigc_demo import packaged, settings, twins
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
    origin: str = ""  # "hub", "packaged" (converted from registry packages) or "twin"; "" = from is_twin

    @property
    def kind(self) -> str:
        return self.origin or ("twin" if self.is_twin else "hub")


PACKAGED_VERSION = 1  # bump to convert the packaged models again after a change in `packaged_folder`
PACKAGED_MARKER = "aigc_packaged.json"
_convert_lock = threading.Lock()
STAND_IN_TASKS = ("text-generation", "poetry")  # tabs where a packaged real model answers instead of a twin


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


def files_state(spec: ModelSpec, mode: str | None = None) -> str:
    """Where `spec`'s files stand here, without the network: "served" (an engine holds them), "packaged" (installed
    from a registry package), "cached" (real weights in the Hub cache), "twin" (only its offline twin is built, or
    AIGC_MODELS=tiny and the twin is built) or "none" (fetched or built on first use)."""
    mode = mode or settings.MODELS
    if spec.is_served:
        return "served"
    built = (twins.twin_dir(spec) / twins.MARKER).exists()
    if mode == "tiny":
        return "twin" if built else "none"
    if spec.key in packaged.PACKAGES and packaged.installed(spec):
        return "packaged"
    if spec.key not in packaged.PACKAGES and cached_snapshot(spec) is not None:
        return "cached"
    return "twin" if built else "none"


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
        return Source(twins.ensure_twin(spec), True, "AIGC_MODELS=tiny", "twin")
    if spec.key in packaged.PACKAGES:  # its source is a registry package, not the Hub
        if packaged.installed(spec):
            return Source(packaged_folder(spec), False, origin="packaged")
        if mode == "hub":
            packaged.gguf_file(spec)  # raises the UserError that names the pip command
        package = packaged.package_for(spec)
        log.warning("%s is not installed; %s uses its offline twin.", package.name, spec.key)
        return Source(twins.ensure_twin(spec), True, f"the package {package.name} is not installed", "twin")
    path = cached_snapshot(spec)
    if path:
        return Source(path, False, origin="hub")
    if hub_reachable():
        try:
            return Source(download(spec), False, origin="hub")
        except Exception as exc:  # noqa: BLE001 - any download failure is reported, or falls back in auto mode
            if mode == "hub":
                raise UserError(
                    f"Could not download {spec.repo_id} ({type(exc).__name__}: {exc}). Try again, or run "
                    f"`{download_command(spec)}`.",
                    f"无法下载 {spec.repo_id}（{type(exc).__name__}）。请重试，或运行 `{download_command(spec)}`。",
                ) from exc
            log.warning("Download of %s failed (%s); using its offline twin.", spec.repo_id, exc)
            return Source(twins.ensure_twin(spec), True, f"download failed: {exc}", "twin")
    if mode == "hub":
        raise UserError(
            f"Model {spec.repo_id} is not downloaded and the Hugging Face Hub cannot be reached. On a machine with "
            f"network, run `{download_command(spec)}`.",
            f"模型 {spec.repo_id} 尚未下载，且无法连接 Hugging Face Hub。"
            f"请在联网的机器上运行 `{download_command(spec)}`。",
        )
    return Source(twins.ensure_twin(spec), True, "not cached and the Hub is unreachable", "twin")


def stand_in(spec: ModelSpec, task: str, mode: str | None = None) -> tuple[ModelSpec, str] | None:
    """The packaged real model that answers for `spec` in `task` instead of its random twin, and why; or None.

    Only under AIGC_MODELS=auto, in the tabs of STAND_IN_TASKS, when `spec` is neither cached nor downloadable and a
    packaged model that offers `task` is installed. `tiny` means twins only; `hub` means this model or an error.
    """
    from aigc_demo.catalog import CATALOG

    if (mode or settings.MODELS) != "auto" or task not in STAND_IN_TASKS or spec.is_served:
        return None
    if spec.key in packaged.PACKAGES or cached_snapshot(spec) is not None or hub_reachable():
        return None
    for key in packaged.PACKAGES:
        other = CATALOG.get(key)
        if other is not None and task in other.tasks and packaged.installed(other):
            return other, f"the Hub cannot be reached: a small real model answered instead of {spec.key}"
    return None


def packaged_folder(spec: ModelSpec) -> Path:
    """A packaged model as a transformers folder (safetensors + tokenizer) in the cache, converted once.

    The GGUF (sha256-checked by packaged.gguf_file) is dequantised by transformers, copied into a plain model of the
    same class (`save_pretrained` refuses a GGUF-quantised one) and saved beside its tokenizer, atomically: a
    half-converted folder is never loaded. Minutes the first time (the 262k-token vocabulary); seconds afterwards.
    """
    path = settings.CACHE_DIR / "packaged" / f"{spec.key}-v{PACKAGED_VERSION}"
    with _convert_lock:
        if (path / PACKAGED_MARKER).exists():
            return path
        import json
        import os
        import shutil

        gguf = packaged.gguf_file(spec)
        start = time.perf_counter()
        log.info("Converting %s once into %s (a few minutes on a small CPU)...", gguf.name, path)
        tmp = path.with_name(f"{path.name}.partial-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            _convert_gguf(spec, gguf, tmp)
            marker = {"key": spec.key, "gguf": gguf.name, "sha256": packaged.package_for(spec).sha256}
            marker["seconds"] = round(time.perf_counter() - start, 1)  # the benchmark reports it
            (tmp / PACKAGED_MARKER).write_text(json.dumps(marker))
            try:
                tmp.rename(path)  # atomic; fails if another process finished first, whose folder is as good
            except OSError:
                if not (path / PACKAGED_MARKER).exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("Converted %s in %.0f s", spec.key, time.perf_counter() - start)
    return path


def _convert_gguf(spec: ModelSpec, gguf: Path, dest: Path) -> None:
    import torch
    import transformers

    kwargs = dict(gguf_file=gguf.name, trust_remote_code=False, local_files_only=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
    tokenizer.model_max_length = spec.context_window or tokenizer.model_max_length
    quantized = transformers.AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.float32, **kwargs)
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = type(quantized)(config)
    model.load_state_dict(quantized.state_dict())
    model.generation_config = quantized.generation_config
    del quantized
    dest.mkdir(parents=True)
    model.save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)


def load_tokenizer(path: Path):
    """The tokenizer saved in the folder `path` (no remote code), for twins that reuse a real one."""
    import transformers

    return transformers.AutoTokenizer.from_pretrained(path, trust_remote_code=False, local_files_only=True)


# --- folders -> live models -------------------------------------------------------------------------------------


@dataclass
class Loaded:
    model: Any  # a transformers PreTrainedModel, or a diffusers pipeline
    tokenizer: Any  # None for diffusers


def load(spec: ModelSpec, path: Path, device: str, dtype: Any) -> Loaded:
    """Load the folder `path` as `spec`'s model on `device` in `dtype`: safetensors only, no remote code."""
    if spec.is_diffusion:
        return Loaded(_load_pipeline(spec, path, device, dtype), None)
    if spec.kind == "safety-checker":
        return _load_safety_checker(spec, path, device, dtype)
    import transformers

    auto = {"seq2seq": transformers.AutoModelForSeq2SeqLM, "clip": transformers.CLIPModel}.get(
        spec.kind, transformers.AutoModelForCausalLM
    )
    model = auto.from_pretrained(
        path, dtype=dtype, use_safetensors=True, trust_remote_code=False, local_files_only=True
    )
    model.to(device).eval()
    tokenizer = load_tokenizer(path)
    _check_class(spec, type(model), spec.architecture)
    _check_class(spec, type(tokenizer), spec.tokenizer_class)
    return Loaded(model, tokenizer)


def _load_safety_checker(spec: ModelSpec, path: Path, device: str, dtype: Any) -> Loaded:
    """Stable Diffusion's safety checker and, in the tokenizer's place, the CLIP image processor it reads images with."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPImageProcessor

    model = StableDiffusionSafetyChecker.from_pretrained(
        path, dtype=dtype, use_safetensors=True, trust_remote_code=False, local_files_only=True
    )
    model.to(device).eval()
    _check_class(spec, type(model), spec.architecture)
    return Loaded(model, CLIPImageProcessor.from_pretrained(path, local_files_only=True))


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


def architecture_class(name: str) -> type | None:
    """The class a catalogue `architecture` or `tokenizer_class` names: in transformers, diffusers, or (the one class
    diffusers does not export) its Stable Diffusion safety checker."""
    import diffusers
    import transformers

    if name == "StableDiffusionSafetyChecker":
        from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

        return StableDiffusionSafetyChecker
    return getattr(transformers, name, None) or getattr(diffusers, name, None)


def _check_class(spec: ModelSpec, cls: type, expected: str) -> None:
    """Fail loudly if a folder holds another architecture than the catalogue promises (aliases allowed)."""
    target = architecture_class(expected)
    if target is None or not issubclass(cls, target):
        raise RuntimeError(f"{spec.key}: expected {expected}, but the files hold {cls.__name__}.")
