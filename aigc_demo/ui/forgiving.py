"""Number inputs that forgive a mistake: a value outside the box's bounds is brought back inside with a calm hint.

gradio's own gr.Number and gr.Slider raise "Value … is greater than maximum value …" (in English, as an Error toast
with red Error badges over every output) before any handler runs. These keep the bounds in the component (the
browser's spin buttons and the slider honour them), clamp instead of raising, and, when a visitor leaves a box holding
a value out of range, put the nearest allowed value back and say so in the visitor's language.
"""

from __future__ import annotations

import math

import gradio as gr
from gradio.i18n import I18nData

from aigc_demo import settings
from aigc_demo.ui import i18n
from aigc_demo.ui.common import safe_message, tr, user_lang
from aigc_demo.ui.i18n import t


def clamp(value, minimum, maximum, precision):
    """`value` inside [minimum, maximum], rounded to `precision`; None, text and NaN become None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if math.isnan(number):
        return None
    if minimum is not None:
        number = max(float(minimum), number)
    if maximum is not None:
        number = min(float(maximum), number)
    if precision == 0:
        return int(round(number))
    return number if precision is None else round(number, precision)


def _label(label, lang: str) -> str:
    if isinstance(label, I18nData):
        key = label.key
        return tr(lang, i18n.EN.get(key, key), i18n.ZH.get(key, key))
    return str(label or tr(lang, "This box", "此项"))


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def out_of_range_hint(label, value, minimum, maximum, kept, lang: str) -> str:
    """One sentence: what the box accepts and the value it now holds instead."""
    name = _label(label, lang)
    lo, hi, now = _number(minimum), _number(maximum), _number(kept)
    return tr(
        lang,
        f"{name}: use a number from {lo} to {hi}. It is set to {now} now.",
        f"{name}：请输入 {lo} 到 {hi} 之间的数字，已改为 {now}。",
    )


def bounded_number(*, minimum: float, maximum: float, **kwargs) -> gr.Number:
    """gr.Number(minimum=…, maximum=…, precision=…, …) that clamps with a hint instead of raising."""
    box = _BoundedNumber(minimum=minimum, maximum=maximum, **kwargs)
    _attach_hint(box, [box.blur, box.submit])
    return box


def bounded_slider(*args, hint: bool = True, **kwargs) -> gr.Slider:
    """gr.Slider(…) whose number box forgives a value outside the range (snapped to the step as well).

    hint=False for a slider whose bounds change per model: the hint would name the first model's bounds.
    """
    slider = _BoundedSlider(*args, **kwargs)
    if hint:
        _attach_hint(slider, [slider.release])
    return slider


def _attach_hint(component, triggers) -> None:
    """A queued event (gr.Warning reaches the page only from one) that puts a value in range, saying so."""

    def hint(raw, request: gr.Request = None):  # a plain function: gradio finds `request` by its type hint
        return _hint(component, raw, request)

    gr.on(
        triggers,
        hint,
        component,
        component,
        preprocess=False,  # the raw value, to know that it was out of range
        show_progress="hidden",
        api_visibility="private",
        concurrency_limit=None,  # never waits behind a model run
        trigger_mode="always_last",
    )


def _hint(component, raw, request: gr.Request = None):
    kept = _clamp_for(component, raw)
    if raw is None or kept is None or raw == kept:
        return gr.skip()
    if isinstance(raw, (int, float)) and component.minimum <= raw <= component.maximum:
        return kept  # rounded to the box's precision or step: no mistake worth a message
    lang = user_lang(request)
    gr.Warning(
        safe_message(out_of_range_hint(component.label, raw, component.minimum, component.maximum, kept, lang)),
        title=tr(lang, "Adjusted", "已调整"),
    )
    return kept


def _clamp_for(component, payload):
    value = clamp(payload, component.minimum, component.maximum, component.precision)
    step = getattr(component, "step", None)
    if value is None or not isinstance(component, gr.Slider) or not step:
        return value
    snapped = component.minimum + round((value - component.minimum) / step) * step
    snapped = min(snapped, component.maximum)
    return int(round(snapped)) if float(step).is_integer() and float(component.minimum).is_integer() else snapped


class _BoundedNumber(gr.Number):
    def preprocess(self, payload):
        return _clamp_for(self, payload)

    def get_block_name(self) -> str:
        return "number"  # the browser draws gradio's own number box


class _BoundedSlider(gr.Slider):
    def preprocess(self, payload):
        return _clamp_for(self, payload)

    def get_block_name(self) -> str:
        return "slider"


def seed_controls(elem_id: str, value: int = 0) -> tuple[gr.Number, gr.Checkbox]:
    """Every tab's seed box (bounded, forgiving) and its Randomize checkbox, side by side in the current row."""
    seed = bounded_number(
        value=value,
        precision=0,
        minimum=0,
        maximum=settings.MAX_SEED,
        label=t("common.seed", "Seed", "种子"),
        elem_id=elem_id,
    )
    return seed, gr.Checkbox(value=True, label=t("common.randomize", "Randomize seed", "每次随机换种子"))
