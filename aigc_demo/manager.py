"""ModelManager: the one owner of every live model. Lazy, thread-safe, single-flight, memory-budgeted, LRU.

    manager = get_manager()
    with manager.use("gpt2") as lm:        # loads on first use; pinned (never evicted) inside the block
        lm.model.generate(...)

Memory is accounted as parameters and buffers x dtype bytes. Before a load, least recently used models that are not
in use are evicted until the newcomer fits the budget; unloading drops every reference and empties the CUDA cache.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aigc_demo import catalog, loaders, settings
from aigc_demo.catalog import ModelSpec
from aigc_demo.errors import UserError

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A live model as the manager hands it out."""

    spec: ModelSpec
    model: Any
    tokenizer: Any
    device: str
    dtype: Any
    is_twin: bool
    twin_reason: str
    nbytes: int
    source: str = ""  # "hub", "packaged" (a real model from registry packages) or "twin"
    loaded_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    load_seconds: float = 0.0
    pins: int = 0  # requests using it right now

    @property
    def key(self) -> str:
        return self.spec.key


def choose_device() -> tuple[str, Any]:
    """Device, and the dtype AIGC_DTYPE forces on every model (None: each model its own, see model_dtype)."""
    import torch

    device = settings.DEVICE
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    return device, (getattr(torch, settings.DTYPE) if settings.DTYPE != "auto" else None)


def model_dtype(spec: ModelSpec, device: str, capability: tuple[int, int] | None = None) -> Any:
    """The dtype `spec` loads in on `device`: CPU fp32; diffusion pipelines fp16 (their fp16 weight variant);
    language models bf16 on GPUs that have it (compute capability >= 8; Qwen2.x overflows to inf/NaN in fp16),
    fp16 on older ones and on MPS. `capability` stands in for torch.cuda.get_device_capability() in tests."""
    import torch

    if device == "cpu":
        return torch.float32
    if spec.library == "diffusers" or device != "cuda":
        return torch.float16
    if capability is None:
        try:
            capability = torch.cuda.get_device_capability()
        except (RuntimeError, AssertionError):  # no CUDA context in this process (ZeroGPU's main process: H200s)
            capability = (9, 0) if os.getenv("SPACES_ZERO_GPU") else (0, 0)
    return torch.bfloat16 if capability[0] >= 8 else torch.float16


def model_nbytes(model: Any) -> int:
    """Bytes held by a model's parameters and buffers (every component of a diffusers pipeline)."""
    import torch

    modules = (
        [model]
        if isinstance(model, torch.nn.Module)
        else [m for m in getattr(model, "components", {}).values() if isinstance(m, torch.nn.Module)]
    )
    seen: set[int] = set()
    total = 0
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            if id(tensor) not in seen:  # tied weights count once
                seen.add(id(tensor))
                total += tensor.numel() * tensor.element_size()
    return total


# RAM one visitor session's state may cost: at most a config copy of every block (~0.4 MB measured) and its values;
# a plain API call's session costs ~12 KB (ui.limits.lean_session_state). tests/test_hostile_sizes.py measures both.
SESSION_STATE_BYTES = 500_000


def session_reserve() -> int:
    """RAM kept out of the automatic model budget for visitors' sessions: AIGC_SESSION_CAPACITY of them at most."""
    return settings.SESSION_CAPACITY * SESSION_STATE_BYTES


