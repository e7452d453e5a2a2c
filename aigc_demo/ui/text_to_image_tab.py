"""The text-to-image tab (its API endpoint is in ui/image_api.py). No torch here: the tab runs the callables it is given.

Simple by default (prompt, model, shape, Generate/Stop); the rest under "Advanced". Runs stream a live preview and a
per-step progress bar; finished images join a session gallery, and clicking one restores its settings, read back from
the PNG's own metadata. `layout()` builds the controls, `wire()` the events; the handlers are module-level functions
of the layout and the inputs' values (`{component: value}`, gradio's dict for a set of inputs) that return
`{component: value}` updates.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gradio as gr
from gradio.i18n import I18nData

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec, default_model, get_spec, models_for
from aigc_demo.tasks.common.validation import resolve_seed, too_long
from aigc_demo.tasks.image.prompt_translation import Translation, looks_non_english
from aigc_demo.tasks.image.text_to_image import ImageRequest, ImageUpdate, max_steps
from aigc_demo.ui import first_visit, image_guide, image_restore
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, licence_info, model_choices, tr, twin_notice, user_errors, warn
from aigc_demo.ui.evaluation_view import clip_line, ranked_gallery
from aigc_demo.ui.forgiving import bounded_slider, seed_controls
from aigc_demo.ui.handlers import bound
from aigc_demo.ui.i18n import t
from aigc_demo.ui.image_controls import (
    ASPECT_RATIOS,
    CONTROLS,
    CUSTOM,
    base_size,
    model_updates,
    ratio_of,
    safety_text,
    scheduler_options,
    size_for,
    status_text,
)
from aigc_demo.ui.image_files import SignedFiles
from aigc_demo.ui.stopping import Stopper, stopped_note

GenerateImagesFn = Callable[[ImageRequest], Iterator[ImageUpdate]]
TranslateFn = Callable[[str], Translation]

HISTORY_SIZE = 24  # images kept in the session gallery, newest first


@dataclass
class ImageLayout:
    """The tab's controls; the settings are named as ImageRequest's fields."""

    prompt: gr.Textbox
    translate_box: gr.Group
    translate_note: gr.Markdown
    translate_button: gr.Button
    english_prompt: gr.Textbox
    model: gr.Dropdown
    aspect: gr.Radio
    safety_note: gr.Markdown
    run_button: gr.Button
    run_label: I18nData
    stop_button: gr.Button
    busy_hint: gr.Markdown
    negative_prompt: gr.Textbox
    num_inference_steps: gr.Slider
    guidance_scale: gr.Slider
    width: gr.Slider
    height: gr.Slider
    num_images: gr.Slider
    scheduler: gr.Dropdown
    seed: gr.Number
    randomize: gr.Checkbox
    reuse_button: gr.Button
    preview: gr.Image
    info: gr.Markdown
    status: gr.Markdown
    notice: gr.Markdown
    gallery: gr.Gallery
    restore_bar: image_restore.RestoreBar
    last_seed: gr.State

    @property
    def inputs(self) -> set:
        """What a run reads (a set: the handler gets `{component: value}`): the restorable settings but the shape,
        the number of images, and the gallery the new images join."""
        read = {getattr(self, name) for name in CONTROLS if name != "aspect"}
        return read | {self.num_images, self.gallery}

    @property
    def outputs(self) -> list:
        return [self.preview, self.info, self.gallery, self.status, self.notice, self.seed, self.last_seed]

    @property
    def restorable(self) -> list:
        """The controls a gallery click restores, in image_controls.CONTROLS' order (named as they are)."""
        return [getattr(self, name) for name in CONTROLS]

    def request(self, values: dict) -> ImageRequest:
        """The task's request from the inputs' values: the English prompt when the visitor translated one, and the
        seed drawn here when Randomize is on, so the task gets a plain number."""
        prompt, english = values[self.prompt] or "", (values[self.english_prompt] or "").strip()
        if len(prompt) > settings.MAX_PROMPT_CHARS:  # before looks_non_english reads all of it
            raise too_long("prompt", len(prompt), settings.MAX_PROMPT_CHARS)
        return ImageRequest(
            prompt=english if english and looks_non_english(prompt) else prompt,
            negative_prompt=values[self.negative_prompt],
            model=values[self.model],
            num_inference_steps=values[self.num_inference_steps],
            guidance_scale=values[self.guidance_scale],
            width=values[self.width],
            height=values[self.height],
            seed=resolve_seed(values[self.seed], bool(values[self.randomize])),
            num_images=values[self.num_images],
            scheduler=values[self.scheduler],
        )


