"""What the image tab's controls show: shape presets, per-model slider bounds, the safety and status lines. No torch."""

from __future__ import annotations

import math

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec, get_spec, models_for
from aigc_demo.errors import UserError
from aigc_demo.tasks.image.metadata import SAMPLER_NAMES, read_recipe
from aigc_demo.tasks.image.text_to_image import ImageUpdate, has_safety_checker, max_steps, scheduler_choices
from aigc_demo.ui.common import ai_label, offered, tr
from aigc_demo.ui.i18n import t

ASPECT_RATIOS = {
    "1:1": (1, 1),
    "4:3": (4, 3),
    "3:4": (3, 4),
    "3:2": (3, 2),
    "2:3": (2, 3),
    "16:9": (16, 9),
    "9:16": (9, 16),
}
CUSTOM = "custom"


def size_for(ratio: str, base: int) -> tuple[int, int]:
    """Width and height with about base x base pixels in `ratio`, multiples of 8 within the settings' bounds."""
    rw, rh = ASPECT_RATIOS[ratio]
    lo, hi = math.ceil(settings.MIN_IMAGE_SIZE / 8) * 8, settings.MAX_IMAGE_SIZE // 8 * 8

    def fit(x: float) -> int:
        return min(hi, max(lo, round(x / 8) * 8))

    return fit(base * math.sqrt(rw / rh)), fit(base * math.sqrt(rh / rw))


def ratio_of(width: int, height: int, base: int) -> str:
    """The preset that gives exactly width x height at `base`, else "custom"."""
    return next((r for r in ASPECT_RATIOS if size_for(r, base) == (int(width), int(height))), CUSTOM)


def base_size(spec: ModelSpec) -> int:
    return int(math.sqrt(spec.defaults.get("width", 512) * spec.defaults.get("height", 512)))


def safety_text(lang: str, spec: ModelSpec) -> str:
    if not settings.SAFE_MODE:
        return tr(lang, "Safe mode is off (AIGC_SAFE_MODE=0).", "安全模式已关闭（AIGC_SAFE_MODE=0）。")
    if has_safety_checker(spec) is False and settings.SAFETY_CHECKER:
        return tr(
            lang,
            f"🛡️ Safe mode: {spec.key} ships no safety checker, so Stable Diffusion's own checker looks at every image "
            "and hides flagged ones; prompts are also checked against a short list of blocked words.",
            f"🛡️ 安全模式：{spec.key} 没有自带安全检查器，因此由 Stable Diffusion 的安全检查器逐张检查，"
            "隐藏被判定为不当的图片；提示词也会用简短的屏蔽词表检查。",
        )
    if has_safety_checker(spec) is False:
        return tr(
            lang,
            f"🛡️ Safe mode: {spec.key} ships no safety checker, so only a short list of blocked words is checked in "
            "prompts. It is not a guarantee.",
            f"🛡️ 安全模式：{spec.key} 没有自带安全检查器，因此只会用一份简短的屏蔽词表检查提示词，不能保证万无一失。",
        )
    return tr(
        lang,
        "🛡️ Safe mode: the model's own safety checker hides flagged images; prompts are also checked against a "
        "short list of blocked words.",
        "🛡️ 安全模式：模型自带的安全检查器会隐藏被判定为不当的图片；提示词也会用简短的屏蔽词表检查。",
    )


def scheduler_options(spec: ModelSpec, value: str = "", lang: str | None = None) -> dict:
    """Dropdown settings: "" is the model's own scheduler; a model without a `schedulers` list offers no choice.
    `lang` None: the first choice's "(default)" is translated in the browser (the tab's layout); else in `lang` (an
    update the server sends)."""
    names = scheduler_choices(spec)
    label = lambda name: SAMPLER_NAMES.get(name, name)  # "Euler a" fits the dropdown; class names do not
    own = label(names[0]) if names else ""
    en, zh = (f"{own} (default)", f"{own}（默认）") if own else ("default", "默认")
    first = t(f"image.scheduler.default.{own or '-'}", en, zh) if lang is None else tr(lang, en, zh)
    choices = [(first, "")] + [(label(n), n) for n in names[1:]]
    return {"choices": choices, "value": value if value in names[1:] else "", "interactive": len(names) > 1}


