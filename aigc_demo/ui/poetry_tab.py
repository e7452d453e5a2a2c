"""The poetry tab and the /write_poem endpoint. No torch here: the tab runs the callables it is given."""
# No `from __future__ import annotations`: gradio reads /write_poem's annotations for the API page (form choices, str).

from collections.abc import Callable, Iterator
from typing import Literal

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import models_for
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.common.validation import resolve_seed
from aigc_demo.tasks.poetry.forms import FORMS, get_form
from aigc_demo.tasks.poetry.poetry import MAX_PROMPT_CHARS as POEM_PROMPT_CHARS
from aigc_demo.tasks.poetry.poetry import PoemResult, lines_before
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
from aigc_demo.ui.forgiving import bounded_number, bounded_slider
from aigc_demo.ui.i18n import t
from aigc_demo.ui.poem_check_api import RhymeBookChoice
from aigc_demo.ui.poem_check_api import create_api as create_check_api
from aigc_demo.ui.poem_check_view import create_check_section, rhyme_book_radio
from aigc_demo.ui.stopping import Run, Stopper, stopped_note

StreamFn = Callable[..., Iterator[PoemResult]]
WriteFn = Callable[..., Iterator[PoemResult]]

DEFAULT_FORM = "wuyan-jueju"
WriteFormChoice = Literal[tuple(FORMS)]  # the API page lists the forms
DEFAULT_TEMPERATURE = 1.0  # 1.0 = the model's own distribution, < 1 safer, > 1 more surprising
DEFAULT_TOP_K = 50  # keep the k likeliest characters or words; 0 = off
DEFAULT_TOP_P = 0.95  # keep the smallest set with this much probability; 1.0 = off

EXAMPLES = [
    ["明月", "wuyan-jueju", ""],
    ["春风又绿江南岸", "qiyan-jueju", ""],
    ["山水田园", "wuyan-lushi", "春夏秋冬风花雪月"],
    ["思乡", "qiyan-jueju", "月是故乡"],
    ["autumn rain on a quiet street", "haiku", ""],
    ["the sea at night", "english-quatrain", "MOON"],
    ["a city waking up", "english-free", ""],
]
EXAMPLE_LABELS = [
    "🌕 明月 · 五言绝句",
    "🌿 首句 · 七言绝句",
    "🏞️ 藏头 · 五言律诗",
    "🏠 藏头 · 七言绝句",
    "🍂 Haiku (EN)",
    "🌊 Acrostic quatrain (EN)",
    "🏙️ Free verse (EN)",
]


def form_choices() -> list[tuple]:
    """Dropdown entries: Chinese forms show their Chinese name in both languages, English ones say "English"."""
    choices = []
    for form in FORMS.values():
        if form.language == "zh":
            text = t(f"poem.form.{form.key}", f"{form.label_zh} · {form.label_en}", form.label_zh)
        else:
            text = t(f"poem.form.{form.key}", f"{form.label_en} (English)", f"{form.label_zh}（英文）")
        choices.append((text, form.key))
    return choices


def form_rules(lang: str, form_key: str) -> str:
    form = get_form(form_key)
    return tr(lang, form.rules_en, form.rules_zh)


def checker_markdown(lang: str, result: PoemResult, i: int) -> str:
    """The form checker under poem `i`: empty while writing, then ✓/✗ per line in the user's language."""
    if i >= len(result.reports):
        return tr(lang, "*Writing…*", "*写作中……*") if i < len(result.poems) else ""
    title = tr(lang, "**Form check**", "**格律检查**")
    return f"{title}  \n{result.reports[i].to_markdown(lang, details=True)}"


def poem_names(lang: str, n: int) -> list[str]:
    return [tr(lang, f"Poem {i + 1}", f"第 {i + 1} 首") for i in range(n)]


def poem_info(lang: str, result: PoemResult, parameters: dict) -> dict:
    """The info object of a poem run (the API's second output, the download's header)."""
    return labels.info(
        lang,
        task="poem",
        model=result.model,
        seed=result.seed,
        parameters=parameters,
        is_twin=result.is_twin,
        metrics=result.evaluation,  # the finished poems' numbers (None while writing)
        stand_in_for=result.stand_in_for,
    )