def layout() -> ImageLayout:
    """Build the tab's controls inside the current Blocks: the prompt and settings on the left, the image and the
    session's gallery on the right."""
    spec = get_spec(default_model("text-to-image"))
    with gr.Row():
        with gr.Column(scale=5):
            parts = _prompt_controls(spec)
            with gr.Accordion(t("common.advanced", "Advanced settings", "高级设置"), open=False):
                parts |= _advanced_settings(spec)
            gr.Examples(
                image_guide.EXAMPLES,
                inputs=[parts["prompt"]],
                label=t("common.examples", "Examples", "示例"),
                example_labels=image_guide.EXAMPLE_LABELS,
                cache_examples=False,
            )
        with gr.Column(scale=6):
            parts |= _output_views()
    return ImageLayout(**parts, last_seed=gr.State(None))


def _prompt_controls(spec: ModelSpec) -> dict:
    default = spec.key
    run_label = t("image.run", "Generate image", "生成图片")
    prompt = gr.Textbox(
        label=t("image.prompt", "Describe the image", "描述画面"),
        value="",
        lines=3,
        max_length=settings.MAX_PROMPT_CHARS,
        placeholder=t(
            "image.prompt.ph",
            "A lighthouse at dawn, watercolor, soft light",
            "例如：黎明时分的灯塔，水彩画，柔和的光线",
        ),
        elem_id="image-prompt",
    )
    with gr.Group(visible=False, elem_id="image-translate") as translate_box:
        translate_note = gr.Markdown(
            t(
                "image.translate.hint",
                "Your prompt is not in English. The image model understands English best: translate it, "
                "check the English below, then generate.",
                "你的提示词不是英文。图像模型最擅长英文：先翻译，检查下面的英文，再生成。",
            )
        )
        translate_button = gr.Button(
            t("image.translate", "Translate to English", "翻译成英文"),
            size="sm",
            elem_id="image-translate-run",
        )
        english_prompt = gr.Textbox(
            label=t(
                "image.english",
                "English prompt (used for the image; you can edit it)",
                "英文提示词（用于生成，可修改）",
            ),
            value="",
            lines=2,
            elem_id="image-english",
        )
    with gr.Row():
        model = gr.Dropdown(
            model_choices(models_for("text-to-image")),
            value=default,
            label=t("common.model", "Model", "模型"),
            info=licence_info(models_for("text-to-image")),
            elem_id="image-model",
        )
        aspect = gr.Radio(
            [*ASPECT_RATIOS, (t("image.custom", "Custom", "自定义"), CUSTOM)],
            value="1:1",
            label=t("image.aspect", "Shape (width:height)", "画面比例（宽:高）"),
            elem_id="image-aspect",
        )
    en, zh = safety_text("en", spec), safety_text("zh", spec)  # a model change writes it in the visitor's language
    safety_note = gr.Markdown(t(f"image.safety.{zlib.crc32(en.encode())}", en, zh), elem_id="image-safety")
    with gr.Row():
        run_button = gr.Button(run_label, variant="primary", elem_id="image-run")
        stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="image-stop")
    busy_hint = gr.Markdown("", elem_id="image-busy")
    return {
        "prompt": prompt,
        "translate_box": translate_box,
        "translate_note": translate_note,
        "translate_button": translate_button,
        "english_prompt": english_prompt,
        "model": model,
        "aspect": aspect,
        "safety_note": safety_note,
        "run_button": run_button,
        "run_label": run_label,
        "stop_button": stop_button,
        "busy_hint": busy_hint,
    }


