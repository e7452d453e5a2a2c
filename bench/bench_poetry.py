"""The Chinese form checker on 唐诗三百首 (tests/data/tang300.json): acceptance per form and per rhyme book.

python -m bench.bench_poetry [--quick]
"""

import argparse
from pathlib import Path

from aigc_demo.tasks.poetry.corpus_evaluation import evaluate_tang300
from aigc_demo.tasks.poetry.rhyme_books import RHYME_BOOKS

TANG300 = Path(__file__).resolve().parents[1] / "tests" / "data" / "tang300.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="accepted for .ci/run; the run takes about a second")
    parser.parse_args()
    results = {key: evaluate_tang300(TANG300, key) for key in RHYME_BOOKS}
    forms = list(next(iter(results.values()))["per_form"])
    print(f"{'rhyme book':<10} {'poems':>5} {'accepted':>9} {'shape':>6} {'tones':>6}  " + "  ".join(forms))
    for key, r in results.items():
        per_form = "  ".join(f"{r['per_form'][f]['accepted']:>{len(f)}.1%}" for f in forms)
        print(
            f"{key:<10} {r['poems']:>5} {r['accepted']:>9.1%} {r['shape_ok']:>6.1%} {r['tones_on_pattern']:>6.1%}  "
            + per_form
        )


if __name__ == "__main__":
    main()
