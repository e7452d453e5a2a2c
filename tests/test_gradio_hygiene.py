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
