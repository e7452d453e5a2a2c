"""The packaged real model (Gemma 3 270M, from PyPI): its cost in the app next to the raw library in the same run.

    python -m bench.bench_real_model            # a few minutes on 2 CPU cores (after the one-time conversion)
    python -m bench.bench_real_model --quick    # CI size

Rows: the one-time conversion (GGUF -> safetensors, as recorded when it ran) and the first load of this process vs
later loads (unload, load again); text tokens/s through the API (streaming) vs raw `model.generate` on the same
model, and time to first token. Offline: the weights come from the installed packages, never from the Hub.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench.bench_app import ROWS, bench_text, print_table, row

GEMMA = "gemma-3-270m"


def bench_loads(manager, repeats: int) -> None:
    from aigc_demo import loaders
    from aigc_demo.catalog import get_spec

    start = time.perf_counter()
    folder = loaders.packaged_folder(get_spec(GEMMA))  # converts here if this cache never had it
    manager.get(GEMMA)
    first = time.perf_counter() - start
    later = []
    for _ in range(repeats):
        manager.unload(GEMMA)
        start = time.perf_counter()
        manager.get(GEMMA)
        later.append(time.perf_counter() - start)
    again = statistics.median(later)
    row("load: first in this process vs later (median)", first, again, "s")
    marker = json.loads((folder / loaders.PACKAGED_MARKER).read_text())
    if "seconds" in marker:
        row("one-time conversion GGUF -> safetensors (recorded)", marker["seconds"], again, "s", "once per cache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI size: fewer repeats, shorter runs")
    args = parser.parse_args()
    from aigc_demo import packaged

    if not packaged.installed():
        print(f"bench_real_model: skipped, {packaged.GEMMA_270M.name} is not installed (pip install -r requirements.txt)")
        return
    from gradio_client import Client

    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo, launch_kwargs

    started = time.perf_counter()
    repeats = 2 if args.quick else 4
    manager = ModelManager(mode="auto", device="cpu")
    bench_loads(manager, repeats)
    demo = build_demo(manager)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
    client = Client(url, verbose=False, download_files=False)
    try:
        bench_text(client, manager, GEMMA, "Gemma 3 270M (real)", 16 if args.quick else 48, repeats)
    finally:
        client.close()
        demo.close()
    assert ROWS
    print_table(f"{'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s, real weights")


if __name__ == "__main__":
    main()
