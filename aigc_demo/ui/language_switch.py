"""The header's EN/中文 switch: one click changes the page's labels and everything the server writes from then on.

Static labels are gradio's own i18n (ui/i18n.py): the switch sets gradio's locale with the `changeLocale` its front
end exports (the same call as its footer Settings panel), so no page reload. Server text (errors, stats, notices,
labels) follows a cookie the switch sets, which every queued request carries: `common.user_lang` reads it before
the browser's Accept-Language. API clients send no cookie and keep Accept-Language. The choice survives a reload.
"""

from __future__ import annotations

import gradio as gr

from aigc_demo.tasks.common.language import LANGUAGE_COOKIE

# Finds gradio's already-loaded core module by its asset name (the hash changes per release, the name does not);
# importing a loaded module again returns the same instance, so its locale store is the page's.
_APPLY = f"""
async (lang) => {{
  if (lang !== "en" && lang !== "zh") return lang;
  document.cookie = "{LANGUAGE_COOKIE}=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = lang === "zh" ? "AIGC 生成式 AI 演示" : "AIGC Demo";
  const core = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => /\\/assets\\/core-[^/]*\\.js$/.test(name));
  if (core) {{
    try {{ (await import(core)).changeLocale(lang === "zh" ? "zh-CN" : "en"); }} catch (e) {{ console.warn(e); }}
  }}
  return lang;
}}
"""

# On load: the visitor's earlier choice (the cookie), else the browser's language, shown on the switch and applied.
_INITIAL = f"""
async () => {{
  const saved = document.cookie.split("; ").find((c) => c.startsWith("{LANGUAGE_COOKIE}="));
  const lang = saved ? saved.split("=")[1] : ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
  if (saved) await ({_APPLY})(lang);
  return lang;
}}
"""


def create_switch() -> gr.Radio:
    """The switch, where it is built (the header); wired to the page once it is in a Blocks."""
    switch = gr.Radio(
        choices=[("EN", "en"), ("中文", "zh")],
        value="en",
        show_label=False,
        container=False,
        elem_id="lang-switch",
        elem_classes=["lang-switch"],
    )
    switch.input(None, switch, switch, js=_APPLY, queue=False, api_visibility="private")
    return switch


def wire(demo: gr.Blocks, switch: gr.Radio, tabs: list[tuple[gr.Tab, str, str]]) -> None:
    """On load, the visitor's language on the switch; on load and on each switch, the tab titles in it.

    gradio's tab bar translates a title when its tab mounts, so the titles of tabs not yet opened would keep the old
    language after a locale change: they are set as plain text in the chosen language instead. `tabs`: (tab, English
    title, Chinese title).
    """

    def titles(lang: str) -> list:
        return [gr.Tab(label=zh if lang == "zh" else en) for _, en, zh in tabs]

    outputs = [tab for tab, _, _ in tabs]
    quick = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    demo.load(None, None, switch, js=_INITIAL, **quick).then(titles, switch, outputs, **quick)
    switch.input(titles, switch, outputs, **quick)
