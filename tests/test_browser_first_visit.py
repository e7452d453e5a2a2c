"""A first-time visitor in a real browser (en-US and zh-CN): what the app says before and during a first run, and how
it takes a mistake: a number out of range and an empty prompt are calm hints in the visitor's language, never red
Error badges over the outputs.

The machine running these may be heavily loaded: every wait is generous and asserts a state, never a duration.
"""

from __future__ import annotations

import re

import pytest

from .test_browser import SHOTS, assert_no_error_badges, browser, prose, shot  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser

LONG = 60_000  # ms: a loaded machine's first model load and first run
TOAST = ".toast-body"


def open_page(browser, url: str, locale: str, viewport=(1280, 900)):  # noqa: F811 - the fixture, passed in
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
    page = context.new_page()
    page.goto(url)
    page.locator("#text-run").wait_for(timeout=LONG)
    return page


@pytest.fixture(params=["en-US", "zh-CN"])
def visitor(request, browser, app_client):  # noqa: F811
    page = open_page(browser, app_client.url, request.param)
    yield page, request.param == "zh-CN"
    page.context.close()


def words(zh: bool, en: str, cn: str) -> str:
    return cn if zh else en


def test_landing_page_and_first_run_say_what_is_happening(visitor, app_client):
    from playwright.sync_api import expect

    from aigc_demo.catalog import default_model

    page, zh = visitor
    key = default_model("text-generation")
    app_client.manager.unload(key)  # a first visit: the model is not loaded yet
    expect(page.locator("#app-mode")).to_contain_text(words(zh, "Demo mode", "演示模式"))  # before any click
    stats = prose(page, "text-stats")
    page.locator("#text-prompt textarea").fill(words(zh, "Write a line about the sea.", "写一句关于大海的话。"))
    page.locator("#text-run").click()
    expect(stats).to_contain_text(re.compile(words(zh, "Loading .* for the first time", "首次加载")), timeout=LONG)
    expect(stats).to_contain_text(words(zh, "tokens/s", "词元/秒"), timeout=LONG)  # finished
    expect(stats).to_contain_text(words(zh, "model loaded in", "模型加载用时"))
    assert_no_error_badges(page)
    page.locator("#text-run").click()  # the model is loaded now: no load message, no load time
    expect(stats).not_to_contain_text(words(zh, "model loaded in", "模型加载用时"), timeout=LONG)
    expect(stats).to_contain_text(words(zh, "tokens/s", "词元/秒"), timeout=LONG)


def test_a_number_out_of_range_is_a_hint_not_an_error(visitor):
    from playwright.sync_api import expect

    page, zh = visitor
    page.get_by_role("button", name=words(zh, "Advanced settings", "高级设置")).filter(visible=True).first.click()
    seed = page.locator("#text-seed input")
    # The accordion mounts its content when first opened and then gives it its starting value, which can land after
    # typing (seen under load): wait for it, and type again until what was typed stays.
    expect(seed).to_have_value("0", timeout=LONG)
    for _ in range(5):
        seed.fill("99999999999999999999")
        page.wait_for_timeout(300)
        if seed.input_value() == "99999999999999999999":
            break
    seed.press("Tab")
    expect(page.locator(TOAST).filter(has_text=words(zh, "use a number from 0 to", "请输入 0 到"))).not_to_have_count(
        0, timeout=LONG
    )
    expect(seed).to_have_value("2147483647", timeout=LONG)  # the nearest allowed seed, put back in the box
    assert_no_error_badges(page)
    page.locator("#text-prompt textarea").fill("Hello")
    page.locator("#text-run").click()
    expect(prose(page, "text-stats")).to_contain_text(words(zh, "tokens/s", "词元/秒"), timeout=LONG)
    assert_no_error_badges(page)
    expect(page.locator(TOAST).filter(has_text="greater than maximum")).to_have_count(0)  # gradio's own message


def test_an_empty_prompt_is_a_warning_and_the_outputs_stay(visitor):
    from playwright.sync_api import expect

    page, zh = visitor
    output = page.locator("#text-output-0 textarea")
    page.locator("#text-prompt textarea").fill("Hello")
    page.locator("#text-run").click()
    expect(prose(page, "text-stats")).to_contain_text(words(zh, "tokens/s", "词元/秒"), timeout=LONG)
    before = output.input_value()
    page.locator("#text-prompt textarea").fill("")
    page.locator("#text-run").click()
    expect(page.locator(TOAST).filter(has_text=words(zh, "it is empty", "当前为空"))).not_to_have_count(
        0, timeout=LONG
    )
    assert_no_error_badges(page)
    assert output.input_value() == before  # what the visitor had stays on screen


