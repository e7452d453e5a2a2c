"""The text generation tab and the /generate_text endpoint. No torch here: the tab runs the callables it is given."""

from collections.abc import Callable, Iterator
from dataclasses import asdict

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import default_model, get_spec, models_for
from aigc_demo.errors import UserError
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.common.validation import too_long
from aigc_demo.tasks.text.text_generation import PRESETS, GenerationParams, TextUpdate
from aigc_demo.ui import compare_view, first_visit
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.common import (
    MODEL_CONCURRENCY_ID,
    ai_label,
    licence_info,
    model_choices,
    tr,
    twin_notice,
    user_errors,
    user_lang,
    warn,
)
from aigc_demo.ui.downloads import TextFiles, joined
from aigc_demo.ui.evaluation_view import metrics_help, metrics_markdown
from aigc_demo.ui.forgiving import bounded_number, bounded_slider
from aigc_demo.ui.i18n import t
from aigc_demo.ui.stopping import Run, Stopper, stopped_note
from aigc_demo.ui.text_controls import (
    CUSTOM,
    PRESET_LABELS,
    continuation_source,
    matching_preset,
    preset_summary,
    preset_values,
    stats_text,
    takes_system_prompt,
)

GenerateFn = Callable[..., Iterator[TextUpdate]]
TEXT_CONCURRENCY_ID = "text"  # with a serving engine: text runs beside each other; local ones still take a model slot


def text_queue() -> dict:
    """The text events' queue group. Without a serving engine, the model queue. With one, their own group, wide
    enough for the engine's slots: served requests run at the same time (the engine batches them), while a local
    model's run still holds one of the process's model slots (ui.limits), so local runs stay one at a time."""
    if not any(s.is_served for s in models_for("text-generation")):
        return {"concurrency_id": MODEL_CONCURRENCY_ID}
    return {"concurrency_id": TEXT_CONCURRENCY_ID, "concurrency_limit": settings.CONCURRENCY + settings.ENGINE_SLOTS}


def _local(key: str) -> bool:
    """Whether `key` runs here (and so needs a model slot); an unknown key is left to the task's own error."""
    try:
        return not get_spec(key).is_served
    except UserError:  # the task says what is wrong with the key
        return True


EXAMPLE_LABELS = [
    "📰 News (EN)",
    "📣 Ad copy (EN)",
    "📖 Story (EN)",
    "🛍️ Product (EN)",
    "📰 新闻 (中文)",
    "📣 广告 (中文)",
    "📖 故事 (中文)",
    "🛍️ 产品 (中文)",
]
EXAMPLES = [
    ["Write a short news paragraph: a city opens its first library run entirely by volunteers.", "Balanced"],
    ["Write a catchy ad for a reusable water bottle that keeps drinks cold for 24 hours.", "Creative"],
    ["Once upon a time, a lighthouse keeper found a letter in a bottle that was addressed to her.", "Creative"],
    ["Write a product description for noise-cancelling headphones for students.", "Balanced"],
    ["写一段新闻导语：某市开通首条无人驾驶公交线路。", "Balanced"],
    ["为一款国产智能电饭煲写一句广告语。", "Creative"],
    ["讲一个关于小狐狸和月亮的睡前故事。", "Creative"],
    ["为一款轻薄笔记本电脑写一段产品介绍。", "Precise"],
]


def text_info(
    lang: str, key: str, params: GenerationParams, u: TextUpdate, system_prompt: str = "", continued: bool = False
) -> dict:
    """The info object of a run (the API's second output, the download's header): labels.info with its settings.
    `continued`: the text goes on from an earlier run's (Continue)."""
    parameters = (
        asdict(params.validated())
        | ({"system_prompt": system_prompt} if system_prompt else {})
        | ({"continued": True} if continued else {})
    )
    return labels.info(
        lang,
        task="text",
        model=u.model or key,
        seed=u.seed,
        parameters=parameters,
        is_twin=u.is_twin,
        stand_in_for=u.stand_in_for,
        metrics=u.evaluation,
    )


