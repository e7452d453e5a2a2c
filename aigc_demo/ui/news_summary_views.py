"""What the news summary tab shows: article facts, stats with the compression ratio, ROUGE, and the support view.

Plain functions from a SummaryResult to Markdown or HTML, in the user's language; the tab module wires them up.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from aigc_demo import settings
from aigc_demo.tasks.common.labels import label_text
from aigc_demo.tasks.common.language import detect_language
from aigc_demo.tasks.common.validation import too_long
from aigc_demo.tasks.news.news_summary import SummaryResult
from aigc_demo.tasks.news.text_units import split_sentences
from aigc_demo.ui.common import ai_label, tr

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "examples"
PALETTE = [  # one soft colour per summary sentence, readable in light and dark themes
    "#fde68a",
    "#bfdbfe",
    "#bbf7d0",
    "#fbcfe8",
    "#ddd6fe",
    "#fed7aa",
    "#a5f3fc",
    "#d9f99d",
    "#fecaca",
    "#e5e7eb",
]
ARTICLE_CSS = """
.news-article { white-space: pre-wrap; line-height: 1.7; padding-top: 1.8em; }
.news-article mark { color: #111827; padding: 1px 2px; border-radius: 4px; }
.news-article sup { font-weight: 700; font-size: 0.7em; margin-left: 2px; }
"""
ROUGE_COLUMNS = (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeLsum", "ROUGE-L"))


def load_examples() -> tuple[list[list[str]], list[str]]:
    """[article, reference] rows and their labels from aigc_demo/assets/examples/news_{en,zh}.json."""
    rows, labels = [], []
    for lang, tag in (("en", "EN"), ("zh", "中文")):
        path = EXAMPLES_DIR / f"news_{lang}.json"
        if path.exists():
            for item in json.loads(path.read_text(encoding="utf-8")):
                rows.append([item["article"], item.get("reference", "")])
                labels.append(f"📰 {tag}: {item['title']}")
    return rows, labels


def sentences_en(n: int) -> str:
    return f"{n} sentence" if n == 1 else f"{n} sentences"


def article_info(lang: str, text: str) -> str:
    """A one-line description of the pasted article: size, sentences, language; over the limit, only that sentence.

    It answers every change of the box, outside the queue: an article over the limit is refused before any work.
    """
    text = text or ""
    if len(text) > settings.MAX_ARTICLE_CHARS:
        return "⚠️ " + too_long("article", len(text), settings.MAX_ARTICLE_CHARS).message(lang)
    text = text.strip()
    if not text:
        return ""
    language = detect_language(text)
    n = len(split_sentences(text, language))
    size = (
        tr(lang, f"{len(text):,} characters", f"{len(text):,} 字")
        if language == "zh"
        else tr(lang, f"{len(text.split()):,} words", f"{len(text.split()):,} 个英文词")
    )
    return f"{size} · {tr(lang, sentences_en(n), f'{n} 句')} · {tr(lang, 'English', '英文') if language == 'en' else tr(lang, 'Chinese', '中文')}"


def stats_text(lang: str, r: SummaryResult) -> str:
    unit = tr(lang, "characters", "字") if r.language == "zh" else tr(lang, "words", "词")
    percent = f"{100 * r.compression:.0f}%"
    lines = [
        tr(
            lang,
            f"**Compression:** the summary is **{percent}** of the article ({r.summary_length:,} of "
            f"{r.article_length:,} {unit}) · {sentences_en(len(r.summary_sentences))} · {r.seconds:.2f} s",
            f"**压缩比：** 摘要为原文的 **{percent}**（{r.summary_length:,} / {r.article_length:,} {unit}）· "
            f"{len(r.summary_sentences)} 句 · {r.seconds:.2f} 秒",
        )
    ]
    if r.method != "extractive" and r.found_in_article is not None:
        found = f"{100 * r.found_in_article:.0f}%"
        lines.append(
            tr(
                lang,
                f"**Found in the article:** {found} of the summary's word pairs (a simple faithfulness signal: pairs "
                "the article never has were paraphrased or made up).",
                f"**原文可查：** 摘要中 {found} 的相邻字对出现在原文中（一个简单的忠实度信号：原文没有的字对是改写或编造的）。",
            )
        )
    if len(r.chunks) > 1:
        lines.append(
            tr(
                lang,
                f"📚 Longer than the model reads at once ({r.input_budget:,} tokens): summarised in "
                f"{len(r.chunks)} parts, then the part summaries were combined ({r.levels} round(s)). Nothing was cut.",
                f"📚 文章超过模型一次能读的长度（{r.input_budget:,} 个词元）：分成 {len(r.chunks)} 部分分别摘要，"
                f"再合并（{r.levels} 轮），没有内容被截去。",
            )
        )
    lines += [f"⚠️ {tr(lang, en, zh)}" for en, zh in r.warnings]
    if r.method == "extractive":  # copied, not generated: the label says so
        lines.append(label_text(lang, r.model, ai_generated=False))
    else:
        lines.append(ai_label(lang, r.model, tr(lang, "may contain mistakes", "可能有误")))
    return "  \n".join(lines)


def rouge_table(lang: str, r: SummaryResult) -> str:
    if not r.rouge:
        return ""
    header = "| | " + " | ".join(name for _, name in ROUGE_COLUMNS) + " |\n|---|" + "---:|" * len(ROUGE_COLUMNS)
    rows = [
        (tr(lang, "This summary", "本摘要"), r.rouge),
        (tr(lang, "Lead-3 (first 3 sentences)", "Lead-3（前三句）"), r.lead3_rouge),
    ]
    body = "\n".join(
        f"| {name} | " + " | ".join(f"{100 * s[k]:.1f}" for k, _ in ROUGE_COLUMNS) + " |" for name, s in rows
    )
    note = tr(
        lang,
        "ROUGE against your reference summary, 0-100: higher means more words and word pairs in common. Lead-3 is "
        "the classic baseline that news summarisers have to beat.",
        "与参考摘要比较的 ROUGE（0-100）：越高表示共同的字词越多。Lead-3 是新闻摘要要超越的经典基线。",
    )
    return f"{header}\n{body}\n\n{note}"


def support_text(lang: str, r: SummaryResult) -> str:
    """One line per summary sentence: which article sentences back it up, or a flag when none does."""
    lines = []
    for i, (sentence, pairs) in enumerate(zip(r.summary_sentences, r.support, strict=True)):
        if not pairs:
            source = tr(lang, "⚠️ not found in the article: check this sentence", "⚠️ 原文中找不到依据：请核对此句")
        elif r.method == "extractive":
            source = tr(lang, f"copied from article sentence {pairs[0][0] + 1}", f"摘自原文第 {pairs[0][0] + 1} 句")
        else:
            found = ", ".join(f"{index + 1} ({100 * score:.0f}%)" for index, score in pairs)
            source = tr(lang, f"supported by article sentence(s) {found}", f"依据原文第 {found} 句")
        lines.append(f"**S{i + 1}** {sentence}  \n↳ {source}")
    return "\n\n".join(lines)


def highlighted_article(article: str, r: SummaryResult) -> str:
    """The article as HTML; each supporting sentence is marked with the summary sentence it backs best (S1, S2...)."""
    best: dict[int, tuple[float, int]] = {}
    for i, pairs in enumerate(r.support):
        for index, score in pairs:
            if index not in best or score > best[index][0]:
                best[index] = (score, i)
    parts: list[str] = []
    cursor = 0
    for index, sentence in enumerate(r.article_sentences):
        parts.append(html.escape(article[cursor : sentence.start]))
        text = html.escape(sentence.text)
        if index in best:
            score, i = best[index]
            color = PALETTE[i % len(PALETTE)]
            text = (
                f'<mark style="background:{color}" title="S{i + 1}: {100 * score:.0f}%">{text}'
                f"<sup>S{i + 1}</sup></mark>"
            )
        parts.append(text)
        cursor = sentence.end
    parts.append(html.escape(article[cursor:]))
    return f'<div class="news-article">{"".join(parts)}</div>'
