"""The poetry tab: `layout()` builds its controls, `wire()` its events; the handlers below are plain functions of a
layout, the task and a dict of inputs. No torch here: the tab runs the callables it is given."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from aigc_demo import settings
from aigc_demo.catalog import models_for
from aigc_demo.tasks.poetry.forms import FORMS
from aigc_demo.tasks.poetry.poetry import PoemResult, lines_before
from aigc_demo.tasks.poetry.request import MAX_PROMPT_CHARS, PoemRequest
from aigc_demo.ui import first_visit
from aigc_demo.ui.busy import Busy
from aigc_demo.ui.common import (
    MODEL_CONCURRENCY_ID,
    ai_label,
    licence_info,
    model_choices,
    tr,
    twin_notice,
    user_errors,
    warn,
)
from aigc_demo.ui.downloads import TextFiles, joined
from aigc_demo.ui.evaluation_view import metrics_help, metrics_markdown
from aigc_demo.ui.forgiving import bounded_number, bounded_slider, seed_controls
from aigc_demo.ui.handlers import bound
from aigc_demo.ui.i18n import t
from aigc_demo.ui.poem_check_view import create_check_section, rhyme_book_radio
from aigc_demo.ui.poetry_api import poem_info, poem_parameters
from aigc_demo.ui.poetry_views import EXAMPLE_LABELS, EXAMPLES, checker_markdown, form_choices, form_rules, poem_names
from aigc_demo.ui.stopping import Stopper, stopped_note

StreamFn = Callable[[PoemRequest], Iterator[PoemResult]]
# The request's fields the tab's controls of the same name set (the seed also by its "Randomize seed" box).
REQUEST_FIELDS = (
    "prompt", "form", "acrostic", "model", "temperature", "top_k", "top_p", "seed", "strict_rhyme", "enforce_tone",
    "num_candidates", "rhyme_book",
)  # fmt: skip


@dataclass
class PoetryLayout:
    """The tab's controls, named as the request fields they set where they set one."""

    prompt: gr.Textbox
    form: gr.Dropdown
    acrostic: gr.Textbox
    form_help: gr.Markdown
    run_button: gr.Button
    write_label: I18nData
    stop_button: gr.Button
    busy_hint: gr.Markdown
    model: gr.Dropdown
    num_candidates: gr.Slider
    strict_rhyme: gr.Checkbox
    enforce_tone: gr.Checkbox
    rhyme_book: gr.Radio
    notice: gr.Markdown
    poems: list[gr.Textbox]
    checks: list[gr.Markdown]  # the form check under each poem
    columns: list[gr.Column]
    stats: gr.Markdown
    download: gr.DownloadButton
    from_line: gr.Number
    regenerate_button: gr.Button
    regenerate_label: I18nData
    temperature: gr.Slider
    top_k: gr.Slider
    top_p: gr.Slider
    seed: gr.Number
    randomize_seed: gr.Checkbox

    @property
    def run_inputs(self) -> set:
        """What a run reads: the request's controls and the seed's Randomize box."""
        return {getattr(self, name) for name in REQUEST_FIELDS} | {self.randomize_seed}

    @property
    def outputs(self) -> list:
        return [*self.poems, *self.checks, self.stats, self.seed, self.notice, self.download]

    def request(self, inputs: dict, fixed_lines: tuple[str, ...] = ()) -> PoemRequest:
        """The request the inputs ask for; -1 lets the task pick the seed."""
        values = {name: inputs[getattr(self, name)] for name in REQUEST_FIELDS}
        values |= {"strict_rhyme": bool(values["strict_rhyme"]), "enforce_tone": bool(values["enforce_tone"])}
        if inputs[self.randomize_seed]:
            values["seed"] = -1
        return PoemRequest(**values, fixed_lines=fixed_lines)


def layout() -> PoetryLayout:
    """Build the tab's controls inside the current Blocks (no events but the controls' own)."""
    with gr.Row():
        with gr.Column(scale=3):
            request_controls = _prompt_column()
        with gr.Column(scale=2):
            choices = _choice_column()
    notice = gr.Markdown("", elem_id="poem-notice")
    outputs = _poem_columns()
    ui = PoetryLayout(
        **request_controls, **choices, notice=notice, **outputs, **_regenerate_row(), **_advanced_settings()
    )
    gr.Examples(
        EXAMPLES,
        inputs=[ui.prompt, ui.form, ui.acrostic],
        label=t("common.examples", "Examples", "示例"),
        example_labels=EXAMPLE_LABELS,
        cache_examples=False,
    )
    create_check_section(form_choices())
    return ui


