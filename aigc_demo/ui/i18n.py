"""Static UI text in English and Chinese, written where it is used: `label=t("text.prompt", "Prompt", "提示词")`.

Gradio translates these in the browser from its language (or the Settings menu). Dynamic text (errors, stats)
follows the request's Accept-Language instead: see common.user_lang.
"""

from __future__ import annotations

import gradio as gr
from gradio.i18n import I18nData

EN: dict[str, str] = {}
ZH: dict[str, str] = {}


def t(key: str, en: str, zh: str) -> I18nData:
    """Register `key` with its English and Chinese text and return the value a component label takes."""
    if EN.get(key, en) != en or ZH.get(key, zh) != zh:
        raise ValueError(f"i18n key {key!r} registered twice with different text")
    EN[key] = en
    ZH[key] = zh
    return I18nData(key)


def build_i18n() -> gr.I18n:
    """Every string registered so far; call after the tabs are built."""
    return gr.I18n(en=dict(EN), **{"zh-CN": dict(ZH), "zh-TW": dict(ZH), "zh": dict(ZH)})