def create_tab(write_poem_stream: StreamFn) -> None:
    """Build the tab inside the current Blocks; `write_poem_stream` is the task (tasks.poetry.write_poem_stream)."""
    stopper = Stopper()
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(
                label=t("poem.prompt", "Theme, keywords or first line", "主题、关键词或首句"),
                value="",
                max_length=200,
                placeholder=t(
                    "poem.prompt.ph",
                    "e.g. 明月 · 春风又绿江南岸 · autumn rain",
                    "例如：明月 · 春风又绿江南岸 · autumn rain",
                ),
                elem_id="poem-prompt",
            )
            with gr.Row():
                form = gr.Dropdown(
                    form_choices(), value=DEFAULT_FORM, label=t("poem.form", "Form", "体裁"), elem_id="poem-form"
                )
                acrostic = gr.Textbox(
                    label=t("poem.acrostic", "Acrostic (optional)", "藏头（可选）"),
                    value="",
                    max_length=16,
                    placeholder=t("poem.acrostic.ph", "e.g. 春夏秋冬 or MOON", "例如：春夏秋冬 或 MOON"),
                    info=t(
                        "poem.acrostic.info",
                        "Each line starts with the next character (Chinese) or letter (English).",
                        "每句依次以这些字（中文）或字母（英文）开头。",
                    ),
                    elem_id="poem-acrostic",
                )
            form_help = gr.Markdown(
                t(f"poem.rules.{DEFAULT_FORM}", FORMS[DEFAULT_FORM].rules_en, FORMS[DEFAULT_FORM].rules_zh),
                elem_id="poem-form-help",
            )
            with gr.Row():
                write_label = t("poem.run", "Write poem", "写诗")
                run_button = gr.Button(write_label, variant="primary", elem_id="poem-run")
                stop_button = gr.Button(t("common.stop", "Stop", "停止"), variant="stop", elem_id="poem-stop")
            busy_hint = gr.Markdown("", elem_id="poem-busy")
        with gr.Column(scale=2):
            model = gr.Dropdown(
                [(t("poem.model.auto", "Automatic (best for the form)", "自动（按体裁选择）"), "")]
                + model_choices(models_for("poetry")),
                value="",
                label=t("common.model", "Model", "模型"),
                info=licence_info(models_for("poetry")),
                elem_id="poem-model",
            )
            num_candidates = bounded_slider(
                1,
                settings.MAX_CANDIDATES,
                value=settings.DEFAULT_CANDIDATES,
                step=1,
                label=t("poem.n", "Poems to write", "写几首"),
                info=t("poem.n.info", "Shown side by side", "并排显示"),
                elem_id="poem-n",
            )
            with gr.Row():
                strict_rhyme = gr.Checkbox(
                    value=True,
                    label=t("poem.strict_rhyme", "Strict rhyme (Chinese)", "严格押韵（中文）"),
                    info=t(
                        "poem.strict_rhyme.info",
                        "Even lines are made to rhyme while the poem is written.",
                        "写作时保证偶数句押韵。",
                    ),
                )
                enforce_tone = gr.Checkbox(
                    value=False,
                    label=t("poem.enforce_tone", "Follow the tone pattern 平仄 (Chinese)", "遵守平仄（中文）"),
                    info=t(
                        "poem.enforce_tone.info",
                        "Characters 2, 4 and 6 alternate level and oblique tones.",
                        "二、四、六字平仄相间。",
                    ),
                )
            rhyme_book = rhyme_book_radio("poem-book", writing=True)
    notice = gr.Markdown("", elem_id="poem-notice")
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
    with gr.Accordion(t("common.advanced", "Advanced settings", "高级设置"), open=False):
        with gr.Row():
            temperature = bounded_slider(
                0,
                settings.MAX_TEMPERATURE,
                value=DEFAULT_TEMPERATURE,
                step=0.05,
                label="temperature",
                info=t(
                    "poem.temp",
                    "Higher = more surprising words; 0 = always the likeliest",
                    "越高越出人意料；0 = 总选最可能的字",
                ),
            )
            top_k = bounded_slider(
                0,
                settings.MAX_TOP_K,
                value=DEFAULT_TOP_K,
                step=1,
                label="top_k",
                info=t("text.off0", "0 = off", "0 = 关闭"),
            )
            top_p = bounded_slider(
                0.01, 1.0, value=DEFAULT_TOP_P, step=0.01, label="top_p", info=t("text.off1", "1 = off", "1 = 关闭")
            )
        with gr.Row():
            seed = bounded_number(
                value=0,
                precision=0,
                minimum=0,
                maximum=settings.MAX_SEED,
                label=t("common.seed", "Seed", "随机种子"),
                elem_id="poem-seed",
            )
            randomize_seed = gr.Checkbox(value=True, label=t("common.randomize", "Randomize seed", "每次随机换种子"))
    gr.Examples(
        EXAMPLES,
        inputs=[prompt, form, acrostic],
        label=t("common.examples", "Examples", "示例"),
        example_labels=EXAMPLE_LABELS,
        cache_examples=False,
    )
    create_check_section(form_choices())

    def show_rules(form_key: str, request: gr.Request = None) -> str:
        with user_errors(request) as lang:
            return form_rules(lang, form_key)

    form.change(show_rules, form, form_help, queue=False, api_visibility="private", show_progress="hidden")
    num_candidates.change(
        lambda n: [gr.Column(visible=i < int(n)) for i in range(settings.MAX_CANDIDATES)],
        num_candidates,
        columns,
        queue=False,
        api_visibility="private",
    )

    def row(lang: str, result: PoemResult, status: str) -> tuple:
        texts = result.poems + [""] * (settings.MAX_CANDIDATES - len(result.poems))
        return (
            *texts,
            *(checker_markdown(lang, result, i) for i in range(settings.MAX_CANDIDATES)),
            status,
            result.seed,
            twin_notice(lang, result.is_twin, result.model, result.stand_in_for),
        )

    def stream(lang: str, request: gr.Request | None, key: str, updates: Iterator[PoemResult], about: tuple):
        """The rows to show; `about` = (prompt, parameters) for the labelled download."""
        warned, last = False, None
        was_loaded = first_visit.is_loaded(key)
        loading = first_visit.loading_line(lang, key, "Writing…", "写作中……")
        yield *(gr.skip(),) * (2 * settings.MAX_CANDIDATES), loading, gr.skip(), gr.skip(), gr.skip()
        with stopper.run(request) as current, TextFiles() as files:

            def document(result: PoemResult) -> str:
                text = joined(result.poems, tr(lang, "Poem", "诗"))
                return files(text, poem_info(lang, result, about[1]), about[0])

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
                yield *row(lang, last, status), document(last) if last.done else None
            if current.stopped:
                status = stopped_note(lang) + "  \n" + ai_label(lang, last.model if last else key)
                if last is None:  # stopped before the first line: the poems on screen stay as they are
                    yield *(gr.skip(),) * (2 * settings.MAX_CANDIDATES), status, gr.skip(), gr.skip(), gr.skip()
                else:
                    yield *row(lang, last, status), document(last)

    def write(
        request, regenerate_from, prompt_text, form_key, heads, key, temp, k, p, n, seed_value, randomize, strict, tone,
        book,
    ):  # fmt: skip
        """Both buttons: new poems, or with regenerate_from = (poem 1, N) poems that keep poem 1's lines before N."""
        with user_errors(request, calm=True) as lang:
            kept = lines_before(regenerate_from[0], form_key, regenerate_from[1]) if regenerate_from else ()
            seed_used = resolve_seed(seed_value, bool(randomize))
            yield (gr.skip(),) * (2 * settings.MAX_CANDIDATES + 4)  # a run that ends before its first update clears
            first_visit.check_prompt(prompt_text, POEM_PROMPT_CHARS)  # every output
            parameters = dict(
                form=form_key, acrostic=heads, temperature=temp, top_k=k, top_p=p, strict_rhyme=bool(strict),
                enforce_tone=bool(tone), rhyme_book=book, num_candidates=n,
            ) | ({"fixed_lines": list(kept)} if kept else {})  # fmt: skip
            updates = write_poem_stream(
                prompt_text,
                form_key,
                heads,
                key,
                temp,
                k,
                p,
                seed_used,
                strict_rhyme=bool(strict),
                enforce_tone=bool(tone),
                num_candidates=n,
                fixed_lines=kept,
                rhyme_book=book,
            )
            yield from stream(lang, request, key, updates, (prompt_text, parameters))

    def run(
        prompt_text,
        form_key,
        heads,
        key,
        temp,
        k,
        p,
        n,
        seed_value,
        randomize,
        strict,
        tone,
        book,
        request: gr.Request = None,
    ):
        yield from write(
            request, None, prompt_text, form_key, heads, key, temp, k, p, n, seed_value, randomize, strict, tone, book
        )

    def regenerate(
        first_poem,
        line,
        prompt_text,
        form_key,
        heads,
        key,
        temp,
        k,
        p,
        n,
        seed_value,
        randomize,
        strict,
        tone,
        book,
        request: gr.Request = None,
    ):
        yield from write(
            request,
            (first_poem, line),
            prompt_text,
            form_key,
            heads,
            key,
            temp,
            k,
            p,
            n,
            seed_value,
            randomize,
            strict,
            tone,
            book,
        )

    settings_inputs = [
        prompt, form, acrostic, model, temperature, top_k, top_p, num_candidates, seed, randomize_seed,
        strict_rhyme, enforce_tone, rhyme_book,
    ]  # fmt: skip
    outputs = [*poems, *checks, stats, seed, notice, download]
    common = {"concurrency_id": MODEL_CONCURRENCY_ID, "api_visibility": "private"}
    stopper.attach([run_button.click, prompt.submit, regenerate_button.click], stop_button)
    busy = Busy(
        [(run_button, write_label), (regenerate_button, regenerate_label)],
        t("poem.running", "Writing…", "写作中…"),
        busy_hint,
    )
    writes = [run_button.click, prompt.submit]
    busy.wire(writes, lambda: gr.on(writes, run, settings_inputs, outputs, **common))
    busy.wire(
        [regenerate_button.click],
        lambda: regenerate_button.click(regenerate, [poems[0], from_line, *settings_inputs], outputs, **common),
    )


