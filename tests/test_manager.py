"""ModelManager: single flight, LRU eviction that really frees memory, unload, status, failures, OOM retry."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest

from aigc_demo import loaders
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager


class CountingLoad:
    """The real loader, counted, and optionally slowed down or made to fail a number of times."""

    def __init__(self, delay: float = 0.0, fail_times: int = 0, exc: type[BaseException] = RuntimeError):
        self.calls: list[str] = []
        self.delay = delay
        self.fail_times = fail_times
        self.exc = exc
        self.lock = threading.Lock()

    def __call__(self, spec, path, device, dtype):
        with self.lock:
            self.calls.append(spec.key)
            fail = self.fail_times > 0
            self.fail_times -= 1
        time.sleep(self.delay)
        if fail:
            raise self.exc("simulated failure mid-load")
        return loaders.load(spec, path, device, dtype)


def test_concurrent_first_calls_load_once():
    load = CountingLoad(delay=0.3)
    manager = ModelManager(mode="tiny", device="cpu", load=load)
    barrier = threading.Barrier(8)
    results = []

    def worker():
        barrier.wait()
        results.append(manager.get("gpt2"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert load.calls == ["gpt2"]
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert manager.load_count == {"gpt2": 1}


def test_lru_eviction_frees_memory_under_tiny_budget():
    probe = ModelManager(mode="tiny", device="cpu")
    sizes = {k: probe.get(k).nbytes for k in ("gpt2", "distilbart-cnn-12-6", "qwen2.5-0.5b-instruct")}
    del probe
    # Room for any two of the three, never all three.
    # (half the smallest as slack: a twin's estimate is its size on disk, a few KB of file header over its memory)
    budget = sum(sizes.values()) - min(sizes.values()) // 2
    manager = ModelManager(mode="tiny", device="cpu", budget_bytes=budget)
    first = weakref.ref(manager.get("gpt2").model)
    manager.get("distilbart-cnn-12-6")
    time.sleep(0.01)
    manager.get("gpt2")  # gpt2 is now the most recently used: distilbart must go next
    bart = weakref.ref(manager.get("distilbart-cnn-12-6").model)
    time.sleep(0.01)
    manager.get("gpt2")
    manager.get("qwen2.5-0.5b-instruct")
    gc.collect()
    assert not manager.is_loaded("distilbart-cnn-12-6")
    assert bart() is None, "evicted model is still referenced somewhere"
    assert first() is not None and manager.is_loaded("gpt2")
    assert manager.used_bytes() <= budget
    assert manager.used_bytes() == sizes["gpt2"] + sizes["qwen2.5-0.5b-instruct"]


def test_pinned_model_is_not_evicted():
    probe = ModelManager(mode="tiny", device="cpu")
    size = probe.get("gpt2").nbytes + probe.get("distilbart-cnn-12-6").nbytes
    manager = ModelManager(mode="tiny", device="cpu", budget_bytes=size - 1)
    with manager.use("gpt2"):
        with pytest.raises(UserError, match="busy"):
            manager.get("distilbart-cnn-12-6")
    manager.get("distilbart-cnn-12-6")  # fine once gpt2 is released: it is evicted instead
    assert not manager.is_loaded("gpt2")


def test_model_larger_than_budget_is_a_clear_error():
    manager = ModelManager(mode="tiny", device="cpu", budget_bytes=1000)
    with pytest.raises(UserError, match="memory budget") as info:
        manager.get("gpt2")
    assert "AIGC_MEMORY_BUDGET" in info.value.en and "AIGC_MEMORY_BUDGET" in info.value.zh


def test_unload_and_status():
    manager = ModelManager(mode="tiny", device="cpu", budget_bytes=10**9)
    assert manager.status()["loaded"] == []
    model_ref = weakref.ref(manager.get("gpt2").model)
    status = manager.status()
    (entry,) = status["loaded"]
    assert entry["key"] == "gpt2" and entry["twin"] is True and entry["device"] == "cpu"
    assert entry["dtype"] == "float32" and entry["memory_bytes"] > 0 and not entry["in_use"]
    assert status["used_bytes"] == entry["memory_bytes"] and status["budget_bytes"] == 10**9
    assert manager.unload("gpt2") is True
    assert manager.unload("gpt2") is False
    gc.collect()
    assert model_ref() is None
    assert manager.status()["loaded"] == [] and manager.used_bytes() == 0


def test_unload_refuses_while_in_use():
    manager = ModelManager(mode="tiny", device="cpu")
    with manager.use("gpt2"):
        assert manager.status()["loaded"][0]["in_use"]
        with pytest.raises(UserError):
            manager.unload("gpt2")
    assert manager.unload("gpt2")


def test_failed_load_is_reported_and_next_request_loads():
    load = CountingLoad(fail_times=1)
    manager = ModelManager(mode="tiny", device="cpu", load=load)
    with pytest.raises(RuntimeError, match="simulated failure"):
        manager.get("gpt2")
    assert not manager.is_loaded("gpt2") and manager.status()["loading"] == []
    assert manager.get("gpt2").model is not None
    assert load.calls == ["gpt2", "gpt2"]


def test_out_of_memory_at_load_evicts_and_retries_once():
    load = CountingLoad(fail_times=1, exc=MemoryError)
    manager = ModelManager(mode="tiny", device="cpu", load=load)
    manager.get("distilbart-cnn-12-6")
    load.fail_times = 1
    manager.get("gpt2")
    assert not manager.is_loaded("distilbart-cnn-12-6"), "idle models are evicted before the retry"
    assert manager.is_loaded("gpt2")


def test_out_of_memory_twice_is_a_clear_error():
    load = CountingLoad(fail_times=2, exc=MemoryError)
    manager = ModelManager(mode="tiny", device="cpu", load=load)
    with pytest.raises(UserError, match="Not enough memory"):
        manager.get("gpt2")
    assert manager.get("gpt2")  # and the app keeps working


def test_idle_unload():
    manager = ModelManager(mode="tiny", device="cpu", idle_unload_s=0.5)
    manager.get("gpt2")
    deadline = time.monotonic() + 10
    while manager.is_loaded("gpt2") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not manager.is_loaded("gpt2")


def test_unknown_model_lists_catalogue():
    manager = ModelManager(mode="tiny", device="cpu")
    with pytest.raises(UserError, match="Unknown model 'nope'.*gpt2"):
        manager.get("nope")


def _resolve_must_not_run(spec, mode):
    raise AssertionError(f"resolved {spec.key} (in hub mode this downloads) before refusing it")


def test_a_gpu_only_model_is_refused_on_cpu_before_any_download():
    manager = ModelManager(mode="hub", device="cpu", idle_unload_s=0, resolve=_resolve_must_not_run)
    with pytest.raises(UserError) as caught:
        manager.get("sdxl-turbo")
    assert "needs a GPU" in caught.value.en and "需要 GPU" in caught.value.zh


def test_the_memory_budget_is_checked_before_resolving():
    manager = ModelManager(
        mode="hub", device="cpu", budget_bytes=1_000_000, idle_unload_s=0, resolve=_resolve_must_not_run
    )
    with pytest.raises(UserError, match="more than the memory budget"):
        manager.get("gpt2")
