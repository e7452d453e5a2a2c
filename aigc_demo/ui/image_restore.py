"""A gallery click restores the image's settings, says so, and can be undone. No torch."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from aigc_demo.ui.common import tr, user_errors
from aigc_demo.ui.i18n import t
from aigc_demo.ui.image_controls import CONTROLS, control_values, restore_values

PROMPT_SHOWN = 60  # characters of the restored prompt quoted in the note


@dataclass
class RestoreBar:
    """The line that says what a gallery click restored, with its Undo button; `before` holds what Undo puts back."""

    row: gr.Row
    note: gr.Markdown
    undo: gr.Button
    before: gr.State


def create_bar() -> RestoreBar:
    """Build the (hidden) bar where it should appear: under the gallery."""
    with gr.Row(visible=False, elem_id="image-restored") as row:
        note = gr.Markdown("", elem_id="image-restored-note")
        undo = gr.Button(t("image.undo", "↩️ Undo", "↩️ 撤销"), size="sm", scale=0, elem_id="image-undo")
    return RestoreBar(row, note, undo, gr.State(None))


def restored_note(lang: str, values: tuple) -> str:
    v = dict(zip(CONTROLS, values, strict=False))
    prompt = v["prompt"] if len(v["prompt"]) <= PROMPT_SHOWN else v["prompt"][:PROMPT_SHOWN] + "…"
    steps = v["num_inference_steps"]["value"]
    size = f"{v['width']}×{v['height']}"
    return tr(
        lang,
        f"↩️ Restored this image's settings: “{prompt}”, {v['model']}, seed {v['seed']}, {steps} step(s), {size}. "
        "What you had before is one click away: Undo.",
        f"↩️ 已恢复这张图片的设置：“{prompt}”，{v['model']}，种子 {v['seed']}，{steps} 步，{size}。"
        "点“撤销”即可换回之前的设置。",
    )


def attach(bar: RestoreBar, gallery: gr.Gallery, controls: list, safety_note: gr.Markdown) -> None:
    """Wire the gallery's select and the bar's Undo to `controls` (the components of CONTROLS, in that order)."""
    hidden = gr.update(visible=False)

    # Named one by one: gradio finds the SelectData argument by its annotation, which it cannot after a *args.
    def restore(
        history, prompt, english, negative, model, steps, cfg, w, h, aspect, seed, randomize, sched,
        evt: gr.SelectData, request: gr.Request = None,
    ):  # fmt: skip
        """Every setting of the clicked image, read back from the PNG's own metadata; the old ones kept for Undo."""
        current = (prompt, english, negative, model, steps, cfg, w, h, aspect, seed, randomize, sched)
        with user_errors(request) as lang:
            values = restore_values(history[evt.index][0], lang) if history and evt.index is not None else None
            if values is None:
                return (gr.skip(),) * (len(controls) + 4)
            before = dict(zip(CONTROLS, current, strict=True))
            return *values, before, restored_note(lang, values), gr.update(visible=True)

    gallery.select(
        restore,
        [gallery, *controls],
        [*controls, safety_note, bar.before, bar.note, bar.row],
        queue=False,
        api_visibility="private",
    )

    def undo(before, request: gr.Request = None):
        with user_errors(request) as lang:
            if not before:
                return (gr.skip(),) * (len(controls) + 2) + (hidden,)
            return *control_values(before, lang), None, hidden

    bar.undo.click(
        undo,
        bar.before,
        [*controls, safety_note, bar.before, bar.row],
        queue=False,
        api_visibility="private",
    )