def default_budget(device: str) -> int:
    """70% of the free memory of the device at start-up; in RAM, less room for the visitors' session state."""
    if settings.MEMORY_BUDGET.strip().lower() != "auto":
        return settings.parse_bytes(settings.MEMORY_BUDGET)
    if device == "cuda":  # sessions live in RAM, not in the GPU's memory
        import torch

        free, _ = torch.cuda.mem_get_info()
        return int(free * 0.7)
    import psutil

    share = int(psutil.virtual_memory().available * 0.7)
    return max(share - session_reserve(), share // 2)


def _fmt_gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB"


class ModelManager:
    """Owns every live model: `get`/`use` load lazily (once, even under concurrent first calls); LRU within budget."""

    def __init__(
        self,
        *,
        mode: str | None = None,
        device: str | None = None,
        dtype: Any = None,
        budget_bytes: int | None = None,
        idle_unload_s: float | None = None,
        resolve: Callable[[ModelSpec, str], loaders.Source] = loaders.resolve,
        load: Callable[..., loaders.Loaded] = loaders.load,
        stand_in: Callable[..., tuple[ModelSpec, str] | None] = loaders.stand_in,
    ):
        # Device, dtype and budget are settled on first use: choosing them imports torch, which start-up avoids.
        self._device = device
        self._dtype = dtype  # None: each model its own (model_dtype), unless AIGC_DTYPE forces one
        self._settled = False
        self._budget_bytes = budget_bytes
        self.mode = mode or settings.MODELS
        self.idle_unload_s = settings.IDLE_UNLOAD_S if idle_unload_s is None else idle_unload_s
        self._resolve = resolve
        self._load = load
        self._stand_in = stand_in
        self._lock = threading.RLock()
        self._live: dict[str, LoadedModel] = {}
        self._loading: dict[str, Future] = {}
        self.load_count: dict[str, int] = {}  # loads per key since start, for tests and the status page
        self._idle_thread: threading.Thread | None = None
        if self.idle_unload_s > 0:
            self._start_idle_reaper()

    @property
    def device(self) -> str:
        self._settle()
        return self._device

    def planned_device(self) -> str:
        """The device models will run on, known without importing torch (start-up avoids it): the one given or
        already chosen, else AIGC_DEVICE, else a guess from the hardware that the first model use settles."""
        if self._device:
            return self._device
        if settings.DEVICE != "auto":
            return settings.DEVICE
        if os.getenv("SPACES_ZERO_GPU", "").lower() in {"1", "t", "true"}:
            return "cuda"
        if os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/kfd"):  # NVIDIA or ROCm driver
            return "cuda"
        if sys.platform == "darwin" and platform.machine() == "arm64":
            return "mps"
        return "cpu"

    @property
    def dtype(self) -> Any:
        """The dtype forced on every model (the constructor's, or AIGC_DTYPE), None when each model has its own."""
        self._settle()
        return self._dtype

    def dtype_for(self, spec: ModelSpec) -> Any:
        """The dtype `spec` loads in here."""
        return self.dtype if self.dtype is not None else model_dtype(spec, self.device)

    @property
    def budget_bytes(self) -> int:
        self._settle()
        return self._budget_bytes

    def _settle(self) -> None:
        if self._settled:
            return
        with self._lock:
            if not self._settled:
                auto_device, forced_dtype = choose_device()
                self._device = self._device or auto_device
                self._dtype = self._dtype if self._dtype is not None else forced_dtype
            if self._budget_bytes is None:
                self._budget_bytes = default_budget(self._device)
            self._settled = True

    # --- public API ---------------------------------------------------------------------------------------------

    def get(self, key: str) -> LoadedModel:
        """The live model for `key`, loading it on first use. Concurrent first calls share one load."""
        spec = catalog.get_spec(key)
        if spec.is_served:
            raise UserError(
                f"{key} runs on the serving engine at {spec.endpoint}: there is nothing to load here.",
                f"{key} 运行在服务引擎 {spec.endpoint} 上，本机无需加载。",
            )
        with self._lock:
            live = self._live.get(key)
            if live is not None:
                live.last_used = time.time()
                return live
            future = self._loading.get(key)
            owner = future is None
            if owner:
                future = Future()
                self._loading[key] = future
        if not owner:
            return future.result()
        try:
            loaded = self._load_model(key)
        except BaseException as exc:
            with self._lock:
                del self._loading[key]  # the next request tries again
            future.set_exception(exc)
            raise
        with self._lock:
            self._live[key] = loaded
            del self._loading[key]
        future.set_result(loaded)
        return loaded

    def answering(self, key: str, task: str, language: str | None = None) -> str:
        """The key of the model that answers for `key` in `task`: `key` itself, or under AIGC_MODELS=auto without
        the Hub (and `key` not cached) the packaged real model, instead of `key`'s random twin (loaders.stand_in)."""
        spec = catalog.get_spec(key)
        found = self._stand_in(spec, task, self.mode)
        if found is None or (language and language not in found[0].languages):
            return key
        log.info("%s: %s", task, found[1])
        return found[0].key

    @contextlib.contextmanager
    def use(self, key: str) -> Iterator[LoadedModel]:
        """`get`, pinned for the duration of the block so that no other load evicts it mid-run."""
        while True:
            loaded = self.get(key)
            with self._lock:
                if self._live.get(key) is loaded:  # not evicted between get() and here
                    loaded.pins += 1
                    break
        try:
            yield loaded
        finally:
            with self._lock:
                loaded.pins -= 1
                loaded.last_used = time.time()

    def preload(self, keys: list[str]) -> None:
        """Load `keys` now (start-up), in order, within the budget like any other load."""
        for key in keys:
            self.get(key.strip())

    @staticmethod
    def default_keys() -> list[str]:
        """The CPU-friendly default model of every task (a served one runs elsewhere: nothing to load)."""
        specs = (catalog.get_spec(catalog.default_model(task)) for task in catalog.TASKS)
        return list(dict.fromkeys(s.key for s in specs if not s.is_served and catalog.opted_in(s)))

    def unload(self, key: str) -> bool:
        """Drop `key` and free its memory. False if it was not loaded; refuses while a request is using it."""
        with self._lock:
            loaded = self._live.get(key)
            if loaded is None:
                return False
            if loaded.pins:
                raise UserError(
                    f"{key} is busy with a request; try again when it finishes.", f"{key} 正在处理请求，请稍后再卸载。"
                )
            del self._live[key]
        del loaded
        self._free_memory()
        log.info("Unloaded %s", key)
        return True

    def unload_all(self) -> list[str]:
        keys = [k for k, m in list(self._live.items()) if not m.pins]
        for key in keys:
            self.unload(key)
        return keys

    def used_bytes(self) -> int:
        with self._lock:
            return sum(m.nbytes for m in self._live.values())

    def is_loaded(self, key: str) -> bool:
        return key in self._live

    def status(self) -> dict:
        """What is loaded, where, how big and since when: the Models tab and /model_status show this."""
        with self._lock:
            models = [
                {
                    "key": m.key,
                    "repo_id": m.spec.repo_id,
                    "revision": m.spec.revision,
                    "twin": m.is_twin,
                    "twin_reason": m.twin_reason,
                    "source": m.source or ("twin" if m.is_twin else "hub"),
                    "license": m.spec.license,
                    "device": m.device,
                    "dtype": str(m.dtype).removeprefix("torch."),
                    "memory_bytes": m.nbytes,
                    "memory": _fmt_gb(m.nbytes),
                    "loaded_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.loaded_at)),
                    "last_used": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.last_used)),
                    "idle_seconds": round(time.time() - m.last_used, 1),
                    "load_seconds": round(m.load_seconds, 2),
                    "in_use": m.pins > 0,
                }
                for m in sorted(self._live.values(), key=lambda m: -m.last_used)
            ]
            loading = sorted(self._loading)
            used = sum(m.nbytes for m in self._live.values())
        return {
            "mode": self.mode,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch.") if self.dtype is not None else "per model",
            "budget_bytes": self.budget_bytes,
            "budget": _fmt_gb(self.budget_bytes),
            "used_bytes": used,
            "used": _fmt_gb(used),
            "idle_unload_s": self.idle_unload_s,
            "loaded": models,
            "loading": loading,
        }

    # --- internals ----------------------------------------------------------------------------------------------

    def _load_model(self, key: str) -> LoadedModel:
        spec = catalog.get_spec(key)
        self._check_before_resolving(spec)
        source = self._resolve(spec, self.mode)
        dtype = self.dtype_for(spec)
        estimate = self._estimate_bytes(spec, source, dtype)
        self._make_room(spec, estimate)
        start = time.perf_counter()
        try:
            loaded = self._load(spec, source.path, self.device, dtype)
        except MemoryError as exc:  # also torch.OutOfMemoryError, a subclass on recent torch
            log.warning("Out of memory loading %s; evicting everything idle and retrying once.", key)
            self.unload_all()
            try:
                loaded = self._load(spec, source.path, self.device, dtype)
            except MemoryError:
                raise UserError(
                    f"Not enough memory to load {spec.repo_id}, even after unloading the other models.",
                    f"内存不足，卸载其他模型后仍无法加载 {spec.repo_id}。",
                ) from exc
        nbytes = model_nbytes(loaded.model)
        self.load_count[key] = self.load_count.get(key, 0) + 1
        log.info(
            "Loaded %s (%s, %s, %s, %s) from %s in %.1fs",
            key,
            source.kind if not source.is_twin else "twin",
            self.device,
            str(dtype).removeprefix("torch."),
            _fmt_gb(nbytes),
            source.path,
            time.perf_counter() - start,
        )
        return LoadedModel(
            spec=spec,
            model=loaded.model,
            tokenizer=loaded.tokenizer,
            device=self.device,
            dtype=dtype,
            is_twin=source.is_twin,
            twin_reason=source.reason,
            nbytes=nbytes,
            source=getattr(source, "kind", "twin" if source.is_twin else "hub"),
            load_seconds=time.perf_counter() - start,
        )

    def _check_before_resolving(self, spec: ModelSpec) -> None:
        """Refuse what cannot run here before resolving, which in hub mode may download gigabytes first."""
        if self.mode == "tiny":
            return  # twins are a few MB and run anywhere
        if spec.gpu_only and self.device == "cpu":
            raise UserError(
                f"{spec.key} needs a GPU, and this app runs on a CPU; pick a model marked for CPU.",
                f"{spec.key} 需要 GPU，而本应用运行在 CPU 上；请选择可在 CPU 上运行的模型。",
            )
        self._check_budget(spec, self._weights_bytes(spec, self.dtype_for(spec)))

    def _estimate_bytes(self, spec: ModelSpec, source: loaders.Source, dtype: Any) -> int:
        if source.is_twin:  # twins are a few MB: their size on disk is a fair estimate
            return sum(f.stat().st_size for f in source.path.rglob("*.safetensors"))
        return self._weights_bytes(spec, dtype)

    def _weights_bytes(self, spec: ModelSpec, dtype: Any) -> int:
        """The real weights' size in this dtype, from the catalogue's parameter count."""
        import torch

        return int(spec.params_m * 1e6 * torch.empty(0, dtype=dtype).element_size())

    def _check_budget(self, spec: ModelSpec, needed: int) -> None:
        """A UserError if `needed` bytes exceed the whole budget (no eviction could make room)."""
        if needed > self.budget_bytes:
            raise UserError(
                f"{spec.repo_id} needs about {_fmt_gb(needed)}, more than the memory budget of "
                f"{_fmt_gb(self.budget_bytes)}. Raise AIGC_MEMORY_BUDGET or pick a smaller model.",
                f"{spec.repo_id} 约需 {_fmt_gb(needed)}，超过内存预算 {_fmt_gb(self.budget_bytes)}。"
                "请调高 AIGC_MEMORY_BUDGET 或选择更小的模型。",
            )

    def _make_room(self, spec: ModelSpec, needed: int) -> None:
        """Evict least recently used idle models until `needed` more bytes fit in the budget."""
        self._check_budget(spec, needed)
        while True:
            with self._lock:
                used = sum(m.nbytes for m in self._live.values())
                if used + needed <= self.budget_bytes:
                    return
                idle = [m for m in self._live.values() if not m.pins]
                if not idle:
                    raise UserError(
                        f"Not enough memory for {spec.repo_id} while other models are busy; try again in a moment.",
                        f"其他模型正在使用中，暂无足够内存加载 {spec.repo_id}，请稍后再试。",
                    )
                victim = min(idle, key=lambda m: m.last_used).key
            log.info("Evicting %s to make room for %s", victim, spec.key)
            self.unload(victim)

    def _free_memory(self) -> None:
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001 - freeing memory must never fail an unload
            pass

    def _start_idle_reaper(self) -> None:
        def reap() -> None:
            while True:
                time.sleep(max(1.0, min(self.idle_unload_s / 4, 30.0)))
                cutoff = time.time() - self.idle_unload_s
                for key, m in list(self._live.items()):
                    if not m.pins and m.last_used < cutoff:
                        with contextlib.suppress(UserError):
                            self.unload(key)

        self._idle_thread = threading.Thread(target=reap, name="aigc-idle-unload", daemon=True)
        self._idle_thread.start()


_default: ModelManager | None = None
_default_lock = threading.Lock()


def get_manager() -> ModelManager:
    """The process-wide manager, created on first use (no model is loaded until a request needs one)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ModelManager()
        return _default
