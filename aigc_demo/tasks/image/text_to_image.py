"""Text to image: validated settings, a seeded diffusers pipeline through the manager, live progress, labelled PNGs.

`generate_images` is a generator. It runs the pipeline in a worker thread and yields an `ImageUpdate` after every
denoising step (with a cheap latent preview) and after every finished image. Closing it (client cancel), or the run's
Stop (`tasks.cancel`), stops the pipeline: between steps through `pipe._interrupt`, and inside a step through a check
before every block of the denoiser and the VAE, so a Stop on a large image on a CPU takes effect in a fraction of a
step. When the generator is closed, the pipeline has stopped and the model is free for the next request. On a CPU, a
request whose work would take many minutes is refused before it starts (`check_cost`).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec, default_model, get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.common import cancel
from aigc_demo.tasks.common.safe_mode import check_prompt
from aigc_demo.tasks.common.validation import check_choice, check_number, check_text, resolve_seed
from aigc_demo.tasks.common.worker import END, IMAGE_THREAD, Worker
from aigc_demo.tasks.image import metadata as image_metadata
from aigc_demo.tasks.image import safety_checker
from aigc_demo.tasks.image.clip_score import ImageScores, score_images
from aigc_demo.tasks.image.prompt_translation import looks_non_english

log = logging.getLogger(__name__)

STEP_TIMEOUT_S = 600.0  # longest wait for one denoising step before the run is reported as stuck
PREVIEW_MAX_SIDE = 512  # previews are upscaled latents; larger would only cost bandwidth

# Latent -> RGB as one linear map per latent channel (rows: channels; columns: R, G, B), the "latent preview" that
# ComfyUI and A1111 show while denoising: no VAE decode, microseconds per step.
_SD_LATENT_RGB = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)
_SDXL_LATENT_RGB = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
_SDXL_LATENT_BIAS = (0.1084, -0.0175, -0.0011)


@dataclass
class ImageRequest:
    """One request, with the parameter names of diffusers' pipelines."""

    prompt: str
    negative_prompt: str = ""
    model: str = ""  # catalogue key; "" = the default image model
    num_inference_steps: int = 1  # denoising steps; turbo models need 1-4
    guidance_scale: float = 0.0  # classifier-free guidance; 0 or 1 = off (turbo models are trained without it)
    width: int = 512  # pixels, a multiple of 8
    height: int = 512
    seed: int = 0  # image i uses seed + i; -1 = random
    num_images: int = 1
    scheduler: str = ""  # "" = the one the model ships; else one of its catalogue entry's `schedulers`

    def validated(self) -> ImageRequest:
        """A copy with every field checked against the settings and the model's own bounds (UserError if not)."""
        prompt = check_text("prompt", self.prompt, max_chars=settings.MAX_PROMPT_CHARS)
        negative = check_text(
            "negative_prompt", self.negative_prompt, max_chars=settings.MAX_PROMPT_CHARS, allow_empty=True
        )
        spec = get_spec(self.model or default_model("text-to-image"))
        if not spec.is_diffusion:
            raise UserError(f"{spec.key} is not an image model.", f"{spec.key} 不是图像模型。")
        steps = check_number("num_inference_steps", self.num_inference_steps, 1, max_steps(spec), integer=True)
        size_bounds = (settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE)
        width = check_number("width", self.width, *size_bounds, integer=True)
        height = check_number("height", self.height, *size_bounds, integer=True)
        if width % 8 or height % 8:
            raise UserError(
                f"`width` and `height` have to be multiples of 8, but are {width} and {height}.",
                f"宽度和高度必须是 8 的倍数，当前为 {width} 和 {height}。",
            )
        return replace(
            self,
            prompt=prompt,
            negative_prompt=negative,
            model=spec.key,
            num_inference_steps=steps,
            guidance_scale=check_number("guidance_scale", self.guidance_scale, 0.0, settings.MAX_GUIDANCE_SCALE),
            width=width,
            height=height,
            seed=resolve_seed(self.seed),
            num_images=check_number("num_images", self.num_images, 1, settings.MAX_NUM_IMAGES, integer=True),
            scheduler=check_choice("scheduler", self.scheduler or "", ["", *scheduler_choices(spec)]),
        )


@dataclass
class ImageUpdate:
    """One state of a run: progress and a preview while denoising; the finished images so far."""

    step: int  # denoising steps done, over all images
    total: int  # num_images x steps per image
    preview: Any = None  # PIL image: a cheap approximation of the image being denoised
    images: list = field(default_factory=list)  # finished, labelled PNG-ready PIL images
    done: bool = False
    seed: int = 0
    is_twin: bool = False
    safety: str = "off"  # "checker" (the model's own), "blocklist" (prompt words only) or "off"
    hidden: int = 0  # images that safe mode replaced by a placeholder
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)
    seconds: float = 0.0
    clip: ImageScores | None = None  # the final update's prompt-image alignment; None for hidden images' scores
    scheduler: str = ""  # the scheduler class that drew it


