"""The header's EN/中文 switch in a real browser: one click changes the static labels (every tab title too) and what
the server writes (a warning, a run's stats); the choice survives a reload; an API client keeps Accept-Language."""

from __future__ import annotations

import pytest

from .test_browser import SHOTS, browser, prose  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser

LONG = 60_000  # ms: a loaded machine's first model load and first run
EN_TABS = ["✍️ Text", "📜 Poetry", "📰 News summary", "🎨 Image", "🧠 Models"]
ZH_TABS = ["✍️ 文本生成", "📜 诗词", "📰 新闻摘要", "🎨 文生图", "🧠 模型"]


def tab_titles(page) -> list[str]:
    return [title.strip() for title in page.get_by_role("tab").all_inner_texts()]


@pytest.mark.parametrize(
    ("locale", "before", "after", "click"), [("en-US", EN_TABS, ZH_TABS, "中文"), ("zh-CN", ZH_TABS, EN_TABS, "EN")]
)
def test_the_switch_changes_labels_and_server_text_and_is_remembered(
    browser,  # noqa: F811 - the fixture
    app_client,
    locale,
    before,
    after,
    click,
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    try:
        page.goto(app_client.url)
        page.locator("#text-run").wait_for(timeout=LONG)
        expect(page.get_by_role("tab")).to_have_text(before, timeout=LONG)
        # the page's title follows the browser's language before any switch
        expect(page).to_have_title("AIGC 生成式 AI 演示" if before is ZH_TABS else "AIGC Demo")
        page.locator("#text-prompt textarea").fill("what I typed")
        page.locator("#lang-switch").get_by_text(click, exact=True).click()
        expect(page.get_by_role("tab")).to_have_text(after)  # the titles of tabs not opened yet too
        expect(page.locator("#text-prompt textarea")).to_have_value("what I typed")  # nothing typed is lost
        page.get_by_role("tab").nth(1).click()  # opening another tab keeps every title in the chosen language
        expect(page.get_by_role("tab")).to_have_text(after)
        page.get_by_role("tab").nth(0).click()
        zh = after is ZH_TABS
        expect(page.locator("#text-run")).to_have_text("生成" if zh else "Generate")
        # what the server writes: a calm warning for an empty prompt, then a run's statistics
        page.locator("#text-prompt textarea").fill("")
        page.locator("#text-run").click()
        expected = "当前为空" if zh else "it is empty"
        expect(page.locator(".toast-body").filter(has_text=expected)).not_to_have_count(0, timeout=LONG)
        # gradio titles a toast with its kind in English; the page says it in the chosen language
        title = page.locator(".toast-body").filter(has_text=expected).first.locator(".toast-title")
        said = title.evaluate("e => getComputedStyle(e, '::after').content")
        assert ("提示" in said) if zh else (said in ("none", "normal") and "Warning" in title.inner_text()), said
        page.locator("#text-prompt textarea").fill("Hello")
        page.locator("#text-run").click()
        expect(prose(page, "text-stats")).to_contain_text("词元/秒" if zh else "tokens/s", timeout=LONG)
        assert page.title() == ("AIGC 生成式 AI 演示" if zh else "AIGC Demo")
        page.screenshot(path=str(SHOTS / f"language-switch-{locale}.png"))
        page.reload()  # remembered: a cookie, read by the page and by the server
        page.locator("#text-run").wait_for(timeout=LONG)
        expect(page.get_by_role("tab")).to_have_text(after, timeout=LONG)
        expect(page.locator("#lang-switch input:checked")).to_have_value("zh" if zh else "en")
        page.get_by_role("tab").nth(3).click()  # the image tab, mounted only now, in the chosen language
        expect(page.locator("#image-run")).to_have_text("生成图片" if zh else "Generate image", timeout=LONG)
        # on the Models tab, switching back rewrites the table the server wrote, at once (not at the next tick)
        page.get_by_role("tab").nth(4).click()
        table = page.locator("#models-table")
        expect(table).to_contain_text("用于" if zh else "Used in", timeout=LONG)
        page.locator("#lang-switch").get_by_text("EN" if zh else "中文", exact=True).click()
        expect(table).to_contain_text("Used in" if zh else "用于", timeout=4_000)  # a tick would come after 5 s
    finally:
        context.close()


def test_api_clients_keep_accept_language(app_client):
    from gradio_client import Client

    zh = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN"})
    _, info = zh.predict("你好", api_name="/generate_text")
    assert info["label"].startswith("🤖 AI 生成")
    zh.close()


def test_the_switch_cookie_wins_over_accept_language():
    from aigc_demo.tasks.common.language import LANGUAGE_COOKIE, request_language

    assert request_language({"accept-language": "zh-CN,zh;q=0.9"}, {}) == "zh"
    assert request_language({"accept-language": "zh-CN"}, {LANGUAGE_COOKIE: "en"}) == "en"
    assert request_language({"accept-language": "en-US"}, {LANGUAGE_COOKIE: "zh"}) == "zh"
    assert request_language({"accept-language": "en-US"}, {LANGUAGE_COOKIE: "fr"}) == "en"  # not ours: ignored
    assert request_language(None, None) == "en"
