"""Evaluation metrics against values worked out by hand on small texts written for these tests."""

from __future__ import annotations

import math

import pytest
import sacrebleu

from aigc_demo.errors import UserError
from aigc_demo.tasks.common.evaluation import evaluate, evaluate_with_model, perplexity, units


def test_empty_text_scores_zero_everywhere():
    result = evaluate([""], "en")
    assert (result.distinct_1, result.distinct_2, result.repeated_4gram_rate, result.self_bleu) == (0, 0, 0, 0)
    assert result.texts[0].units == 0


def test_one_token_is_fully_distinct_and_has_no_bigrams():
    result = evaluate(["Hello"], "en")
    assert result.distinct_1 == 1.0
    assert result.distinct_2 == 0.0
    assert result.self_bleu == 0.0  # a single text has nothing to be alike


def test_identical_candidates():
    result = evaluate(["the cat sat", "the cat sat"], "en")
    assert result.distinct_1 == pytest.approx(3 / 6)  # 6 words, 3 different
    assert result.distinct_2 == pytest.approx(2 / 4)  # "the cat", "cat sat" twice each
    assert result.self_bleu == pytest.approx(100.0)
    assert [t.distinct_1 for t in result.texts] == [1.0, 1.0]


def test_english_units_are_lower_cased_words_without_punctuation():
    assert units("Hello, hello! Don't stop.", "en") == ["hello", "hello", "don't", "stop"]
    assert evaluate(["Hello, hello!"], "en").distinct_1 == pytest.approx(0.5)


def test_chinese_is_counted_in_characters():
    result = evaluate(["床前明月光，", "明月光明月。"], "zh")
    assert [t.units for t in result.texts] == [5, 5]
    assert result.distinct_1 == pytest.approx(5 / 10)  # 床 前 明 月 光
    assert result.distinct_2 == pytest.approx(5 / 8)  # 床前 前明 明月 月光 光明
    assert result.texts[1].distinct_2 == pytest.approx(3 / 4)  # 明月 twice in 明月光明月


def test_repeated_4gram_rate():
    result = evaluate(["a b c d a b c d", "one two three four"], "en")
    assert result.texts[0].repeated_4gram_rate == pytest.approx(1 / 5)  # abcd again after bcda cdab dabc
    assert result.texts[1].repeated_4gram_rate == 0.0
    assert result.repeated_4gram_rate == pytest.approx(1 / 6)  # pooled: 1 repeat among 5 + 1 four-grams


def test_self_bleu_is_sacrebleu_against_the_others():
    texts = ["the cat sat on the mat", "a cat sat on a mat", "dogs run in the park today"]
    expected = [sacrebleu.sentence_bleu(t, texts[:i] + texts[i + 1 :]).score for i, t in enumerate(texts)]
    result = evaluate(texts, "en")
    assert [t.self_bleu for t in result.texts] == pytest.approx(expected)
    assert result.self_bleu == pytest.approx(sum(expected) / 3)
    assert 0 < result.self_bleu < 100


def test_self_bleu_for_chinese_uses_the_zh_tokenizer():
    texts = ["春眠不觉晓，处处闻啼鸟。", "春眠不觉晓，夜来风雨声。"]
    expected = sacrebleu.sentence_bleu(texts[0], [texts[1]], tokenize="zh").score
    assert evaluate(texts, "zh").texts[0].self_bleu == pytest.approx(expected)
    assert expected > 0  # without zh tokenisation the whole line is one "word" and nothing matches


@pytest.mark.parametrize(
    ("texts", "language", "fragment"),
    [
        (["ok"], "fr", "'en' or 'zh'"),
        ("not a list", "en", "list of strings"),
        ([1, 2], "en", "list of strings"),
        ([], "en", "at least one"),
        (["x"] * 17, "en", "At most 16"),
        (["x" * 20_001], "en", "20,000"),
    ],
)
def test_bad_input_gets_one_sentence(texts, language, fragment):
    with pytest.raises(UserError, match=fragment):
        evaluate(texts, language)


def test_perplexity_is_exp_of_the_mean_token_nll(manager):
    import torch

    with manager.use("gpt2") as lm:
        text = "The cat sat on the mat."
        # GPT-2 prepends nothing: the text is scored after its <|endoftext|>, so its first word counts too.
        ids = [lm.tokenizer.bos_token_id] + lm.tokenizer(text).input_ids
        with torch.inference_mode():
            logits = lm.model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
        log_probs = torch.log_softmax(logits, dim=-1)
        nll = -sum(log_probs[i, token].item() for i, token in enumerate(ids[1:])) / (len(ids) - 1)
        assert perplexity(lm, text) == pytest.approx(math.exp(nll), rel=1e-4)


def test_evaluate_with_model_adds_perplexity_per_text(manager):
    result = evaluate_with_model(manager, ["Hello world, again.", "Another text here."], "en", "gpt2")
    assert result.model == "gpt2"
    assert all(t.perplexity is not None and t.perplexity > 1 for t in result.texts)


def test_perplexity_refuses_models_that_are_not_language_models(manager):
    with pytest.raises(UserError, match="local text-generation model"):
        evaluate_with_model(manager, ["Hello"], "en", "sd-turbo")


def test_evaluate_text_endpoint_is_the_same_function(app_client):
    import json

    texts = ["the cat sat on the mat", "the cat sat on the mat", "a dog ran"]
    result = app_client.predict(json.dumps(texts), "en", api_name="/evaluate_text")
    assert result == evaluate(texts, "en").as_dict()
    assert set(result) >= {"distinct_1", "distinct_2", "repeated_4gram_rate", "self_bleu", "texts"}


