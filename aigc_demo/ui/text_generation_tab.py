"""The text generation tab: `layout()` builds its controls, `wire()` its events, the handlers below run them.

No torch here: the tab runs the task callables it is given. Handlers are module-level: they take the tab's layout,
its tasks and a dict of the inputs' values (gradio passes `{component: value}` when `inputs` is a set), and yield
`{component: value}` updates; a component they leave out keeps what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields

import gradio as gr
from gradio.i18n import I18nData

from aigc_demo import settings
from aigc_demo.catalog import default_model, get_spec, models_for, runs_here
from aigc_demo.tasks.common.validation import resolve_seed, too_long
from aigc_demo.tasks.text.text_generation import PRESETS, GenerationParams, TextRequest, TextUpdate
from aigc_demo.ui import compare_view, first_visit
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.common import ai_label, licence_info, model_choices, tr, twin_notice, user_errors, user_lang, warn
from aigc_demo.ui.downloads import TextFiles, joined
from aigc_demo.ui.evaluation_view import metrics_help, metrics_markdown
from aigc_demo.ui.forgiving import bounded_slider, seed_controls
from aigc_demo.ui.handlers import bound
from aigc_demo.ui.i18n import t
from aigc_demo.ui.stopping import Stopper, stopped_note
from aigc_demo.ui.text_api import GenerateFn, text_info, text_queue
from aigc_demo.ui.text_controls import (
    CUSTOM,
    PRESET_LABELS,
    SAMPLING,
    continuation_source,
    matching_preset,
    preset_summary,
    preset_values,
    stats_text,
    takes_system_prompt,
)

CountFn = Callable[[str, str, str], tuple[int, bool]]  # (text, model, system prompt) -> (tokens, exact)
DEFAULTS = GenerationParams()
PRESET = "Balanced"  # the Style a first visit starts with

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


@dataclass
class TextLayout:
    """The tab's controls. The sampling sliders are named as GenerationParams' fields, so a request reads them by
    name."""

    prompt: gr.Textbox
    token_count: gr.Markdown
    run_button: gr.Button
    stop_button: gr.Button
    busy_hint: gr.Markdown
    model: gr.Dropdown
    preset: gr.Radio
    system_prompt: gr.Textbox
    notice: gr.Markdown
    candidates: list[gr.Textbox]
    regenerate_button: gr.Button
    continue_button: gr.Button
    stats: gr.Markdown
    metrics: gr.Markdown
    download: gr.DownloadButton
    max_new_tokens: gr.Slider
    num_candidates: gr.Slider
    temperature: gr.Slider
    top_k: gr.Slider
    top_p: gr.Slider
    min_p: gr.Slider
    typical_p: gr.Slider
    repetition_penalty: gr.Slider
    no_repeat_ngram_size: gr.Slider
    seed: gr.Number
    randomize_seed: gr.Checkbox
    labels: dict[str, I18nData]  # the run buttons' idle labels: generate, regenerate, continue

    @property
    def sliders(self) -> list[gr.Slider]:
        """The sliders a Style preset sets, in text_controls.SAMPLING's order."""
        return [getattr(self, name) for name in SAMPLING]

    @property
    def inputs(self) -> set:
        """What a run reads (a set: the handler gets `{component: value}`)."""
        params = {getattr(self, f.name) for f in fields(GenerationParams)}
        return params | {self.prompt, self.model, self.seed, self.randomize_seed, self.system_prompt}

    @property
    def outputs(self) -> list:
        return [*self.candidates, self.stats, self.metrics, self.seed, self.notice, self.download]

    def request(self, values: dict, *, new_seed: bool = False, continue_from: str = "") -> TextRequest:
        """The task's request from the inputs' values. The seed is drawn here when Randomize is on (or `new_seed`,
        Regenerate's), so the task gets a plain number; Continue writes one candidate after `continue_from`."""
        params = {f.name: values[getattr(self, f.name)] for f in fields(GenerationParams)}
        if continue_from:
            params["num_candidates"] = 1
        key = values[self.model]
        return TextRequest(
            prompt=values[self.prompt],
            model=key,
            params=GenerationParams(**params),
            seed=resolve_seed(values[self.seed], bool(values[self.randomize_seed]) or new_seed),
            system_prompt=values[self.system_prompt] if takes_system_prompt(key) else "",  # completion: none
            continue_from=continue_from,
        )


