"""The poetry tab and the /write_poem endpoint."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from aigc_demo import settings
from aigc_demo.tasks.poetry import FORMS
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, ai_label, user_errors
from aigc_demo.ui.i18n import t

FORM_LABELS = {
    "wuyan-jueju": "五言绝句",
    "qiyan-jueju": "七言绝句",
    "wuyan-lushi": "五言律诗",
    "qiyan-lushi": "七言律诗",
    "english-quatrain": "English quatrain",
    "haiku": "Haiku (5-7-5)",
    "english-free": "English free verse",
}


def create_tab(write_poem: Callable[..., str]) -> None:
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(
                label=t("poem.prompt", "Theme, keywords or first line", "主题、关键词或首句"),
                value="",
                placeholder="明月 / autumn rain",
                elem_id="poem-prompt",
            )
            form = gr.Dropdown(
                [(FORM_LABELS[k], k) for k in FORMS],
                value="wuyan-jueju",
                label=t("poem.form", "Form", "体裁"),
                elem_id="poem-form",
            )
            acrostic = gr.Textbox(
                label=t("poem.acrostic", "Acrostic (one character per line, optional)", "藏头（每行一字，可选）"),
                value="",
                elem_id="poem-acrostic",
            )
            run_button = gr.Button(t("poem.run", "Write poem", "写诗"), variant="primary", elem_id="poem-run")
        with gr.Column():
            poem = gr.Textbox(label=t("poem.output", "Poem", "诗"), lines=8, interactive=False, elem_id="poem-output")
            label = gr.Markdown("")
    seed = gr.Number(value=0, precision=0, label=t("common.seed", "Seed", "随机种子"), visible=False)

    def run(prompt_text, form_key, acrostic_text, seed_value, request: gr.Request = None):
        with user_errors(request) as lang:
            text = write_poem(prompt_text, form_key, acrostic_text, "", 1.0, 50, 0.95, seed_value)
            return text, ai_label(lang, form_key)

    run_button.click(
        run,
        [prompt, form, acrostic, seed],
        [poem, label],
        concurrency_id=MODEL_CONCURRENCY_ID,
        api_visibility="private",
    )


def create_api(write_poem: Callable[..., str]) -> None:
    def api_write_poem(
        prompt: str,
        form: str = "wuyan-jueju",
        acrostic: str = "",
        model: str = "",
        temperature: float = 1.0,
        top_k: int = 50,
        top_p: float = 0.95,
        seed: int = 0,
        request: gr.Request = None,
    ) -> str:
        """Write a poem in a classical Chinese or an English form.

        Args:
            prompt: a theme, keywords or a first line
            form: wuyan-jueju, qiyan-jueju, wuyan-lushi, qiyan-lushi, english-quatrain, haiku or english-free
            acrostic: one character (Chinese) or letter (English) per line, optional
            model: catalogue key; empty picks the form's default
            temperature: sampling temperature
            top_k: keep the k likeliest tokens (0 = off)
            top_p: nucleus sampling threshold
            seed: random seed
        """
        with user_errors(request):
            return write_poem(prompt, form, acrostic, model, temperature, top_k, top_p, seed)

    api_write_poem.__name__ = "write_poem"
    gr.api(api_write_poem, api_name="write_poem", concurrency_id=MODEL_CONCURRENCY_ID)


_ = settings
