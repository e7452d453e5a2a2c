"""How the tabs show a finished run's numbers: one short line per candidate, and what each number means."""

from __future__ import annotations

import gradio as gr

from aigc_demo.tasks.common.evaluation import METRIC_HELP
from aigc_demo.ui.common import tr
from aigc_demo.ui.i18n import t


def candidate_line(lang: str, name: str, scores: dict, alone: bool) -> str:
    """e.g. `**Candidate 1** · varied 0.82 / 0.97 · repeats 0% · like the others 12 · perplexity 35.1`."""
    parts = [
        f"**{name}**",
        tr(lang, "varied", "多样度") + f" {scores['distinct_1']:.2f} / {scores['distinct_2']:.2f}",
        tr(lang, "repeats", "重复") + f" {100 * scores['repeated_4gram_rate']:.0f}%",
    ]
    if not alone:
        parts.append(tr(lang, "like the others", "与其他相似") + f" {scores['self_bleu']:.0f}")
    if scores.get("perplexity") is not None:
        parts.append(tr(lang, "perplexity", "困惑度") + f" {scores['perplexity']:.1f}")
    return " · ".join(parts)


def metrics_markdown(lang: str, evaluation: dict | None, names: list[str] | None = None) -> str:
    """The finished run's numbers in plain words: one line per candidate, then the set (several candidates)."""
    if not evaluation:
        return ""
    texts = evaluation["texts"]
    alone = len(texts) == 1
    names = names or [tr(lang, f"Candidate {i + 1}", f"候选 {i + 1}") for i in range(len(texts))]
    lines = [f"📏 {tr(lang, 'Measured', '评估')}"]
    lines += [candidate_line(lang, name, scores, alone) for name, scores in zip(names, texts, strict=False)]
    if not alone:
        lines.append(
            tr(lang, "**All together**", "**整体**")
            + f" · {tr(lang, 'varied', '多样度')} {evaluation['distinct_1']:.2f} / {evaluation['distinct_2']:.2f}"
            + f" · {tr(lang, 'repeats', '重复')} {100 * evaluation['repeated_4gram_rate']:.0f}%"
            + f" · self-BLEU {evaluation['self_bleu']:.1f}"
        )
    if evaluation.get("perplexity_skipped") == "served":
        lines.append(
            tr(
                lang,
                "Perplexity not measured: a serving engine wrote this and does not report its likelihoods.",
                "未计算困惑度：这段文字由服务引擎生成，它不提供概率。",
            )
        )
    return "  \n".join(lines)


def metrics_help(prefix: str) -> None:
    """A closed accordion with one line per metric, in the reader's language (the i18n table translates it)."""
    with gr.Accordion(t(f"{prefix}.metrics.help", "What do these numbers mean?", "这些数字是什么意思？"), open=False):
        for key, (en, zh) in METRIC_HELP.items():
            gr.Markdown(t(f"metrics.help.{key}", en, zh))


def ranked_gallery(lang: str, images: list, seed: int, clip) -> tuple[list, list[str]]:
    """(images, captions) for the gallery: newest first while drawing; once scored, best CLIP match first, marked."""
    if clip is None:
        order = list(reversed(range(len(images))))
    else:
        order = clip.ranking
    captions = []
    for rank, i in enumerate(order):
        caption = tr(lang, f"🤖 AI · seed {seed + i}", f"🤖 AI · 种子 {seed + i}")
        if clip is not None and i not in clip.hidden:
            caption += f" · CLIP {clip.scores[i]:.1f}"
            if rank == 0 and len(images) > 1:
                caption = "⭐ " + caption + tr(lang, " · best match", " · 最贴合")
        captions.append(caption)
    return [images[i] for i in order], captions


def clip_line(lang: str, clip) -> str:
    """One line under the images: their CLIP scores, best first, and what the number means."""
    if clip is None:
        return ""
    from aigc_demo.tasks.image.clip_score import HELP

    scores = " · ".join(f"{clip.scores[i]:.1f}" for i in clip.ranking if i not in clip.hidden)
    twin = tr(lang, " (offline stand-in: random scores)", "（离线替身：分数是随机的）") if clip.is_twin else ""
    return f"📏 CLIP {scores}{twin}  \n{tr(lang, *HELP)}"
