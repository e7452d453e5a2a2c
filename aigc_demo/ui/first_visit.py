"""What a first-time visitor is told before and while a run starts: offline or stand-in mode, a first model load.

`watch(manager)` (build_demo calls it) lets the tabs ask whether a model is loaded without holding the manager; a tab
puts `loading_line` in its status at once when its run starts, and `load_note` after the run that loaded the model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from aigc_demo import settings
from aigc_demo.tasks.common.validation import check_text
from aigc_demo.ui.common import tr

log = logging.getLogger(__name__)

_is_loaded: Callable[[str], bool] = lambda key: True  # noqa: E731 - replaced by watch()
_load_seconds: Callable[[str], float | None] = lambda key: None  # noqa: E731


def watch(manager) -> None:
    """Answer `is_loaded` and `load_seconds` from `manager` (the one ModelManager behind every tab)."""
    global _is_loaded, _load_seconds

    def seconds(key: str) -> float | None:
        return next((m["load_seconds"] for m in manager.status()["loaded"] if m["key"] == key), None)

    _is_loaded, _load_seconds = manager.is_loaded, seconds


def is_loaded(key: str) -> bool:
    try:
        return bool(_is_loaded(key))
    except Exception:  # noqa: BLE001 - a status line never breaks a run
        return True


def offline() -> bool:
    return os.getenv("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def check_prompt(text, max_chars: int = settings.MAX_PROMPT_CHARS) -> None:
    """The task's own empty/too-long check, made before the status says "Loading…" (a mistake ends the run)."""
    check_text("prompt", text, max_chars=max_chars)


def loading_line(lang: str, key: str, working_en: str, working_zh: str) -> str:
    """The status a run shows at once: its first model load (and download), else what it is doing."""
    if is_loaded(key):
        return f"⏳ {tr(lang, working_en, working_zh)}"
    if settings.MODELS == "tiny":
        return tr(
            lang,
            f"⏳ Loading **{key}** for the first time (an offline stand-in): a few seconds…",
            f"⏳ 首次加载 **{key}**（离线替身模型）：需要几秒钟……",
        )
    if offline():
        return tr(
            lang,
            f"⏳ Loading **{key}** for the first time: this can take a minute…",
            f"⏳ 首次加载 **{key}**：可能需要一分钟……",
        )
    return tr(
        lang,
        f"⏳ Loading **{key}** for the first time (downloading it first if this machine does not have it yet): "
        "this can take a few minutes…",
        f"⏳ 首次加载 **{key}**（如果本机还没有，会先下载）：可能需要几分钟……",
    )


def load_note(lang: str, key: str, was_loaded: bool) -> str:
    """' · model loaded in 12.3 s' after the run that loaded `key`; '' otherwise."""
    if was_loaded:
        return ""
    seconds = _load_seconds(key)
    if seconds is None:
        return ""
    return tr(lang, f" · model loaded in {seconds:.1f} s", f" · 模型加载用时 {seconds:.1f} 秒")


def mode_banner(lang: str) -> str:
    """The landing page's line about offline or stand-in mode ('' when the app runs on real models online)."""
    if settings.MODELS == "tiny":
        return tr(
            lang,
            "⚠️ **Demo mode:** this app runs on untrained offline stand-ins (AIGC_MODELS=tiny). Every tab works, but "
            "the answers are random: nothing here shows what the real models can do.",
            "⚠️ **演示模式：** 本应用运行的是未经训练的离线替身模型（AIGC_MODELS=tiny）。各功能都能用，但输出是随机的，"
            "不代表真实模型的效果。",
        )
    if offline():
        return tr(
            lang,
            "⚠️ **Offline:** only models already on this machine can be used; any other falls back to a random "
            "stand-in, and the answer says so.",
            "⚠️ **离线运行：** 只能使用本机已有的模型；其他模型会改用随机替身，回答中会注明。",
        )
    return ""


def log_mode() -> None:
    """The same news for whoever watches the terminal, before anyone clicks."""
    text = mode_banner("en").replace("**", "").removeprefix("⚠️ ")
    if text:
        log.warning(text)
