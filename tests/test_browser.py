"""The app in a real browser (Playwright driving Debian's chromium): every tab clicked, used and screenshotted.

Screenshots land in artifacts/screenshots/; with AIGC_UPDATE_SCREENSHOTS=1 they also refresh the README's images in
assets/screenshots/. In CI a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
README_SHOTS = ROOT / "assets" / "screenshots"

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.getenv("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium for the browser tests.")
    pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)", allow_module_level=True)


@pytest.fixture(scope="module")
def page(app_client):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        page.goto(app_client.url)
        page.get_by_role("tab", name="Text").first.wait_for(timeout=30_000)
        yield page
        browser.close()


def shot(page, name: str) -> None:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.getenv("AIGC_UPDATE_SCREENSHOTS"):
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, README_SHOTS / path.name)


def test_text_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Text").first.click()
    page.locator("#text-prompt textarea").fill("Write a short news paragraph about a new library.")
    page.locator("#text-run").click()
    expect(page.locator("#text-output-0 textarea")).not_to_have_value("", timeout=30_000)
    expect(page.locator("#text-stats")).to_contain_text("tokens/s", timeout=30_000)
    expect(page.locator("#text-stats")).to_contain_text("AI-generated")
    expect(page.locator("#text-notice")).to_contain_text("Offline stand-in")
    shot(page, "text")


def test_poetry_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Poetry").first.click()
    page.locator("#poem-prompt textarea").fill("明月")
    page.locator("#poem-acrostic textarea").fill("春夏秋冬")
    page.locator("#poem-n input[type='number']").fill("2")
    page.locator("#poem-n input[type='number']").press("Tab")
    page.locator("#poem-run").click()
    poem = page.locator("#poem-output textarea")
    expect(poem).to_have_value(re.compile(r"^春.{4}，夏.{4}。\n秋.{4}，冬.{4}。$"), timeout=30_000)
    checker = page.locator("#poem-check-0")
    expect(checker).to_contain_text("follows the form", timeout=30_000)
    expect(checker).to_contain_text("Line 4")
    expect(checker).to_contain_text("rhyme ✓")
    expect(page.locator("#poem-check-1")).to_contain_text("follows the form")  # the second poem, side by side
    expect(page.locator("#poem-stats")).to_contain_text("AI-generated")
    expect(page.locator("#poem-notice")).to_contain_text("Offline stand-in")
    first = poem.input_value()
    page.locator("#poem-from-line input").fill("3")
    page.locator("#poem-from-line input").press("Tab")
    page.locator("#poem-regenerate").click()
    expect(poem).not_to_have_value(first, timeout=30_000)
    expect(poem).to_have_value(re.compile("^" + re.escape(first.splitlines()[0]) + "\n秋"))
    expect(checker).to_contain_text("follows the form", timeout=30_000)
    shot(page, "poetry")


def test_news_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="News summary").first.click()
    page.locator("#news-article textarea").fill(
        "The city council approved a new budget on Monday. It adds money for parks and libraries. "
        "Officials said the plan would also repair three bridges. The budget takes effect next month."
    )
    page.locator("#news-run").click()
    expect(page.locator("#news-output textarea")).not_to_have_value("", timeout=30_000)
    expect(page.locator("#news-stats")).to_contain_text("Compression", timeout=30_000)
    expect(page.locator("#news-support")).to_contain_text("copied from article sentence 1")
    expect(page.locator("#news-highlight")).to_contain_text("The city council approved a new budget on Monday.")
    shot(page, "news")


def test_news_tab_abstractive_with_a_reference(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="News summary").first.click()
    page.get_by_text("EN: Harbourton approves").first.click()  # an example fills the article and the reference
    expect(page.locator("#news-article textarea")).to_have_value(re.compile("^Councillors in Harbourton"))
    page.get_by_text("Abstractive (an AI model rewrites)").click()
    expect(page.locator("#news-method-help")).to_contain_text("can get facts wrong")
    for slider, value in (("#news-min-tokens", "0"), ("#news-max-tokens", "8")):
        page.locator(f"{slider} input[type='number']").fill(value)
        page.locator(f"{slider} input[type='number']").press("Tab")
    page.locator("#news-run").click()
    expect(page.locator("#news-stats")).to_contain_text("may contain mistakes", timeout=60_000)
    expect(page.locator("#news-notice")).to_contain_text("Offline stand-in")
    expect(page.locator("#news-rouge")).to_contain_text("Lead-3")
    shot(page, "news-abstractive")


def test_image_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Image").first.click()
    page.locator("#image-prompt textarea").fill("a lighthouse at dawn, watercolor")
    page.locator("#image-run").click()
    expect(page.locator("#image-output img").first).to_be_visible(timeout=60_000)
    shot(page, "image")


def test_models_tab(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Models").first.click()
    expect(page.locator("#models-summary")).to_contain_text("loaded", timeout=15_000)
    expect(page.locator("#models-table")).to_contain_text("gpt2", timeout=15_000)
    shot(page, "models")


def test_empty_prompt_shows_a_clear_error_and_the_app_stays_up(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Text").first.click()
    page.locator("#text-prompt textarea").fill("")
    page.locator("#text-run").click()
    expect(page.get_by_text("Please enter a prompt").first).to_be_visible(timeout=15_000)
    page.locator("#text-prompt textarea").fill("Hello again")
    page.locator("#text-run").click()
    expect(page.locator("#text-stats")).to_contain_text("tokens/s", timeout=30_000)
