"""One table of the app's costs, each figure measured side by side with its baseline in the same run.

    python -m bench.bench_app            # full sizes (a few minutes on 2 CPU cores)
    python -m bench.bench_app --quick    # CI size, under 3 minutes

Rows: start-up (first HTTP 200) vs a bare Gradio app with as many tabs; text tokens/s through the API (streaming)
vs raw `model.generate` on the same model (twin-sized and GPT-2-124M-sized random weights) and time to first token;
seconds per image through the API vs the raw diffusers call; aggregate throughput with 1/4/8 concurrent clients;
peak RSS with every tab used once vs the memory budget. Offline: every model is a random-weight twin.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("AIGC_MODELS", "tiny")
os.environ.setdefault("AIGC_CACHE_DIR", str(ROOT / ".cache"))
sys.path.insert(0, str(ROOT))

import aigc_demo  # noqa: E402, F401 - first, as in app.py: its process settings (malloc arena, OpenMP) precede threads

BARE_APP = """
import gradio as gr
with gr.Blocks() as demo:
    for name in ["Text", "Poetry", "News", "Image", "Models"]:
        with gr.Tab(name):
            box = gr.Textbox(label=name); gr.Button("Run").click(lambda x: x, box, box)
demo.launch()
"""

ROWS: list[tuple[str, str, str, str, str]] = []  # metric, ours, baseline, ratio, target/verdict


def row(
    metric: str,
    ours: float,
    baseline: float | None,
    unit: str,
    target: str = "",
    ok: bool | None = None,
    higher_is_better: bool = False,
    ratio: float | None = None,
) -> None:
    """One table row; `ratio` defaults to ours / baseline (give it when it is a median of paired ratios)."""
    if ratio is None and baseline:
        ratio = ours / baseline
    shown = f"{ratio:.2f}×" if ratio is not None else ""
    verdict = "" if ok is None else ("✓ " if ok else "✗ ") + target
    ROWS.append((metric, f"{ours:.3g} {unit}", f"{baseline:.3g} {unit}" if baseline else "", shown, verdict))


def time_to_200(cmd: list[str], env: dict) -> float:
    import httpx

    from tests.reliability.conftest import free_port

    port = free_port()
    env = {**os.environ, **env, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited early")
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def bench_startup(repeats: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(BARE_APP)
    ours, bare = [], []
    for _ in range(repeats):  # interleaved, so drift on a noisy machine hits both alike
        bare.append(time_to_200([sys.executable, f.name], {}))
        ours.append(time_to_200([sys.executable, "app.py"], {"AIGC_MODELS": "tiny"}))
    o, b = statistics.median(ours), statistics.median(bare)
    row("start-up: first HTTP 200 (median)", o, b, "s", "≤ 1.5× bare Gradio", o <= 1.5 * b)


def build_big_text_model(tmp: Path) -> Path:
    """A GPT-2-124M-shaped model with random weights and the twin's tokenizer."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from aigc_demo.catalog import get_spec
    from aigc_demo.twins import ensure_twin

    tok = AutoTokenizer.from_pretrained(ensure_twin(get_spec("gpt2")))
    torch.manual_seed(0)
    model = GPT2LMHeadModel(
        GPT2Config(vocab_size=len(tok), bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id)
    )
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    return tmp


def stream_timed(client, prompt: str, n: int, model: str) -> tuple[float, float, str]:
    """(total seconds, seconds to first streamed output, final text) of one greedy /generate_text call."""
    start = time.perf_counter()
    job = client.submit(
        prompt, model=model, max_new_tokens=n, temperature=0, repetition_penalty=1.0, api_name="/generate_text"
    )
    first = None
    while not job.done():
        if first is None and job.outputs():
            first = time.perf_counter() - start
        time.sleep(0.01)  # the client shares this process (and the GIL) with the server: poll gently
    text = job.result()
    total = time.perf_counter() - start
    return total, first if first is not None else total, text


def raw_generate_timed(manager, key: str, prompt: str, n: int) -> tuple[float, list[int]]:
    import torch

    from aigc_demo.tasks.text.text_generation import build_inputs

    lm = manager.get(key)
    inputs = build_inputs(lm, prompt)
    start = time.perf_counter()
    with torch.inference_mode():
        out = lm.model.generate(
            **inputs, do_sample=False, max_new_tokens=n, min_new_tokens=n, pad_token_id=lm.tokenizer.eos_token_id
        )
    return time.perf_counter() - start, out[0, inputs["input_ids"].shape[1] :].tolist()