def max_steps(spec: ModelSpec) -> int:
    return min(settings.MAX_IMAGE_STEPS, int(spec.defaults.get("max_steps", settings.MAX_IMAGE_STEPS)))


def scheduler_choices(spec: ModelSpec) -> list[str]:
    """Scheduler classes the model works with; the first is the one it ships. Empty: no choice."""
    return list(spec.defaults.get("schedulers", ()))


def has_safety_checker(spec: ModelSpec) -> bool | None:
    """Whether the model ships a safety checker: from its catalogue entry, None if the entry does not say."""
    return spec.defaults.get("safety_checker")


def check_cost(req: ImageRequest, device: str) -> None:
    """On a CPU, refuse at once a request whose work (width x height x steps x images) would run for many minutes."""
    if device != "cpu":
        return
    work = req.width * req.height * req.num_inference_steps * req.num_images / 1e6
    limit = settings.CPU_IMAGE_WORK
    if work <= limit:
        return
    runs = req.num_inference_steps * req.num_images
    side = int((limit * 1e6 / runs) ** 0.5) // 8 * 8
    if side >= settings.MIN_IMAGE_SIZE:
        largest_en = f"with {req.num_inference_steps} step(s) and {req.num_images} image(s), at most {side}x{side}"
        largest_zh = f"在 {req.num_inference_steps} 步、{req.num_images} 张时最大为 {side}x{side}"
    else:
        n = max(1, int(limit * 1e6 // (req.width * req.height)))
        largest_en = f"at {req.width}x{req.height}, at most {n} step(s) x image(s) in all"
        largest_zh = f"在 {req.width}x{req.height} 时步数 x 张数最多为 {n}"
    raise UserError(
        f"This request is too large for this CPU ({work:.1f} megapixel-steps; the limit, AIGC_CPU_IMAGE_WORK, is "
        f"{limit:g}): {largest_en}.",
        f"此请求对本机 CPU 过大（{work:.1f} 百万像素·步，上限 AIGC_CPU_IMAGE_WORK 为 {limit:g}）：{largest_zh}。",
    )


class _Interrupted(Exception):
    """Raised inside the denoiser by `_stop_hook` when the run was stopped mid-step."""


_STOP_BY_THREAD: dict[int, Any] = {}  # pipeline thread -> a callable saying whether its run was stopped


def _stop_hook(module: Any, args: Any) -> None:
    stopped = _STOP_BY_THREAD.get(threading.get_ident())
    if stopped is not None and stopped():
        raise _Interrupted


def watch_for_stop(pipe: Any) -> None:
    """Let a Stop end a pipeline inside a step: every block of its denoiser and VAE checks it before it runs.

    The hooks sit on the shared weights, once; they act only in a pipeline thread registered in `_STOP_BY_THREAD`,
    so another request using the same model is not affected. A check costs a dict lookup per block.
    """
    for name in ("unet", "transformer", "vae"):
        component = getattr(pipe, name, None)
        if component is None or getattr(component, "_aigc_stop_hooks", False):
            continue
        for module in component.modules():
            module.register_forward_pre_hook(_stop_hook)
        component._aigc_stop_hooks = True


def latent_preview(latents: Any, pipeline_class: str, width: int, height: int) -> Any:
    """A PIL approximation of SD/SDXL `latents` (one image, 4 x h x w), upscaled; None for other latent spaces."""
    import torch
    from PIL import Image

    if latents.ndim != 3 or latents.shape[0] != 4:
        return None
    xl = "XL" in pipeline_class
    factors = torch.tensor(_SDXL_LATENT_RGB if xl else _SD_LATENT_RGB, dtype=torch.float32)
    rgb = torch.einsum("chw,cr->hwr", latents.detach().float().cpu(), factors)
    if xl:
        rgb = rgb + torch.tensor(_SDXL_LATENT_BIAS)
    pixels = ((rgb + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()
    scale = min(1.0, PREVIEW_MAX_SIDE / max(width, height))
    return Image.fromarray(pixels).resize((round(width * scale), round(height * scale)), Image.Resampling.BILINEAR)


def request_pipeline(pipe: Any, scheduler: str, keep_checker: bool) -> Any:
    """A pipeline object of this request's own that shares `pipe`'s weights.

    Its own scheduler instance (schedulers keep per-run state), its own `_interrupt` flag, and the safety checker
    only in safe mode; constructing it costs microseconds and no memory.
    """
    import diffusers

    params = inspect.signature(type(pipe).__init__).parameters
    kwargs = {name: component for name, component in pipe.components.items() if name in params}
    kwargs |= {name: pipe.config[name] for name in params if name not in kwargs and name in pipe.config}
    scheduler_cls = getattr(diffusers, scheduler) if scheduler else type(pipe.scheduler)
    kwargs["scheduler"] = scheduler_cls.from_config(pipe.scheduler.config)
    if "safety_checker" in kwargs and not keep_checker:
        kwargs["safety_checker"] = None
    if "requires_safety_checker" in params:
        kwargs["requires_safety_checker"] = False  # no licence warning: safe mode is ours to decide
    fresh = type(pipe)(**kwargs)
    fresh.set_progress_bar_config(disable=True)
    return fresh


def _recipe(req: ImageRequest, index: int, scheduler: str, is_twin: bool) -> dict:
    spec = get_spec(req.model)
    return {
        "prompt": req.prompt,
        "negative_prompt": req.negative_prompt,
        "model": req.model,
        "repo_id": spec.repo_id,
        "revision": spec.revision,
        "seed": req.seed + index,
        "num_inference_steps": req.num_inference_steps,
        "guidance_scale": req.guidance_scale,
        "width": req.width,
        "height": req.height,
        "scheduler": scheduler,
        "offline_twin": is_twin,
        "ai_generated": True,
        "software": image_metadata.SOFTWARE,
    }


def finish_image(image: Any, req: ImageRequest, index: int, scheduler: str, is_twin: bool, flagged: bool) -> Any:
    """The PNG-ready image: labelled and annotated, or the safe-mode placeholder if the checker flagged it."""
    recipe = _recipe(req, index, scheduler, is_twin)
    if flagged:
        hidden = image_metadata.placeholder(req.width, req.height, "Hidden by safe mode")
        return image_metadata.annotate(hidden, recipe | {"hidden_by_safe_mode": True}, ai_generated=False)
    return image_metadata.annotate(image_metadata.stamp_label(image), recipe)


def _clip_scores(manager: ModelManager, prompt: str, images: list, flags: list[bool], warnings: list):
    """(scores, warnings): the CLIP scores of the images safe mode did not hide (those get 0), or a note instead."""
    shown = [image for image, flagged in zip(images, flags, strict=True) if not flagged]
    if not shown:
        return None, warnings  # every image was hidden: nothing to score
    try:
        found = score_images(manager, prompt, shown)
    except Exception as exc:  # noqa: BLE001 - e.g. hub mode without CLIP downloaded: the images still count
        log.warning("No CLIP scores: %s", exc)
        why = exc.message("en") if isinstance(exc, UserError) else "the scoring model could not run"
        why_zh = exc.message("zh") if isinstance(exc, UserError) else "评分模型无法运行"
        return None, [*warnings, (f"CLIP scores are missing: {why}", f"没有 CLIP 分数：{why_zh}")]
    it = iter(found.scores)
    scores = [0.0 if flagged else next(it) for flagged in flags]
    return ImageScores(scores, found.model, found.is_twin, hidden=[i for i, f in enumerate(flags) if f]), warnings


def _warnings(req: ImageRequest, spec: ModelSpec) -> list[tuple[str, str]]:
    notes = []
    if req.negative_prompt and req.guidance_scale <= 1:
        notes.append(
            (
                "The negative prompt only takes effect with guidance_scale above 1; it was ignored.",
                "反向提示词仅在引导系数大于 1 时生效，本次已忽略。",
            )
        )
    if "en" in spec.languages and looks_non_english(req.prompt):
        notes.append(
            (
                f"{spec.key} understands English best: translate the prompt first for a closer picture.",
                f"{spec.key} 最擅长英文提示词：先翻译成英文，效果会更贴近描述。",
            )
        )
    return notes


def generate_images(
    manager: ModelManager,
    req: ImageRequest,
    *,
    safe_mode: bool | None = None,
    previews: bool = True,
    score: bool = True,
) -> Iterator[ImageUpdate]:
    """Stream the run for `req` (validated here): step updates with previews, then the labelled PNG-ready images,
    with `score` each one's CLIP score against the prompt (tasks.image.clip_score, after the image model is released).

    Image i is drawn with a CPU `torch.Generator` seeded with seed + i, so any one of them can be reproduced alone.
    """
    req = req.validated()
    safe_mode = settings.SAFE_MODE if safe_mode is None else safe_mode
    if safe_mode:
        check_prompt(req.prompt, "image", enabled=True)
    spec = get_spec(req.model)
    check_cost(req, manager.device)
    external = cancel.current()  # the run's Stop, seen mid-step; closing this generator stops it too

    with manager.use(req.model) as lm, contextlib.ExitStack() as checking:
        pipe = request_pipeline(lm.model, req.scheduler, keep_checker=safe_mode)
        watch_for_stop(lm.model)
        scheduler = type(pipe.scheduler).__name__
        has_checker = getattr(pipe, "safety_checker", None) is not None
        # The turbo models ship no checker: with AIGC_SAFETY_CHECKER, Stable Diffusion's own checks their images.
        checker = None
        if safety_checker.wanted(spec, has_checker, safe_mode):
            checker = checking.enter_context(manager.use(safety_checker.SAFETY_CHECKER_MODEL))
        safety = "checker" if has_checker or checker else "blocklist" if safe_mode else "off"
        worker = Worker(IMAGE_THREAD, join_s=STEP_TIMEOUT_S)

        def stopped() -> bool:
            return worker.stop.is_set() or (external is not None and external.is_set())

        work = _drawing(pipe, req, worker, stopped, previews)
        start = time.perf_counter()
        worker.start(work)
        images: list[Any] = []
        flags: list[bool] = []  # hidden by safe mode, per image
        hidden = 0
        per_image = req.num_inference_steps
        base = dict(
            seed=req.seed, is_twin=lm.is_twin, safety=safety, warnings=_warnings(req, spec), scheduler=scheduler
        )
        with worker:
            while True:
                try:
                    event = worker.get(STEP_TIMEOUT_S)
                except queue.Empty:
                    raise RuntimeError(f"No denoising step finished within {STEP_TIMEOUT_S:.0f} s.") from None
                if event is END:
                    break
                if event[0] == "step":
                    _, step, per_image, preview = event
                    done_steps = len(images) * per_image + step
                    yield ImageUpdate(done_steps, req.num_images * per_image, preview, list(images), **base)
                else:
                    _, image, flagged = event
                    if checker is not None:  # before anyone sees it: the update below carries the image
                        flagged = safety_checker.flag_images(checker, [image])[0]
                    hidden += flagged
                    flags.append(flagged)
                    images.append(finish_image(image, req, len(images), scheduler, lm.is_twin, flagged))
                    total = req.num_images * per_image
                    yield ImageUpdate(len(images) * per_image, total, None, list(images), hidden=hidden, **base)
            worker.reraise()
            total = req.num_images * per_image
            seconds = time.perf_counter() - start
            final = ImageUpdate(total, total, None, images, done=True, hidden=hidden, seconds=seconds, **base)
    if score and images:
        final.clip, final.warnings = _clip_scores(manager, req.prompt, images, flags, final.warnings)
    yield final


def _drawing(pipe: Any, req: ImageRequest, worker: Worker, stopped: Callable[[], bool], previews: bool):
    """The worker's job: draw `req`'s images one by one, emitting ("step", done, of, preview) after each denoising
    step and ("image", image, flagged) after each image; a Stop interrupts the pipeline at its next step (or, via
    `_STOP_BY_THREAD`, inside it)."""
    import torch

    pipeline_class = type(pipe).__name__

    def on_step_end(p, step: int, timestep: Any, callback_kwargs: dict) -> dict:
        latents = callback_kwargs["latents"]
        preview = latent_preview(latents[0], pipeline_class, req.width, req.height) if previews else None
        worker.emit(("step", step + 1, p.num_timesteps, preview))
        if stopped():
            p._interrupt = True  # the loop skips the remaining steps
        return callback_kwargs

    def work() -> None:
        _STOP_BY_THREAD[threading.get_ident()] = stopped
        try:
            with torch.inference_mode():
                for i in range(req.num_images):
                    if stopped():
                        return
                    out = pipe(
                        prompt=req.prompt,
                        negative_prompt=req.negative_prompt or None,
                        num_inference_steps=req.num_inference_steps,
                        guidance_scale=req.guidance_scale,
                        width=req.width,
                        height=req.height,
                        generator=torch.Generator(device="cpu").manual_seed(req.seed + i),
                        callback_on_step_end=on_step_end,
                    )
                    flagged = bool((getattr(out, "nsfw_content_detected", None) or [False])[0])
                    worker.emit(("image", out.images[0], flagged))
        except _Interrupted:
            pass  # stopped mid-step: what was finished is kept, like a Stop between steps
        finally:
            _STOP_BY_THREAD.pop(threading.get_ident(), None)

    return work
