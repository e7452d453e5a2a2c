"""/check_poem from outside, through gradio_client: real Tang poems, broken copies, both scripts, bad input."""

import json
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

TANG300 = {p["title"]: p for p in json.loads((Path(__file__).parent / "data" / "tang300.json").read_text("utf-8"))}
# 杜甫《春望》 as tang300 has it (traditional), and the same poem in simplified characters
CHUNWANG = "\n".join(TANG300["春望"]["paragraphs"])
CHUNWANG_SIMPLIFIED = (
    "国破山河在，城春草木深。\n感时花溅泪，恨别鸟惊心。\n烽火连三月，家书抵万金。\n白头搔更短，浑欲不胜簪。"
)


@pytest.mark.parametrize("title", ["春望", "黃鶴樓", "相思", "楓橋夜泊"])
def test_a_real_tang_poem_follows_its_form(app_client, title):
    poem = TANG300[title]
    result = app_client.predict("\n".join(poem["paragraphs"]), api_name="/check_poem")
    assert result["follows_form"] is True and result["failures"] == []
    assert result["rhyme_book"] == "pingshui"
    assert result["form"] in {"wuyan-jueju", "qiyan-jueju", "wuyan-lushi", "qiyan-lushi"}
    assert [line["number"] for line in result["lines"]] == list(range(1, len(result["lines"]) + 1))
    assert all(line["ok"] for line in result["lines"])


def test_the_form_given_is_the_form_judged(app_client):
    result = app_client.predict(CHUNWANG, "wuyan-lushi", "pingshui", api_name="/check_poem")
    assert result["form"] == "wuyan-lushi" and result["follows_form"] is True
    wrong = app_client.predict(CHUNWANG, "qiyan-jueju", "pingshui", api_name="/check_poem")
    assert wrong["form"] == "qiyan-jueju" and wrong["follows_form"] is False and wrong["failures"]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("恨別鳥驚心", "恨別驚心", 4),  # a line a character short
        ("鳥驚心", "鳥驚天", 4),  # a rhyme character (侵) replaced by one of another group (先)
    ],
)
def test_a_broken_copy_gets_failures_one_sentence_each(app_client, old, new, line):
    broken = CHUNWANG.replace(old, new)
    assert broken != CHUNWANG
    result = app_client.predict(broken, "wuyan-lushi", api_name="/check_poem")
    assert result["follows_form"] is False and result["failures"]
    assert all(isinstance(s, str) and s.strip() and "\n" not in s for s in result["failures"])
    assert result["lines"][line - 1]["ok"] is False
    assert all(other["ok"] for other in result["lines"] if other["number"] != line)


def test_traditional_and_simplified_both_work(app_client):
    traditional = app_client.predict(CHUNWANG, api_name="/check_poem")
    simplified = app_client.predict(CHUNWANG_SIMPLIFIED, api_name="/check_poem")
    assert traditional["follows_form"] is simplified["follows_form"] is True
    assert traditional["form"] == simplified["form"] == "wuyan-lushi"
    groups = [line["rhyme_group"] for line in traditional["lines"]]
    assert groups == [line["rhyme_group"] for line in simplified["lines"]]
    assert groups[1] == groups[3] == groups[5] == groups[7]  # 深 心 金 簪: one 平水韵 group (侵)


def test_the_rhyme_book_decides(app_client):
    # 相思: 枝 and 思 share 平水韵 四支 but not a 中华新韵 group (-i vs i)
    poem = "\n".join(TANG300["相思"]["paragraphs"])
    assert app_client.predict(poem, "auto", "pingshui", api_name="/check_poem")["follows_form"] is True
    modern = app_client.predict(poem, "auto", "xinyun", api_name="/check_poem")
    assert modern["rhyme_book"] == "xinyun"
    assert (
        modern["lines"][1]["rhyme_group"]
        != app_client.predict(poem, api_name="/check_poem")["lines"][1]["rhyme_group"]
    )