def test_evaluate_text_endpoint_with_perplexity_and_bad_input(app_client):
    from gradio_client.exceptions import AppError

    result = app_client.predict(
        '["春眠不觉晓", "处处闻啼鸟"]', "zh", "qwen2.5-0.5b-instruct", api_name="/evaluate_text"
    )
    assert result["model"] == "qwen2.5-0.5b-instruct"
    assert all(t["perplexity"] > 1 for t in result["texts"])
    with pytest.raises(AppError, match="'en' or 'zh'"):
        app_client.predict('["x"]', "de", api_name="/evaluate_text")
    with pytest.raises(AppError, match="list of strings"):
        app_client.predict('{"a": 1}', "en", api_name="/evaluate_text")


def test_evaluate_text_api_page_shows_real_types(app_client):
    info = app_client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/evaluate_text"]
    language = next(p for p in info["parameters"] if p["parameter_name"] == "language")
    assert language["type"].get("enum") == ["en", "zh"]


@pytest.mark.parametrize(
    "text, source, language, expected",
    [
        ("the cat sat", "the cat ran", "en", 1 / 2),  # (the cat) found, (cat sat) not
        ("The CAT ran.", "the cat ran", "en", 1.0),  # words are lower-cased, punctuation is not a unit
        ("春眠不觉", "春眠不晓", "zh", 2 / 3),  # 春眠, 眠不 found; 不觉 not
        ("one", "one two", "en", None),  # no bigram to judge
        ("", "anything", "en", None),
        ("a b a b", "x", "en", 0.0),
    ],
)
def test_share_found_in_by_hand(text, source, language, expected):
    from aigc_demo.tasks.common.evaluation import share_found_in

    assert share_found_in(text, source, language) == expected


def test_a_finished_text_run_carries_its_metrics_with_the_writers_perplexity(manager):
    from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate

    params = GenerationParams(max_new_tokens=12, temperature=1.0, num_candidates=3)
    updates = list(generate(manager, TextRequest("Once upon a time", "gpt2", params, seed=7)))
    assert all(u.evaluation is None for u in updates[:-1])  # streamed tokens are not measured
    final = updates[-1]
    plain = evaluate(final.texts, "en").as_dict()
    for key in ("distinct_1", "distinct_2", "repeated_4gram_rate", "self_bleu"):
        assert final.evaluation[key] == pytest.approx(plain[key])
    with manager.use("gpt2") as lm:
        expected = [perplexity(lm, text) for text in final.texts]
    assert [t["perplexity"] for t in final.evaluation["texts"]] == pytest.approx(expected, rel=1e-4)
    assert final.evaluation["model"] == "gpt2" and final.evaluation["perplexity_skipped"] == ""


def test_a_finished_poem_run_is_measured_in_characters(manager):
    from aigc_demo.tasks.poetry.poetry import PoemRequest, write_poem

    result = write_poem(manager, PoemRequest("春天", "wuyan-jueju", temperature=1.0, seed=3, num_candidates=2))
    plain = evaluate(result.poems, "zh").as_dict()
    assert result.evaluation["language"] == "zh"
    for key in ("distinct_1", "distinct_2", "repeated_4gram_rate", "self_bleu"):
        assert result.evaluation[key] == pytest.approx(plain[key])
    assert [t["units"] for t in result.evaluation["texts"]] == [20, 20]  # a 五绝: 4 lines of 5 characters
    assert all(t["perplexity"] > 1 for t in result.evaluation["texts"])


def test_score_candidates_without_a_model_and_with_a_too_short_text(manager):
    from aigc_demo.tasks.common.evaluation import score_candidates

    data = score_candidates(["春眠不觉晓", "Hi"], skipped="served")
    assert data["language"] == "zh" and data["perplexity_skipped"] == "served"
    assert [t["perplexity"] for t in data["texts"]] == [None, None]
    with manager.use("gpt2") as lm:
        short = score_candidates([""], lm)  # nothing was generated: zeros, no perplexity, no error
    assert short["texts"][0]["perplexity"] is None and short["distinct_1"] == 0


def test_the_metrics_line_in_plain_words_in_both_languages():
    from aigc_demo.tasks.common.evaluation import METRIC_HELP, score_candidates
    from aigc_demo.ui.evaluation_view import metrics_markdown

    data = score_candidates(["the cat sat on the mat", "the cat sat on the mat"], skipped="served")
    en = metrics_markdown("en", data)
    assert "**Candidate 1** · varied 0.83 / 1.00 · repeats 0% · like the others 100" in en  # "the" twice in 6
    assert "**All together** · varied 0.42 / 0.50 · repeats 0% · self-BLEU 100.0" in en  # 5 of 12 words, 5 of 10 pairs
    assert "Perplexity not measured" in en and "perplexity " not in en
    zh = metrics_markdown("zh", score_candidates(["春眠不觉晓"]), names=["第 1 首"])
    assert zh.splitlines()[1] == "**第 1 首** · 多样度 1.00 / 1.00 · 重复 0%"  # one poem: no likeness to others
    assert metrics_markdown("en", None) == ""
    assert set(METRIC_HELP) == {"distinct", "repeated_4gram_rate", "self_bleu", "perplexity"}
    assert all(en and zh for en, zh in METRIC_HELP.values())
