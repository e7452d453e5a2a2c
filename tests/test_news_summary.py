"""News summary on twins: chunking beyond the window, progress, nothing cut silently, the result's parts, bad input."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.worker import SUMMARIZE_THREAD
from aigc_demo.tasks.news import news_summary
from aigc_demo.tasks.news.chunks import chunk_sentences, split_by_tokens, token_counter
from aigc_demo.tasks.news.fetch import check_url, fetch_article
from aigc_demo.tasks.news.news_summary import (
    Progress,
    SummaryRequest,
    SummaryResult,
    pick_model,
    summarize,
    summarize_stream,
)
from aigc_demo.tasks.news.text_units import split_sentences

from .helpers import alive_threads

EXAMPLES = Path(__file__).resolve().parent.parent / "aigc_demo" / "assets" / "examples"
NEWS_EN = json.loads((EXAMPLES / "news_en.json").read_text(encoding="utf-8"))
NEWS_ZH = json.loads((EXAMPLES / "news_zh.json").read_text(encoding="utf-8"))
ARTICLE = NEWS_EN[0]["article"]
# Three articles as one: ~1,700 tokens for the twin's tokenizer, beyond distilbart's window of 1,024.
LONG_ARTICLE = "\n\n".join(x["article"] for x in NEWS_EN)


def run(manager, *args, max_input_tokens: int | None = None, **kwargs) -> tuple[list[Progress], SummaryResult]:
    """The progress events and the result of SummaryRequest(*args, **kwargs)."""
    events = list(summarize_stream(manager, SummaryRequest(*args, **kwargs), max_input_tokens=max_input_tokens))
    assert isinstance(events[-1], SummaryResult) and all(isinstance(e, Progress) for e in events[:-1])
    return events[:-1], events[-1]


def assert_covers_in_order(chunks, n_sentences: int) -> None:
    """Every article sentence is read by exactly one chunk, and the chunks follow the article."""
    assert chunks[0].first == 0 and chunks[-1].last == n_sentences - 1
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.first in (before.last, before.last + 1)  # the same index only for a sentence split in pieces


# --- chunking ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bart_tokenizer(manager):
    return manager.get("distilbart-cnn-12-6").tokenizer


@pytest.mark.parametrize("budget", [80, 200, 1022])  # the longest sentence has 78 tokens
def test_chunks_fit_the_budget_and_cover_every_sentence(bart_tokenizer, budget):
    sentences = [s.text for s in split_sentences(LONG_ARTICLE)]
    chunks, oversized = chunk_sentences(sentences, bart_tokenizer, budget)
    count = token_counter(bart_tokenizer)
    assert oversized == 0 and all(c.tokens == count(c.text) <= budget for c in chunks)
    assert_covers_in_order(chunks, len(sentences))
    assert [s for c in chunks for s in sentences[c.first : c.last + 1]] == sentences
    assert all(c.text == " ".join(sentences[c.first : c.last + 1]) for c in chunks)
    if budget < 1022:
        assert len(chunks) > 1
        # Greedy packing: the next sentence would not have fitted in any chunk but the last.
        for c, nxt in zip(chunks, chunks[1:], strict=False):
            assert count(" ".join(sentences[c.first : nxt.first + 1])) > budget


def test_a_sentence_longer_than_the_window_is_split_not_dropped(bart_tokenizer):
    monster = " ".join(["the council met again and argued about the barrier"] * 40)  # no full stop
    sentences = ["A short opening sentence.", monster, "A short closing sentence."]
    chunks, oversized = chunk_sentences(sentences, bart_tokenizer, 50)
    assert oversized == 1
    assert all(c.tokens <= 50 for c in chunks)
    assert chunks[0].text == sentences[0] and chunks[-1].text == sentences[2]
    assert "".join(c.text for c in chunks[1:-1]) == monster
    assert "".join(split_by_tokens(monster, bart_tokenizer, 17)) == monster


# --- abstractive mechanics on twins ---------------------------------------------------------------------------


def test_long_article_is_summarised_map_reduce_beyond_the_models_window(manager):
    progress, result = run(manager, LONG_ARTICLE, "abstractive", "distilbart-cnn-12-6", max_new_tokens=8)
    window = manager.get("distilbart-cnn-12-6").spec.context_window
    assert result.input_budget == window - 2  # BART adds <s> and </s>
    assert len(result.chunks) >= 2 and result.levels >= 1
    assert all(c.tokens <= result.input_budget for c in result.chunks)
    assert_covers_in_order(result.chunks, len(result.article_sentences))
    maps = [(e.done, e.total) for e in progress if e.stage == "map"]
    assert sorted(set(maps)) == [(i, len(result.chunks)) for i in range(len(result.chunks))]
    assert any(e.stage == "reduce" for e in progress) and progress[0].stage == "load"
    assert "part 1 of" in next(e.en for e in progress if e.stage == "map")
    assert result.is_twin and result.model == "distilbart-cnn-12-6" and result.method == "abstractive"


def test_small_window_progress_and_cut_warnings(manager):
    progress, result = run(
        manager, ARTICLE, "abstractive", "distilbart-cnn-12-6", 8, min_new_tokens=8, max_input_tokens=160
    )
    n = len(result.chunks)
    assert n >= 3 and all(c.tokens <= 160 for c in result.chunks)
    assert_covers_in_order(result.chunks, len(result.article_sentences))
    assert [e.done for e in progress if e.stage == "map"][-1] == n - 1
    # min_new_tokens = max_new_tokens: every summary runs into the limit, and the user is told so, twice over.
    warnings = " ".join(en for en, _ in result.warnings)
    assert "part summaries reached max_new_tokens (8)" in warnings
    assert "The summary reached max_new_tokens (8)" in warnings
    assert all(zh for _, zh in result.warnings)
    assert len(result.support) == len(result.summary_sentences)
    assert result.compression == pytest.approx(result.summary_length / result.article_length)


def test_chinese_goes_to_the_chat_model_through_its_template(manager):
    assert pick_model("auto", "zh") == "qwen2.5-0.5b-instruct"
    assert pick_model("auto", "en") == "distilbart-cnn-12-6"
    progress, result = run(manager, NEWS_ZH[0]["article"], "abstractive", max_new_tokens=8, max_input_tokens=200)
    assert result.model == "qwen2.5-0.5b-instruct" and result.language == "zh" and len(result.chunks) >= 2
    assert_covers_in_order(result.chunks, len(result.article_sentences))
    assert all(c.tokens <= 200 for c in result.chunks)


def test_stop_ends_the_generation_thread(manager):
    req = SummaryRequest(ARTICLE, "abstractive", "distilbart-cnn-12-6", 512, min_new_tokens=512)
    events = summarize_stream(manager, req)
    stages = []
    for event in events:
        stages.append(event.stage)
        if stages.count("map") >= 2:  # the heartbeat: a generation is running now
            break
    start = time.perf_counter()
    events.close()
    assert time.perf_counter() - start < 10
    assert alive_threads(SUMMARIZE_THREAD) == []


# --- extractive through the same entry point ------------------------------------------------------------------


def test_extractive_result_support_is_exact_and_scores_beside_lead3(manager):
    example = NEWS_EN[0]
    progress, result = run(manager, example["article"], "extractive", num_sentences=2, reference=example["reference"])
    assert [e.stage for e in progress] == ["extract"]
    assert len(result.summary_sentences) == 2 and result.model == "extractive" and not result.is_twin
    for sentence, pairs in zip(result.summary_sentences, result.support, strict=True):
        ((index, score),) = pairs
        assert score == 1.0 and result.article_sentences[index].text == sentence
    assert 0 < result.compression < 0.5
    assert set(result.rouge) >= {"rouge1", "rouge2", "rougeLsum"} and set(result.lead3_rouge) == set(result.rouge)
    assert result.rouge["rouge1"] > 0.2
    assert result.found_in_article == 1.0  # copied sentences: every word pair is in the article


def test_abstractive_stats_say_how_much_of_the_summary_the_article_has(manager):
    from aigc_demo.tasks.common.evaluation import share_found_in
    from aigc_demo.ui.news_summary_views import stats_text

    _, result = run(manager, ARTICLE, "abstractive", "distilbart-cnn-12-6", max_new_tokens=8)
    assert result.found_in_article == share_found_in(result.summary, ARTICLE, "en")
    assert (
        result.found_in_article is not None
    )  # the twin writes word pairs at this length (none of them the article's)
    assert f"{100 * result.found_in_article:.0f}% of the summary's word pairs" in stats_text("en", result)
    assert "原文可查" in stats_text("zh", result)


def test_reference_that_is_the_article_is_not_scored(manager):
    _, result = run(manager, ARTICLE, "extractive", reference=ARTICLE)
    assert result.rouge is None and "article itself" in result.warnings[0][0]


def test_asking_for_more_sentences_than_the_article_has_says_so(manager):
    _, result = run(manager, "First sentence here. Second sentence there.", "extractive", num_sentences=5)
    assert result.summary == "First sentence here. Second sentence there."
    assert "only 2 sentences" in result.warnings[0][0]


def test_summarize_returns_the_text(manager):
    assert summarize(manager, SummaryRequest(ARTICLE)).summary == run(manager, ARTICLE)[1].summary


def test_the_tab_handler_answers_with_a_dict_per_update(manager):
    """The tab's handler, run as gradio runs it (a dict of inputs): it clears, shows progress, then every output."""
    import functools

    import gradio as gr

    from aigc_demo.ui import news_summary_tab
    from aigc_demo.ui.stopping import Stopper

    with gr.Blocks():
        ui = news_summary_tab.layout()
    req = SummaryRequest(ARTICLE, num_sentences=2, min_new_tokens=30, reference=NEWS_EN[0]["reference"])
    inputs = {getattr(ui, name): getattr(req, name) for name in news_summary_tab.REQUEST_FIELDS}
    task = functools.partial(summarize_stream, manager)
    first, *steps, final = news_summary_tab.run_summary(ui, task, Stopper(), inputs)
    assert first == dict.fromkeys(ui.outputs[:-1], "") | {ui.download: None}
    assert steps == [{ui.stats: "⏳ Picking the key sentences…"}]
    assert set(final) == set(ui.outputs) and len(split_sentences(final[ui.summary])) == 2
    assert "| This summary |" in final[ui.scores] and final[ui.highlight].count("<mark") == 2
    assert final[ui.notice] == "" and final[ui.download].endswith(".md")