def _advanced_settings(spec: ModelSpec) -> dict:
    width0, height0 = size_for("1:1", base_size(spec))
    negative_prompt = gr.Textbox(
        label=t("image.negative", "Negative prompt (what to avoid)", "反向提示词（不想要的内容）"),
        value="",
        info=t("image.negative.info", "Used only when guidance_scale is above 1", "仅在引导系数大于 1 时生效"),
    )
    with gr.Row():
        num_inference_steps = bounded_slider(
            1,
            max_steps(spec),
            hint=False,  # its maximum follows the model
            value=spec.defaults.get("num_inference_steps", 1),
            step=1,
            label="num_inference_steps",
            info=t("image.steps.info", "More steps: slower, sometimes finer", "步数越多越慢，有时更精细"),
        )
        guidance_scale = bounded_slider(
            0,
            settings.MAX_GUIDANCE_SCALE,
            value=spec.defaults.get("guidance_scale", 0.0),
            step=0.5,
            label="guidance_scale",
            info=t(
                "image.cfg.info",
                "How closely to follow the prompt; turbo models: 0",
                "贴合提示词的程度；turbo 模型用 0",
            ),
        )
    with gr.Row():
        width = bounded_slider(settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, value=width0, step=8, label="width")
        height = bounded_slider(
            settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, value=height0, step=8, label="height"
        )
    with gr.Row():
        num_images = bounded_slider(
            1,
            settings.MAX_NUM_IMAGES,
            value=settings.DEFAULT_NUM_IMAGES,
            step=1,
            label=t("image.n", "Number of images", "图片数量"),
        )
        scheduler = gr.Dropdown(label="scheduler", elem_id="image-scheduler", **scheduler_options(spec))
    with gr.Row():
        seed, randomize = seed_controls("image-seed")
        reuse_button = gr.Button(t("image.reuse", "♻️ Reuse last seed", "♻️ 沿用上次的种子"), size="sm")
    return {
        "negative_prompt": negative_prompt,
        "num_inference_steps": num_inference_steps,
        "guidance_scale": guidance_scale,
        "width": width,
        "height": height,
        "num_images": num_images,
        "scheduler": scheduler,
        "seed": seed,
        "randomize": randomize,
        "reuse_button": reuse_button,
    }


def _output_views() -> dict:
    preview = gr.Image(  # the live preview while drawing, then the finished image (a PNG with metadata)
        label=t("image.preview", "Image (a rough live preview while drawing)", "图片（绘制时显示粗略的实时预览）"),
        format="png",
        interactive=False,
        buttons=["download", "fullscreen"],
        height=400,
        placeholder=t("image.preview.ph", "Your image appears here", "图片将显示在这里"),
        elem_id="image-preview",
    )
    info = gr.Markdown("", elem_id="image-info")
    status = gr.Markdown("", elem_id="image-status")
    notice = gr.Markdown("", elem_id="image-notice")
    gallery = gr.Gallery(
        label=t(
            "image.result",
            "This session's images (click one to reuse its settings)",
            "本次会话的图片（点击一张可沿用其设置）",
        ),
        format="png",
        type="filepath",
        columns=4,
        fit_columns=False,  # one image stays a thumbnail; the big view is the image above
        height=260,
        interactive=False,
        buttons=["download", "download_all", "fullscreen"],
        elem_id="image-output",
    )
    restore_bar = image_restore.create_bar()
    return {
        "preview": preview,
        "info": info,
        "status": status,
        "notice": notice,
        "gallery": gallery,
        "restore_bar": restore_bar,
    }


# --- handlers -----------------------------------------------------------------------------------------------------