def layout() -> TextLayout:
    """Build the tab's controls inside the current Blocks."""
    specs = models_for("text-generation")
    labels = {
        "generate": t("common.generate", "Generate", "生成"),
        "regenerate": t("text.regenerate", "↻ Regenerate", "↻ 重新生成"),
        "continue": t("text.continue", "➕ Continue", "➕ 续写"),
    }
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
                run_button = gr.Button(labels["generate"], variant="primary", elem_id="text-run")
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
                value=PRESET,
                label=t("text.style", "Style", "风格"),
                info=t(f"text.preset.summary.{PRESET}", preset_summary(PRESET, "en"), preset_summary(PRESET, "zh")),
                elem_id="text-preset",
            )
            system_prompt = gr.Textbox(  # chat models only: a completion model has no system role
                label=t("text.system", "System prompt (chat models)", "系统提示（对话模型）"),
                value="",
                lines=2,
                placeholder=t("text.system.ph", "You are a helpful assistant.", "你是一个乐于助人的助手。"),
                visible=takes_system_prompt(default_model("text-generation")),
                elem_id="text-system",
            )
    outputs = _output_views(labels)
    with gr.Accordion(t("common.advanced", "Advanced settings", "高级设置"), open=False):
        controls = _advanced_settings()
    gr.Examples(
        EXAMPLES,
        inputs=[prompt, preset],
        label=t("common.examples", "Examples", "示例"),
        example_labels=EXAMPLE_LABELS,
        cache_examples=False,
    )
    return TextLayout(
        prompt=prompt,
        token_count=token_count,
        run_button=run_button,
        stop_button=stop_button,
        busy_hint=busy_hint,
        model=model,
        preset=preset,
        system_prompt=system_prompt,
        labels=labels,
        **outputs,
        **controls,
    )


def _output_views(labels: dict) -> dict:
    """The candidates, Regenerate and Continue, the run's statistics, metrics and download, named as TextLayout's
    fields."""
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
        regenerate_button = gr.Button(labels["regenerate"], size="sm", elem_id="text-regenerate")
        continue_button = gr.Button(labels["continue"], size="sm", elem_id="text-continue")
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
    return {
        "notice": notice,
        "candidates": candidates,
        "regenerate_button": regenerate_button,
        "continue_button": continue_button,
        "stats": stats,
        "metrics": metrics,
        "download": download,
    }


def _advanced_settings() -> dict:
    """The sliders and the seed, named as TextLayout's fields; they start from the request's defaults and the
    first Style's values."""
    preset = PRESETS[PRESET]
    off0, off1 = t("text.off0", "0 = off", "0 = 关闭"), t("text.off1", "1 = off", "1 = 关闭")

    def slider(name: str, low: float, high: float, step: float, info=None, **kwargs) -> gr.Slider:
        value = preset.get(name, getattr(DEFAULTS, name))
        return bounded_slider(low, high, value=value, step=step, label=name, info=info, **kwargs)

    controls = {}
    with gr.Row():
        controls["max_new_tokens"] = slider(
            "max_new_tokens", 1, settings.MAX_NEW_TOKENS, 1, t("text.mnt", "Length limit", "最大长度")
        )
        controls["num_candidates"] = bounded_slider(
            1,
            settings.MAX_CANDIDATES,
            value=settings.DEFAULT_CANDIDATES,
            step=1,
            label=t("text.n", "Candidates", "候选数量"),
        )
    with gr.Row():
        controls["temperature"] = slider(
            "temperature",
            0,
            settings.MAX_TEMPERATURE,
            0.05,
            t("text.temp", "0 = always the likeliest word", "0 = 总是选最可能的词"),
        )
        controls["top_k"] = slider("top_k", 0, settings.MAX_TOP_K, 1, off0)
        controls["top_p"] = slider("top_p", 0.01, 1.0, 0.01, off1)
    with gr.Row():
        controls["min_p"] = slider("min_p", 0.0, 1.0, 0.01, off0)
        controls["typical_p"] = slider("typical_p", 0.01, 1.0, 0.01, off1)
        controls["repetition_penalty"] = slider("repetition_penalty", 1.0, settings.MAX_REPETITION_PENALTY, 0.01, off1)
        controls["no_repeat_ngram_size"] = slider("no_repeat_ngram_size", 0, settings.MAX_NO_REPEAT_NGRAM, 1, off0)
    with gr.Row():
        controls["seed"], controls["randomize_seed"] = seed_controls("text-seed")
    return controls


# --- handlers -----------------------------------------------------------------------------------------------------


def apply_preset(ui: TextLayout, name: str, request: gr.Request = None) -> dict:
    """Style picked: its values on the sliders and its summary under it (Custom leaves the sliders as they are)."""
    values = preset_values(name)
    updates = {ui.preset: gr.update(info=preset_summary(name, user_lang(request)))}
    return updates | (dict(zip(ui.sliders, values, strict=True)) if values else {})


def show_count(count_tokens: CountFn, text: str, key: str, system: str, request: gr.Request = None) -> str:
    """The prompt's length in the model's tokens, while typing: a hint, never an error."""
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
    window = get_spec(key).context_window
    approx = "" if exact else "≈"
    note = tr(lang, f"{approx}{n:,} tokens of {window:,}", f"{approx}{n:,} / {window:,} 个词元")
    if n + 1 > window:
        note += tr(lang, " — too long: the start will be cut", " —— 过长：开头会被截去")
    return note