def create_tab(
    generate: GenerateFn,
    count_tokens: Callable[[str, str, str], tuple[int, bool]],
    compare: compare_view.CompareFn | None = None,
) -> None:
    """Build the tab inside the current Blocks; `generate` is the task, `count_tokens` gives (count, exact), `compare`
    the A/B task (tasks.text.compare.compare)."""
    stopper = Stopper()
    specs = models_for("text-generation")
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(
                label=t("text.prompt", "Prompt", "提示词"),
                lines=5,
                max_length=settings.MAX_PROMPT_CHARS,
                placeholder=t(
                    "text.prompt.ph", "Write the beginning of a text, or ask for one…", "写下开头，或者提出你的要求……"
                ),
                elem_id="text-prompt",
            )
            token_count = gr.Markdown("", elem_id="text-token-count")
            with gr.Row():
                generate_label = t("common.generate", "Generate", "生成")
                run_button = gr.Button(generate_label, variant="primary", elem_id="text-run")
                stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="text-stop")
            busy_hint = gr.Markdown("", elem_id="text-busy")
        with gr.Column(scale=2):
            model = gr.Dropdown(
                model_choices(specs),
                value=default_model("text-generation"),
                label=t("common.model", "Model", "模型"),
                info=licence_info(specs),
                elem_id="text-model",
            )
            preset = gr.Radio(
                [(t(f"text.preset.{k}", *PRESET_LABELS[k]), k) for k in [*PRESETS, CUSTOM]],
                value="Balanced",
                label=t("text.style", "Style", "风格"),
                info=preset_summary("Balanced"),
                elem_id="text-preset",
            )
            system_prompt = gr.Textbox(  # chat models only: a completion model has no system role
                label=t("text.system", "System prompt (chat models)", "系统提示（对话模型）"),
                value="",
                lines=2,
                placeholder="You are a helpful assistant.",
                visible=takes_system_prompt(default_model("text-generation")),
                elem_id="text-system",
            )
    notice = gr.Markdown("", elem_id="text-notice")
    with gr.Row():
        candidates = [
            gr.Textbox(
                label=t(f"text.cand{i}", f"Candidate {i + 1}", f"候选 {i + 1}"),
                lines=8,
                interactive=False,
                buttons=["copy"],
                visible=i < settings.DEFAULT_CANDIDATES,
                elem_id=f"text-output-{i}",
            )
            for i in range(settings.MAX_CANDIDATES)
        ]
    with gr.Row():
        regenerate_label = t("text.regenerate", "↻ Regenerate", "↻ 重新生成")
        continue_label = t("text.continue", "➕ Continue", "➕ 续写")
        regenerate_button = gr.Button(regenerate_label, size="sm", elem_id="text-regenerate")
        continue_button = gr.Button(continue_label, size="sm", elem_id="text-continue")
    gr.Markdown(
        t(
            "text.again.info",
            "**Regenerate**: the same prompt and settings again, with a new random seed (the seed box then shows it, "
            "to get that text back). **Continue**: Candidate 1 goes on from where it ended, in the same box.",
            "**重新生成**：同样的提示词和设置，换一个新的随机种子再写一次（种子框会显示它，可用来找回这段文字）。"
            "**续写**：候选 1 从结尾处接着写，写在同一个框里。",
        ),
        elem_id="text-again-info",
    )
    stats = gr.Markdown("", elem_id="text-stats")
    metrics = gr.Markdown("", elem_id="text-metrics")
    metrics_help("text")
    download = gr.DownloadButton(
        t("text.download", "⬇️ Download (labelled .md)", "⬇️ 下载（带标识的 .md）"), size="sm", elem_id="text-download"
    )
    with gr.Accordion(t("common.advanced", "Advanced settings", "高级设置"), open=False):
        with gr.Row():
            max_new_tokens = bounded_slider(
                1,
                settings.MAX_NEW_TOKENS,
                value=settings.DEFAULT_NEW_TOKENS,
                step=1,
                label="max_new_tokens",
                info=t("text.mnt", "Length limit", "最大长度"),
            )
            num_candidates = bounded_slider(
                1,
                settings.MAX_CANDIDATES,
                value=settings.DEFAULT_CANDIDATES,
                step=1,
                label=t("text.n", "Candidates", "候选数量"),
            )
        with gr.Row():
            temperature = bounded_slider(
                0,
                settings.MAX_TEMPERATURE,
                value=PRESETS["Balanced"]["temperature"],
                step=0.05,
                label="temperature",
                info=t("text.temp", "0 = always the likeliest word", "0 = 总是选最可能的词"),
            )
            top_k = bounded_slider(
                0,
                settings.MAX_TOP_K,
                value=PRESETS["Balanced"]["top_k"],
                step=1,
                label="top_k",
                info=t("text.off0", "0 = off", "0 = 关闭"),
            )
            top_p = bounded_slider(
                0.01,
                1.0,
                value=PRESETS["Balanced"]["top_p"],
                step=0.01,
                label="top_p",
                info=t("text.off1", "1 = off", "1 = 关闭"),
            )
        with gr.Row():
            min_p = bounded_slider(
                0.0,
                1.0,
                value=PRESETS["Balanced"]["min_p"],
                step=0.01,
                label="min_p",
                info=t("text.off0", "0 = off", "0 = 关闭"),
            )
            typical_p = bounded_slider(
                0.01,
                1.0,
                value=PRESETS["Balanced"]["typical_p"],
                step=0.01,
                label="typical_p",
                info=t("text.off1", "1 = off", "1 = 关闭"),
            )
            repetition_penalty = bounded_slider(
                1.0,
                settings.MAX_REPETITION_PENALTY,
                value=PRESETS["Balanced"]["repetition_penalty"],
                step=0.01,
                label="repetition_penalty",
                info=t("text.off1", "1 = off", "1 = 关闭"),
            )
            no_repeat_ngram_size = bounded_slider(
                0,
                settings.MAX_NO_REPEAT_NGRAM,
                value=0,
                step=1,
                label="no_repeat_ngram_size",
                info=t("text.off0", "0 = off", "0 = 关闭"),
            )
        with gr.Row():
            seed = bounded_number(
                value=0,
                precision=0,
                minimum=0,
                maximum=settings.MAX_SEED,
                label=t("common.seed", "Seed", "随机种子"),
                elem_id="text-seed",
            )
            randomize_seed = gr.Checkbox(value=True, label=t("common.randomize", "Randomize seed", "每次随机换种子"))
    gr.Examples(
        EXAMPLES,
        inputs=[prompt, preset],
        label=t("common.examples", "Examples", "示例"),
        example_labels=EXAMPLE_LABELS,
        cache_examples=False,
    )

    sliders = [temperature, top_k, top_p, min_p, typical_p, repetition_penalty]  # text_controls.SAMPLING's order

    def apply_preset(name: str, request: gr.Request = None):
        values = preset_values(name)  # Custom leaves the sliders as the visitor set them
        return [gr.update(info=preset_summary(name, user_lang(request)))] + (values or [gr.skip()] * len(sliders))

    preset.change(apply_preset, preset, [preset, *sliders], queue=False, api_visibility="private")
    # A visitor's own move of a slider (not a preset's) shows whether a preset still holds: Style says Custom if not.
    gr.on(
        [s.input for s in sliders] + [s.release for s in sliders],
        matching_preset,
        sliders,
        preset,
        queue=False,
        trigger_mode="always_last",
        api_visibility="private",
        show_progress="hidden",
    )
    model.change(
        lambda key: gr.update(visible=takes_system_prompt(key)),
        model,
        system_prompt,
        queue=False,
        api_visibility="private",
        show_progress="hidden",
    )
    num_candidates.change(
        lambda n: [gr.update(visible=i < int(n)) for i in range(settings.MAX_CANDIDATES)],
        num_candidates,
        candidates,
        queue=False,
        api_visibility="private",
    )

    def show_count(text: str, key: str, system: str, request: gr.Request = None) -> str:
        lang = user_lang(request)
        if not text:
            return ""
        system = system if takes_system_prompt(key) else ""
        for name, value in (("prompt", text), ("system_prompt", system or "")):
            if len(value) > settings.MAX_PROMPT_CHARS:  # answered on every keystroke, outside the queue: no work
                return "⚠️ " + too_long(name, len(value), settings.MAX_PROMPT_CHARS).message(lang)
        try:
            n, exact = count_tokens(text, key, system)
        except Exception:  # noqa: BLE001 - a count is a hint; never let it raise a toast while typing
            return ""
        spec = get_spec(key)
        window = spec.context_window
        approx = "" if exact else "≈"
        note = tr(lang, f"{approx}{n:,} tokens of {window:,}", f"{approx}{n:,} / {window:,} 个词元")
        if n + 1 > window:
            note += tr(lang, " — too long: the start will be cut", " —— 过长：开头会被截去")
        return note

    gr.on(
        [prompt.change, model.change],
        show_count,
        [prompt, model, system_prompt],
        token_count,
        queue=False,
        trigger_mode="always_last",
        api_visibility="private",
        show_progress="hidden",
    )

    def streamed(mode, prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system, first,
                 request):  # fmt: skip
        """Every run of the tab. mode: "generate"; "regenerate" (a new seed whatever the checkbox says); "continue"
        (Candidate 1, `first`, goes on: one candidate, written after the text it has)."""
        with user_errors(request, calm=True) as lang:
            from aigc_demo.tasks.common.validation import resolve_seed

            continued = continuation_source(first) if mode == "continue" else ""
            seed_used = resolve_seed(seed_value, bool(randomize) or mode == "regenerate")
            system = system if takes_system_prompt(key) else ""  # a completion model has no system prompt
            params = GenerationParams(mnt, temp, k, p, mp, tp, rp, nr, 1 if continued else n)
            n_boxes = settings.MAX_CANDIDATES
            shown = (gr.skip(),) * n_boxes, gr.skip(), gr.skip(), gr.skip()  # the candidates, seed, notice, download
            label, u, warned = ai_label(lang, key), None, False
            was_loaded = first_visit.is_loaded(key)
            # A run that ends before its first update clears every output: candidates, stats, metrics, seed, ...
            yield *shown[0], gr.skip(), gr.skip(), *shown[1:]
            first_visit.check_prompt(prompt_text)
            yield *shown[0], first_visit.loading_line(lang, key, "Starting…", "正在开始……"), gr.skip(), *shown[1:]
            with stopper.run(request) as current, TextFiles() as files:

                def boxes(u: TextUpdate) -> list:
                    if continued:  # Candidate 1 grows; the other boxes keep what they show
                        return [continued + (u.texts[0] if u.texts else "")] + [gr.skip()] * (n_boxes - 1)
                    return u.texts + [""] * (n_boxes - len(u.texts))

                def download(u: TextUpdate) -> str:
                    text = continued + u.texts[0] if continued else joined(u.texts, tr(lang, "Candidate", "候选"))
                    return files(text, text_info(lang, key, params, u, system, bool(continued)), prompt_text)

                more = {"continue_from": continued} if continued else {}  # a plain run calls the task as the API does
                updates = generate(prompt_text, key, params, seed_used, system, **more)
                for u in current.follow(updates, needs_model=_local(key)):
                    if not warned:
                        warn(lang, u.warnings)
                        warned = True
                    label = ai_label(lang, u.model or key, tr(lang, f"seed {u.seed}", f"种子 {u.seed}"))
                    label += first_visit.load_note(lang, key, was_loaded)
                    notice = twin_notice(lang, u.is_twin, u.model, u.stand_in_for)
                    shown = boxes(u), u.seed, notice, download(u) if u.done else None
                    line = stats_text(lang, u) + "  \n" + label
                    yield *shown[0], line, metrics_markdown(lang, u.evaluation), *shown[1:]
                if current.stopped:  # what was written so far is kept, with its numbers, and can still be downloaded
                    stats = (stats_text(lang, u, stopped=True) + "  \n" if u else "") + stopped_note(lang)
                    yield *shown[0], stats + "  \n" + label, "", *shown[1:3], download(u) if u else gr.skip()

    def run(prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system,
            request: gr.Request = None):  # fmt: skip
        args = prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system, ""
        yield from streamed("generate", *args, request)

    def regenerate(prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system,
                   request: gr.Request = None):  # fmt: skip
        args = prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system, ""
        yield from streamed("regenerate", *args, request)

    def go_on(prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system, first,
              request: gr.Request = None):  # fmt: skip
        args = prompt_text, key, mnt, temp, k, p, mp, tp, rp, nr, n, seed_value, randomize, system, first
        yield from streamed("continue", *args, request)

    inputs = [
        prompt,
        model,
        max_new_tokens,
        temperature,
        top_k,
        top_p,
        min_p,
        typical_p,
        repetition_penalty,
        no_repeat_ngram_size,
        num_candidates,
        seed,
        randomize_seed,
        system_prompt,
    ]
    outputs = [*candidates, stats, metrics, seed, notice, download]
    busy = Busy(
        [(run_button, generate_label), (regenerate_button, regenerate_label), (continue_button, continue_label)],
        t("common.generating", "Generating…", "生成中…"),
        busy_hint,
    )
    runs = (
        ([run_button.click, prompt.submit], run, []),
        ([regenerate_button.click], regenerate, []),
        ([continue_button.click], go_on, [candidates[0]]),
    )
    stopper.attach([trigger for triggers, _, _ in runs for trigger in triggers], stop_button)
    for triggers, handler, extra in runs:
        busy.wire(
            triggers,
            lambda triggers=triggers, handler=handler, extra=extra: gr.on(
                triggers, handler, inputs + extra, outputs, **text_queue(), api_visibility="private"
            ),
        )
    if compare is not None:
        compare_view.create_view(compare, stopper, inputs)


