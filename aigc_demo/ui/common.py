"""Pieces every tab shares: the error boundary, the user's language, labels for AI output and for twins."""

from __future__ import annotations

import contextlib
import functools
import html
import inspect
import logging
import zlib
from collections.abc import Callable, Iterator

import gradio as gr

from aigc_demo.errors import UserError, echo
from aigc_demo.tasks.common.labels import AI_LABEL
from aigc_demo.tasks.common.language import request_language
from aigc_demo.ui.i18n import t

log = logging.getLogger(__name__)

MODEL_CONCURRENCY_ID = "model"  # every model-backed event shares one queue


def user_lang(request: gr.Request | None) -> str:
    """'zh' or 'en': the header's language switch (a cookie) if the visitor used it, else what the browser (or API
    client) prefers."""
    if request is None:
        return "en"
    return request_language(getattr(request, "headers", None), getattr(request, "cookies", None))


def tr(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


@contextlib.contextmanager
def user_errors(request: gr.Request | None, *, calm: bool = False) -> Iterator[str]:
    """The one boundary where UserError becomes gr.Error in the user's language; bugs are logged and named.

    calm=True, for a tab's own generator handlers: a visitor's mistake is a warning toast and the run just ends, with
    the inputs and outputs as they were (a gr.Error would put red Error badges over every output). API endpoints keep
    the error, so that a client learns its call failed.
    """
    lang = user_lang(request)
    try:
        yield lang
    except UserError as exc:
        log.info("User error: %s", exc.message("en"))  # the visitor's mistake: one line, no traceback
        title = tr(lang, "Please check", "请检查")
        if calm:
            gr.Warning(safe_message(exc.message(lang)), title=title)
            return
        raise gr.Error(safe_message(exc.message(lang)), title=title, print_exception=False) from exc
    except gr.Error as exc:
        exc.message = safe_message(str(exc.message))
        raise
    except Exception as exc:
        log.exception("Unexpected error")
        detail = safe_message(f"{type(exc).__name__}: {echo(str(exc), quote=False)}")
        raise gr.Error(
            tr(
                lang,
                f"Something went wrong ({detail}). The app is still running; please try again.",
                f"出错了（{detail}）。应用仍在运行，请重试。",
            ),
            print_exception=False,  # logged above with its traceback at ERROR; gradio would print it again
        ) from exc


def handler(fn: Callable, *bound: object, **keywords: object) -> Callable:
    """`functools.partial(fn, *bound, **keywords)` as gradio can read it: a plain (generator) function with the partial's signature
    and `fn`'s annotations. gradio finds `request: gr.Request` by type hint, which it cannot read from a partial."""
    partial = functools.partial(fn, *bound, **keywords)
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def call(*args, **kwargs):
            yield from partial(*args, **kwargs)

    else:

        @functools.wraps(fn)
        def call(*args, **kwargs):
            return partial(*args, **kwargs)

    call.__signature__ = inspect.signature(partial)
    return call


def safe_message(text: str) -> str:
    """A message as the browser must get it: HTML escaped (toasts render HTML; visitor and remote text is in it),
    and no lone surrogates, which would break gradio's event stream and lose the answer."""
    return html.escape(text.encode("utf-8", "replace").decode("utf-8"), quote=False)


def warn(lang: str, warnings: list[tuple[str, str]]) -> None:
    for en, zh in warnings:
        gr.Warning(safe_message(tr(lang, en, zh)))


def twin_notice(lang: str, is_twin: bool, model: str = "", stand_in_for: str = "") -> str:
    """A plain sentence when the answer came from an untrained offline stand-in, or from another (real) model."""
    if stand_in_for and not is_twin:
        return tr(
            lang,
            f"ℹ️ The Hub cannot be reached: a small real model ({model}) answered instead of {stand_in_for}.",
            f"ℹ️ 无法连接 Hugging Face Hub：由一个小型真实模型（{model}）代替 {stand_in_for} 作答。",
        )
    if not is_twin:
        return ""
    return tr(
        lang,
        "⚠️ Offline stand-in: the real model could not be loaded here, so an untrained copy answered. Its output is "
        "random, not what the real model would say.",
        "⚠️ 离线替身：此处无法加载真实模型，由未经训练的替身模型作答，输出是随机的，并非真实模型的结果。",
    )


def ai_label(lang: str, model: str, extra: str = "") -> str:
    label = f"{tr(lang, AI_LABEL['en'], AI_LABEL['zh'])} · {model}"
    return f"{label} · {extra}" if extra else label


_device = ""  # where the models run (offer_models_for); "" until build_demo says: every model is offered


def offer_models_for(device: str) -> None:
    """Dropdowns built after this offer GPU-only models only when `device` is not the CPU (the API still takes them:
    the manager refuses them on a CPU with a sentence that says why)."""
    global _device
    _device = device


def runs_on_cpu() -> bool:
    return _device == "cpu"


def offered(specs) -> list:
    """The catalogue entries a dropdown offers here: no GPU-only model on a CPU."""
    return [s for s in specs if not (s.gpu_only and runs_on_cpu())]


def model_choices(specs) -> list[tuple[str, str]]:
    return [(_choice_label(s), s.key) for s in offered(specs)]


def _choice_label(s) -> str:
    if s.is_served:
        return f"{s.key} (served: {s.repo_id})"
    size = f"{s.params_m / 1000:.1f}B" if s.params_m >= 1000 else f"{s.params_m:.0f}M"
    return f"{s.key} ({size}{', GPU' if s.gpu_only else ''})"


# What each catalogue licence lets a visitor do with the model's output and the model, in a few words.
LICENCES = {
    "apache-2.0": ("Apache-2.0, commercial use allowed", "Apache-2.0，允许商用"),
    "mit": ("MIT, commercial use allowed", "MIT，允许商用"),
    "stabilityai-ai-community": (
        "Stability AI Community License, commercial use free below US$1M annual revenue",
        "Stability AI 社区许可，年收入低于 100 万美元可免费商用",
    ),
    "sai-nc-community (non-commercial)": (
        "Stability AI Non-Commercial Research Community License: NON-COMMERCIAL use only",
        "Stability AI 非商业研究社区许可：仅限非商业用途",
    ),
    "none declared on the model card": (
        "no licence declared on the model card: ask its authors before reusing it",
        "模型卡未声明许可证：再利用前请先询问作者",
    ),
    "": ("the serving engine operator's terms", "以推理服务方的条款为准"),
}


def licence_info(specs) -> object:
    """The line under a model dropdown: each model's licence, grouped, in the browser's language."""
    groups: dict[tuple[str, str], list[str]] = {}
    for spec in offered(specs):
        groups.setdefault(LICENCES.get(spec.license, (spec.license, spec.license)), []).append(spec.key)
    en = "Licences: " + "; ".join(f"{', '.join(keys)}: {text[0]}" for text, keys in groups.items())
    zh = "许可证：" + "；".join(f"{'、'.join(keys)}：{text[1]}" for text, keys in groups.items())
    return t(f"licence.{zlib.crc32(en.encode())}", en, zh)  # the catalogue can differ between builds