def bench_text(client, manager, key: str, label: str, n: int, repeats: int) -> None:
    """Decoding rate (tokens after the first, per second after the first) and time to first token, API vs raw.

    The API's first token includes HTTP, queueing and the prefill; raw generate's includes only the prefill. Each is
    reported as its own row, so a fixed request latency is not folded into the streaming rate.
    """
    prompt = "The weather today"
    raw_generate_timed(manager, key, prompt, 4)  # warm-up: load and first-call costs are not what we measure
    stream_timed(client, prompt, 4, key)
    api_tps, raw_tps, api_ttft, raw_ttft, api_e2e, raw_e2e = [], [], [], [], [], []
    for _ in range(repeats):
        first_raw, _ = raw_generate_timed(manager, key, prompt, 1)
        seconds, ids = raw_generate_timed(manager, key, prompt, n)
        raw_tps.append((len(ids) - 1) / (seconds - first_raw))
        raw_ttft.append(first_raw)
        raw_e2e.append(len(ids) / seconds)
        total, first, text = stream_timed(client, prompt, n, key)
        tokens = min(n, len(manager.get(key).tokenizer(text, add_special_tokens=False)["input_ids"]))
        api_tps.append((tokens - 1) / (total - first))
        api_ttft.append(first)
        api_e2e.append(tokens / total)
    a, r = statistics.median(api_tps), statistics.median(raw_tps)
    row(f"text tokens/s after 1st token, {label}", a, r, "tok/s", "≥ 0.9× raw generate", a >= 0.9 * r)
    row(f"text tokens/s end to end, {label}", statistics.median(api_e2e), statistics.median(raw_e2e), "tok/s")
    row(f"text time to first token, {label}", statistics.median(api_ttft), statistics.median(raw_ttft), "s")


def build_big_image_pipeline(tmp: Path) -> Path:
    """An SD-2.x-shaped pipeline (sd-turbo's UNet and VAE sizes) with random weights and a small text encoder."""
    import torch
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from aigc_demo.twins import _clip_parts, _turbo_scheduler

    torch.manual_seed(0)
    tok, _ = _clip_parts(32)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tok),
            hidden_size=1024,
            intermediate_size=2048,
            num_hidden_layers=2,
            num_attention_heads=16,
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=64,
        cross_attention_dim=1024,
        attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True,
        block_out_channels=(320, 640, 1280, 1280),
    )
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=2,
        sample_size=512,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tok,
        unet=unet,
        scheduler=_turbo_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(tmp)
    return tmp


def http_generate_image(http, data: list) -> None:
    """/generate_image the way curl or a browser calls it: POST the inputs, read the event stream to its end.

    `http` is one httpx.Client kept across calls, as a real client keeps its connection (a new client costs ~50 ms
    here, mostly loading CA certificates). gradio_client waits up to 50 ms between polls of the messages it has
    received, so this plain client shows what the server itself adds.
    """
    event_id = http.post("gradio_api/call/generate_image", json={"data": data}).json()["event_id"]
    with http.stream("GET", f"gradio_api/call/generate_image/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: error"):
                raise RuntimeError(f"/generate_image failed: {line}")
            if line.startswith("event: complete"):
                return
    raise RuntimeError("/generate_image ended without a result")


def paired(repeats: int, **calls) -> dict[str, list[float]]:
    """Seconds per call, the calls taking turns and the order flipped every round, so drift hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(repeats):
        for name in list(calls) if i % 2 == 0 else list(reversed(calls)):
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    return times


def bench_image(client, url: str, manager, key: str, label: str, size: int, steps: int, repeats: int) -> None:
    """Seconds per image via gradio_client and via plain HTTP vs the raw pipeline call, as medians of paired ratios."""
    import httpx
    import torch

    pipe = manager.get(key).model
    prompt = "a lighthouse at dawn"
    kwargs = dict(prompt=prompt, num_inference_steps=steps, guidance_scale=0.0, width=size, height=size)
    api_kwargs = dict(model=key, num_inference_steps=steps, guidance_scale=0.0, width=size, height=size, seed=0)
    http = httpx.Client(base_url=url, timeout=600)
    calls = {
        "raw": lambda: pipe(**kwargs, generator=torch.Generator().manual_seed(0)),
        "client": lambda: client.predict(prompt, **api_kwargs, api_name="/generate_image"),
        "http": lambda: http_generate_image(http, [prompt, "", key, steps, 0.0, size, size, 0, 1, ""]),
    }
    with http:
        for call in calls.values():
            call()  # warm-up
        times = paired(repeats, **calls)
    raw = statistics.median(times["raw"])
    for name, how in (("client", "gradio_client"), ("http", "plain HTTP")):
        ratio = statistics.median(a / r for a, r in zip(times[name], times["raw"], strict=True))
        metric = f"image s/image via API ({how}), {label} ({size}px, {steps} steps)"
        row(metric, statistics.median(times[name]), raw, "s", "≤ 1.1× raw pipeline", ratio <= 1.1, ratio=ratio)


def bench_round_trip(client, url: str, repeats: int) -> None:
    """The protocol's own cost: /model_status touches no model, so its time is all queue, HTTP and client."""
    import httpx

    def plain() -> None:
        event_id = http.post("gradio_api/call/model_status", json={"data": []}).json()["event_id"]
        with http.stream("GET", f"gradio_api/call/model_status/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: complete"):
                    return

    with httpx.Client(base_url=url, timeout=60) as http:
        calls = {"client": lambda: client.predict(api_name="/model_status"), "http": plain}
        for call in calls.values():
            call()
        times = paired(repeats * 5, **calls)
    row("API round trip, no model (/model_status, gradio_client)", statistics.median(times["client"]), None, "s")
    row("API round trip, no model (/model_status, plain HTTP)", statistics.median(times["http"]), None, "s")