def run_text(
    ui: TextLayout, generate: GenerateFn, stopper: Stopper, mode: str, values: dict, request: gr.Request = None
) -> Iterator[dict]:
    """Every run of the tab. mode: "generate"; "regenerate" (a new seed whatever the checkbox says); "continue"
    (Candidate 1 goes on: one candidate, written after the text it has)."""
    with user_errors(request, calm=True) as lang:
        yield {ui.stats: gr.skip()}  # a run that ends before its first update would clear every output
        first_visit.check_prompt(values[ui.prompt])
        continued = continuation_source(values[ui.candidates[0]]) if mode == "continue" else ""
        asked = ui.request(values, new_seed=mode == "regenerate", continue_from=continued)
        key = asked.model
        yield {ui.stats: first_visit.loading_line(lang, key, "Starting…", "正在开始……")}
        was_loaded = first_visit.is_loaded(key)
        label, u, warned, shown = ai_label(lang, key), None, False, {}
        with stopper.run(request) as current, TextFiles() as files:

            def download(u: TextUpdate) -> str:
                text = continued + u.texts[0] if continued else joined(u.texts, tr(lang, "Candidate", "候选"))
                return files(text, text_info(lang, asked, u), asked.prompt)

            for u in current.follow(generate(asked), needs_model=runs_here(key)):
                if not warned:
                    warn(lang, u.warnings)
                    warned = True
                label = ai_label(lang, u.model or key, tr(lang, f"seed {u.seed}", f"种子 {u.seed}"))
                label += first_visit.load_note(lang, key, was_loaded)
                shown = _boxes(ui, u, continued) | {
                    ui.seed: u.seed,
                    ui.notice: twin_notice(lang, u.is_twin, u.model, u.stand_in_for),
                    ui.download: download(u) if u.done else None,
                }
                line = stats_text(lang, u) + "  \n" + label
                yield shown | {ui.stats: line, ui.metrics: metrics_markdown(lang, u.evaluation)}
            if current.stopped:  # what was written so far is kept, with its numbers, and can still be downloaded
                stats = (stats_text(lang, u, stopped=True) + "  \n" if u else "") + stopped_note(lang)
                kept = shown | ({ui.download: download(u)} if u else {})
                yield kept | {ui.stats: stats + "  \n" + label, ui.metrics: ""}


def _boxes(ui: TextLayout, u: TextUpdate, continued: str) -> dict:
    """The candidate boxes' values; on Continue only Candidate 1 grows and the others keep what they show."""
    if continued:
        return {ui.candidates[0]: continued + (u.texts[0] if u.texts else "")}
    texts = u.texts + [""] * (len(ui.candidates) - len(u.texts))
    return dict(zip(ui.candidates, texts, strict=True))


# --- wiring -------------------------------------------------------------------------------------------------------


def wire(ui: TextLayout, generate: GenerateFn, count_tokens: CountFn, compare: compare_view.CompareFn | None) -> None:
    """The tab's events: Style and sliders, model, candidates, the token count, the three runs, Stop, A/B."""
    quick = {"queue": False, "api_visibility": "private"}
    hidden = quick | {"show_progress": "hidden"}
    ui.preset.change(bound(apply_preset, ui), ui.preset, {ui.preset, *ui.sliders}, **quick)
    # A visitor's own move of a slider (not a preset's) shows whether a preset still holds: Style says Custom if not.
    moves = [s.input for s in ui.sliders] + [s.release for s in ui.sliders]
    gr.on(moves, matching_preset, ui.sliders, ui.preset, trigger_mode="always_last", **hidden)
    ui.model.change(lambda key: gr.update(visible=takes_system_prompt(key)), ui.model, ui.system_prompt, **hidden)
    ui.num_candidates.change(
        lambda n: [gr.update(visible=i < int(n)) for i in range(len(ui.candidates))],
        ui.num_candidates,
        ui.candidates,
        **quick,
    )
    gr.on(
        [ui.prompt.change, ui.model.change],
        bound(show_count, count_tokens),
        [ui.prompt, ui.model, ui.system_prompt],
        ui.token_count,
        trigger_mode="always_last",
        **hidden,
    )
    stopper = Stopper()
    runs = {
        "generate": ([ui.run_button.click, ui.prompt.submit], ui.inputs),
        "regenerate": ([ui.regenerate_button.click], ui.inputs),
        "continue": ([ui.continue_button.click], ui.inputs | {ui.candidates[0]}),
    }
    buttons = {"generate": ui.run_button, "regenerate": ui.regenerate_button, "continue": ui.continue_button}
    busy = Busy(
        [(button, ui.labels[mode]) for mode, button in buttons.items()],
        t("common.generating", "Generating…", "生成中…"),
        ui.busy_hint,
        scroll_to="text-output-0",
    )
    stopper.attach([trigger for triggers, _ in runs.values() for trigger in triggers], ui.stop_button)
    for mode, (triggers, inputs) in runs.items():
        handler = bound(run_text, ui, generate, stopper, mode)
        busy.wire(
            triggers,
            lambda triggers=triggers, handler=handler, inputs=inputs: gr.on(
                triggers, handler, inputs, ui.outputs, **text_queue(), api_visibility="private"
            ),
        )
    if compare is not None:
        compare_view.create_view(compare, stopper, ui)


def create_tab(generate: GenerateFn, count_tokens: CountFn, compare: compare_view.CompareFn | None = None) -> None:
    """Build the tab inside the current Blocks; `generate` is the task, `count_tokens` gives (count, exact), `compare`
    the A/B task (tasks.text.compare.compare)."""
    wire(layout(), generate, count_tokens, compare)