# --- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"article": ""}, "the article is empty"),
        ({"article": "   \n"}, "the article is empty"),
        ({"article": "https://example.com/news/1"}, "web address, not an article"),
        ({"article": "Only one sentence here."}, "too short to summarise"),
        ({"article": ARTICLE, "method": "magic"}, "`method` must be one of"),
        ({"article": ARTICLE, "num_sentences": 0}, "`num_sentences` must be between 1"),
        ({"article": ARTICLE, "method": "abstractive", "model": "nope"}, "Unknown model 'nope'"),
        ({"article": ARTICLE, "method": "abstractive", "model": "sd-turbo"}, "not a summarization model"),
        ({"article": NEWS_ZH[0]["article"], "method": "abstractive", "model": "distilbart-cnn-12-6"}, "cannot sum"),
        ({"article": ARTICLE, "method": "abstractive", "max_new_tokens": 4}, "`max_new_tokens` must be between 8"),
        ({"article": ARTICLE, "method": "abstractive", "max_new_tokens": 20, "min_new_tokens": 30}, "must not be"),
    ],
)
def test_bad_input_gets_a_clear_message(manager, kwargs, message):
    with pytest.raises(UserError, match=message) as raised:
        list(summarize_stream(manager, SummaryRequest(**kwargs)))
    assert raised.value.zh != raised.value.en