def _prompt_column() -> dict[str, Any]:
    prompt = gr.Textbox(
        label=t("poem.prompt", "Theme, keywords or first line", "主题、关键词或首句"),
        value="",
        max_length=MAX_PROMPT_CHARS,
        placeholder=t(
            "poem.prompt.ph", "e.g. 明月 · 春风又绿江南岸 · autumn rain", "例如：明月 · 春风又绿江南岸 · autumn rain"
        ),
        elem_id="poem-prompt",
    )
    with gr.Row():
        form = gr.Dropdown(
            form_choices(), value=PoemRequest.form, label=t("poem.form", "Form", "体裁"), elem_id="poem-form"
        )
        acrostic = gr.Textbox(
            label=t("poem.acrostic", "Acrostic (optional)", "藏头（可选）"),
            value=PoemRequest.acrostic,
            max_length=16,
            placeholder=t("poem.acrostic.ph", "e.g. 春夏秋冬 or MOON", "例如：春夏秋冬 或 MOON"),
            info=t(
                "poem.acrostic.info",
                "Each line starts with the next character (Chinese) or letter (English).",
                "每句依次以这些字（中文）或字母（英文）开头。",
            ),
            elem_id="poem-acrostic",
        )
    default_form = FORMS[PoemRequest.form]
    form_help = gr.Markdown(
        t(f"poem.rules.{default_form.key}", default_form.rules_en, default_form.rules_zh), elem_id="poem-form-help"
    )
    with gr.Row():
        write_label = t("poem.run", "Write poem", "写诗")
        run_button = gr.Button(write_label, variant="primary", elem_id="poem-run")
        stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="poem-stop")
    busy_hint = gr.Markdown("", elem_id="poem-busy")
    return dict(
        prompt=prompt, form=form, acrostic=acrostic, form_help=form_help, run_button=run_button,
        write_label=write_label, stop_button=stop_button, busy_hint=busy_hint,
    )  # fmt: skip


def _choice_column() -> dict[str, Any]:
    model = gr.Dropdown(
        [(t("poem.model.auto", "Automatic (best for the form)", "自动（按体裁选择）"), PoemRequest.model)]
        + model_choices(models_for("poetry")),
        value=PoemRequest.model,
        label=t("common.model", "Model", "模型"),
        info=licence_info(models_for("poetry")),
        elem_id="poem-model",
    )
    num_candidates = bounded_slider(
        *PoemRequest.BOUNDS["num_candidates"],
        value=settings.DEFAULT_CANDIDATES,
        step=1,
        label=t("poem.n", "Poems to write", "写几首"),
        info=t("poem.n.info", "Shown side by side", "并排显示"),
        elem_id="poem-n",
    )
    with gr.Row():
        strict_rhyme = gr.Checkbox(
            value=PoemRequest.strict_rhyme,
            label=t("poem.strict_rhyme", "Strict rhyme (Chinese)", "严格押韵（中文）"),
            info=t(
                "poem.strict_rhyme.info",
                "Even lines are made to rhyme while the poem is written.",
                "写作时保证偶数句押韵。",
            ),
        )
        enforce_tone = gr.Checkbox(
            value=PoemRequest.enforce_tone,
            label=t("poem.enforce_tone", "Follow the tone pattern 平仄 (Chinese)", "遵守平仄（中文）"),
            info=t(
                "poem.enforce_tone.info",
                "Characters 2, 4 and 6 alternate level and oblique tones.",
                "二、四、六字平仄相间。",
            ),
        )
    rhyme_book = rhyme_book_radio("poem-book", writing=True)
    return dict(
        model=model, num_candidates=num_candidates, strict_rhyme=strict_rhyme, enforce_tone=enforce_tone,
        rhyme_book=rhyme_book,
    )  # fmt: skip