def create_api(generate: GenerateFn) -> None:
    """Register /generate_text: the text, streamed, and beside it the info object (labels.info)."""
    default = default_model("text-generation")

    def generate_text(
        prompt: str,
        model: str = default,
        max_new_tokens: int = settings.DEFAULT_NEW_TOKENS,
        temperature: float = settings.DEFAULT_TEMPERATURE,
        top_k: int = settings.DEFAULT_TOP_K,
        top_p: float = settings.DEFAULT_TOP_P,
        repetition_penalty: float = settings.DEFAULT_REPETITION_PENALTY,
        seed: int = 0,
        min_p: float = settings.DEFAULT_MIN_P,
        typical_p: float = settings.DEFAULT_TYPICAL_P,
        no_repeat_ngram_size: int = 0,
        system_prompt: str = "",
        request: gr.Request = None,
    ) -> tuple[str, dict]:
        """Generate text from a prompt, streamed token by token. temperature 0 is greedy; seed -1 picks a random one.

        Returns the text and its info: ai_generated, label (in the client's language), model, seed, parameters, twin.

        Args:
            prompt: the text to continue, or the instruction for a chat model
            model: catalogue key of a text generation model
            max_new_tokens: tokens to generate at most
            temperature: 0 = greedy, 1 = the model's own distribution
            top_k: keep the k likeliest tokens (0 = off)
            top_p: nucleus sampling threshold (1 = off)
            repetition_penalty: above 1 discourages repeats (1 = off)
            seed: random seed; the same seed and settings give the same text
            min_p: drop tokens below min_p x the top probability (0 = off)
            typical_p: locally typical sampling (1 = off)
            no_repeat_ngram_size: forbid repeating n-grams of this size (0 = off)
            system_prompt: optional system message for chat models
        """
        with user_errors(request) as lang:
            params = GenerationParams(
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                min_p=min_p,
                typical_p=typical_p,
                repetition_penalty=repetition_penalty,
                no_repeat_ngram_size=no_repeat_ngram_size,
                num_candidates=1,
            )
            # Run: the model slot, the run-time limit, and a stop that waits for the worker (a client's cancel).
            meta = None
            for u in Run().follow(generate(prompt, model, params, seed, system_prompt), needs_model=_local(model)):
                # The seed is known from the first update; the metrics from the last.
                meta = text_info(lang, model, params, u, system_prompt) if meta is None or u.done else meta
                yield (u.texts[0] if u.texts else ""), meta

    gr.api(generate_text, api_name="generate_text", **text_queue())