def on_prompt(ui: ImageLayout, text: str, request: gr.Request = None) -> dict:
    """Typing: offer the translation for a prompt that is not in English."""
    with user_errors(request):
        text = text or ""
        if len(text) > settings.MAX_PROMPT_CHARS:  # answered on every change, outside the queue: no work
            raise too_long("prompt", len(text), settings.MAX_PROMPT_CHARS)
        return {ui.translate_box: gr.update(visible=looks_non_english(text)), ui.english_prompt: ""}


def run_translate(ui: ImageLayout, translate: TranslateFn | None, text: str, request: gr.Request = None) -> dict:
    """The prompt in English, by the instruct model, with a note that it is a machine translation."""
    with user_errors(request) as lang:
        if translate is None:
            raise gr.Error(tr(lang, "Translation is not available here.", "此处无法翻译。"))
        result = translate(text)
        note = tr(
            lang,
            f"🤖 Machine translation by {result.model}: check it and edit if needed.",
            f"🤖 由 {result.model} 机器翻译：请检查，必要时修改。",
        )
        note = "  \n".join(filter(None, [note, twin_notice(lang, result.is_twin)]))
        return {ui.english_prompt: result.text, ui.translate_note: note}


def on_model(ui: ImageLayout, key: str, ratio: str, request: gr.Request = None) -> dict:
    """A model picked: its own steps, guidance, size, schedulers and safety line."""
    with user_errors(request) as lang:
        changed = [ui.num_inference_steps, ui.guidance_scale, ui.width, ui.height, ui.scheduler, ui.safety_note]
        return dict(zip(changed, model_updates(key, ratio, lang), strict=True))


def on_aspect(ui: ImageLayout, ratio: str, key: str) -> dict:
    if ratio not in ASPECT_RATIOS:
        return {}
    width, height = size_for(ratio, base_size(get_spec(key)))
    return {ui.width: width, ui.height: height}


def run_image(
    ui: ImageLayout,
    generate_images: GenerateImagesFn,
    stopper: Stopper,
    values: dict,
    request: gr.Request = None,
    progress=gr.Progress(),  # noqa: B008 - gradio's way to ask for a progress tracker
) -> Iterator[dict]:
    """One run: the preview and progress while drawing, then the images (best first) in the session's gallery."""
    with user_errors(request, calm=True) as lang:
        asked = ui.request(values)
        key, seed = asked.model, asked.seed
        history = list(values[ui.gallery] or [])[:HISTORY_SIZE]
        # Every yield carries full values, never gr.skip()/gr.update: a prop update makes gradio build a
        # per-session copy of the component, which caches its files wherever GRADIO_TEMP_DIR points by then.
        shown = _shown(ui, None, "", history, "", "", seed)  # nothing drawn yet
        was_loaded = first_visit.is_loaded(key)
        yield shown  # a run that ends before its first update clears every output, the gallery too
        first_visit.check_prompt(asked.prompt)
        c = asked.validated()  # the numbers as the task will use them (a mistake ends the run calmly, here)
        size = (c.width, c.height, c.num_inference_steps, c.num_images)
        expected = image_guide.expected_line(lang, c.model, *size)
        starting = first_visit.loading_line(lang, key, "Starting…", "正在开始……")
        yield _shown(ui, None, "", history, "  \n".join(filter(None, [starting, expected])), "", seed)
        # The image and the gallery offer signed PNGs named by prompt and seed.
        with stopper.run(request) as current, SignedFiles() as files:
            for u in current.follow(generate_images(asked)):
                if u.step == 1 and not u.images:
                    warn(lang, u.warnings)
                progress((u.step, u.total), desc=tr(lang, "Drawing", "绘制中"), unit="steps")
                ordered, captions = ranked_gallery(lang, u.images, u.seed, u.clip)  # scored: best first
                signed = files(ordered)
                picture = u.preview  # None for latent spaces without a cheap preview (not SD/SDXL)
                if u.preview is None and u.images:  # a finished image (the best, or the newest): its signed file
                    picture = signed[0]
                line = status_text(lang, key, u) + ("  \n" + expected if expected and not u.done else "")
                line += ("  \n" + clip_line(lang, u.clip) if u.clip else "") + (
                    first_visit.load_note(lang, key, was_loaded) if u.done else ""
                )
                info = (
                    image_guide.info_line(lang, c.model, u.seed, *size[:3], u.scheduler, u.seconds) if u.done else ""
                )
                gallery = (list(zip(signed, captions, strict=True)) + history)[:HISTORY_SIZE]
                shown = _shown(ui, picture, info, gallery, line, twin_notice(lang, u.is_twin), u.seed)
                yield shown
                if u.done and not current.stopped:
                    image_guide.record(c.model, *size, u.seconds)
            if current.stopped:  # finished images are already in the gallery; the preview shows the last step
                yield shown | {ui.status: stopped_note(lang)}


