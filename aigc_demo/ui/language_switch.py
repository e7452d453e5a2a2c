"""The header's EN/中文 switch: one click changes the page's labels and everything the server writes from then on.

Static labels are gradio's own i18n (ui/i18n.py): the switch sets gradio's locale with the `changeLocale` its front
end exports (the same call as its footer Settings panel), so no page reload. Server text (errors, stats, notices,
labels) follows a cookie the switch sets, which every queued request carries: `common.user_lang` reads it before
the browser's Accept-Language. API clients send no cookie and keep Accept-Language. The choice survives a reload.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from aigc_demo.tasks.common.language import LANGUAGE_COOKIE

# Finds gradio's already-loaded core module by its asset name (the hash changes per release, the name does not);
# importing a loaded module again returns the same instance, so its locale store is the page's. gradio's tab bar
# translates a title when its tab mounts, so the titles of tabs not opened yet would keep the old language: they are
# rewritten here from TITLES, [English, Chinese] pairs (updating the gr.Tab components from the server instead would
# re-render the tabs and lose what a visitor had typed).
_APPLY = """
async (lang) => {
  if (lang !== "en" && lang !== "zh") return lang;
  document.cookie = "COOKIE=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = lang === "zh" ? "AIGC 生成式 AI 演示" : "AIGC Demo";
  const core = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => /\\/assets\\/core-[^/]*\\.js$/.test(name));
  if (core) {
    try { (await import(core)).changeLocale(lang === "zh" ? "zh-CN" : "en"); } catch (e) { console.warn(e); }
  }
  const titles = TITLES;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const pair = titles.find((p) => p.includes(tab.textContent.trim()));
    if (pair) tab.textContent = pair[lang === "zh" ? 1 : 0];
  }
  return lang;
}
"""

# On load: the visitor's earlier choice (the cookie), else the browser's language, shown on the switch and applied.
_INITIAL = """
async () => {
  const saved = document.cookie.split("; ").find((c) => c.startsWith("COOKIE="));
  const lang = saved ? saved.split("=")[1] : ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
  if (saved) await (APPLY)(lang);
  else {  // gradio already shows the browser's language; the page's title and lang attribute follow it too
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = lang === "zh" ? "AIGC 生成式 AI 演示" : "AIGC Demo";
  }
  return lang;
}
"""


def create_switch() -> gr.Radio:
    """The switch, where it is built (the header); `wire` gives it its work once the tabs exist."""
    return gr.Radio(
        choices=[("EN", "en"), ("中文", "zh")],
        value="en",
        show_label=False,
        container=False,
        elem_id="lang-switch",
        elem_classes=["lang-switch"],
    )


def wire(demo: gr.Blocks, switch: gr.Radio, titles: list[tuple[str, str]]) -> Any:
    """On load, the visitor's language on the switch (applied if it was their choice); on each switch, applied.
    `titles`: every tab's (English, Chinese) title. All in the browser: nothing is re-rendered, nothing typed lost.
    Returns the switch's event: server text already on the page can be written again after it (`.then`)."""
    apply = _APPLY.replace("COOKIE", LANGUAGE_COOKIE).replace("TITLES", json.dumps([list(t) for t in titles]))
    initial = _INITIAL.replace("COOKIE", LANGUAGE_COOKIE).replace("APPLY", apply)
    quick = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    switched = switch.input(None, switch, switch, js=apply, **quick)
    demo.load(None, None, switch, js=initial, **quick)
    return switched
