"""Model-free news summary: sentence splitting, extractive summary, ROUGE, support map, and the bench claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigc_demo.errors import UserError
from aigc_demo.tasks.common.language import detect_language
from aigc_demo.tasks.news.extractive import extractive_summary, lead_n
from aigc_demo.tasks.news.rouge import rouge
from aigc_demo.tasks.news.support import support_map
from aigc_demo.tasks.news.text_units import split_sentences, tokenize

EXAMPLES = Path(__file__).resolve().parent.parent / "aigc_demo" / "assets" / "examples"
NEWS_EN = json.loads((EXAMPLES / "news_en.json").read_text(encoding="utf-8"))
NEWS_ZH = json.loads((EXAMPLES / "news_zh.json").read_text(encoding="utf-8"))


def texts(text: str, language: str | None = None) -> list[str]:
    return [s.text for s in split_sentences(text, language)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones in Washington. They talked.",
            ["Mr. Smith met Dr. Jones in Washington.", "They talked."],
        ),
        (
            "The U.S. Senate voted on Friday. It rose 3.5% in Jan. 2024, e.g. in London. The answer is no. See No. 5.",
            [
                "The U.S. Senate voted on Friday.",
                "It rose 3.5% in Jan. 2024, e.g. in London.",
                "The answer is no.",
                "See No. 5.",
            ],
        ),
        (
            "He lives in the U.S. The weather is fine. She works at Apple Inc. and likes it. J. K. Rowling agreed.",
            [
                "He lives in the U.S.",
                "The weather is fine.",
                "She works at Apple Inc. and likes it.",
                "J. K. Rowling agreed.",
            ],
        ),
        (
            '"It is over." Then he left. "Why?" she asked. \'Fine,\' he said. He paused... Nobody spoke!',
            [
                '"It is over."',
                "Then he left.",
                '"Why?" she asked.',
                "'Fine,' he said.",
                "He paused...",
                "Nobody spoke!",
            ],
        ),
        (
            "The firm said “profits fell.” Analysts disagreed. Wait… and then… Silence.",
            ["The firm said “profits fell.”", "Analysts disagreed.", "Wait… and then…", "Silence."],
        ),
        (
            "Title Without Stop\nFirst line here.\n\nLast paragraph",
            ["Title Without Stop", "First line here.", "Last paragraph"],
        ),
        (
            "A sentence that is hard\nwrapped stays whole. Next.",
            ["A sentence that is hard\nwrapped stays whole.", "Next."],
        ),
    ],
)
def test_split_english(text, expected):
    assert texts(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天天气很好。我们去公园吧！你去吗？", ["今天天气很好。", "我们去公园吧！", "你去吗？"]),
        ("他说：“我们一定会赢。”比赛随即开始。", ["他说：“我们一定会赢。”", "比赛随即开始。"]),
        ("「真的嗎？」她問。『是的！』", ["「真的嗎？」", "她問。", "『是的！』"]),
        ("这是……一个好消息……然而问题仍在。", ["这是……", "一个好消息……", "然而问题仍在。"]),
        ("增长了5.2%，（见附表。）GDP总量创新高！", ["增长了5.2%，（见附表。）", "GDP总量创新高！"]),
        ("第一段没有句号\n第二段。", ["第一段没有句号", "第二段。"]),
    ],
)
def test_split_chinese(text, expected):
    assert texts(text, "zh") == expected


@pytest.mark.parametrize("article", [x["article"] for x in NEWS_EN + NEWS_ZH])
def test_spans_point_into_the_article(article):
    sentences = split_sentences(article)
    assert len(sentences) >= 8
    assert all(article[s.start : s.end] == s.text for s in sentences)
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)


def test_detect_language():
    assert detect_language("The Xinhua agency reported it.") == "en"
    assert detect_language("江临市地铁5号线今天开通，CEO Anita Rao出席。") == "zh"
    assert detect_language("The city of 江临 opened a new metro line on Friday.") == "en"
    assert detect_language("") == "en"
    assert all(detect_language(x["article"]) == "zh" for x in NEWS_ZH)
    assert all(detect_language(x["article"]) == "en" for x in NEWS_EN)


def test_tokenize():
    assert tokenize("The runners were running; decisions stopped.", "en") == ["runner", "run", "decision", "stop"]
    assert tokenize("新区建设，GDP增长。", "zh") == ["新区", "区建", "建设", "gdp", "增长"]


@pytest.mark.parametrize("example", NEWS_EN + NEWS_ZH, ids=lambda x: x["title"])
@pytest.mark.parametrize("num_sentences", [1, 2, 3, 5])
def test_extractive_returns_article_sentences_in_order(example, num_sentences):
    article = example["article"]
    result = extractive_summary(article, num_sentences)
    assert len(result.indices) == len(result.sentences) == len(result.spans) == num_sentences
    assert result.indices == sorted(set(result.indices))
    for index, sentence, (start, end) in zip(result.indices, result.sentences, result.spans, strict=True):
        assert article[start:end] == sentence == result.article_sentences[index].text
    assert result.summary.startswith(result.sentences[0])
    assert extractive_summary(article, num_sentences) == result


def test_short_articles():
    assert extractive_summary("One short sentence here. And a second one.", 3).sentences == [
        "One short sentence here.",
        "And a second one.",
    ]
    for too_short in ["", "   ", "Just one sentence.", "只有一句话。"]:
        with pytest.raises(UserError, match="too short") as raised:
            extractive_summary(too_short)
        assert "太短" in raised.value.message("zh")
    with pytest.raises(UserError, match="at least 1"):
        extractive_summary(NEWS_EN[0]["article"], 0)
    with pytest.raises(ValueError, match="language"):
        extractive_summary(NEWS_EN[0]["article"], 3, language="fr")


def test_lead_n():
    result = lead_n(NEWS_EN[0]["article"], 3)
    assert result.indices == [0, 1, 2]
    assert result.sentences == [s.text for s in split_sentences(NEWS_EN[0]["article"])[:3]]
    assert lead_n("First sentence. Second sentence.", 3).indices == [0, 1]


def test_chinese_summary_quality():
    scores = []
    for example in NEWS_ZH:
        result = extractive_summary(example["article"], 3)
        assert result.language == "zh"
        assert result.summary == "".join(result.sentences)
        scores.append(rouge(result.summary, example["reference"], "zh"))
    # Against the human references ours scores ROUGE-1 0.48-0.60 (mean 0.54) and ROUGE-2 0.31-0.39. The last three
    # sentences of each article would score a mean ROUGE-1 of 0.46 and fail at least one floor on two articles; the
    # middle three would fail all: the floors reward finding the lead, not the exact sentences picked today.
    assert all(score["rouge1"] >= 0.45 and score["rouge2"] >= 0.28 for score in scores), scores
    assert sum(score["rouge1"] for score in scores) / len(scores) >= 0.50


@pytest.mark.parametrize("example", NEWS_EN, ids=lambda x: x["title"])
def test_english_summary_quality(example):
    scores = rouge(extractive_summary(example["article"], 3).summary, example["reference"], "en")
    assert scores["rouge1"] >= 0.30


def test_rouge_english_by_hand():
    scores = rouge("the cat sat on the mat", "the cat lay on the mat", "en")
    # 5 of 6 unigrams shared; 3 of 5 bigrams (the cat, on the, the mat); LCS "the cat on the mat" = 5 of 6.
    assert scores["rouge1"] == pytest.approx(5 / 6)
    assert scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeL"] == pytest.approx(5 / 6)
    # The stemmer maps "running" and "runs" to "run": ROUGE-1 precision 1/2, recall 1/2.
    assert rouge("Dogs running", "dog runs fast now", "en")["rouge1"] == pytest.approx(
        2 * (2 / 2 * 2 / 4) / (2 / 2 + 2 / 4)
    )


def test_rouge_chinese_by_hand():
    scores = rouge("我爱北京。", "我爱上海！", "zh")
    assert scores["rouge1"] == pytest.approx(2 / 4)
    assert scores["rouge2"] == pytest.approx(1 / 3)
    assert scores["rougeL"] == pytest.approx(2 / 4)
    # Latin words and numbers are single tokens: [gdp, 增, 长, 5] against [gdp, 增, 长]; P = 3/4, R = 1.
    assert rouge("GDP增长5%", "GDP增长", "zh")["rouge1"] == pytest.approx(2 * 0.75 / 1.75)
    assert rouge("新区", "新区", "zh") == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0, "rougeLsum": 1.0}


def test_rouge_lsum_scores_per_sentence():
    scores = rouge("The dog ran. The cat sat.", "The cat sat. The dog ran.", "en")
    assert scores["rouge1"] == 1.0
    assert scores["rougeL"] == pytest.approx(0.5)  # one LCS over the whole text: "the cat sat" or "the dog ran"
    assert scores["rougeLsum"] == 1.0
    assert rouge("", "The cat sat.", "en")["rouge1"] == 0.0


@pytest.mark.parametrize("example", NEWS_EN + NEWS_ZH, ids=lambda x: x["title"])
def test_support_map_finds_the_exact_sentence_for_extractive_output(example):
    result = extractive_summary(example["article"], 3)
    article_sentences = [s.text for s in result.article_sentences]
    support = support_map(result.sentences, article_sentences, result.language)
    assert [pairs[0] for pairs in support] == [(index, 1.0) for index in result.indices]
    assert all(score < 1.0 for pairs in support for _, score in pairs[1:])


def test_support_map_for_paraphrase():
    article = [
        "The council approved a £48 million tidal barrier on Tuesday.",
        "Opponents preferred restoring salt marshes downstream.",
        "Construction starts next spring.",
    ]
    summary = [
        "The council approved a tidal barrier, and construction starts next spring.",
        "Aliens landed in a park.",
    ]
    support = support_map(summary, article, "en")
    assert [index for index, _ in support[0]] == [0, 2]
    assert support[0][1][1] < support[0][0][1] < 1.0
    assert support[1] == []
    zh = support_map(["5号线全长28.6公里。"], ["江临地铁5号线今天开通。", "线路全长28.6公里，共设19座车站。"], "zh")
    assert zh[0][0][0] == 1


def test_bench_quick_matches_lead3_on_cnn_dailymail():
    bench = pytest.importorskip("bench.bench_summary")
    if not bench.DATA.exists():
        pytest.skip(f"benchmark data not found at {bench.DATA}")
    results = bench.evaluate(bench.load_articles(quick=True)["cnn_dailymail"])
    # Quick mode (10 articles) gives 42.7 for ours against 42.5 for Lead-3; the 3% margin absorbs small changes to
    # the splitter but not a method that loses the lead.
    assert results["ours"]["rouge1"] >= 0.97 * results["lead3"]["rouge1"]
    assert results["ours"]["rougeLsum"] >= 0.97 * results["lead3"]["rougeLsum"]