def bench_concurrency(url: str, requests_per_client: int) -> None:
    from gradio_client import Client

    base = None
    for clients in (1, 4, 8):
        done: list[int] = []

        def worker(done: list[int] = done) -> None:
            c = Client(url, verbose=False, download_files=False)
            for _ in range(requests_per_client):
                c.predict("Hello", max_new_tokens=16, temperature=0, api_name="/generate_text")
                done.append(1)
            c.close()

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        rate = len(done) / (time.perf_counter() - start)
        base = base or rate
        row(f"throughput, {clients} concurrent client(s)", rate, base, "req/s")


def bench_memory() -> None:
    import psutil
    from gradio_client import Client

    from tests.reliability.conftest import served_app

    budget = "2GB"
    with served_app(AIGC_MEMORY_BUDGET=budget) as (url, proc):
        process = psutil.Process(proc.pid)
        peak = process.memory_info().rss
        client = Client(url, verbose=False, download_files=False)
        article = "The council met on Monday. It approved the budget. Parks get more money. Bridges will be fixed."
        for name, args, kwargs in [
            ("/generate_text", ("Hi",), {"max_new_tokens": 16}),
            ("/write_poem", ("月",), {}),
            ("/summarize", (article,), {"method": "abstractive", "max_new_tokens": 16}),
            ("/generate_image", ("a cat",), {"width": 128, "height": 128}),
        ]:
            client.predict(*args, api_name=name, **kwargs)
            peak = max(peak, process.memory_info().rss)
        status = client.predict(api_name="/model_status")
        client.close()
    from aigc_demo.settings import parse_bytes

    limit = parse_bytes(budget)
    row("peak RSS, every tab used once", peak / 1e9, limit / 1e9, "GB", f"≤ budget {budget}", peak <= limit)
    row("model memory (manager accounting)", status["used_bytes"] / 1e9, limit / 1e9, "GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI size: fewer repeats, shorter runs")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    started = time.perf_counter()

    bench_startup(repeats)

    from gradio_client import Client

    from aigc_demo import catalog, loaders
    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo, launch_kwargs

    with tempfile.TemporaryDirectory() as tmp:
        big = {"bench-gpt2-124m": build_big_text_model(Path(tmp) / "text")}
        catalog.CATALOG["bench-gpt2-124m"] = dataclasses.replace(catalog.get_spec("gpt2"), key="bench-gpt2-124m")
        if not args.quick:
            big["bench-sd-turbo-sized"] = build_big_image_pipeline(Path(tmp) / "image")
            catalog.CATALOG["bench-sd-turbo-sized"] = dataclasses.replace(
                catalog.get_spec("sd-turbo"), key="bench-sd-turbo-sized"
            )

        def resolve(spec, mode):
            if spec.key in big:
                return loaders.Source(big[spec.key], True, "benchmark model")
            return loaders.resolve(spec, "tiny")

        manager = ModelManager(mode="tiny", device="cpu", resolve=resolve)
        demo = build_demo(manager)
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
        client = Client(url, verbose=False, download_files=False)
        try:
            bench_text(client, manager, "gpt2", "twin", 64 if args.quick else 128, repeats)
            bench_text(client, manager, "bench-gpt2-124m", "GPT-2-124M-sized", 32 if args.quick else 64, repeats)
            bench_round_trip(client, url, repeats)
            bench_image(client, url, manager, "sd-turbo", "twin", 256, 2, 2 * repeats)
            if not args.quick:
                bench_image(client, url, manager, "bench-sd-turbo-sized", "sd-turbo-sized", 256, 1, 8)
            bench_concurrency(url, 2 if args.quick else 5)
        finally:
            client.close()
            demo.close()
    bench_memory()

    width = max(len(r[0]) for r in ROWS)
    print(f"\n{'metric':<{width}} | {'ours':>12} | {'baseline':>12} | {'ratio':>7} | target")
    print("-" * (width + 60))
    for metric, ours, base, ratio, verdict in ROWS:
        print(f"{metric:<{width}} | {ours:>12} | {base:>12} | {ratio:>7} | {verdict}")
    print(
        f"\n({'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s, "
        f"{os.cpu_count()} CPUs, twins with random weights)"
    )


if __name__ == "__main__":
    main()
