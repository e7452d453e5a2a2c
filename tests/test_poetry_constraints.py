"""Constrained decoding: the poem model's random twin must still write poems of exactly the requested form."""

import pytest
import torch

from aigc_demo.errors import UserError
from aigc_demo.tasks.poetry.chinese_check import check_poem, split_lines
from aigc_demo.tasks.poetry.chinese_decoding import (
    ChinesePoemLogitsProcessor,
    build_prompt,
    decode_poem,
    max_new_tokens_for,
    validate_poem_request,
    vocab_index,
)
from aigc_demo.tasks.poetry.forms import FORMS
from aigc_demo.tasks.poetry.request import default_model
from aigc_demo.twins import build_cjk_char_vocab

CHINESE_FORMS = [key for key, form in FORMS.items() if form.language == "zh"]
ACROSTICS = ["春夏秋冬", "风花雪月", "山高水长", "一二三四", "天地人和", "我爱中华"]
# 4 seeds x 50 sequences sampled in one batch = 200 poems per form; each seed has its own acrostic and tone setting.
SEEDS = range(4)
SEQUENCES_PER_SEED = 50


@pytest.fixture(scope="module")
def poet(manager):
    """The app's Chinese poet, as the app loads it: uer/gpt2-chinese-poem's twin (GPT-2 over a BERT character vocab)."""
    return manager.get(default_model("wuyan-jueju"))


@pytest.fixture(scope="module")
def tokenizer(poet):
    return poet.tokenizer


@pytest.fixture(scope="module")
def model(poet):
    # A 64-wide model is all thread overhead: one thread is several times faster on a busy 2-core machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield poet.model
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def fast_multinomial(monkeypatch):
    """Sample by inverse CDF: the same distribution as `torch.multinomial(probs, 1)`, about 10x faster on CPU.

    With a 21k vocab, `generate` spends most of its time drawing one random number per vocab entry.
    """
    multinomial = torch.multinomial

    def sample(probs, num_samples, *args, **kwargs):
        if num_samples != 1 or args or kwargs or probs.dim() != 2:
            return multinomial(probs, num_samples, *args, **kwargs)
        cdf = probs.cumsum(dim=-1)
        draw = torch.rand(probs.shape[0], 1, dtype=cdf.dtype) * cdf[:, -1:]
        return torch.searchsorted(cdf, draw, right=True).clamp_(max=probs.shape[1] - 1)

    monkeypatch.setattr(torch, "multinomial", sample)


def generate(model, tokenizer, form_key, seed, num_return_sequences=4, fixed_lines=(), **options):
    """Sample poems under the processor and return them as text."""
    prompt = tokenizer(build_prompt(fixed_lines), add_special_tokens=False, return_tensors="pt")["input_ids"]
    processor = ChinesePoemLogitsProcessor(
        tokenizer, form_key, prompt_length=prompt.shape[1], fixed_lines=fixed_lines, **options
    )
    torch.manual_seed(seed)
    with torch.no_grad():
        output = model.generate(
            prompt,
            do_sample=True,
            temperature=1.0,
            top_k=0,
            max_new_tokens=max_new_tokens_for(form_key, fixed_lines),
            num_return_sequences=num_return_sequences,
            logits_processor=[processor],
        )
    return [decode_poem(tokenizer, sequence, prompt.shape[1], fixed_lines) for sequence in output]


def test_build_cjk_char_vocab():
    vocab = build_cjk_char_vocab()
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert len(vocab) == len(set(vocab)) == 5 + 94 + 17 + 0x5200
    assert vocab[-1] == "\u9fff" and "，" in vocab and "。" in vocab


def test_prompt_round_trip(tokenizer):
    prompt = build_prompt(["梅山如积翠"])
    assert prompt == "[CLS]梅 山 如 积 翠 ,"  # the ASCII comma, as on the model card
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and tokenizer.unk_token_id not in ids
    assert decode_poem(tokenizer, ids, len(ids), ["梅山如积翠", "春风到我家"]) == "梅山如积翠，春风到我家。"


