"""The poetry tab's "Check a poem" section and its rhyme book control: the /check_poem checker, for people."""

from __future__ import annotations

import gradio as gr

from aigc_demo.tasks.poetry.poetry import MAX_POEM_CHARS, check_pasted
from aigc_demo.tasks.poetry.rhyme_books import DEFAULT_RHYME_BOOK
from aigc_demo.ui.common import user_errors
from aigc_demo.ui.i18n import t


def rhyme_book_radio(elem_id: str, writing: bool = False) -> gr.Radio:
    """平水韵 (the book Tang regulated verse was written to, the default) or 中华新韵 (modern Mandarin)."""
    info = t("poem.book.info", "Strict rhyme and the tone pattern follow this book.", "严格押韵与平仄都按此韵书。")
    return gr.Radio(
        [
            (t("poem.book.pingshui", "平水韵 Pingshui (Tang & Song)", "平水韵（唐宋）"), "pingshui"),
            (t("poem.book.xinyun", "中华新韵 (modern Mandarin)", "中华新韵（现代普通话）"), "xinyun"),
        ],
        value=DEFAULT_RHYME_BOOK,
        label=t("poem.book", "Rhyme book (Chinese)", "韵书（中文）"),
        info=info if writing else None,
        elem_id=elem_id,
    )


def check_markdown(lang: str, poem: str, form: str, rhyme_book: str) -> str:
    """The report as the tab shows it: the one-line verdict and the broken rules, the lines in an expander."""
    return check_pasted(poem, form, rhyme_book).to_markdown(lang, details=True)


def create_check_section(form_choices: list[tuple]) -> None:
    """An accordion: paste any poem, pick the form (or auto) and the rhyme book, get the checker's report."""
    with gr.Accordion(t("poem.check", "Check a poem", "检查一首诗"), open=False, elem_id="poem-check-section"):
        with gr.Row():
            with gr.Column(scale=3):
                poem = gr.Textbox(
                    label=t("poem.check.poem", "Any poem", "任意一首诗"),
                    lines=6,
                    max_length=MAX_POEM_CHARS,
                    placeholder=t(
                        "poem.check.ph",
                        "Paste a poem, one line or couplet per row; traditional or simplified characters.",
                        "粘贴一首诗，每行一句或一联；繁体、简体均可。",
                    ),
                    elem_id="poem-check-input",
                )
            with gr.Column(scale=2):
                form = gr.Dropdown(
                    [(t("poem.check.auto", "Automatic (from the poem's shape)", "自动（按诗的形式判断）"), "auto")]
                    + form_choices,
                    value="auto",
                    label=t("poem.form", "Form", "体裁"),
                    elem_id="poem-check-form",
                )
                rhyme_book = rhyme_book_radio("poem-check-book")
                button = gr.Button(t("poem.check.run", "Check", "检查"), variant="secondary", elem_id="poem-check-run")
        report = gr.Markdown("", elem_id="poem-check-report")

    def run(poem_text: str, form_key: str, book: str, request: gr.Request = None) -> str:
        with user_errors(request) as lang:
            return check_markdown(lang, poem_text, form_key, book)

    # No model: answered at once, never behind the model queue.
    button.click(run, [poem, form, rhyme_book], report, queue=False, api_visibility="private")
