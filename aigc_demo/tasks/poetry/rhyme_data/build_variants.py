"""Rebuild variants.json: which 平水韵 characters a simplified or variant character stands for (needs `opencc`).

The book (pingshui.json) lists traditional characters only. OpenCC's t2s conversion maps both a book character and
the forms people type (simplified 为, variant 爲 for the book's 為) to one simplified key; a character the book lacks,
or a simplified one, then takes the groups of the book characters that share its key. A traditional character in
the book keeps its own groups only, so traditional poems are judged exactly.

    pip install opencc==1.4.2 && python -m aigc_demo.tasks.poetry.rhyme_data.build_variants
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))  # CJK extension A, the basic block, compatibility


def book_chars() -> set[str]:
    """Every character in the book."""
    data = json.loads((HERE / "pingshui.json").read_text(encoding="utf-8"))
    return {
        ch
        for part in data.values()
        for groups in part.values()
        for lists in groups.values()
        for s in lists
        for ch in s
    }


def main() -> None:
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    book = book_chars()
    family: dict[str, set[str]] = {}
    for ch in book:
        family.setdefault(t2s(ch), set()).add(ch)
    variants = {}
    for start, stop in RANGES:
        for code in range(start, stop):
            ch = chr(code)
            key = t2s(ch)
            if ch in book and key != ch:
                continue  # a traditional book character: exact
            others = family.get(key, set()) - {ch}
            if others:
                variants[ch] = "".join(sorted(others))
    out = HERE / "variants.json"
    out.write_text(
        json.dumps(variants, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"{len(variants)} characters -> {out}")


if __name__ == "__main__":
    main()