@pytest.mark.parametrize("form_key", CHINESE_FORMS)
def test_generation_always_has_the_form(model, tokenizer, form_key):
    form = FORMS[form_key]
    for seed in SEEDS:
        acrostic = ACROSTICS[seed % len(ACROSTICS)][: form.num_lines] if form.num_lines == 4 else "春夏秋冬风花雪月"
        enforce_tone = seed % 2 == 0
        poems = generate(
            model, tokenizer, form_key, seed, SEQUENCES_PER_SEED, acrostic=acrostic, enforce_tone=enforce_tone
        )
        for poem in poems:
            lines = split_lines(poem)
            assert len(lines) == form.num_lines, poem
            assert all(len(line.text) == form.chars_per_line for line in lines), poem
            assert [line.punctuation for line in lines] == ["，", "。"] * (form.num_lines // 2), poem
            assert "".join(line.text[0] for line in lines) == acrostic, poem
            report = check_poem(poem, form_key, acrostic)
            assert report.ok, (poem, report.summary())
            if enforce_tone:
                assert not report.failures(required_only=False), (poem, [c.en for c in report.failures(False)])


def test_without_strict_rhyme_the_shape_still_holds(model, tokenizer):
    for seed in range(2):
        for poem in generate(model, tokenizer, "qiyan-jueju", seed, 10, strict_rhyme=False):
            assert {c.name for c in check_poem(poem, "qiyan-jueju").failures()} <= {"rhyme", "rhyme_scheme"}, poem


@pytest.mark.parametrize(("form_key", "keep"), [("wuyan-jueju", 1), ("qiyan-jueju", 2), ("wuyan-lushi", 5)])
def test_regenerate_from_line_n_keeps_earlier_lines(model, tokenizer, form_key, keep):
    acrostic = "春夏秋冬风花雪月"[: FORMS[form_key].num_lines]
    first = generate(model, tokenizer, form_key, seed=1, num_return_sequences=1, acrostic=acrostic)[0]
    fixed = [line.text for line in split_lines(first)[:keep]]
    for seed in range(3):
        for poem in generate(model, tokenizer, form_key, seed, 10, fixed_lines=fixed, acrostic=acrostic):
            assert [line.text for line in split_lines(poem)[:keep]] == fixed, poem
            assert check_poem(poem, form_key, acrostic).ok, poem


def test_max_new_tokens_for():
    assert max_new_tokens_for("wuyan-jueju") == 24
    assert max_new_tokens_for(FORMS["qiyan-lushi"], ["一二三四五六七"] * 3) == 40


def test_poem_is_followed_only_by_eos(tokenizer):
    processor = ChinesePoemLogitsProcessor(tokenizer, "wuyan-jueju", prompt_length=0)
    done = tokenizer.convert_tokens_to_ids(list("床前明月光，疑是地上霜。举头望明月，低头思故乡。"))
    allowed = processor.allowed_tokens(done)
    assert allowed.nonzero().flatten().tolist() == [tokenizer.sep_token_id]


def test_a_row_is_never_all_minus_infinity(tokenizer):
    processor = ChinesePoemLogitsProcessor(tokenizer, "wuyan-jueju", prompt_length=0, acrostic="春夏秋冬")
    # An earlier processor (say a ban list) already removed the only allowed token, plus padded vocab columns.
    scores = torch.zeros(2, len(tokenizer) + 7)
    scores[:, tokenizer.convert_tokens_to_ids("春")] = float("-inf")
    out = processor(torch.zeros(2, 0, dtype=torch.long), scores)
    assert torch.isfinite(out).sum(dim=1).tolist() == [1, 1]
    assert out[:, tokenizer.convert_tokens_to_ids("春")].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("form_key", "acrostic", "fixed_lines", "expected"),
    [
        ("sonnet", None, (), "Unknown poem form"),
        ("haiku", None, (), "not a Chinese form"),
        ("wuyan-jueju", "春夏秋", (), "exactly 4 characters"),
        ("wuyan-lushi", "春夏秋冬", (), "exactly 8 characters"),
        ("wuyan-jueju", "春夏秋A", (), "must be Chinese characters"),
        ("wuyan-jueju", "春夏秋\U00020000", (), "cannot write"),
        ("wuyan-jueju", None, ["床前明月光"] * 4, "at most 3"),
        ("wuyan-jueju", None, ["床前明月"], "must be 5 Chinese characters"),
        ("wuyan-jueju", "春夏秋冬", ["床前明月光"], "acrostic needs '春'"),
    ],
)
def test_bad_requests_are_user_errors(tokenizer, form_key, acrostic, fixed_lines, expected):
    with pytest.raises(UserError) as error:
        validate_poem_request(tokenizer, form_key, acrostic, fixed_lines)
    assert expected in error.value.en and error.value.zh != error.value.en


def test_request_is_cleaned(tokenizer):
    form, acrostic, fixed = validate_poem_request(tokenizer, "wuyan-jueju", " 春夏 秋冬 ", ["春 前明月光，"])
    assert (form.key, acrostic, fixed) == ("wuyan-jueju", "春夏秋冬", ["春前明月光"])
    assert validate_poem_request(tokenizer, "wuyan-jueju", "")[1] is None


def test_vocab_index_works_for_byte_level_bpe():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    backend.train_from_iterator(["床前明月光，疑是地上霜。举头望明月，低头思故乡。"] * 20, trainer=trainer)
    bpe = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>")
    index = vocab_index(bpe)
    assert {"床", "，", "。"} <= set(index.ids_of)
    assert all(bpe.decode([i]).replace(",", "，") == ch for i, ch in index.char_of.items())
    assert len(index.ids_of["，"]) == 2  # the full-width and the ASCII comma