def model_updates(key: str, ratio: str, lang: str) -> tuple:
    """Steps, guidance, width, height, scheduler and the safety note for a newly chosen model."""
    spec = get_spec(key)
    d = spec.defaults
    width, height = size_for(ratio if ratio in ASPECT_RATIOS else "1:1", base_size(spec))
    steps = gr.update(maximum=max_steps(spec), value=d.get("num_inference_steps", 1))
    return (
        steps,
        d.get("guidance_scale", 0.0),
        width,
        height,
        gr.update(**scheduler_options(spec, lang=lang)),
        safety_text(lang, spec),
    )


def status_text(lang: str, key: str, u: ImageUpdate) -> str:
    if not u.done:
        return tr(lang, f"Drawing… step {u.step} of {u.total}", f"绘制中……第 {u.step}/{u.total} 步")
    extra = tr(lang, f"seed {u.seed} · {u.seconds:.1f} s", f"种子 {u.seed} · {u.seconds:.1f} 秒")
    text = ai_label(lang, key, extra)
    if u.hidden:
        text += "  \n" + tr(
            lang,
            f"🛡️ {u.hidden} image(s) hidden: the safety checker flagged them, so a grey placeholder is shown instead.",
            f"🛡️ 已隐藏 {u.hidden} 张图片：安全检查器判定其不当，改为显示灰色占位图。",
        )
    return text


RECIPE_TEXTS = ("prompt", "negative_prompt", "scheduler")
RECIPE_NUMBERS = ("num_inference_steps", "guidance_scale", "width", "height", "seed")


def _restorable(recipe: dict) -> bool:
    """Whether a recipe read from a PNG (anyone can write one) has every field, each of the right type."""
    numbers_ok = all(
        isinstance(recipe.get(k), (int, float)) and not isinstance(recipe.get(k), bool) and 0 <= recipe[k] < 2**53
        for k in RECIPE_NUMBERS
    )
    texts_ok = all(isinstance(recipe.get(k), str) for k in RECIPE_TEXTS)
    model = recipe.get("model")
    known = isinstance(model, str) and model in [s.key for s in models_for("text-to-image")]
    return numbers_ok and texts_ok and known and recipe["width"] > 0 and recipe["height"] > 0


CONTROLS = (  # the settings a gallery click restores and Undo puts back, in the order of the tab's controls
    "prompt",
    "english_prompt",
    "negative_prompt",
    "model",
    "num_inference_steps",
    "guidance_scale",
    "width",
    "height",
    "aspect",
    "seed",
    "randomize",
    "scheduler",
)


def restore_values(path: str, lang: str) -> tuple | None:
    """The controls' values that remake the PNG at `path`, read from its own metadata; None if it has none.

    Order: CONTROLS, then the safety note. Randomize goes off, so that Generate draws the same image again.
    """
    recipe = read_recipe(path)
    if recipe is None:
        return None
    if not _restorable(recipe):
        raise UserError(
            "This image's stored settings are incomplete or altered, so they cannot be restored.",
            "这张图片保存的参数不完整或已被改动，无法恢复。",
        )
    spec = get_spec(recipe["model"])
    if not offered([spec]):  # a GPU-only model on a CPU: the dropdown does not offer it
        raise UserError(
            f"This image was made with {spec.key}, which needs a GPU; this app runs on a CPU, so its settings are "
            "not restored.",
            f"这张图片由 {spec.key} 生成，该模型需要 GPU；本应用运行在 CPU 上，因此不恢复其设置。",
        )
    w, h = recipe["width"], recipe["height"]
    values = {**recipe, "english_prompt": "", "aspect": ratio_of(w, h, base_size(spec)), "randomize": False}
    return control_values(values, lang)


def control_values(values: dict, lang: str) -> tuple:
    """The CONTROLS' values (and the safety note) that show `values`, with the step and scheduler choices of its
    model."""
    spec = get_spec(values["model"])
    out = {k: values[k] for k in CONTROLS}
    out["model"] = spec.key
    out["num_inference_steps"] = gr.update(maximum=max_steps(spec), value=values["num_inference_steps"])
    out["scheduler"] = gr.update(**scheduler_options(spec, values["scheduler"], lang))
    return (*out.values(), safety_text(lang, spec))