TAB_TARGETS = {  # a tab's name in each language, and a control only that tab has
    ("Text", "文本生成"): "#text-run",
    ("Poetry", "诗词"): "#poem-run",
    ("News summary", "新闻摘要"): "#news-article",
    ("Image", "文生图"): "#image-run",
    ("Models", "模型"): "#models-table",
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_tab_is_reachable_on_a_phone(browser, app_client, locale):  # noqa: F811
    from playwright.sync_api import expect

    page = open_page(browser, app_client.url, locale, viewport=(390, 844))
    try:
        expect(page.locator(".overflow-menu button").filter(visible=True)).to_have_count(0)  # no "•••" menu
        for (en, cn), target in TAB_TARGETS.items():
            name = cn if locale == "zh-CN" else en
            page.get_by_role("tab", name=name).filter(visible=True).first.click()
            expect(page.locator(target).filter(visible=True).first).to_be_visible(timeout=LONG)
        page.screenshot(path=str(SHOTS / f"phone-tabs-{locale}.png"))
    finally:
        page.context.close()


@pytest.fixture
def english(browser, app_client):  # noqa: F811
    page = open_page(browser, app_client.url, "en-US")
    yield page
    page.context.close()


def advanced(page, zh: bool = False) -> None:
    page.get_by_role("button", name=words(zh, "Advanced settings", "高级设置")).filter(visible=True).first.click()
    page.get_by_label("number input for temperature", exact=True).first.wait_for(timeout=LONG)


def type_into(page, label: str, value) -> None:
    box = page.get_by_label(f"number input for {label}", exact=True).first
    box.fill(str(value))
    box.press("Tab")


def test_style_says_custom_when_a_slider_leaves_the_preset(english):
    from playwright.sync_api import expect

    page = english
    style = page.locator("#text-preset")
    expect(style.get_by_label("Balanced")).to_be_checked()
    advanced(page)
    type_into(page, "temperature", 1.3)
    expect(style.get_by_label("Custom")).to_be_checked(timeout=LONG)
    expect(style).to_contain_text("your own settings")
    style.get_by_label("Precise").check()  # a preset again sets the sliders, and stays chosen
    temperature = page.get_by_label("number input for temperature", exact=True).first
    expect(temperature).to_have_value("0", timeout=LONG)
    page.wait_for_timeout(500)  # any echo of the sliders' change would have flipped it by now
    expect(style.get_by_label("Precise")).to_be_checked()
    type_into(page, "temperature", 0.7)  # Precise's other values with temperature 0.7: no preset has them
    expect(style.get_by_label("Custom")).to_be_checked(timeout=LONG)
    page.screenshot(path=str(SHOTS / "text-style-custom.png"), full_page=True)


def test_no_system_prompt_box_for_a_completion_model(english):
    from playwright.sync_api import expect

    page = english
    system = page.locator("#text-system")
    expect(system).to_be_visible()  # the default model is a chat model
    page.locator("#text-model input").click()
    page.get_by_role("option", name=re.compile(r"^gpt2 ")).click()
    expect(system).to_be_hidden(timeout=LONG)
    page.locator("#text-model input").click()
    page.get_by_role("option", name=re.compile(r"^qwen2\.5-0\.5b-instruct")).click()
    expect(system).to_be_visible(timeout=LONG)


def test_regenerate_and_continue(english):
    from playwright.sync_api import expect

    page = english
    stats, output = prose(page, "text-stats"), page.locator("#text-output-0 textarea")
    advanced(page)
    seed = page.locator("#text-seed input")
    page.locator("#text-prompt textarea").fill("The harbour at night")
    page.locator("#text-run").click()
    expect(stats).to_contain_text("tokens/s", timeout=LONG)
    first_seed = seed.input_value()
    page.locator("#text-regenerate").click()  # the same prompt and settings, another seed
    expect(seed).not_to_have_value(first_seed, timeout=LONG)
    expect(stats).to_contain_text("tokens/s", timeout=LONG)
    expect(page.locator("#text-run")).to_be_enabled(timeout=LONG)
    before = output.input_value()
    assert before
    page.locator("#text-continue").click()
    expect(output).not_to_have_value(before, timeout=LONG)
    expect(page.locator("#text-run")).to_be_enabled(timeout=LONG)  # the continuation has ended
    expect(stats).to_contain_text("tokens/s", timeout=LONG)
    expect(stats).to_contain_text(re.compile(r"AI-generated · .* · seed \d+"))
    after = output.input_value()
    assert after.startswith(before) and len(after) > len(before)  # written after the text, in the same box
    assert_no_error_badges(page)
    page.screenshot(path=str(SHOTS / "text-continued.png"), full_page=True)


def test_generate_says_it_is_busy_and_comes_back(visitor, app_client):
    from playwright.sync_api import expect

    from aigc_demo.catalog import default_model

    from .test_browser import forward_passes

    page, zh = visitor
    run = page.locator("#text-run")
    page.locator("#text-prompt textarea").fill(words(zh, "A long story", "一个很长的故事"))
    with forward_passes(app_client.manager, default_model("text-generation"), delay_s=0.05):
        run.click()
        expect(run).to_have_text(words(zh, "Generating…", "生成中…"), timeout=LONG)
        expect(run).to_be_disabled()
        expect(page.locator("#text-regenerate")).to_be_disabled()
        page.locator("#text-prompt textarea").press("Shift+Enter")  # submits the prompt box: a second start, answered
        expect(page.locator("#text-busy")).to_contain_text(
            words(zh, "Still working on your last request", "上一个请求还在进行中"), timeout=LONG
        )
        page.screenshot(path=str(SHOTS / f"text-busy-{'zh' if zh else 'en'}.png"), full_page=True)
        page.locator("#text-stop").click()
        expect(run).to_have_text(words(zh, "Generate", "生成"), timeout=LONG)  # back after Stop
        expect(run).to_be_enabled()
    expect(page.locator("#text-busy")).to_have_text("")
    run.click()  # and after a run that finishes (the stopped run's statistics said tokens/s too: wait for them to go)
    expect(prose(page, "text-stats")).not_to_contain_text(words(zh, "Stopped", "已停止"), timeout=LONG)
    expect(prose(page, "text-stats")).to_contain_text(words(zh, "tokens/s", "词元/秒"), timeout=LONG)
    expect(run).to_have_text(words(zh, "Generate", "生成"), timeout=LONG)
    expect(run).to_be_enabled(timeout=LONG)
    assert_no_error_badges(page)


def test_poetry_and_news_buttons_say_they_are_busy(english, app_client):
    from playwright.sync_api import expect

    from aigc_demo.tasks.poetry.poetry import default_model

    from .test_browser import forward_passes

    page = english
    page.get_by_role("tab", name="Poetry").first.click()
    page.locator("#poem-prompt textarea").fill("明月")
    write = page.locator("#poem-run")
    with forward_passes(app_client.manager, default_model("wuyan-jueju"), delay_s=0.1):
        write.click()
        expect(write).to_have_text("Writing…", timeout=LONG)
        expect(write).to_be_disabled()
        page.locator("#poem-stop").click()
        expect(write).to_have_text("Write poem", timeout=LONG)
        expect(write).to_be_enabled()
    page.get_by_role("tab", name="News summary").first.click()
    page.locator("#news-article textarea").fill("The city opened a library. " * 20)
    summarize = page.locator("#news-run")
    summarize.click()
    expect(prose(page, "news-stats")).not_to_have_text("", timeout=LONG)
    expect(summarize).to_have_text("Summarize", timeout=LONG)
    expect(summarize).to_be_enabled()
    assert_no_error_badges(page)


def test_image_examples_info_line_restore_with_undo_and_the_models_table(visitor):
    """Image tab: an example fills the prompt, a run ends with the info line, a gallery click says what it restored
    and Undo brings back what the visitor had typed; the Models tab lists the catalogue under headers in their language.
    """
    from playwright.sync_api import expect

    page, zh = visitor
    page.get_by_role("tab", name=words(zh, "Image", "文生图")).first.click()
    prompt = page.locator("#image-prompt textarea")
    page.get_by_text("Lighthouse (watercolor)").first.click()
    expect(prompt).to_have_value(re.compile("^A lighthouse on a cliff"))
    page.get_by_text("熊猫（水墨）").first.click()  # a Chinese example offers the translation step
    expect(prompt).to_have_value("熊猫在竹林里吃竹子，水墨画")
    expect(page.locator("#image-translate-run")).to_be_visible()
    page.get_by_text("Lighthouse (watercolor)").first.click()
    page.locator("#image-run").click()
    info = prose(page, "image-info")
    expect(info).to_contain_text(words(zh, "Model sd-turbo · seed", "模型 sd-turbo · 种子"), timeout=LONG)
    prompt.fill("my own words")
    page.locator("#image-output img").first.click()
    expect(prompt).to_have_value(re.compile("^A lighthouse on a cliff"))
    note = prose(page, "image-restored-note")
    expect(note).to_contain_text(words(zh, "Restored this image's settings", "已恢复这张图片的设置"))
    shot(page, f"image-restored-{'zh' if zh else 'en'}")
    page.locator("#image-undo").click()
    expect(prompt).to_have_value("my own words")
    expect(page.locator("#image-undo")).to_be_hidden()
    assert_no_error_badges(page)
    # the caption says all it has (the AI label and the seed), not cut off with "…"
    caption = page.locator("#image-output .caption-label").first
    expect(caption).to_contain_text(words(zh, "seed", "种子"))
    fits = "e => e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1"
    assert caption.evaluate(fits), caption.inner_text()
    # a restore, then a new run: the restore line and its Undo go (what they offered is out of date)
    page.locator("#image-output img").first.click()
    expect(page.locator("#image-undo")).to_be_visible()
    page.locator("#image-run").click()
    expect(page.locator("#image-undo")).to_be_hidden(timeout=LONG)
    expect(page.locator("#image-run")).to_be_enabled(timeout=LONG)  # the busy state ends with the run
    expect(prose(page, "image-safety")).to_contain_text(words(zh, "Safe mode", "安全模式"))
    page.get_by_role("tab", name=words(zh, "Models", "模型")).first.click()
    table = page.locator("#models-table")
    expect(table).to_contain_text(words(zh, "Used in", "用于"), timeout=LONG)
    expect(table).to_contain_text("sdxl-turbo")
    expect(table).to_contain_text(words(zh, "offline stand-in only", "仅有离线替身"))
    shot(page, f"models-{'zh' if zh else 'en'}")


STOPS = 8  # per tab: a 1-in-10 failure shows in one run of both tabs about four times in five


def test_stop_again_and_again_on_a_phone_in_chinese(browser, app_client):  # noqa: F811
    """On a phone, in Chinese: Generate brings the output into view, and stopped runs of the text and the news tab,
    at varied moments, each end "已停止" with no Error badge and what was written kept."""
    from playwright.sync_api import expect

    from aigc_demo.catalog import default_model
    from aigc_demo.tasks.news.news_summary import AUTO, pick_model

    from .test_browser import LONG_ARTICLE, forward_passes, wait_until_stopped

    manager = app_client.manager
    page = open_page(browser, app_client.url, "zh-CN", viewport=(390, 844))
    try:
        text_key, news_key = default_model("text-generation"), pick_model(AUTO, "en")
        page.locator("#text-prompt textarea").fill("讲一个很长的故事。")
        stats, output = prose(page, "text-stats"), page.locator("#text-output-0 textarea")
        with forward_passes(manager, text_key, delay_s=0.05):
            for attempt in range(STOPS):
                page.locator("#text-run").click()
                expect(stats).to_contain_text("生成中", timeout=LONG)
                if attempt == 0:  # the answer streams a screen below the button: the page brought it into view
                    expect(page.locator("#text-output-0")).to_be_in_viewport(timeout=LONG)
                page.wait_for_timeout(60 * (attempt % 4))
                page.locator("#text-stop").click()
                expect(stats).to_contain_text("已停止", timeout=LONG)
                wait_until_stopped(manager, text_key, within_s=10)
                assert_no_error_badges(page)
                assert output.input_value(), f"stop {attempt + 1}: the text written so far was lost"
        page.get_by_role("tab", name="新闻摘要").filter(visible=True).first.click()
        page.get_by_text("生成式（AI 模型改写）").click()
        page.locator("#news-article textarea").fill(LONG_ARTICLE)
        news = prose(page, "news-stats")
        with forward_passes(manager, news_key, delay_s=0.05):
            for attempt in range(STOPS):
                page.locator("#news-run").click()
                expect(news).to_contain_text(re.compile("正在|加载"), timeout=LONG)
                page.wait_for_timeout(80 * (attempt % 4))
                page.locator("#news-stop").click()
                expect(news).to_contain_text("已停止", timeout=LONG)
                wait_until_stopped(manager, news_key, within_s=10)
                assert_no_error_badges(page)
        page.screenshot(path=str(SHOTS / "phone-news-stopped-zh-CN.png"))
    finally:
        page.context.close()
