"""Throughput as visitors arrive: the in-process model against llama.cpp serving the same model, in one run.

    python -m bench.bench_engine            # 64 tokens per answer, 2 answers per client
    python -m bench.bench_engine --quick    # CI size: 24 tokens, 1 answer per client (a few minutes on 2 cores)

The model is Gemma 3 270M everywhere: the Q4_K_M GGUF from PyPI for llama.cpp, and the same file dequantized to
fp32 by transformers for the in-process path. 1, 4 and 8 clients each ask for answers at once, with the same
prompts and seeds. Every path goes through the app's text task (`tasks.text_generation.generate`):
- in-process: transformers on this CPU, one run at a time (the app's model slot, AIGC_CONCURRENCY=1), so visitors
  queue;
- llama.cpp's llama-server with 8 `--parallel` slots (continuous batching), when it is built
  (bench/build_llama_server.sh);
- llama-cpp-python's server (`python -m llama_cpp.server`), which serves one request at a time.
Columns: aggregate tokens/s, its ratio to one client, and the milliseconds per token each visitor sees (the time
from asking to the last token, over that visitor's tokens: waiting in a queue counts).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("AIGC_MODELS", "tiny")
os.environ.setdefault("AIGC_CACHE_DIR", str(ROOT / ".cache"))
sys.path.insert(0, str(ROOT))

import aigc_demo  # noqa: E402, F401 - first, as in app.py: its process settings precede threads

PROMPTS = [
    "Write a short story about a lighthouse keeper.",
    "Explain why the sky is blue to a child.",
    "Describe a busy market in the morning.",
    "Give three tips for learning a new language.",
    "Write a letter to a friend who moved away.",
    "Describe the taste of a ripe mango.",
    "What makes a good teacher?",
    "Tell me about a train journey through the mountains.",
]
CLIENTS = (1, 4, 8)
SLOTS = 8


def in_process_spec():
    """A catalogue entry for Gemma 3 270M in transformers, converted once from the GGUF (fp32, safetensors)."""
    from aigc_demo import catalog, engine_server

    target = engine_server.LLAMA_SERVER_DIR.parent / "bench-gemma-3-270m"  # until the catalogue has Gemma (#14)
    if not (target / "config.json").is_file():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        gguf = engine_server.gguf_path("gemma-3-270m")
        kwargs = {"gguf_file": gguf.name}
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
        quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype="float32", **kwargs)
        config = quantized.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # save_pretrained refuses a GGUF-quantised model: copy into a plain one
        model = type(quantized)(config)
        model.load_state_dict(quantized.state_dict())
        model.generation_config = quantized.generation_config
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
    spec = catalog.ModelSpec(
        key="bench-gemma-3-270m",
        tasks=("text-generation",),
        repo_id=str(target),
        revision="",
        library="transformers",
        architecture="Gemma3ForCausalLM",
        tokenizer_class="GemmaTokenizer",
        kind="base",  # Gemma 3 270M is pre-trained: both paths continue the prompt as it is
        languages=("en",),
        params_m=270,
        license="Gemma",
        context_window=32768,
    )
    catalog.CATALOG[spec.key] = spec
    return spec, target


def one_visitor(manager, key: str, prompt: str, seed: int, tokens: int, gate, out: list) -> None:
    from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate

    params = GenerationParams(max_new_tokens=tokens, temperature=0.7, top_k=40, repetition_penalty=1.1)
    start = time.perf_counter()
    with gate:  # the app's model slot for the in-process model; nothing for an engine
        last = list(generate(manager, TextRequest(prompt, key, params, seed=seed)))[-1]
    out.append((last.new_tokens, time.perf_counter() - start))


def measure(manager, key: str, clients: int, tokens: int, rounds: int, gate) -> tuple[float, float]:
    """(aggregate tokens/s, mean ms per token a visitor sees) with `clients` visitors asking at once."""
    results: list[tuple[int, float]] = []
    start = time.perf_counter()
    for r in range(rounds):
        threads = [
            threading.Thread(
                target=one_visitor,
                args=(manager, key, PROMPTS[(i + r) % len(PROMPTS)], 100 * r + i, tokens, gate, results),
            )
            for i in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    wall = time.perf_counter() - start
    total = sum(n for n, _ in results)
    per_token = [1000 * s / n for n, s in results if n]
    return total / wall, sum(per_token) / max(1, len(per_token))


def serve(kind: str, model_path: Path):
    from aigc_demo import catalog, engine_server
    from tests.processes import free_port, serving

    command = engine_server.engine_command(model_path, port=free_port(), slots=SLOTS, context=512, kind=kind)
    spec = catalog.served_text_model(command.url, command.model, engine_server.model_kind(model_path))
    spec = catalog.ModelSpec(**{**spec.__dict__, "key": f"bench-{kind}"})
    catalog.CATALOG[spec.key] = spec
    return spec, serving(command.argv, command.ready_url, dict(os.environ), within_s=180)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI size: shorter answers, one round")
    args = parser.parse_args()
    tokens, rounds = (24, 1) if args.quick else (64, 2)
    started = time.perf_counter()

    from aigc_demo import engine_server
    from aigc_demo.manager import ModelManager

    spec, checkpoint = in_process_spec()
    from aigc_demo.loaders import Source

    manager = ModelManager(mode="tiny", device="cpu", resolve=lambda s, mode: Source(checkpoint, False, "bench"))
    paths = {"in-process transformers fp32 (1 model slot)": (spec.key, threading.Lock())}
    engines = []
    if engine_server.llama_server_binary():
        engines.append(("llama-server", f"llama.cpp llama-server Q4_K_M ({SLOTS} slots)"))
    try:
        import llama_cpp  # noqa: F401

        engines.append(("llama_cpp.server", "llama-cpp-python server Q4_K_M (1 at a time)"))
    except ImportError:
        print("llama-cpp-python is not installed: its row is left out (pip install -r requirements-test.txt)")
    rows = []
    model_path = engine_server.gguf_path("gemma-3-270m")
    for name, (key, gate) in paths.items():
        rows += bench_path(manager, name, key, gate, tokens, rounds)
    for kind, name in engines:
        served, context = serve(kind, model_path)
        with context:
            rows += bench_path(manager, name, served.key, _NoGate(), tokens, rounds)
    print_table(rows)
    print(
        f"\n({'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs, "
        f"{tokens} tokens per answer, {rounds} round(s); Gemma 3 270M)"
    )


class _NoGate:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def bench_path(manager, name: str, key: str, gate, tokens: int, rounds: int) -> list[tuple]:
    measure(manager, key, 1, 4, 1, gate)  # warm-up: the model loaded, the engine's caches primed
    rows, base, cpu = [], None, []
    for clients in CLIENTS:
        before = time.process_time()
        rate, ms = measure(manager, key, clients, tokens, rounds, gate)
        cpu.append(f"{clients}: {1000 * (time.process_time() - before) / (clients * tokens * rounds):.1f}")
        base = base or rate
        rows.append((name, clients, rate, rate / base, ms))
    # the app's own side (the text task, its engine client, these threads), which shares the CPU with an engine
    print(f"{name}: this process's CPU ms per token asked for, by clients: {', '.join(cpu)}", flush=True)
    return rows


def print_table(rows: list[tuple]) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"\n{'path':<{width}} | clients | tokens/s | × 1 client | ms/token per visitor")
    print("-" * (width + 56))
    for name, clients, rate, ratio, ms in rows:
        print(f"{name:<{width}} | {clients:>7} | {rate:>8.1f} | {ratio:>9.2f}× | {ms:>8.1f}")
    by_path = {}
    for name, clients, rate, ratio, ms in rows:
        by_path.setdefault(name, {})[clients] = (rate, ratio, ms)
    engine = next((p for p in by_path if "llama-server" in p), None)
    if engine:
        ratio = by_path[engine][8][1]
        print(
            f"\ngoal: llama-server at 8 clients ≥ 3× its 1-client throughput: {ratio:.2f}× "
            f"{'✓' if ratio >= 3 else '✗'}"
        )
        local = next(p for p in by_path if "in-process" in p)
        faster = by_path[engine][1][2] < by_path[local][1][2]
        print(
            f"goal: llama.cpp faster per token than in-process fp32 (1 client): "
            f"{by_path[engine][1][2]:.1f} vs {by_path[local][1][2]:.1f} ms {'✓' if faster else '✗'}"
        )


if __name__ == "__main__":
    main()
