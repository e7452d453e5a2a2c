"""The Models tab: what is loaded, where, how big, since when; unload buttons; and /model_status."""

from collections.abc import Callable

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import CATALOG
from aigc_demo.errors import UserError
from aigc_demo.packaged import PACKAGES, installed
from aigc_demo.ui.common import tr, user_errors, user_lang
from aigc_demo.ui.i18n import t

COLUMNS = ["key", "repo_id", "source", "twin", "license", "device", "dtype", "memory", "loaded_at", "last_used", "in_use"]


def status_rows(status: dict) -> list[list]:
    return [[m[c] for c in COLUMNS] for m in status["loaded"]]


def summary(status: dict, lang: str = "en", health: list | None = None) -> str:
    """The tab's first lines: what is loaded against the budget, then each serving engine by name (never its
    address: that is the operator's business) with its health when `health` (EngineHealth per engine) is given."""
    n, used, budget = len(status["loaded"]), status["used"], status["budget"]
    where = f"`{status['device']}` · dtype `{status['dtype']}` · models: `{status['mode']}`"
    line = tr(
        lang,
        f"**{n}** loaded · {used} of {budget} budget · device {where}",
        f"已加载 **{n}** 个 · 已用 {used}，预算 {budget} · 设备 {where}",
    )
    by_key = {h.key: h for h in health or []}
    for s in CATALOG.values():
        if s.is_served:
            line += "  \n" + _engine_line(s, by_key.get(s.key), lang)
    for key in PACKAGES:
        spec = CATALOG.get(key)
        if spec is not None and installed(spec):
            line += tr(
                lang,
                f"  \n📦 `{key}` is a real model installed from PyPI packages (licence: {spec.license}); "
                "it answers in the text and poetry tabs when the Hub cannot be reached",
                f"  \n📦 `{key}` 是从 PyPI 软件包安装的真实模型（许可：{spec.license}）；"
                "无法连接 Hub 时由它在文本和诗歌标签页作答",
            )
    return line


def _engine_line(spec, health, lang: str) -> str:
    name = f"🌐 `{spec.key}` (`{spec.repo_id}`)"
    if health is None:
        return tr(lang, f"{name} runs on a serving engine", f"{name} 运行在服务引擎上")
    if not health.reachable:
        return tr(
            lang,
            f"{name}: the serving engine is not reachable ({health.problem}); its requests will fail until it is back",
            f"{name}：无法连接服务引擎（{health.problem}），恢复前该模型的请求都会失败",
        )
    ms = f"{health.latency_ms:.0f} ms"
    ids = ", ".join(f"`{i}`" for i in health.model_ids) or tr(lang, "none", "无")
    if health.problem:
        return tr(
            lang,
            f"{name}: reachable ({ms}) but it {health.problem}; it serves {ids}",
            f"{name}：可连接（{ms}），但未提供 `{spec.repo_id}`；它提供 {ids}",
        )
    return tr(lang, f"{name}: ✅ reachable · {ms} · serves {ids}", f"{name}：✅ 可连接 · {ms} · 提供 {ids}")


def engine_health() -> list:
    """One cheap call to each serving engine (GET /models); only the open Models tab asks (see follow_tabs)."""
    from aigc_demo.tasks.common.engine import check_health  # httpx only: no torch

    return [check_health(s) for s in CATALOG.values() if s.is_served]


def create_tab(
    get_status: Callable[[], dict], unload: Callable[[str], bool], unload_all: Callable[[], list]
) -> gr.Timer:
    """The tab's components and events; returns its refresh timer, off until the tab is opened (see follow_tabs)."""
    overview = gr.Markdown("", elem_id="models-summary")
    table = gr.Dataframe(headers=COLUMNS, value=[], interactive=False, elem_id="models-table")
    with gr.Row():
        loadable = [k for k, s in CATALOG.items() if not s.is_served]
        key = gr.Dropdown(loadable, label=t("models.key", "Model", "模型"), value=None)
        unload_button = gr.Button(t("models.unload", "Unload", "卸载"), visible=settings.ALLOW_UNLOAD)
        unload_all_button = gr.Button(
            t("models.unload_all", "Unload all", "全部卸载"), variant="stop", visible=settings.ALLOW_UNLOAD
        )
        refresh = gr.Button(t("models.refresh", "Refresh", "刷新"))

    def show(request: gr.Request = None):
        s = get_status()
        return summary(s, user_lang(request), engine_health()), status_rows(s)

    def do_unload(k, request: gr.Request = None):
        with user_errors(request):
            _check_unload_allowed()
            if k:
                unload(k)
            return show(request)

    def do_unload_all(request: gr.Request = None):
        with user_errors(request):
            _check_unload_allowed()
            unload_all()
            return show(request)

    refresh.click(show, None, [overview, table], queue=False, api_visibility="private")
    unload_button.click(do_unload, key, [overview, table], api_visibility="private")
    unload_all_button.click(do_unload_all, None, [overview, table], api_visibility="private")
    timer = gr.Timer(5, active=False)
    timer.tick(show, None, [overview, table], queue=False, api_visibility="private", show_progress="hidden")
    return timer


def follow_tabs(timer: gr.Timer, models: gr.Tab, others: list[gr.Tab]) -> None:
    """The timer ticks only while the Models tab is open: an open page elsewhere would poll every 5 s forever."""
    models.select(lambda: gr.Timer(active=True), None, timer, queue=False, api_visibility="private")
    for tab in others:
        tab.select(lambda: gr.Timer(active=False), None, timer, queue=False, api_visibility="private")


def _check_unload_allowed() -> None:
    """Unloading frees memory for everyone's next request: an operator's action, not an anonymous visitor's."""
    if not settings.ALLOW_UNLOAD:
        raise UserError(
            "Unloading models is for the operator of this app (set AIGC_ALLOW_UNLOAD=1 to allow it).",
            "卸载模型仅限本应用的运维人员（设置 AIGC_ALLOW_UNLOAD=1 后可用）。",
        )


def create_api(get_status: Callable[[], dict]) -> None:
    def model_status() -> dict:
        """Which models are loaded, on which device and dtype, how much memory each holds, and the budget."""
        return get_status()

    gr.api(model_status, api_name="model_status", queue=False)