def create_api(write_poem_stream: WriteFn) -> None:
    """Register /write_poem: the first poem's text, streamed (so that a client's cancel stops the model)."""

    def api_write_poem(
        prompt: str,
        form: WriteFormChoice = DEFAULT_FORM,
        acrostic: str = "",
        model: str = "",
        temperature: float = DEFAULT_TEMPERATURE,
        top_k: int = DEFAULT_TOP_K,
        top_p: float = DEFAULT_TOP_P,
        seed: int = 0,
        strict_rhyme: bool = True,
        enforce_tone: bool = False,
        rhyme_book: RhymeBookChoice = "pingshui",
        request: gr.Request = None,
    ) -> tuple[str, dict]:
        """Write a poem in a classical Chinese or an English form; the form is guaranteed while the poem is written.

        Returns the poem and its info: ai_generated, label (in the client's language), model, seed, parameters, twin.

        Args:
            prompt: a theme, keywords or a first line
            form: wuyan-jueju, qiyan-jueju, wuyan-lushi, qiyan-lushi, english-quatrain, haiku or english-free
            acrostic: one character (Chinese) or letter (English) per line, optional
            model: catalogue key; empty picks the form's default (gpt2-chinese-poem or qwen2.5-0.5b-instruct)
            temperature: 0 = always the likeliest, 1 = the model's own distribution
            top_k: keep the k likeliest tokens (0 = off)
            top_p: nucleus sampling threshold (1 = off)
            seed: random seed; -1 picks one
            strict_rhyme: Chinese forms: make the even lines rhyme while decoding
            enforce_tone: Chinese forms: make characters 2/4/6 follow the 平仄 pattern
            rhyme_book: Chinese forms: "pingshui" (平水韵, Tang and Song) or "xinyun" (中华新韵), for both of the above
        """
        with user_errors(request) as lang:
            parameters = dict(
                form=form, acrostic=acrostic, temperature=temperature, top_k=top_k, top_p=top_p,
                strict_rhyme=strict_rhyme, enforce_tone=enforce_tone, rhyme_book=rhyme_book,
            )  # fmt: skip
            updates = write_poem_stream(
                prompt,
                form,
                acrostic,
                model,
                temperature,
                top_k,
                top_p,
                seed,
                strict_rhyme=strict_rhyme,
                enforce_tone=enforce_tone,
                rhyme_book=rhyme_book,
            )
            for result in Run().follow(updates):  # the model slot, the run-time limit, a stop that waits
                yield result.poems[0], poem_info(lang, result, parameters)

    api_write_poem.__name__ = "write_poem"
    gr.api(api_write_poem, api_name="write_poem", concurrency_id=MODEL_CONCURRENCY_ID)
    create_check_api()  # /check_poem: the same checker, no model