def _poem_columns() -> dict[str, Any]:
    poems, checks, columns = [], [], []
    with gr.Row(equal_height=False):
        for i in range(settings.MAX_CANDIDATES):
            with gr.Column(visible=i < settings.DEFAULT_CANDIDATES, min_width=220) as column:
                poems.append(
                    gr.Textbox(
                        label=t(f"poem.cand{i}", f"Poem {i + 1}", f"第 {i + 1} 首"),
                        lines=8,
                        interactive=False,
                        buttons=["copy"],
                        elem_id="poem-output" if i == 0 else f"poem-output-{i}",
                    )
                )
                checks.append(gr.Markdown("", elem_id=f"poem-check-{i}"))
            columns.append(column)
    stats = gr.Markdown("", elem_id="poem-stats")
    metrics_help("poem")
    download = gr.DownloadButton(
        t("poem.download", "⬇️ Download the poems (labelled .md)", "⬇️ 下载诗作（带标识的 .md）"),
        size="sm",
        elem_id="poem-download",
    )
    return dict(poems=poems, checks=checks, columns=columns, stats=stats, download=download)


def _regenerate_row() -> dict[str, Any]:
    with gr.Row():
        from_line = bounded_number(
            value=2,
            precision=0,
            minimum=1,
            maximum=8,
            label=t("poem.from_line", "Regenerate poem 1 from line", "第 1 首从第几句重写"),
            info=t(
                "poem.from_line.info",
                "Keeps the lines of poem 1 before this one (numbered as the checker shows them) and writes the rest "
                "again, as many poems as asked.",
                "保留第 1 首中此句之前的诗句（句数与格律检查一致），其余重新写，写几首由上面决定。",
            ),
            elem_id="poem-from-line",
        )
        regenerate_label = t("poem.regenerate", "↻ Regenerate poem 1 from this line", "↻ 第 1 首从此句重写")
        regenerate_button = gr.Button(regenerate_label, elem_id="poem-regenerate")
    return dict(from_line=from_line, regenerate_button=regenerate_button, regenerate_label=regenerate_label)


def _advanced_settings() -> dict[str, Any]:
    bounds = PoemRequest.BOUNDS
    with gr.Accordion(t("common.advanced", "Advanced settings", "高级设置"), open=False):
        with gr.Row():
            temperature = bounded_slider(
                *bounds["temperature"],
                value=PoemRequest.temperature,
                step=0.05,
                label="temperature",
                info=t(
                    "poem.temp",
                    "Higher = more surprising words; 0 = always the likeliest",
                    "越高越出人意料；0 = 总选最可能的字",
                ),
            )
            top_k = bounded_slider(
                *bounds["top_k"],
                value=PoemRequest.top_k,
                step=1,
                label="top_k",
                info=t("text.off0", "0 = off", "0 = 关闭"),
            )
            top_p = bounded_slider(
                *bounds["top_p"],
                value=PoemRequest.top_p,
                step=0.01,
                label="top_p",
                info=t("text.off1", "1 = off", "1 = 关闭"),
            )
        with gr.Row():
            seed, randomize_seed = seed_controls("poem-seed", value=PoemRequest.seed)
    return dict(temperature=temperature, top_k=top_k, top_p=top_p, seed=seed, randomize_seed=randomize_seed)


# --- handlers ---------------------------------------------------------------------------------------------------


def show_rules(form_key: str, request: gr.Request = None) -> str:
    with user_errors(request) as lang:
        return form_rules(lang, form_key)


def show_columns(n) -> list:
    return [gr.Column(visible=i < int(n)) for i in range(settings.MAX_CANDIDATES)]


def poem_row(ui: PoetryLayout, lang: str, result: PoemResult, status: str) -> dict:
    """Every output but the download, for one state of a run."""
    texts = result.poems + [""] * (settings.MAX_CANDIDATES - len(result.poems))
    return {
        **dict(zip(ui.poems, texts, strict=True)),
        **{check: checker_markdown(lang, result, i) for i, check in enumerate(ui.checks)},
        ui.stats: status,
        ui.seed: result.seed,
        ui.notice: twin_notice(lang, result.is_twin, result.model, result.stand_in_for),
    }


