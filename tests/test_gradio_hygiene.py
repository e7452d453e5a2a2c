"""Gradio hygiene: the Models tab polls only while open; the API page shows real types; MCP is opt-in."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo():
    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo

    return build_demo(ModelManager(mode="tiny", device="cpu"))


def _tab_ids(demo) -> dict[str, int]:
    return {c["props"]["id"]: c["id"] for c in demo.config["components"] if c["type"] == "tabitem"}


def test_models_timer_ticks_only_while_models_tab_is_open(demo):
    (timer,) = [c for c in demo.config["components"] if c["type"] == "timer"]
    assert timer["props"]["active"] is False  # a page opened on another tab never polls
    tabs = _tab_ids(demo)
    assert set(tabs) == {"text", "poetry", "news", "image", "models"}
    switches = {}
    for dep, block_fn in zip(demo.config["dependencies"], demo.fns.values(), strict=True):
        if dep["outputs"] == [timer["id"]]:
            (target,) = dep["targets"]
            assert target[1] == "select"
            switches[target[0]] = block_fn.fn().active
    assert switches == {tabs[k]: k == "models" for k in tabs}


def test_api_page_shows_real_types_and_enums(demo):
    endpoints = demo.get_api_info()["named_endpoints"]
    method = {p["parameter_name"]: p for p in endpoints["/summarize"]["parameters"]}["method"]
    assert method["type"] == {"enum": ["extractive", "abstractive"]}
    scheduler = {p["parameter_name"]: p for p in endpoints["/generate_image"]["parameters"]}["scheduler"]
    assert scheduler["type"]["enum"][0] == "" and "EulerAncestralDiscreteScheduler" in scheduler["type"]["enum"]
    poem = {p["parameter_name"]: p for p in endpoints["/write_poem"]["parameters"]}
    assert "wuyan-jueju" in poem["form"]["type"]["enum"] and poem["rhyme_book"]["type"]["enum"] == ["pingshui", "xinyun"]
    for name in ("/summarize", "/generate_text", "/write_poem"):
        text, info = endpoints[name]["returns"]  # the text and its label/info object (see README's API section)
        assert text["python_type"]["type"] == "str", name
        assert info["python_type"]["type"] != "Any", (name, info)
        types = [p["python_type"]["type"] for p in endpoints[name]["parameters"]]
        assert "Any" not in types and "str" in types and "int" in types, (name, types)
    images, info = endpoints["/generate_image"]["returns"]  # the PNG files and their info object (CLIP scores)
    assert images["component"] == "Gallery" and info["component"] == "Json", (images, info)
    assert endpoints["/model_status"]["returns"][0]["type"]["type"] == "object"


def test_mcp_off_by_default_and_one_line_when_the_extra_is_absent(monkeypatch, caplog):
    import importlib.util

    from aigc_demo import ui

    assert ui.launch_kwargs()["mcp_server"] is False
    if importlib.util.find_spec("mcp") is not None:
        pytest.skip("gradio[mcp] is installed here; this test covers the path without it")
    monkeypatch.setattr(ui.settings, "MCP", True)
    with caplog.at_level("WARNING", logger="aigc_demo"):
        assert ui.launch_kwargs()["mcp_server"] is False
    (record,) = [r for r in caplog.records if "MCP" in r.getMessage()]
    assert "pip install 'gradio[mcp]'" in record.getMessage() and record.exc_info is None