def test_english_poems_are_checked_too(app_client):
    haiku = "an old silent pond\na frog jumps into the pond\nsplash silence again"
    result = app_client.predict(haiku, api_name="/check_poem")
    assert result["form"] == "haiku" and result["follows_form"] is True and result["rhyme_book"] is None


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (("床前明月光", "sonnet", "pingshui"), "`form` must be one of auto, wuyan-jueju", "“体裁”必须是以下之一"),
        (("床前明月光", "auto", "ping"), "`rhyme_book` must be one of pingshui, xinyun", "“韵书”必须是以下之一"),
        (("   ", "auto", "pingshui"), "Please enter a poem", "请输入诗"),
        (("床" * 5000, "auto", "pingshui"), "the limit is 2,000", "超过上限 2,000"),
    ],
)
def test_bad_input_gets_one_sentence_in_the_clients_language(app_client, args, en, zh):
    with pytest.raises(AppError, match=en) as caught:
        app_client.predict(*args, api_name="/check_poem")
    assert str(caught.value).count(".") <= 2  # one sentence (a list of forms has no full stops)
    chinese = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    try:
        with pytest.raises(AppError, match=zh):
            chinese.predict(*args, api_name="/check_poem")
        answer = chinese.predict(CHUNWANG.replace("鳥驚心", "鳥驚天"), api_name="/check_poem")
        assert answer["verdict"].startswith("五言律诗") and "第4句" in "".join(answer["failures"])
    finally:
        chinese.close()


def test_the_api_page_shows_the_choices(app_client):
    info = app_client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/check_poem"]
    params = {p["parameter_name"]: p for p in info["parameters"]}
    assert list(params) == ["poem", "form", "rhyme_book"]
    assert params["form"]["parameter_default"] == "auto"
    assert params["rhyme_book"]["parameter_default"] == "pingshui"
    assert params["rhyme_book"]["type"]["enum"] == ["pingshui", "xinyun"]
    assert params["form"]["type"]["enum"][:2] == ["auto", "wuyan-jueju"] and "haiku" in params["form"]["type"]["enum"]


def test_checking_never_waits_behind_the_model_queue():
    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo
    from aigc_demo.ui.common import MODEL_CONCURRENCY_ID

    demo = build_demo(ModelManager(mode="tiny", device="cpu"))
    check = next(fn for fn in demo.fns.values() if fn.api_name == "check_poem")
    assert check.concurrency_id != MODEL_CONCURRENCY_ID


def test_the_tab_shows_the_verdict_first_and_the_lines_in_an_expander():
    from aigc_demo.ui.poem_check_view import check_markdown

    broken = CHUNWANG.replace("鳥驚心", "鳥驚天")
    zh = check_markdown("zh", broken, "auto", "pingshui")
    first, rest = zh.split("\n", 1)
    assert first.startswith("**五言律诗**：✗ 有 ") and first.endswith("处不合格律（按平水韵）")
    assert "<details><summary>逐句检查" in rest and "第 4 句" in rest
    assert rest.index("- ✗") < rest.index("<details>")  # the broken rules before the expander
    en = check_markdown("en", CHUNWANG_SIMPLIFIED, "wuyan-lushi", "xinyun")
    assert en.startswith("**Five-character") and "(by 中华新韵)" in en.split("\n", 1)[0]


def test_write_poem_takes_a_rhyme_book_as_its_last_parameter(app_client):
    info = app_client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/write_poem"]
    last = info["parameters"][-1]
    assert last["parameter_name"] == "rhyme_book" and last["parameter_default"] == "pingshui"
    assert last["type"]["enum"] == ["pingshui", "xinyun"]
    poem, info = app_client.predict("明月", "wuyan-jueju", rhyme_book="xinyun", seed=3, api_name="/write_poem")
    assert info["parameters"]["rhyme_book"] == "xinyun" and info["seed"] == 3
    assert app_client.predict(poem, "wuyan-jueju", "xinyun", api_name="/check_poem")["follows_form"] is True
    with pytest.raises(AppError, match="Unknown rhyme book 'old'"):
        app_client.predict("明月", rhyme_book="old", api_name="/write_poem")
