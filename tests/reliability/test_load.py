"""Load: concurrent clients on mixed endpoints with a small queue. Every request ends in a result or an explicit
"queue full" error (none lost, none hanging), the server answers afterwards, and its memory stays flat."""

from __future__ import annotations

import random
import threading
import time

import psutil
from gradio_client import Client

from .conftest import FULL

CLIENTS = 16
REQUESTS = 100 if FULL else 4
ARTICLE = (
    "The council approved the budget on Monday. It adds money for parks. Officials said bridges will be "
    "repaired. Residents welcomed the plan. It takes effect next month."
)
CALLS = [
    ("/generate_text", ("Hello",), {"max_new_tokens": 8}),
    ("/write_poem", ("明月",), {}),
    ("/summarize", (ARTICLE,), {}),
    ("/model_status", (), {}),
    ("/generate_image", ("a cat",), {"width": 64, "height": 64}),
]


def classify(exc: BaseException) -> str:
    text = str(exc).lower()
    if "queue is full" in text or "queue full" in text or "aigc_max_jobs_per_" in text:
        return "queue_full"  # the whole queue, or this client's share of it (the job limits' sentence)
    return f"other: {type(exc).__name__}: {exc}"


def run_clients(url: str, clients: int, requests: int, outcomes: list[str], seed: int) -> None:
    def worker(i: int) -> None:
        rng = random.Random(seed + i)
        client = Client(url, verbose=False, download_files=False)
        try:
            for _ in range(requests):
                name, args, kwargs = rng.choice(CALLS)
                job = client.submit(*args, api_name=name, **kwargs)
                try:
                    job.result(timeout=120)
                    outcomes.append("ok")
                except TimeoutError:
                    outcomes.append("hung")
                except Exception as exc:  # noqa: BLE001 - every failure is classified below
                    outcomes.append(classify(exc))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def test_concurrent_mixed_load_ends_cleanly_and_memory_stays_flat(served):
    url, proc = served
    process = psutil.Process(proc.pid)
    warmup: list[str] = []
    run_clients(url, 4, 3, warmup, seed=0)  # loads every model once
    time.sleep(1)
    baseline = process.memory_info().rss
    outcomes: list[str] = []
    run_clients(url, CLIENTS, REQUESTS, outcomes, seed=1)
    after = process.memory_info().rss
    counts = {kind: outcomes.count(kind) for kind in sorted(set(outcomes))}
    print(f"\n{CLIENTS} clients x {REQUESTS} requests: {counts}; RSS {baseline / 1e6:.0f} -> {after / 1e6:.0f} MB")
    assert len(outcomes) == CLIENTS * REQUESTS, "a request was lost"
    unexpected = [o for o in outcomes if o not in ("ok", "queue_full")]
    assert not unexpected, unexpected[:5]
    assert outcomes.count("ok") > 0
    assert after <= baseline * 1.10, f"RSS grew from {baseline / 1e6:.0f} MB to {after / 1e6:.0f} MB"
    assert Client(url, verbose=False).predict(api_name="/model_status")["loaded"]
