"""/generate_image: the text-to-image endpoint for API clients, on hidden components.

Hidden components rather than `gr.api`, so that images travel as PNG files with their metadata (the recipe, the
AI-generated marker) instead of being re-encoded on the way.
"""

from dataclasses import asdict

import gradio as gr

from aigc_demo.catalog import CATALOG, default_model, get_spec
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.image.text_to_image import ImageRequest, ImageUpdate
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, user_errors
from aigc_demo.ui.image_files import SignedFiles
from aigc_demo.ui.stopping import Run
from aigc_demo.ui.text_to_image_tab import GenerateImagesFn

SCHEDULER_CHOICES = list(dict.fromkeys(["", *(n for s in CATALOG.values() for n in s.defaults.get("schedulers", ()))]))


def image_info(lang: str, req: ImageRequest, u: ImageUpdate) -> dict:
    """The info object beside the images (labels.info): the run's settings, and the CLIP scores once finished."""
    settings_used = asdict(req.validated())  # validated again for its clamped values; its seed is the run's, below
    parameters = {k: v for k, v in settings_used.items() if k not in ("prompt", "model", "seed")}
    parameters["hidden_by_safe_mode"] = u.hidden
    return labels.info(
        lang,
        task="image",
        model=settings_used["model"],
        seed=u.seed,
        parameters=parameters,
        is_twin=u.is_twin,
        metrics={"clip": u.clip.as_dict()} if u.clip else None,
    )


def create_api(generate_images: GenerateImagesFn) -> None:
    """/generate_image on hidden components, so that images arrive as PNG files with their metadata."""
    default = default_model("text-to-image")
    d = get_spec(default).defaults
    with gr.Row(visible=False):
        api_inputs = [
            gr.Textbox(value="", label="prompt"),
            gr.Textbox(value="", label="negative_prompt"),
            gr.Textbox(value=default, label="model"),
            gr.Number(value=d.get("num_inference_steps", 1), label="num_inference_steps"),
            gr.Number(value=d.get("guidance_scale", 0.0), label="guidance_scale"),
            gr.Number(value=d.get("width", 512), label="width"),
            gr.Number(value=d.get("height", 512), label="height"),
            gr.Number(value=0, label="seed"),
            gr.Number(value=1, label="num_images"),
            # a Dropdown, so that the API page and schema list the schedulers ("" keeps the model's own); custom
            # values pass, so that a wrong one gets the task's own sentence (which names this model's choices)
            gr.Dropdown(choices=SCHEDULER_CHOICES, value="", label="scheduler", allow_custom_value=True),
        ]
        api_output = [gr.Gallery(format="png", label="images"), gr.JSON(label="info")]
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
        scheduler,
        request: gr.Request = None,
        progress=gr.Progress(),  # noqa: B008 - gradio's way to ask for a progress tracker
    ):
        """Generate PNG images that carry their parameters (PNG text chunks) and an AI-generated marker.

        seed -1 picks a random one; image i uses seed + i. scheduler "" keeps the model's own. Returns the images (in
        the order drawn) and their info: ai_generated, label, model, seed, parameters, twin and, once finished,
        metrics.clip (each image's CLIP score against the prompt, the ranking best first, the scoring model).
        """
        with user_errors(request) as lang:
            req = ImageRequest(
                prompt,
                negative_prompt,
                model,
                num_inference_steps,
                guidance_scale,
                width,
                height,
                seed,
                num_images,
                scheduler,
            )
            # API clients get no previews: they only see the finished images, so the previews would be wasted work.
            # Run: the model slot, the run-time limit, and a stop that waits for the pipeline (a client's cancel).
            with SignedFiles() as files:  # each finished image once, as a PNG with a signed C2PA manifest
                for u in Run().follow(generate_images(req, previews=False)):
                    progress((u.step, u.total), unit="steps")
                    # A yield per step lets a client's cancel close this generator, which stops the pipeline; the
                    # finished images so far each time (a gr.skip() would make gradio copy the component per session).
                    yield files(u.images), image_info(lang, req, u)

    api_trigger.click(
        generate_image, api_inputs, api_output, api_name="generate_image", concurrency_id=MODEL_CONCURRENCY_ID
    )