def write_poems(
    ui: PoetryLayout, write_poem_stream: StreamFn, stopper: Stopper, inputs: dict, request: gr.Request = None, *,
    regenerate: bool = False,
):  # fmt: skip
    """Both buttons: new poems, or (`regenerate`) as many poems that keep poem 1's lines before the chosen one."""
    with user_errors(request, calm=True) as lang:
        form_key = inputs[ui.form]
        kept = tuple(lines_before(inputs[ui.poems[0]], form_key, inputs[ui.from_line])) if regenerate else ()
        yield gr.skip()  # a run that ends before its first update clears every output
        first_visit.check_prompt(inputs[ui.prompt], MAX_PROMPT_CHARS)
        req = ui.request(inputs, kept)
        parameters = poem_parameters(req, "num_candidates") | ({"fixed_lines": list(kept)} if kept else {})
        yield from follow_run(ui, stopper, lang, request, req, write_poem_stream(req), parameters)


def follow_run(
    ui: PoetryLayout, stopper: Stopper, lang: str, request: gr.Request | None, req: PoemRequest,
    updates: Iterator[PoemResult], parameters: dict,
):  # fmt: skip
    """The outputs of one run, to its end or its Stop; `parameters` go into the labelled download."""
    warned, last = False, None
    key = req.model
    was_loaded = first_visit.is_loaded(key)
    yield {ui.stats: first_visit.loading_line(lang, key, "Writing…", "写作中……")}
    with stopper.run(request) as current, TextFiles() as files:

        def document(result: PoemResult) -> str:
            text = joined(result.poems, tr(lang, "Poem", "诗"))
            return files(text, poem_info(lang, result, parameters), req.prompt)

        for last in current.follow(updates):
            if not warned:
                warn(lang, last.warnings)
                warned = True
            status = (
                ai_label(lang, last.model, tr(lang, f"seed {last.seed}", f"种子 {last.seed}"))
                + first_visit.load_note(lang, last.model, was_loaded)
                + "  \n"
                + metrics_markdown(lang, last.evaluation, poem_names(lang, len(last.poems)))
                if last.done
                else tr(lang, "Writing…", "写作中……")
            )
            yield poem_row(ui, lang, last, status) | {ui.download: document(last) if last.done else None}
        if current.stopped:
            status = stopped_note(lang) + "  \n" + ai_label(lang, last.model if last else key)
            if last is None:  # stopped before the first line: the poems on screen stay as they are
                yield {ui.stats: status}
            else:
                yield poem_row(ui, lang, last, status) | {ui.download: document(last)}


# --- wiring -----------------------------------------------------------------------------------------------------


def wire(ui: PoetryLayout, write_poem_stream: StreamFn) -> None:
    """The tab's events: form rules, visible columns, and the two run buttons with Stop and the busy state."""
    stopper = Stopper()
    ui.form.change(show_rules, ui.form, ui.form_help, queue=False, api_visibility="private", show_progress="hidden")
    ui.num_candidates.change(show_columns, ui.num_candidates, ui.columns, queue=False, api_visibility="private")
    common = {"concurrency_id": MODEL_CONCURRENCY_ID, "api_visibility": "private"}
    stopper.attach([ui.run_button.click, ui.prompt.submit, ui.regenerate_button.click], ui.stop_button)
    busy = Busy(
        [(ui.run_button, ui.write_label), (ui.regenerate_button, ui.regenerate_label)],
        t("poem.running", "Writing…", "写作中…"),
        ui.busy_hint,
        scroll_to="poem-output",
    )
    run = bound(write_poems, ui, write_poem_stream, stopper)
    writes = [ui.run_button.click, ui.prompt.submit]
    busy.wire(writes, lambda: gr.on(writes, run, ui.run_inputs, ui.outputs, **common))
    regenerate = bound(write_poems, ui, write_poem_stream, stopper, regenerate=True)
    again = ui.run_inputs | {ui.poems[0], ui.from_line}
    busy.wire(
        [ui.regenerate_button.click], lambda: ui.regenerate_button.click(regenerate, again, ui.outputs, **common)
    )


def create_tab(write_poem_stream: StreamFn) -> None:
    """Build the tab inside the current Blocks; `write_poem_stream` is the task (tasks.poetry.write_poem_stream)."""
    wire(layout(), write_poem_stream)