def test_too_long_article_is_refused_not_cut(manager, monkeypatch):
    monkeypatch.setattr(settings, "MAX_ARTICLE_CHARS", 1000)
    with pytest.raises(UserError, match="limit is 1,000"):
        list(summarize_stream(manager, SummaryRequest(ARTICLE)))


# --- URL input ------------------------------------------------------------------------------------------------


PAGE = (
    "<html><head><title>Harbourton approves barrier</title></head><body><nav>Home | News | Sport</nav><article>"
    "<h1>Harbourton approves barrier</h1>"
    + "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n"))
    + "</article><footer>Copyright</footer></body></html>"
)


@pytest.fixture(scope="module")
def local_site():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body, kind = (PAGE.encode(), "text/html; charset=utf-8")
            if self.path == "/pdf":
                body, kind = b"%PDF-1.4", "application/pdf"
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/article")
                self.end_headers()
                return
            self.send_response(404 if self.path == "/missing" else 200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_extracts_the_article_text(local_site):
    fetched = fetch_article(local_site + "/moved", allow_private=True)
    assert fetched.title == "Harbourton approves barrier" and fetched.url.endswith("/article")
    assert fetched.text.startswith("Councillors in Harbourton voted") and "Copyright" not in fetched.text
    assert "Home | News" not in fetched.text


@pytest.mark.parametrize(("path", "message"), [("/pdf", "not a web page"), ("/missing", "answered 404")])
def test_fetch_reports_what_the_site_sent(local_site, path, message):
    with pytest.raises(UserError, match=message):
        fetch_article(local_site + path, allow_private=True)


def test_fetch_refuses_local_addresses_by_default(local_site):
    with pytest.raises(UserError, match="local or private address"):
        fetch_article(local_site + "/article")


@pytest.mark.parametrize("url", ["", "not a url", "ftp://example.com/a", "http://", "https://exa mple.com/"])
def test_bad_urls(url):
    with pytest.raises(UserError, match="web address"):
        check_url(url)


def test_typed_address_gets_https():
    assert check_url("example.com/news/1") == "https://example.com/news/1"


def test_no_network_fails_fast_with_a_clear_message():
    start = time.perf_counter()
    with pytest.raises(UserError, match="no internet|did not answer") as raised:
        fetch_article("https://news.example.invalid/story", timeout_s=3)
    assert time.perf_counter() - start < 5
    assert "粘贴" in raised.value.zh


@pytest.mark.parametrize("module", ["news_summary", "abstractive", "chunks", "fetch"])
def test_task_modules_stay_gradio_free(module):
    source = (Path(news_summary.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
    assert "gradio" not in source


def test_views_mark_supporting_sentences_and_escape_the_article(manager):
    from aigc_demo.ui.news_summary_views import highlighted_article, stats_text, support_text

    article = "The <b>council</b> met on Monday. It approved the budget. Nobody objected at all."
    _, result = run(manager, article, "extractive", num_sentences=2)
    page = highlighted_article(article, result)
    assert "&lt;b&gt;council&lt;/b&gt;" in page and "<b>" not in page
    assert page.count("<mark") == 2 and "<sup>S1</sup>" in page and "<sup>S2</sup>" in page
    assert "Compression:** the summary is **" in stats_text("en", result) and "压缩比" in stats_text("zh", result)
    assert "copied from article sentence 1" in support_text("en", result)
    result.support[1] = []
    assert "not found in the article" in support_text("en", result)


# --- /summarize through the launched app ----------------------------------------------------------------------


def test_summarize_endpoint_parameters_in_the_documented_order(app_client):
    api = app_client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/summarize"]
    names = [p["parameter_name"] for p in api["parameters"]]
    assert names == ["article", "method", "model", "max_new_tokens", "num_sentences", "min_new_tokens"]
    defaults = {p["parameter_name"]: p["parameter_default"] for p in api["parameters"][1:]}
    assert defaults == {name: getattr(SummaryRequest, name) for name in names[1:]}
    two, info = app_client.predict(ARTICLE, "extractive", "auto", 142, 2, api_name="/summarize")
    assert info["ai_generated"] is False and info["parameters"]["num_sentences"] == 2
    assert len(split_sentences(two)) == 2 and two in ARTICLE.replace("\n\n", " ")
    text, info = app_client.predict(
        ARTICLE, "abstractive", "distilbart-cnn-12-6", 8, min_new_tokens=0, api_name="/summarize"
    )
    assert isinstance(text, str) and info["ai_generated"] is True and info["twin"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"article": ""}, "the article is empty"),
        ({"article": "x. " * 30_000}, "limit is 50,000"),
        ({"article": ARTICLE, "method": "abstractive", "max_new_tokens": 9999}, "`max_new_tokens` must be between"),
    ],
)
def test_summarize_endpoint_bad_input(app_client, kwargs, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        app_client.predict(**kwargs, api_name="/summarize")


def test_summarize_endpoint_speaks_chinese_to_chinese_clients(app_client):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    zh = Client(app_client.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    with pytest.raises(AppError, match="文章太短"):
        zh.predict("只有一句话。", api_name="/summarize")
    zh.close()
