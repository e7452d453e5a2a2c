"""/check_poem: the form checker for any poem, without a model (so it never waits behind model runs).

No `from __future__ import annotations` here: gradio reads the annotations to show real types (the Literal choices).
"""

from typing import Literal

import gradio as gr

from aigc_demo.tasks.poetry.forms import FORMS
from aigc_demo.tasks.poetry.poetry import check_pasted
from aigc_demo.ui.common import user_errors

POEM_CHECK_CONCURRENCY_ID = "poem_check"  # its own group: checking is cheap, the model queue is not
FormChoice = Literal[("auto", *FORMS)]  # built from the registry so a new form shows up by itself
RhymeBookChoice = Literal["pingshui", "xinyun"]


def create_api() -> None:
    def check_poem(
        poem: str,
        form: FormChoice = "auto",
        rhyme_book: RhymeBookChoice = "pingshui",
        request: gr.Request = None,
    ) -> dict:
        """Check a poem against a classical Chinese or an English form: line count, lengths, punctuation, rhyme and
        (as advice) the 平仄 tone pattern. Traditional and simplified characters both work.

        Args:
            poem: the poem, one line (or one couplet) per row
            form: "auto" guesses the form from the poem's shape; or wuyan-jueju, qiyan-jueju, wuyan-lushi, qiyan-lushi,
                english-quatrain, haiku, english-free
            rhyme_book: Chinese forms: "pingshui" (平水韵, the Tang and Song standard) or "xinyun" (中华新韵, modern)
        """
        with user_errors(request) as lang:
            return check_pasted(poem, form, rhyme_book).to_api(lang)

    gr.api(check_poem, api_name="check_poem", concurrency_id=POEM_CHECK_CONCURRENCY_ID, concurrency_limit=4)
