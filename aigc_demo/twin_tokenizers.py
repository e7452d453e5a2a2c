"""The real tokenizers of the catalogue's models, rebuilt offline from files on the package registries.

Each function returns the tokenizer its model ships (same class, same ids), or None when its file cannot be had; the
twins then train one locally (aigc_demo/twins.py). Sources and checked facts are in the README's table. BART has no
real vocabulary on the registries (it renumbers GPT-2's BPE with fairseq's dictionary): its twins keep a local BPE.
"""

from __future__ import annotations

import base64
import functools
import gzip
import logging

from aigc_demo import packaged

log = logging.getLogger(__name__)

# Qwen2.5's added tokens after its 151,643 BPE ranks, in id order (151643...); `False` = not a special token.
QWEN_ADDED_TOKENS = [
    ("<|endoftext|>", True),
    ("<|im_start|>", True),
    ("<|im_end|>", True),
    ("<|object_ref_start|>", True),
    ("<|object_ref_end|>", True),
    ("<|box_start|>", True),
    ("<|box_end|>", True),
    ("<|quad_start|>", True),
    ("<|quad_end|>", True),
    ("<|vision_start|>", True),
    ("<|vision_end|>", True),
    ("<|vision_pad|>", True),
    ("<|image_pad|>", True),
    ("<|video_pad|>", True),
    ("<tool_call>", False),
    ("</tool_call>", False),
    ("<|fim_prefix|>", False),
    ("<|fim_middle|>", False),
    ("<|fim_suffix|>", False),
    ("<|fim_pad|>", False),
    ("<|repo_name|>", False),
    ("<|file_sep|>", False),
]
QWEN_VOCAB_SIZE = 151936  # Qwen2.5-0.5B's embedding rows: the 151,665 tokens padded up


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from bytes to printable characters, which byte-level BPE vocabularies are spelled in."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    rest = [b for b in range(256) if b not in printable]
    # The order matters to CLIP, whose vocabulary starts with these characters in this order.
    chars = {b: chr(b) for b in printable}
    chars.update({b: chr(256 + i) for i, b in enumerate(rest)})
    return chars


def _spell(token: bytes) -> str:
    table = bytes_to_unicode()
    return "".join(table[b] for b in token)


def _bpe_split(ranks: dict[bytes, int], token: bytes, max_rank: int) -> list[bytes]:
    """The parts byte-level BPE reaches for `token` using only merges ranked below `max_rank`."""
    parts = [bytes([b]) for b in token]
    while True:
        best = None
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < max_rank and (best is None or rank < best[1]):
                best = (i, rank)
        if best is None:
            return parts
        i = best[0]
        parts[i : i + 2] = [parts[i] + parts[i + 1]]


def tiktoken_vocab_merges(text: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A tiktoken rank file ("base64 rank" lines) as a byte-level BPE vocab and merges, as transformers spells them."""
    ranks = {}
    for line in text.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    vocab, merges = {}, []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        vocab[_spell(token)] = rank
        if len(token) > 1:
            parts = _bpe_split(ranks, token, rank)
            if len(parts) == 2:
                merges.append((_spell(parts[0]), _spell(parts[1])))
    return vocab, merges


def _read(name: str) -> str | None:
    path = packaged.tokenizer_file(name)
    return None if path is None else path.read_text(encoding="utf-8")


def gpt2():
    """openai-community/gpt2's tokenizer: 50,257 tokens (OpenAI's ranks, via openai-whisper's gpt2.tiktoken)."""
    from transformers import GPT2Tokenizer

    text = _read("gpt2.tiktoken")
    if text is None:
        return None
    vocab, merges = tiktoken_vocab_merges(text)
    vocab["<|endoftext|>"] = len(vocab)  # 50256
    return GPT2Tokenizer(vocab=vocab, merges=merges, model_max_length=1024)


def qwen2():
    """Qwen2.5's tokenizer: 151,643 ranks (qwen-agent's qwen.tiktoken), its 22 added tokens and its chat template."""
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    text, template = _read("qwen.tiktoken"), _read("Qwen-Qwen2.5-7B-Instruct.jinja")
    if text is None or template is None:
        return None
    vocab, merges = tiktoken_vocab_merges(text)
    tok = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        bos_token=None,
        eos_token="<|endoftext|>",  # added first, as id 151643; <|im_end|> becomes the eos token below
        pad_token="<|endoftext|>",
        model_max_length=131072,
    )
    for content, special in QWEN_ADDED_TOKENS[1:]:  # one by one, so that each gets the next id
        tok.add_tokens([AddedToken(content, special=special, normalized=False)], special_tokens=special)
    tok.eos_token = "<|im_end|>"
    tok.chat_template = template
    return tok


def bert_chinese():
    """bert-base-chinese's 21,128-entry character vocab (cn_clip's vocab.txt): uer/gpt2-chinese-poem's first ids."""
    from transformers import BertTokenizer

    text = _read("bert-base-chinese-vocab.txt")
    if text is None:
        return None
    # split("\n"), not splitlines(): some entries are characters that splitlines() also breaks on (\x1c, \u2028...).
    entries = text.split("\n")
    if entries and entries[-1] == "":
        entries.pop()
    return BertTokenizer(vocab={token: i for i, token in enumerate(entries)})


def clip():
    """CLIP's tokenizer (open_clip's bpe_simple_vocab_16e6): 49,408 tokens, as sd-turbo ships it (pad "!", 77)."""
    from transformers import CLIPTokenizer

    path = packaged.tokenizer_file("bpe_simple_vocab_16e6.txt.gz")
    if path is None:
        return None
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
    alphabet = list(bytes_to_unicode().values())
    tokens = alphabet + [a + "</w>" for a in alphabet] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {token: i for i, token in enumerate(tokens)}
    return CLIPTokenizer(vocab=vocab, merges=merges, pad_token="!", model_max_length=77)


def gemma():
    """Gemma 3's tokenizer (262,144 SentencePiece-style tokens), from the packaged GGUF once it is converted."""
    from aigc_demo import loaders
    from aigc_demo.catalog import CATALOG

    spec = CATALOG.get("gemma-3-270m")
    if spec is None or not packaged.installed(spec):
        return None
    try:
        return loaders.load_tokenizer(loaders.packaged_folder(spec))
    except Exception as exc:  # noqa: BLE001 - a failed conversion leaves the twin a local tokenizer, said once
        log.warning("The packaged Gemma tokenizer could not be converted (%s); its twin trains one locally.", exc)
        return None
