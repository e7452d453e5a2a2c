"""ROUGE of our extractive summary against Lead-3 on CNN/DailyMail and XSum dev articles; prints one table.

Run from the repository root: `python -m bench.bench_summary [--quick] [--model distilbart-cnn-12-6]`. The data stays
in ../shared/data (never copied into the repo); without it the benchmark says what it skipped and exits 0. `--model` adds a row for the app's abstractive path (map-reduce included) with that catalogue model;
it is loaded as AIGC_MODELS says, and a row computed on an offline twin (random weights) is marked as such.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from aigc_demo.tasks.news.extractive import extractive_summary, lead_n
from aigc_demo.tasks.news.rouge import rouge

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "news_en_dev.jsonl"
DATASETS = ("cnn_dailymail", "xsum")
METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
NUM_SENTENCES = 3  # the same budget as Lead-3, so the comparison is about which sentences, not how many
QUICK_PER_DATASET = 10


def load_articles(quick: bool = False, path: Path = DATA) -> dict[str, list[dict]]:
    """Articles by dataset, in file order; the first QUICK_PER_DATASET of each when `quick`."""
    by_dataset: dict[str, list[dict]] = {name: [] for name in DATASETS}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            by_dataset[row["dataset"]].append(row)
    if quick:
        by_dataset = {name: rows[:QUICK_PER_DATASET] for name, rows in by_dataset.items()}
    return by_dataset


def evaluate(rows: list[dict], model: str = "") -> dict[str, dict[str, float]]:
    """Mean ROUGE F1 (x100) and milliseconds per article, for "ours", "lead3" and, with `model`, "abstr"."""
    methods = {
        "ours": lambda text: extractive_summary(text, NUM_SENTENCES, "en"),
        "lead3": lambda text: lead_n(text, 3),
    }
    if model:
        from aigc_demo.manager import get_manager
        from aigc_demo.tasks.news.news_summary import SummaryRequest, summarize_stream

        def abstractive(text: str):
            *_, result = summarize_stream(get_manager(), SummaryRequest(text, "abstractive", model))
            return result

        methods["abstr"] = abstractive
    results = {}
    for name, summarise in methods.items():
        scores = {metric: [] for metric in METRICS}
        seconds = 0.0
        for row in rows:
            start = time.perf_counter()
            summary = summarise(row["article"]).summary
            seconds += time.perf_counter() - start
            for metric, value in rouge(summary, row["reference"], "en").items():
                scores[metric].append(value)
        results[name] = {metric: 100 * statistics.fmean(values) for metric, values in scores.items()}
        results[name]["ms_per_article"] = 1000 * seconds / len(rows)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_PER_DATASET} articles per dataset")
    parser.add_argument("--model", default="", help="also run the abstractive path with this catalogue model")
    args = parser.parse_args()
    if not DATA.exists():
        print(
            f"bench_summary: skipped, {DATA} is not here (the news dev set lives beside the repo, in ../shared/data)."
        )
        return
    # Warm-up, so the first article does not carry the one-off import and tokenizer set-up in its time.
    extractive_summary("One sentence here. Another sentence there.", 1, "en")
    header = f"{'dataset':<14} {'method':<6} {'n':>3} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'R-Lsum':>6} {'ms/art':>7}"
    print(header)
    print("-" * len(header))
    for dataset, rows in load_articles(args.quick).items():
        for method, row in evaluate(rows, args.model).items():
            values = " ".join(f"{row[metric]:6.2f}" for metric in METRICS)
            print(f"{dataset:<14} {method:<6} {len(rows):>3} {values} {row['ms_per_article']:7.2f}")
    if args.model:
        from aigc_demo.manager import get_manager

        loaded = get_manager().status()["loaded"]
        if any(m["twin"] for m in loaded):
            print(f"abstr = {args.model} as an offline twin (random weights): its scores mean nothing.")


if __name__ == "__main__":
    main()
