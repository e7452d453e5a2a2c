"""The Models tab's table: every catalogue model, its size, licence, whether its files are here, and whether it is
loaded, with headers and cells in the visitor's language. No torch, no network."""

from __future__ import annotations

from aigc_demo import loaders
from aigc_demo.catalog import CATALOG, ModelSpec
from aigc_demo.ui.common import LICENCES, tr

# (English, Chinese) per column, in order.
HEADERS = (
    ("Model", "模型"),
    ("Used in", "用于"),
    ("Size", "规模"),
    ("Licence", "许可证"),
    ("Files here", "本地文件"),
    ("Loaded now", "当前加载"),
)

TASK_NAMES = {
    "text-generation": ("Text", "文本生成"),
    "poetry": ("Poetry", "诗词"),
    "summarization": ("News summary", "新闻摘要"),
    "text-to-image": ("Image", "文生图"),
    "image-scoring": ("image scoring", "图片评分"),
    "image-safety": ("image safety check", "图片安全检查"),
}

FILES = {
    "served": ("🌐 on a serving engine", "🌐 在服务引擎上"),
    "packaged": ("📦 installed (PyPI package)", "📦 已安装（PyPI 软件包）"),
    "cached": ("✅ downloaded", "✅ 已下载"),
    "twin": ("🧪 offline stand-in only (random weights)", "🧪 仅有离线替身（随机权重）"),
    "none": ("⬇️ not here yet: fetched on first use", "⬇️ 尚未在本机：首次使用时获取"),
}

MODES = {  # AIGC_MODELS, said plainly
    "tiny": ("offline stand-ins (AIGC_MODELS=tiny)", "离线替身（AIGC_MODELS=tiny）"),
    "hub": ("real models from the Hub", "来自 Hub 的真实模型"),
    "auto": ("real models where they can be had, else stand-ins", "能获取时用真实模型，否则用替身"),
}


def headers(lang: str) -> list[str]:
    return [tr(lang, en, zh) for en, zh in HEADERS]


def size_text(lang: str, spec: ModelSpec) -> str:
    """Parameters and the approximate download: fp16 weights where the catalogue asks for that variant, else fp32."""
    if spec.is_served:
        return "—"
    params = f"{spec.params_m / 1000:.1f}B" if spec.params_m >= 1000 else f"{spec.params_m:.0f}M"
    gb = spec.params_m * 1e6 * (2 if spec.defaults.get("variant") == "fp16" else 4) / 1e9
    return tr(lang, f"{params} params · ≈{gb:.1f} GB", f"{params} 参数 · 约 {gb:.1f} GB")


def loaded_text(lang: str, m: dict | None) -> str:
    if m is None:
        return "—"
    twin = tr(lang, " · stand-in", " · 替身") if m["twin"] else ""
    busy = tr(lang, " · in use", " · 使用中") if m["in_use"] else ""
    since = m["loaded_at"][-8:]  # the time of day; the date is nearly always today
    return tr(
        lang,
        f"✅ {m['device']} · {m['dtype']} · {m['memory']} · since {since}{twin}{busy}",
        f"✅ {m['device']} · {m['dtype']} · {m['memory']} · {since} 起{twin}{busy}",
    )


def rows(lang: str, status: dict | None, mode: str) -> list[list[str]]:
    """One row per catalogue model; `status` is the manager's (None: nothing known loaded yet)."""
    live = {m["key"]: m for m in (status or {}).get("loaded", [])}
    out = []
    for spec in CATALOG.values():
        tasks = tr(lang, ", ", "、").join(tr(lang, *TASK_NAMES.get(task, (task, task))) for task in spec.tasks)
        gpu = tr(lang, " · needs a GPU", " · 需要 GPU") if spec.gpu_only else ""
        licence = tr(lang, *LICENCES.get(spec.license, (spec.license, spec.license)))
        files = tr(lang, *FILES[loaders.files_state(spec, mode)])
        out.append(
            [spec.key, tasks, size_text(lang, spec) + gpu, licence, files, loaded_text(lang, live.get(spec.key))]
        )
    return out


def table_value(lang: str, status: dict | None, mode: str) -> dict:
    """The Dataframe's value with its headers in `lang`."""
    return {"headers": headers(lang), "data": rows(lang, status, mode)}


def mode_text(lang: str, mode: str) -> str:
    return tr(lang, *MODES.get(mode, (mode, mode)))
