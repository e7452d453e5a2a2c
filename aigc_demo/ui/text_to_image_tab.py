"""The text-to-image tab and the /generate_image endpoint."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import default_model, get_spec, models_for
from aigc_demo.tasks.text_to_image import ImageRequest
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, ai_label, model_choices, twin_notice, user_errors
from aigc_demo.ui.i18n import t


def create_tab(generate_images: Callable[[ImageRequest], tuple[list, bool]]) -> None:
    default = default_model("text-to-image")
    d = get_spec(default).defaults
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(
                label=t("image.prompt", "Describe the image", "描述画面"), value="", lines=3, elem_id="image-prompt"
            )
            negative_prompt = gr.Textbox(label=t("image.negative", "Negative prompt", "反向提示词"), value="")
            model = gr.Dropdown(
                model_choices(models_for("text-to-image")), value=default, label=t("common.model", "Model", "模型")
            )
            with gr.Row():
                steps = gr.Slider(
                    1, settings.MAX_IMAGE_STEPS, value=d["num_inference_steps"], step=1, label="num_inference_steps"
                )
                guidance = gr.Slider(
                    0, settings.MAX_GUIDANCE_SCALE, value=d["guidance_scale"], step=0.5, label="guidance_scale"
                )
            with gr.Row():
                width = gr.Slider(
                    settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, value=d["width"], step=8, label="width"
                )
                height = gr.Slider(
                    settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, value=d["height"], step=8, label="height"
                )
            seed = gr.Number(value=0, precision=0, label=t("common.seed", "Seed", "随机种子"))
            run_button = gr.Button(
                t("image.run", "Generate image", "生成图片"), variant="primary", elem_id="image-run"
            )
        with gr.Column():
            gallery = gr.Gallery(label=t("image.result", "Images", "图片"), format="png", elem_id="image-output")
            label = gr.Markdown("")

    def run(prompt_text, negative, model_key, n_steps, cfg, w, h, seed_value, request: gr.Request = None):
        with user_errors(request) as lang:
            req = ImageRequest(prompt_text, negative, model_key, n_steps, cfg, w, h, seed_value)
            images, is_twin = generate_images(req)
            return images, ai_label(lang, model_key) + "  \n" + twin_notice(lang, is_twin)

    run_button.click(
        run,
        [prompt, negative_prompt, model, steps, guidance, width, height, seed],
        [gallery, label],
        concurrency_id=MODEL_CONCURRENCY_ID,
        api_visibility="private",
    )

    # /generate_image: the public endpoint, on hidden components so that images arrive as PNG files with metadata.
    with gr.Row(visible=False):
        api_inputs = [
            gr.Textbox(value="", label="prompt"),
            gr.Textbox(value="", label="negative_prompt"),
            gr.Textbox(value=default, label="model"),
            gr.Number(value=d["num_inference_steps"], label="num_inference_steps"),
            gr.Number(value=d["guidance_scale"], label="guidance_scale"),
            gr.Number(value=d["width"], label="width"),
            gr.Number(value=d["height"], label="height"),
            gr.Number(value=0, label="seed"),
            gr.Number(value=1, label="num_images"),
        ]
        api_output = gr.Gallery(format="png", label="images")
        api_trigger = gr.Button()

    def generate_image(
        prompt,
        negative_prompt,
        model,
        num_inference_steps,
        guidance_scale,
        width,
        height,
        seed,
        num_images,
        request: gr.Request = None,
    ):
        """Generate PNG images (with their parameters in PNG text chunks) from a prompt."""
        with user_errors(request):
            req = ImageRequest(
                prompt, negative_prompt, model, num_inference_steps, guidance_scale, width, height, seed, num_images
            )
            images, _ = generate_images(req)
            return images

    api_trigger.click(
        generate_image, api_inputs, api_output, api_name="generate_image", concurrency_id=MODEL_CONCURRENCY_ID
    )