def _shown(ui: ImageLayout, picture, info: str, gallery: list, status: str, notice: str, seed: int) -> dict:
    """Every output of a run, full values (the seed box and the "Reuse last seed" memory get the same seed)."""
    values = [picture, info, gallery, status, notice, seed, seed]
    return dict(zip(ui.outputs, values, strict=True))


# --- wiring -------------------------------------------------------------------------------------------------------


def wire(ui: ImageLayout, generate_images: GenerateImagesFn, translate: TranslateFn | None) -> None:
    """The tab's events: translation, model and shape, seed reuse, the run with its Stop and busy state, restore."""
    quick = {"queue": False, "api_visibility": "private"}
    ui.prompt.change(
        bound(on_prompt, ui), ui.prompt, {ui.translate_box, ui.english_prompt}, show_progress="hidden", **quick
    )
    ui.translate_button.click(
        bound(run_translate, ui, translate),
        ui.prompt,
        {ui.english_prompt, ui.translate_note},
        concurrency_id=MODEL_CONCURRENCY_ID,
        api_visibility="private",
        show_progress_on=[ui.english_prompt],
    )
    changed = {ui.num_inference_steps, ui.guidance_scale, ui.width, ui.height, ui.scheduler, ui.safety_note}
    ui.model.input(bound(on_model, ui), [ui.model, ui.aspect], changed, **quick)
    ui.aspect.input(bound(on_aspect, ui), [ui.aspect, ui.model], {ui.width, ui.height}, **quick)
    gr.on(
        [ui.width.input, ui.height.input],
        lambda w, h, key: ratio_of(w, h, base_size(get_spec(key))),
        [ui.width, ui.height, ui.model],
        ui.aspect,
        **quick,
    )
    ui.reuse_button.click(
        lambda s: (gr.skip() if s is None else s, False), ui.last_seed, [ui.seed, ui.randomize], **quick
    )
    stopper = Stopper()
    triggers = [ui.run_button.click, ui.prompt.submit]
    stopper.attach(triggers, ui.stop_button)
    # a new run leaves behind what a gallery click restored: the restore line and its Undo go
    gr.on(triggers, lambda: gr.update(visible=False), None, ui.restore_bar.row, **quick | {"show_progress": "hidden"})
    busy = Busy(
        [(ui.run_button, ui.run_label)],
        t("image.drawing", "Drawing…", "绘制中…"),
        ui.busy_hint,
        scroll_to="image-preview",
    )
    busy.wire(
        triggers,
        lambda: gr.on(
            triggers,
            bound(run_image, ui, generate_images, stopper),
            ui.inputs,
            ui.outputs,
            concurrency_id=MODEL_CONCURRENCY_ID,
            api_visibility="private",
            show_progress_on=[ui.gallery],
        ),
    )
    image_restore.attach(ui.restore_bar, ui.gallery, ui.restorable, ui.safety_note)


def create_tab(generate_images: GenerateImagesFn, translate: TranslateFn | None = None) -> None:
    """Build the tab inside the current Blocks; `generate_images` streams a run, `translate` gives English."""
    wire(layout(), generate_images, translate)
