"""Poetry and abstractive summary on llama.cpp serving Gemma 3 270M (the `llama_engine` fixture, once per llama.cpp
server): the form guarantee holds remotely, and the summary's map-reduce, progress and Stop work over the engine."""

from __future__ import annotations

from aigc_demo.tasks.common.worker import ENGINE_THREAD
from aigc_demo.tasks.poetry.poetry import PoemRequest, poem_lines, write_poem, write_poem_stream

from .helpers import alive_threads, threads_left

ARTICLE = " ".join(
    f"The city council met on day {i} to discuss the new harbour bridge, which will cost {i + 3} million dollars "
    f"and open in {2030 + i % 5}. Engineers said the design had been tested against storms of category {i % 4 + 1}."
    for i in range(12)
)


def enforcement(report) -> str:
    return " ".join(c.en for c in report.notes if c.name == "enforcement")


def test_a_served_chinese_acrostic_quatrain_holds_its_form(manager, llama_served):
    result = write_poem(
        manager, PoemRequest("春天的山", "wuyan-jueju", acrostic="春夏秋冬", model=llama_served.key, seed=3)
    )
    poem, report = result.poems[0], result.reports[0]
    lines = poem_lines(poem, "wuyan-jueju")
    assert len(lines) == 4 and all(len(line) == 5 for line in lines)
    assert "".join(line[0] for line in lines) == "春夏秋冬"
    assert not [c for c in report.failures() if c.name in ("line_count", "length", "characters", "acrostic")]
    assert not [c for c in report.failures() if c.name == "rhyme"], report.summary()  # line 4 by the grammar
    notes = enforcement(report)
    assert "grammar (GBNF)" in notes and "rhyme of each rhyming line" in notes
    assert "each line written alone, checked" in notes


def test_a_served_english_quatrain_rhymes_and_says_how(manager, llama_served):
    result = write_poem(manager, PoemRequest("the sea at night", "english-quatrain", model=llama_served.key, seed=5))
    report = result.reports[0]
    assert len(poem_lines(result.poems[0], "english-quatrain")) == 4
    assert not [c for c in report.failures() if c.name in ("line_count", "rhyme")], report.summary()
    assert "Rhyme: each line written alone" in enforcement(report)


def test_served_free_verse_is_one_grammar_request_with_its_acrostic(manager, llama_served):
    result = write_poem(
        manager, PoemRequest("morning", "english-free", acrostic="SUN", model=llama_served.key, seed=1)
    )
    lines = poem_lines(result.poems[0], "english-free")
    assert [line[0].upper() for line in lines] == list("SUN")
    assert result.reports[0].ok and "written alone" not in enforcement(result.reports[0])


def test_stopping_a_served_poem_closes_its_requests(manager, llama_served):
    updates = write_poem_stream(manager, PoemRequest("river", "qiyan-lushi", model=llama_served.key, seed=2))
    assert not next(updates).done
    updates.close()
    assert threads_left(ENGINE_THREAD, within_s=10) == [], "engine readers still running after Stop"


def test_a_served_summary_is_map_reduced_with_progress(manager, llama_served):
    from aigc_demo.tasks.news.news_summary import SummaryRequest, summarize_stream

    req = SummaryRequest(ARTICLE, "abstractive", llama_served.key, max_new_tokens=48)
    events = list(summarize_stream(manager, req, max_input_tokens=120))
    *progress, result = events
    stages = [p.stage for p in progress]
    assert "map" in stages and "reduce" in stages  # several chunks, then their summaries combined
    assert result.chunks and len(result.chunks) > 1 and result.levels >= 1
    assert result.summary.strip() and result.model == llama_served.key and not result.is_twin


def test_stopping_a_served_summary_closes_its_request(manager, llama_served):
    from aigc_demo.tasks.news.news_summary import SummaryRequest, summarize_stream

    events = summarize_stream(manager, SummaryRequest(ARTICLE, "abstractive", llama_served.key, max_new_tokens=200))
    for event in events:
        if getattr(event, "stage", "") == "map" and alive_threads(ENGINE_THREAD):
            break
    events.close()
    assert threads_left(ENGINE_THREAD, within_s=10) == [], "engine readers still running after Stop"
