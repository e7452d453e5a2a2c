"""The text-to-image tab (its API endpoint is in ui/image_api.py). No torch here: the tab runs the callables it is given.

Simple by default (prompt, model, shape, Generate/Stop); the rest under "Advanced". Runs stream a live preview and a
per-step progress bar; finished images join a session gallery, and clicking one restores its settings, read back from
the PNG's own metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import default_model, get_spec, models_for
from aigc_demo.tasks.common.validation import resolve_seed, too_long
from aigc_demo.tasks.image.prompt_translation import Translation, looks_non_english
from aigc_demo.tasks.image.text_to_image import ImageRequest, ImageUpdate, max_steps
from aigc_demo.ui import first_visit, image_guide, image_restore
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, licence_info, model_choices, tr, twin_notice, user_errors, warn
from aigc_demo.ui.evaluation_view import clip_line, ranked_gallery
from aigc_demo.ui.forgiving import bounded_number, bounded_slider
from aigc_demo.ui.i18n import t
from aigc_demo.ui.image_controls import (
    ASPECT_RATIOS,
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


def create_tab(generate_images: GenerateImagesFn, translate: TranslateFn | None = None) -> None:
    """Build the tab inside the current Blocks; `generate_images` streams a run, `translate` gives English."""
    default = default_model("text-to-image")
    spec = get_spec(default)
    stopper = Stopper()
    d = spec.defaults
    width0, height0 = size_for("1:1", base_size(spec))
    with gr.Row():
        with gr.Column(scale=5):
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
            safety_note = gr.Markdown(safety_text("en", spec), elem_id="image-safety")
            with gr.Row():
                run_button = gr.Button(
                    t("image.run", "Generate image", "生成图片"), variant="primary", elem_id="image-run"
                )
                stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="image-stop")
            with gr.Accordion(t("common.advanced", "Advanced settings", "高级设置"), open=False):
                negative_prompt = gr.Textbox(
                    label=t("image.negative", "Negative prompt (what to avoid)", "反向提示词（不想要的内容）"),
                    value="",
                    info=t(
                        "image.negative.info", "Used only when guidance_scale is above 1", "仅在引导系数大于 1 时生效"
                    ),
                )
                with gr.Row():
                    steps = bounded_slider(
                        1,
                        max_steps(spec),
                        hint=False,  # its maximum follows the model
                        value=d.get("num_inference_steps", 1),
                        step=1,
                        label="num_inference_steps",
                        info=t("image.steps.info", "More steps: slower, sometimes finer", "步数越多越慢，有时更精细"),
                    )
                    guidance = bounded_slider(
                        0,
                        settings.MAX_GUIDANCE_SCALE,
                        value=d.get("guidance_scale", 0.0),
                        step=0.5,
                        label="guidance_scale",
                        info=t(
                            "image.cfg.info",
                            "How closely to follow the prompt; turbo models: 0",
                            "贴合提示词的程度；turbo 模型用 0",
                        ),
                    )
                with gr.Row():
                    width = bounded_slider(
                        settings.MIN_IMAGE_SIZE, settings.MAX_IMAGE_SIZE, value=width0, step=8, label="width"
                    )
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
                    seed = bounded_number(
                        value=0,
                        precision=0,
                        minimum=0,
                        maximum=settings.MAX_SEED,
                        label=t("common.seed", "Seed", "随机种子"),
                        elem_id="image-seed",
                    )
                    randomize = gr.Checkbox(
                        value=True, label=t("common.randomize", "Randomize seed", "每次随机换种子")
                    )
                    reuse_button = gr.Button(t("image.reuse", "♻️ Reuse last seed", "♻️ 沿用上次的种子"), size="sm")
            gr.Examples(
                image_guide.EXAMPLES,
                inputs=[prompt],
                label=t("common.examples", "Examples", "示例"),
                example_labels=image_guide.EXAMPLE_LABELS,
                cache_examples=False,
            )
        with gr.Column(scale=6):
            preview = gr.Image(  # the live preview while drawing, then the finished image (a PNG with metadata)
                label=t(
                    "image.preview", "Image (a rough live preview while drawing)", "图片（绘制时显示粗略的实时预览）"
                ),
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
    last_seed = gr.State(None)

    def on_prompt(text: str, request: gr.Request = None):
        with user_errors(request):
            text = text or ""
            if len(text) > settings.MAX_PROMPT_CHARS:  # answered on every change, outside the queue: no work
                raise too_long("prompt", len(text), settings.MAX_PROMPT_CHARS)
            return gr.update(visible=looks_non_english(text)), ""

    prompt.change(
        on_prompt,
        prompt,
        [translate_box, english_prompt],
        queue=False,
        api_visibility="private",
        show_progress="hidden",
    )

    def run_translate(text: str, request: gr.Request = None):
        with user_errors(request) as lang:
            if translate is None:
                raise gr.Error(tr(lang, "Translation is not available here.", "此处无法翻译。"))
            result = translate(text)
            note = tr(
                lang,
                f"🤖 Machine translation by {result.model}: check it and edit if needed.",
                f"🤖 由 {result.model} 机器翻译：请检查，必要时修改。",
            )
            return result.text, "  \n".join(filter(None, [note, twin_notice(lang, result.is_twin)]))

    translate_button.click(
        run_translate,
        prompt,
        [english_prompt, translate_note],
        concurrency_id=MODEL_CONCURRENCY_ID,
        api_visibility="private",
        show_progress_on=[english_prompt],
    )

    def on_model(key: str, ratio: str, request: gr.Request = None):
        with user_errors(request) as lang:
            return model_updates(key, ratio, lang)

    model.input(
        on_model,
        [model, aspect],
        [steps, guidance, width, height, scheduler, safety_note],
        queue=False,
        api_visibility="private",
    )
    aspect.input(
        lambda r, key: size_for(r, base_size(get_spec(key))) if r in ASPECT_RATIOS else (gr.skip(), gr.skip()),
        [aspect, model],
        [width, height],
        queue=False,
        api_visibility="private",
    )
    gr.on(
        [width.input, height.input],
        lambda w, h, key: ratio_of(w, h, base_size(get_spec(key))),
        [width, height, model],
        aspect,
        queue=False,
        api_visibility="private",
    )
    reuse_button.click(
        lambda s: (gr.skip() if s is None else s, False),
        last_seed,
        [seed, randomize],
        queue=False,
        api_visibility="private",
    )

    def run(
        prompt_text,
        english,
        negative,
        key,
        n_steps,
        cfg,
        w,
        h,
        seed_value,
        randomize_seed,
        n,
        sched,
        history,
        request: gr.Request = None,
        progress=gr.Progress(),  # noqa: B008 - gradio's way to ask for a progress tracker
    ):
        with user_errors(request, calm=True) as lang:
            if len(prompt_text or "") > settings.MAX_PROMPT_CHARS:  # before looks_non_english reads all of it
                raise too_long("prompt", len(prompt_text), settings.MAX_PROMPT_CHARS)
            used_prompt = (
                english.strip() if looks_non_english(prompt_text or "") and (english or "").strip() else prompt_text
            )
            seed_used = resolve_seed(seed_value, bool(randomize_seed))
            req = ImageRequest(used_prompt, negative, key, n_steps, cfg, w, h, seed_used, n, sched)
            history = list(history or [])[:HISTORY_SIZE]
            # Every yield carries full values, never gr.skip()/gr.update: a prop update makes gradio build a
            # per-session copy of the component, which caches its files wherever GRADIO_TEMP_DIR points by then.
            shown = (None, "", history, "", "", seed_used, seed_used)  # nothing drawn yet
            was_loaded = first_visit.is_loaded(key)
            yield shown  # a run that ends before its first update clears every output, the gallery too
            first_visit.check_prompt(used_prompt)
            c = req.validated()  # the numbers as the task will use them (a mistake ends the run calmly, here)
            size = (c.width, c.height, c.num_inference_steps, c.num_images)
            expected = image_guide.expected_line(lang, c.model, *size)
            starting = first_visit.loading_line(lang, key, "Starting…", "正在开始……")
            yield None, "", history, "  \n".join(filter(None, [starting, expected])), "", seed_used, seed_used
            # The image and the gallery offer signed PNGs named by prompt and seed.
            with stopper.run(request) as current, SignedFiles() as files:
                for u in current.follow(generate_images(req)):
                    if u.step == 1 and not u.images:
                        warn(lang, u.warnings)
                    progress((u.step, u.total), desc=tr(lang, "Drawing", "绘制中"), unit="steps")
                    ordered, captions = ranked_gallery(lang, u.images, u.seed, u.clip)  # scored: best first
                    signed = files(ordered)
                    finished = list(zip(signed, captions, strict=True))
                    picture = u.preview  # None for latent spaces without a cheap preview (not SD/SDXL)
                    if u.preview is None and u.images:  # a finished image (the best, or the newest): its signed file
                        picture = signed[0]
                    line = status_text(lang, key, u) + ("  \n" + expected if expected and not u.done else "")
                    shown = (
                        picture,
                        image_guide.info_line(lang, c.model, u.seed, *size[:3], u.scheduler, u.seconds)
                        if u.done
                        else "",
                        (finished + history)[:HISTORY_SIZE],
                        line
                        + ("  \n" + clip_line(lang, u.clip) if u.clip else "")
                        + (first_visit.load_note(lang, key, was_loaded) if u.done else ""),
                        twin_notice(lang, u.is_twin),
                        u.seed,
                        u.seed,
                    )
                    yield shown
                    if u.done and not current.stopped:
                        image_guide.record(c.model, *size, u.seconds)
                if current.stopped:  # finished images are already in the gallery; the preview shows the last step
                    yield *shown[:3], stopped_note(lang), *shown[4:]

    inputs = [
        prompt,
        english_prompt,
        negative_prompt,
        model,
        steps,
        guidance,
        width,
        height,
        seed,
        randomize,
        num_images,
        scheduler,
        gallery,
    ]
    outputs = [preview, info, gallery, status, notice, seed, last_seed]
    triggers = [run_button.click, prompt.submit]
    stopper.attach(triggers, stop_button)
    gr.on(
        triggers,
        run,
        inputs,
        outputs,
        concurrency_id=MODEL_CONCURRENCY_ID,
        api_visibility="private",
        show_progress_on=[gallery],
    )

    controls = [prompt, english_prompt, negative_prompt, model, steps, guidance, width, height, aspect, seed]
    image_restore.attach(restore_bar, gallery, [*controls, randomize, scheduler], safety_note)
