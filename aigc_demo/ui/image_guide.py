"""What the image tab tells a first-time visitor around a run: example prompts, the expected time on a CPU, and the
generation-info line under the finished image. No torch."""

from __future__ import annotations

import threading

from aigc_demo import settings
from aigc_demo.tasks.image.metadata import SAMPLER_NAMES
from aigc_demo.ui.common import runs_on_cpu, tr

# Example prompts: the Chinese ones go through the tab's "Translate to English" step, like a typed Chinese prompt.
EXAMPLES = [
    ["A lighthouse on a cliff at dawn, watercolor, soft light"],
    ["A red fox sleeping in the snow, photograph, shallow depth of field"],
    ["A cozy reading corner with plants and a cat, isometric illustration"],
    ["一座雪山下的小木屋，清晨，油画风格"],
    ["熊猫在竹林里吃竹子，水墨画"],
]
EXAMPLE_LABELS = [
    "Lighthouse (watercolor)",
    "Fox in the snow (photo)",
    "Reading corner",
    "雪山小屋（油画）",
    "熊猫（水墨）",
]

# Seconds per megapixel-step for a real model on a CPU before this process has timed a run of it: on the slow side
# for sd-turbo in fp32 (a 512x512 1-step image, text encoder and VAE decode included, takes 3-6 s on a laptop).
CPU_SECONDS_PER_MP_STEP = 20.0

_rates: dict[str, float] = {}  # model key -> seconds per megapixel-step of its latest finished run in this process
_lock = threading.Lock()


def work(width: int, height: int, steps: int, images: int) -> float:
    """Megapixel-steps, the measure the CPU cost cap uses (tasks.image.text_to_image.check_cost)."""
    return width * height * steps * images / 1e6


def record(model: str, width: int, height: int, steps: int, images: int, seconds: float) -> None:
    """Remember how fast `model` drew a finished run here, for the next run's estimate."""
    amount = work(width, height, steps, images)
    if amount > 0 and seconds > 0:
        with _lock:
            _rates[model] = seconds / amount


def expected_seconds(model: str, width: int, height: int, steps: int, images: int) -> tuple[float, bool] | None:
    """Roughly how long the run will draw and whether that comes from a timed run here; None when there is
    nothing honest to say (offline stand-ins not yet timed: the real-model guess would be far off)."""
    with _lock:
        rate = _rates.get(model)
    if rate is None and settings.MODELS == "tiny":
        return None
    measured = rate is not None
    return (rate if measured else CPU_SECONDS_PER_MP_STEP) * work(width, height, steps, images), measured


def expected_line(lang: str, model: str, width: int, height: int, steps: int, images: int) -> str:
    """A line for the status when a run starts on a CPU: the expected drawing time, said to be an estimate."""
    if not runs_on_cpu():
        return ""
    guess = expected_seconds(model, width, height, steps, images)
    if guess is None:
        return ""
    seconds, measured = guess
    amount = _duration(lang, seconds)
    if measured:
        return tr(
            lang,
            f"⏱️ Expected: about {amount} on this CPU (an estimate from this app's previous runs of {model}).",
            f"⏱️ 预计：在本机 CPU 上约 {amount}（根据本应用之前运行 {model} 的用时估算）。",
        )
    return tr(
        lang,
        f"⏱️ Expected: up to about {amount} on this CPU, plus loading the first time (a rough estimate; later runs "
        "are timed here).",
        f"⏱️ 预计：在本机 CPU 上最多约 {amount}，首次还需加载模型（粗略估算；之后按本机实测用时估算）。",
    )


def _duration(lang: str, seconds: float) -> str:
    if seconds < 1:
        return tr(lang, "1 s", "1 秒")
    if seconds < 90:
        return tr(lang, f"{seconds:.0f} s", f"{seconds:.0f} 秒")
    return tr(lang, f"{seconds / 60:.0f} min", f"{seconds / 60:.0f} 分钟")


def info_line(lang: str, model: str, seed: int, width: int, height: int, steps: int, scheduler: str, seconds: float):
    """The generation-info line under a finished image: what made it, how, and how long it took."""
    sampler = SAMPLER_NAMES.get(scheduler, scheduler) or tr(lang, "the model's own", "模型自带")
    return tr(
        lang,
        f"ℹ️ Model {model} · seed {seed} · {steps} step{'s' if steps != 1 else ''} · {width}×{height} · "
        f"scheduler {sampler} · took {seconds:.1f} s",
        f"ℹ️ 模型 {model} · 种子 {seed} · {steps} 步 · {width}×{height} · 采样器 {sampler} · 用时 {seconds:.1f} 秒",
    )
