"""The text tab's A/B accordion and /compare_text: one prompt and seed, two settings, each run measured."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gradio as gr

from aigc_demo.tasks.text.compare import COMPARABLE, CompareUpdate
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, ai_label, tr, user_errors
from aigc_demo.ui.evaluation_view import metrics_markdown
from aigc_demo.ui.handlers import bound
from aigc_demo.ui.i18n import t
from aigc_demo.ui.stopping import Run, Stopper, stopped_note

if TYPE_CHECKING:
    from aigc_demo.ui.text_generation_tab import TextLayout

CompareFn = Callable[..., Iterator[CompareUpdate]]
SEPARATOR = "\n\n— — —\n\n"  # between a side's candidates


def side_header(lang: str, name: str, side: dict, other: dict) -> str:
    """`**A** · temperature **0.7** · top_p 0.9 …`: what this side ran with, the changed field in bold."""
    shown = ["model", "temperature", "top_p", "top_k", "repetition_penalty"]
    changed = [key for key in side if side[key] != other[key]]
    keys = shown + [key for key in changed if key not in shown]
    parts = [f"{key} **{side[key]}**" if key in changed else f"{key} {side[key]}" for key in keys]
    return f"### {name}  \n" + " · ".join(parts) + f" · {tr(lang, 'seed', '种子')} {side['seed']}"


def side_outputs(lang: str, name: str, update: CompareUpdate, i: int) -> tuple[str, str, str]:
    """(header, text, metrics) of side `i`."""
    side, other = update.parameters[i], update.parameters[1 - i]
    result = update.results[i]
    text = SEPARATOR.join(result.texts) if result else ""
    if result is None:
        measured = tr(lang, "*Waiting for A…*", "*等待 A 完成……*")
    elif not result.done:
        measured = tr(lang, "*Generating…*", "*生成中……*")
    else:
        measured = metrics_markdown(lang, result.evaluation) + "  \n" + ai_label(lang, side["model"])
    return side_header(lang, name, side, other), text, measured


def side_json(update: CompareUpdate, i: int) -> dict:
    result = update.results[i]
    return {
        "parameters": update.parameters[i],
        "texts": result.texts if result else [],
        "metrics": result.evaluation if result else None,
        "twin": bool(result and result.is_twin),
    }


@dataclass
class CompareLayout:
    field: gr.Dropdown
    value: gr.Textbox
    run_button: gr.Button
    stop_button: gr.Button
    outputs: list  # per side (A, then B): header, text, metrics


def layout() -> CompareLayout:
    """The A/B accordion's controls, inside the current Blocks."""
    with gr.Accordion(t("ab.title", "⚖️ Compare two settings (A/B)", "⚖️ 对比两种设置（A/B）"), open=False):
        gr.Markdown(
            t(
                "ab.intro",
                "A runs with the settings above; B is the same prompt and seed with one thing changed.",
                "A 使用上面的设置；B 用同样的提示词和种子，只改变一项。",
            )
        )
        with gr.Row():
            field = gr.Dropdown(
                list(COMPARABLE), value="temperature", label=t("ab.field", "Change", "改变"), elem_id="ab-field"
            )
            value = gr.Textbox(
                value="1.3",
                label=t("ab.value", "to (in B)", "B 中改为"),
                info=t("ab.value.info", "a number, or a model key", "数字，或模型名"),
                elem_id="ab-value",
            )
        with gr.Row():
            run_button = gr.Button(t("ab.run", "Run A and B", "运行 A 和 B"), variant="primary", elem_id="ab-run")
            stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="ab-stop")
        outputs = []
        with gr.Row():
            for name in ("a", "b"):
                with gr.Column():
                    outputs.append(gr.Markdown("", elem_id=f"ab-{name}-header"))
                    outputs.append(gr.Textbox(lines=8, interactive=False, show_label=False, elem_id=f"ab-{name}-text"))
                    outputs.append(gr.Markdown("", elem_id=f"ab-{name}-metrics"))
    return CompareLayout(field, value, run_button, stop_button, outputs)


def run_compare(
    view: CompareLayout,
    text: TextLayout,
    compare: CompareFn,
    stopper: Stopper,
    values: dict,
    request: gr.Request = None,
) -> Iterator[list]:
    """A's run with the text tab's settings, then B's with the one change; "Stopped" where B's metrics would be."""
    with user_errors(request) as lang:
        asked = text.request(values)
        with stopper.run(request) as current:
            for last in current.follow(compare(asked, values[view.field], values[view.value])):
                yield [*side_outputs(lang, "A", last, 0), *side_outputs(lang, "B", last, 1)]
            if current.stopped:
                yield [gr.skip()] * 5 + [stopped_note(lang)]


def create_view(compare: CompareFn, stopper: Stopper, text: TextLayout) -> None:
    """The A/B accordion under the text tab, run with the tab's own settings (`text`) and its Stop."""
    view = layout()
    triggers = [view.run_button.click]
    stopper.attach(triggers, view.stop_button)
    gr.on(
        triggers,
        bound(run_compare, view, text, compare, stopper),
        text.inputs | {view.field, view.value},
        view.outputs,
        concurrency_id=MODEL_CONCURRENCY_ID,
        api_visibility="private",
    )


def create_api(compare: CompareFn) -> None:
    """Register /compare_text: A and B's texts, parameters and metrics, as one JSON object."""
    from aigc_demo.catalog import default_model

    def compare_text(
        prompt: str,
        field: str = "temperature",
        value: str = "1.3",
        model: str = default_model("text-generation"),
        seed: int = 0,
        parameters: str = "{}",
        request: gr.Request = None,
    ) -> dict:
        """Run `prompt` twice with the same seed: A with `parameters`, B with `field` changed to `value`.

        Args:
            prompt: the text to continue, or the instruction for a chat model
            field: what B changes: temperature, top_p, top_k, min_p, typical_p, repetition_penalty,
                no_repeat_ngram_size, max_new_tokens or model
            value: B's value of `field` (a number, or a model key)
            model: catalogue key of A's text generation model
            seed: the seed both runs use (-1 picks one at random)
            parameters: A's sampling settings as a JSON object, e.g. {"temperature": 0.7, "max_new_tokens": 40}
        """
        with user_errors(request):
            asked = TextRequest(prompt, model, GenerationParams(**_parameters(parameters)), seed)
            last = deque(Run().follow(compare(asked, field, value)), maxlen=1)[0]
            return {"a": side_json(last, 0), "b": side_json(last, 1)}

    gr.api(compare_text, api_name="compare_text", concurrency_id=MODEL_CONCURRENCY_ID)


def _parameters(text: str) -> dict:
    """A's settings from JSON: only GenerationParams' own fields, or one clear sentence."""
    from dataclasses import fields

    from aigc_demo.errors import UserError

    try:
        data = json.loads(text or "{}") if isinstance(text, str) else text
    except json.JSONDecodeError:
        data = None
    known = {f.name for f in fields(GenerationParams)}
    if not isinstance(data, dict) or not set(data) <= known:
        raise UserError(
            f"`parameters` must be a JSON object with some of: {', '.join(sorted(known))}.",
            f"`parameters` 必须是 JSON 对象，键只能是：{', '.join(sorted(known))}。",
        )
    return data
