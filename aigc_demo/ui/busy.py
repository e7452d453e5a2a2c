"""A tab's run buttons while one of its runs goes: the main one says "Generating…", none can be clicked, and they come
back when the run ends, is stopped or fails.

Why the server keeps a note of it as well: gradio drops a second trigger of an event that is still pending, silently
(its trigger_mode "once"), and pressing Enter in a prompt is such a trigger even while the buttons are locked. A trigger
that finds its session busy gets a sentence in the tab's hint instead; and since nothing starts a run until the last
has ended, the result of an earlier click can never arrive after a later one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from aigc_demo.ui.common import tr, user_lang
from aigc_demo.ui.stopping import session_of

STALE_S = 3600.0  # a session still marked busy this long after its run started is taken to have gone away
MAX_SESSIONS = 10_000  # busy sessions remembered at most; the oldest are forgotten first
QUIET = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
PHONE_MAX_WIDTH = 640  # px: the width below which the layout is one column (assets/style.css's phone rules)
# A run started on a phone brings its output into view, where the answer streams; a wide screen shows both already.
SCROLL_ON_PHONE = f"""
() => {{
  const target = document.getElementById("ELEM_ID");
  if (target && window.innerWidth <= {PHONE_MAX_WIDTH}) target.scrollIntoView({{ behavior: "smooth", block: "start" }});
}}
"""


class Busy:
    """The busy state of one tab's runs, per browser session.

    `buttons` are the tab's run buttons, each with its idle label; the first is the one that says `working` while a run
    goes. `hint` (a Markdown, optional) is where a trigger that came while busy is answered. `scroll_to`: the elem_id
    of the output a run on a phone scrolls into view.
    """

    def __init__(
        self, buttons: Sequence[tuple[gr.Button, I18nData]], working: I18nData, hint: Any = None, scroll_to: str = ""
    ) -> None:
        self._buttons = list(buttons)
        self._scroll_to = scroll_to
        self._working = working
        self._hint = hint
        self._lock = threading.Lock()
        self._since: dict[str, float] = {}  # session -> when its run was submitted

    @property
    def _outputs(self) -> list:
        return [b for b, _ in self._buttons] + ([self._hint] if self._hint is not None else [])

    def wire(self, triggers: Sequence[Any], register: Callable[[], Any]) -> Any:
        """Lock the buttons on `triggers`, then `register()` the run on them; they are unlocked when it has ended.

        Returns the run's event."""
        gr.on(list(triggers), self.start, None, self._outputs, **QUIET)
        if self._scroll_to:  # in the browser only: on a phone the outputs are a screen or two below the button
            gr.on(list(triggers), None, None, None, js=SCROLL_ON_PHONE.replace("ELEM_ID", self._scroll_to), **QUIET)
        run_event = register()
        run_event.then(self.finish, None, self._outputs, **QUIET)
        return run_event

    def is_busy(self, session: str) -> bool:
        with self._lock:
            return self._running(session, time.monotonic())

    def _running(self, session: str, now: float) -> bool:  # under self._lock
        since = self._since.get(session)
        return since is not None and now - since < STALE_S

    def start(self, request: gr.Request = None):
        """A run is submitted: lock the buttons; when one is already going, say so and leave everything as it is."""
        session = session_of(request)
        now = time.monotonic()
        with self._lock:
            if self._running(session, now):
                return self._answer(None, busy_hint(user_lang(request)))
            self._since.pop(session, None)
            self._since[session] = now  # dicts keep insertion order: the first is the oldest
            while len(self._since) > MAX_SESSIONS:
                self._since.pop(next(iter(self._since)))
        return self._answer(True, "")

    def finish(self, request: gr.Request = None):
        """The run ended (finished, stopped or failed): the buttons come back."""
        with self._lock:
            self._since.pop(session_of(request), None)
        return self._answer(False, "")

    def _answer(self, locked: bool | None, hint: str):
        if locked is None:
            updates = [gr.skip() for _ in self._buttons]
        else:
            updates = [
                gr.update(value=self._working if locked and i == 0 else idle, interactive=not locked)
                for i, (_, idle) in enumerate(self._buttons)
            ]
        answer = updates + ([hint] if self._hint is not None else [])
        return answer[0] if len(answer) == 1 else answer  # one output takes its value as it is, not in a list


def busy_hint(lang: str) -> str:
    return tr(
        lang,
        "⏳ Still working on your last request: wait for it to finish, or press Stop, then start again.",
        "⏳ 上一个请求还在进行中：请等它完成，或者先按“停止”，再重新开始。",
    )
