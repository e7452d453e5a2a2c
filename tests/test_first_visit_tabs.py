"""Issue #19 for the Image and Models tabs: examples, the expected time on a CPU, the info line, a gallery restore that
says what it did and can be undone, GPU-only models not offered on a CPU, a Models tab that lists the catalogue."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aigc_demo import catalog
from aigc_demo.ui import common

GPU_ONLY = {s.key for s in catalog.CATALOG.values() if s.gpu_only}


@pytest.fixture(scope="module")
def demo(manager):
    from aigc_demo.ui import build_demo

    yield build_demo(manager)
    common.offer_models_for("")  # later tests build tabs alone: every model offered again


def _component(demo, elem_id: str) -> dict:
    (found,) = [c for c in demo.config["components"] if c["props"].get("elem_id") == elem_id]
    return found


def _fn(demo, name: str, output_elem_id: str):
    """The handler called `name` whose outputs include the component `output_elem_id`."""
    target = _component(demo, output_elem_id)["id"]
    for dep, block_fn in zip(demo.config["dependencies"], demo.fns.values(), strict=True):
        if block_fn.fn is not None and block_fn.fn.__name__ == name and target in dep["outputs"]:
            return block_fn.fn
    raise AssertionError(f"no handler {name} writes #{output_elem_id}")


def _choice_keys(component: dict) -> set[str]:
    return {value for _, value in component["props"]["choices"]}


def test_gpu_only_models_are_not_offered_on_a_cpu(demo):
    assert GPU_ONLY and "sdxl-turbo" in GPU_ONLY
    for elem_id in ("image-model", "text-model", "poem-model", "news-model"):
        keys = _choice_keys(_component(demo, elem_id))
        assert keys and not keys & GPU_ONLY, elem_id
    assert "sdxl-turbo" not in str(_component(demo, "image-model")["props"]["info"])  # nor in its licence line


def test_gpu_only_models_are_offered_on_a_gpu():
    import gradio as gr

    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import text_to_image_tab

    assert ModelManager(mode="tiny", device="cuda").planned_device() == "cuda"  # known without importing torch
    common.offer_models_for("cuda")
    try:
        with gr.Blocks() as blocks:
            text_to_image_tab.create_tab(lambda req: iter(()))
        assert "sdxl-turbo" in _choice_keys(_component(blocks, "image-model"))
    finally:
        common.offer_models_for("")


def test_the_image_tab_has_english_and_chinese_examples(demo):
    from aigc_demo.tasks.image.prompt_translation import looks_non_english
    from aigc_demo.ui.image_guide import EXAMPLE_LABELS, EXAMPLES

    (dataset,) = [c for c in demo.config["components"] if c["type"] == "dataset" and c["props"]["samples"] == EXAMPLES]
    assert dataset["props"]["sample_labels"] == EXAMPLE_LABELS
    kinds = {looks_non_english(prompt) for (prompt,) in EXAMPLES}
    assert kinds == {True, False}  # the Chinese ones go through "Translate to English"


def test_the_expected_time_on_a_cpu_is_an_estimate_from_timed_runs(monkeypatch):
    from aigc_demo import settings
    from aigc_demo.ui import image_guide

    monkeypatch.setattr(image_guide, "_rates", {})
    common.offer_models_for("cpu")
    try:
        monkeypatch.setattr(settings, "MODELS", "tiny")
        assert image_guide.expected_line("en", "sd-turbo", 512, 512, 1, 1) == ""  # a stand-in, not timed yet
        monkeypatch.setattr(settings, "MODELS", "auto")
        line = image_guide.expected_line("en", "sd-turbo", 512, 512, 1, 1)
        assert "up to about 5 s" in line and "estimate" in line  # 0.26 megapixel-steps at the conservative rate
        image_guide.record("sd-turbo", 512, 512, 2, 1, 4.0)  # timed here: 4 s for 0.52 megapixel-steps
        assert image_guide.expected_seconds("sd-turbo", 512, 512, 4, 2) == pytest.approx(
            (16.0, True)
        )  # four times the work
        zh = image_guide.expected_line("zh", "sd-turbo", 1024, 1024, 4, 4)
        assert "约 2 分钟" in zh and "估算" in zh
        common.offer_models_for("cuda")
        assert image_guide.expected_line("en", "sd-turbo", 512, 512, 1, 1) == ""  # said on a CPU only
    finally:
        common.offer_models_for("")


def test_a_finished_run_shows_its_generation_info_and_teaches_the_estimate(manager, monkeypatch):
    from aigc_demo.tasks.image.text_to_image import ImageRequest, generate_images
    from aigc_demo.ui import image_guide

    req = ImageRequest("a small house", width=64, height=64, num_inference_steps=2, seed=5, scheduler="")
    final = list(generate_images(manager, req))[-1]
    assert final.done and final.scheduler == "EulerDiscreteScheduler"
    line = image_guide.info_line("en", "sd-turbo", final.seed, 64, 64, 2, final.scheduler, final.seconds)
    assert line.startswith("ℹ️ Model sd-turbo · seed 5 · 2 steps · 64×64 · scheduler Euler · took ")
    zh = image_guide.info_line("zh", "sd-turbo", 5, 64, 64, 1, "EulerAncestralDiscreteScheduler", 1.25)
    assert zh == "ℹ️ 模型 sd-turbo · 种子 5 · 1 步 · 64×64 · 采样器 Euler a · 用时 1.2 秒"


def test_a_gallery_click_says_what_it_restored_and_undo_puts_the_typed_settings_back(demo, manager):
    import gradio as gr

    from aigc_demo.tasks.image.text_to_image import ImageRequest, generate_images
    from aigc_demo.ui.image_controls import CONTROLS

    req = ImageRequest("a blue boat", width=96, height=64, num_inference_steps=3, seed=30, scheduler="")
    image = list(generate_images(manager, req))[-1].images[0]
    path = gr.Gallery(format="png", type="filepath").postprocess([(image, None)]).root[0].image.path
    typed = {
        "prompt": "my own words, not yet drawn",
        "english_prompt": "",
        "negative_prompt": "blur",
        "model": "sd-turbo",
        "num_inference_steps": 1,
        "guidance_scale": 0.0,
        "width": 512,
        "height": 512,
        "aspect": "1:1",
        "seed": 99,
        "randomize": True,
        "scheduler": "",
    }
    restore = _fn(demo, "restore", "image-restored-note")
    out = restore([(path, "caption")], *typed.values(), evt=SimpleNamespace(index=0))
    n = len(CONTROLS)
    restored, before, note, row = dict(zip(CONTROLS, out[:n], strict=True)), out[n + 1], out[n + 2], out[n + 3]
    assert restored["prompt"] == "a blue boat" and restored["seed"] == 30 and restored["randomize"] is False
    assert before == typed  # what Undo puts back
    assert "Restored this image's settings" in note and "“a blue boat”" in note and "seed 30" in note
    assert "Undo" in note and row["visible"] is True
    undo = _fn(demo, "undo", "image-restored")
    back = undo(before)
    back_values = dict(zip(CONTROLS, back[:n], strict=True))
    assert back_values["prompt"] == typed["prompt"] and back_values["seed"] == 99 and back_values["randomize"] is True
    assert back_values["num_inference_steps"]["value"] == 1 and back_values["width"] == 512
    assert back[n + 1] is None and back[n + 2]["visible"] is False  # the bar goes, nothing left to undo


def test_the_models_tab_lists_the_catalogue_at_once(demo):
    value = _component(demo, "models-table")["props"]["value"]
    assert value["headers"][:4] == ["Model", "Used in", "Size", "Licence"]
    keys = [row[0] for row in value["data"]]
    assert keys == list(catalog.CATALOG)  # every model, before anyone opened the tab
    sdxl = value["data"][keys.index("sdxl-turbo")]
    assert "3.5B params" in sdxl[2] and "needs a GPU" in sdxl[2] and "NON-COMMERCIAL" in sdxl[3]


def test_opening_the_models_tab_fills_it_in_the_visitors_language(demo, manager):
    from aigc_demo.ui import models_table
    from aigc_demo.ui.models_tab import summary as models_summary

    manager.get("gpt2")
    fill = _fn(demo, "show", "models-table")
    summary, table, unload_choices = fill(None)
    assert "loaded" in summary and "models: offline stand-ins" in summary and "models: tiny" not in summary
    (gpt2,) = [row for row in table["data"] if row[0] == "gpt2"]
    assert gpt2[4].startswith("🧪") and gpt2[5].startswith("✅ cpu") and "stand-in" in gpt2[5]
    assert unload_choices["choices"] == [m["key"] for m in manager.status()["loaded"]]  # only what is loaded
    zh = models_table.table_value("zh", manager.status(), "tiny")
    assert zh["headers"] == ["模型", "用于", "规模", "许可证", "本地文件", "当前加载"]
    assert "离线替身" in zh["data"][0][4] and "模型：离线替身" in models_summary(manager.status(), "zh")


def test_files_state_in_tiny_mode_is_the_twin(tmp_path, monkeypatch):
    from aigc_demo import loaders, settings, twins

    spec = catalog.get_spec("gpt2")
    assert loaders.files_state(spec, "tiny") == "twin"  # the shared cache holds the built twins
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)  # an empty cache: nothing here yet
    assert loaders.files_state(spec, "tiny") == "none"
    twins.ensure_twin(spec)
    assert loaders.files_state(spec, "tiny") == "twin"


def test_the_scheduler_dropdown_says_default_in_the_visitors_language():
    from aigc_demo.catalog import get_spec
    from aigc_demo.ui.i18n import EN, ZH
    from aigc_demo.ui.image_controls import scheduler_options

    spec = get_spec("sd-turbo")
    zh, en = scheduler_options(spec, lang="zh")["choices"][0], scheduler_options(spec, lang="en")["choices"][0]
    assert zh[0].endswith("（默认）") and en[0].endswith(" (default)") and zh[1] == en[1] == ""
    layout = scheduler_options(spec)["choices"][0][0]  # the tab's own: translated in the browser
    assert ZH[layout.key] == zh[0] and EN[layout.key] == en[0]


def test_a_language_switch_rewrites_the_models_tab_without_asking_the_engines(demo, monkeypatch):
    """The switch may come from any tab; engines are polled only while the Models tab is open."""
    from aigc_demo.ui import models_tab

    asked = []
    monkeypatch.setattr(models_tab, "engine_health", lambda: asked.append(1) or [])
    zh = SimpleNamespace(headers={"accept-language": "zh-CN"}, cookies={}, session_hash="s")
    summary, table, _ = _fn(demo, "relabel", "models-table")(None, zh)
    assert table["headers"][0] == "模型" and "已加载" in summary
    assert asked == []
    _fn(demo, "show", "models-table")(None, zh)  # the open tab's own refresh does ask
    assert asked == [1]
