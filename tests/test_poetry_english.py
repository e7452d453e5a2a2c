"""English poem forms: syllables, rhymes, the checker's reports, and constrained decoding on the twin."""

import random

import pronouncing
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, LogitsProcessorList, PreTrainedTokenizerFast

from aigc_demo.errors import UserError
from aigc_demo.tasks.poetry.english_check import check_english_poem, count_syllables, rhyme, words_of
from aigc_demo.tasks.poetry.english_decoding import EnglishFormLogitsProcessor
from aigc_demo.tasks.poetry.request import default_model

NUM_SEEDS = 50

HAIKU_PASSING = [
    "An old silent pond\nA frog jumps into the pond\nSplash! Silence again",
    "Morning river mist\nthe heron waits on one leg\nstill as a gray stone",
    "Snow on the window\nthe kettle hums a low song\nwinter afternoon",
    "\nCold moonlight on snow,\n\nthe cat's paws leave a faint trail.\nMorning comes slowly.\n",
]
HAIKU_FAILING = {
    "5-8-5": "Morning river mist\nthe gray heron waits on one leg\nstill as a gray stone",
    "5-7-6": "Morning river mist\nthe heron waits on one leg\nstill as a gray old stone",
    "4 lines": "Morning river mist\nthe heron waits on one leg\nstill as a gray stone\nthe end of the day",
    "2 lines": "Morning river mist\nthe heron waits on one leg",
    "6-7-5": "Early morning river mist\nthe heron waits on one leg\nstill as a gray stone",
}
QUATRAIN_ABAB = "Mist settles on the hills at night\nOver the river, slow and deep\nOur candles flicker, warm and bright\nNow all the weary children sleep"
QUATRAIN_ABCB = "The road goes on past every town\nAnd no one knows where it will end\nThe swallows circle in the rain\nAnd wait for summer like a friend"
QUATRAIN_AABB = "The cat sat on the garden wall\nAnd watched the yellow maple fall\nThe wind came singing through the trees\nAnd carried off the summer breeze"
QUATRAIN_NO_RHYME = "The cat sat on the garden wall\nAnd watched the yellow maple tree\nThe wind came singing through the town\nAnd carried off the autumn rain"
QUATRAIN_SAME_WORD = "The cat sat on the garden wall\nAnd watched the river in the night\nThe wind came singing through the town\nAnd carried off the autumn night"


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("autumn", 2), ("moonlight", 2), ("beautiful", 3), ("the", 1), ("Silence", 2), ("don't", 1), ("sea's", 1)],
)
def test_count_syllables_uses_the_cmu_dictionary(word, syllables):
    assert count_syllables(word) == syllables


@pytest.mark.parametrize(("word", "syllables"), [("blorf", 1), ("zorbes", 1), ("snarkle", 2), ("glimmerous", 3)])
def test_count_syllables_guesses_words_the_dictionary_lacks(word, syllables):
    assert not pronouncing.phones_for_word(word)
    assert count_syllables(word) == syllables


def test_words_of_splits_hyphens_and_keeps_apostrophes():
    assert words_of("The sea-green moon's light, don't go!") == [
        "The",
        "sea",
        "green",
        "moon's",
        "light",
        "don't",
        "go",
    ]


def test_rhyme():
    assert rhyme("night", "bright") and rhyme("Night", "daylight") and rhyme("sea", "free")
    assert not rhyme("night", "night")  # the same word is not a rhyme
    assert not rhyme("sea", "stone")
    assert rhyme("glorp", "florp")  # neither is in the dictionary: judged by spelling


@pytest.mark.parametrize("poem", HAIKU_PASSING)
def test_haiku_passes(poem):
    report = check_english_poem(poem, "haiku")
    assert report.ok, report.to_markdown()
    assert [c.ok for line in report.lines for c in line.checks] == [True, True, True]


@pytest.mark.parametrize("poem", HAIKU_FAILING.values(), ids=HAIKU_FAILING.keys())
def test_haiku_fails(poem):
    assert not check_english_poem(poem, "haiku").ok


def test_haiku_report_names_the_line_and_the_count():
    report = check_english_poem(HAIKU_FAILING["5-8-5"], "haiku")
    syllables = report.lines[1].checks[0]
    assert (syllables.name, syllables.ok) == ("syllables", False)
    assert "8 syllables" in syllables.en and "needs 7" in syllables.en and "8 个音节" in syllables.zh
    markdown = report.to_markdown()
    assert "✗ Line 2" in markdown and "✓ Line 1" in markdown
    assert "第 2 行" in report.to_markdown("zh")
    assert report.to_dict()["lines"][1]["checks"][0]["ok"] is False


@pytest.mark.parametrize(
    ("poem", "scheme"), [(QUATRAIN_ABAB, "ABAB"), (QUATRAIN_ABCB, "ABCB"), (QUATRAIN_AABB, "AABB")]
)
def test_quatrain_rhyme_schemes_pass(poem, scheme):
    report = check_english_poem(poem, "english-quatrain")
    assert report.ok, report.to_markdown()
    assert f"Rhyme scheme {scheme}" in report.to_markdown()


def test_quatrain_without_rhyme_fails_at_line_4():
    report = check_english_poem(QUATRAIN_NO_RHYME, "english-quatrain")
    assert not report.ok
    assert [c.ok for c in report.lines[3].checks] == [False]
    assert "does not rhyme" in report.lines[3].checks[0].en


def test_quatrain_repeating_the_end_word_is_not_a_rhyme():
    report = check_english_poem(QUATRAIN_SAME_WORD, "english-quatrain")
    assert not report.ok
    assert "same word" in report.lines[3].checks[0].en and "同一个词" in report.lines[3].checks[0].zh


def test_quatrain_with_three_lines_fails_without_rhyme_verdict():
    report = check_english_poem("\n".join(QUATRAIN_ABAB.splitlines()[:3]), "english-quatrain")
    assert not report.ok
    assert [(n.name, n.ok) for n in report.notes] == [("line_count", False), ("rhyme_scheme", None)]


def test_acrostic_is_case_insensitive_and_skips_leading_punctuation():
    poem = '"Mist settles on the hills at night\n over the river, slow and deep\nOur candles flicker, warm and bright\nNow all the weary children sleep'
    assert check_english_poem(poem, "english-quatrain", acrostic="moon").ok


def test_acrostic_reports_the_wrong_head():
    report = check_english_poem(QUATRAIN_ABAB, "english-quatrain", acrostic="MOSN")
    assert not report.ok
    assert [line.ok for line in report.lines] == [True, True, False, True]
    assert "“S”" in report.lines[2].checks[0].en


def test_acrostic_sets_the_line_count_of_free_verse():
    poem = "Stars over water\nEvening bells\nAll the boats asleep"
    assert check_english_poem(poem, "english-free", acrostic="SEA").ok
    report = check_english_poem(poem + "\nand one line more", "english-free", acrostic="SEA")
    assert not report.ok and report.lines[3].checks[0].name == "line_count"
    assert check_english_poem(poem + "\nand one line more", "english-free").ok


@pytest.mark.parametrize(
    ("form_key", "acrostic", "expected"),
    [
        ("sonnet", None, "Unknown English poem form"),
        ("english-quatrain", "SEA", "needs 4 letters"),
        ("haiku", "MOON", "needs 3 letters"),
        ("haiku", "月亮", "must be English letters"),
        ("english-free", "R2D2", "must be English letters"),
        ("english-free", "A" * 17, "at most 16"),
    ],
)
def test_invalid_requests_raise_user_errors(form_key, acrostic, expected):
    with pytest.raises(UserError) as error:
        check_english_poem("A line", form_key, acrostic)
    assert expected in error.value.en and error.value.zh != error.value.en


def test_empty_poem_is_a_user_error():
    with pytest.raises(UserError, match="The poem is empty"):
        check_english_poem(" \n\n", "haiku")


# Decoding on the app's English poet as the app loads it: the random twin of qwen2.5-0.5b-instruct, with Qwen's own
# byte-level BPE tokenizer (whole words, sub-word pieces and every other script's tokens: the vocabulary the processor
# must steer through in the app).
@pytest.fixture(scope="module")
def poet(manager):
    return manager.get(default_model("haiku"))


@pytest.fixture(scope="module")
def tokenizer(poet):
    return poet.tokenizer


@pytest.fixture(scope="module")
def model(poet):
    # One thread: a 2-layer model is too small to gain from more, and the test is timed on 2 cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield poet.model
    torch.set_num_threads(threads)


def generate(tokenizer, model, form_key, acrostic, seed, fixed_lines=(), num_return_sequences=1, **processor_kwargs):
    """Sample poems for one seed; the prompt ends with the kept lines, as "regenerate from line N" sends it."""
    prompt = "Poem:\n" + "".join(line + "\n" for line in fixed_lines)
    inputs = tokenizer(prompt, return_tensors="pt")
    prompt_len = inputs.input_ids.shape[1]
    eos = model.generation_config.eos_token_id  # as the app passes it (poetry._english_plan)
    processor = EnglishFormLogitsProcessor(
        tokenizer, form_key, acrostic, prompt_len, fixed_lines, eos_token_id=eos, **processor_kwargs
    )
    torch.manual_seed(seed)
    with torch.no_grad():
        output = model.generate(
            **inputs,
            do_sample=True,
            top_k=0,
            max_new_tokens=110,
            num_return_sequences=num_return_sequences,
            logits_processor=LogitsProcessorList([processor]),
            pad_token_id=tokenizer.eos_token_id if tokenizer.pad_token is None else tokenizer.pad_token_id,
        )
    return [
        "".join(line + "\n" for line in fixed_lines) + tokenizer.decode(row[prompt_len:], skip_special_tokens=True)
        for row in output
    ]


def structure_ok(report):
    """Line count and acrostic heads: the rules decoding must always meet."""
    names = ("line_count", "acrostic")
    return all(c.ok for c in report.notes if c.name in names) and all(
        c.ok for line in report.lines for c in line.checks if c.name in names
    )


def decode_many(tokenizer, model, form_key, acrostic, **processor_kwargs):
    """One poem per seed, each checked: every poem meets the rules decoding guarantees; the reports."""
    poems = [
        poem
        for seed in range(NUM_SEEDS)
        for poem in generate(tokenizer, model, form_key, acrostic, seed, **processor_kwargs)
    ]
    reports = [check_english_poem(poem, form_key, acrostic) for poem in poems]
    failures = [r.to_markdown() for r in reports if not structure_ok(r)]
    assert not failures, failures[0]
    return reports


def pass_rate(reports, form_key: str, acrostic: str) -> float:
    rate = sum(r.ok for r in reports) / len(reports)
    rule = {"haiku": "5-7-5 syllables", "english-quatrain": "rhyme"}.get(form_key, "all rules")
    print(f"\n{form_key} {acrostic}: {rule} pass rate {rate:.0%} over {len(reports)} seeds")
    return rate


# Free verse gets a short token cap per line: a random model rarely samples a newline, so lines run to the cap.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("form_key", "acrostic", "processor_kwargs"),
    [("haiku", "SKY", {}), ("english-quatrain", "MOON", {}), ("english-free", "SEA", {"max_line_tokens": 12})],
)
def test_decoding_always_meets_line_count_and_acrostic(tokenizer, model, form_key, acrostic, processor_kwargs):
    reports = decode_many(tokenizer, model, form_key, acrostic, **processor_kwargs)
    # Far below what the twin reaches (quatrain ~100%, free verse 100%): catches a broken constraint, not bad luck.
    # Haikus scan less often on the twin (~50%): random weights glue Qwen's sub-word pieces into made-up words
    # ("linedmdp") whose syllables the checker guesses differently from the decoder's count per piece; their 5-7-5
    # is held to the old bar on a vocabulary of words below.
    assert pass_rate(reports, form_key, acrostic) >= {"haiku": 0.4, "english-quatrain": 0.7}.get(form_key, 1.0)


# The haiku's syllable constraint on a vocabulary of words: a tokenizer trained on lines of poem words (with rhyming
# families) and CMU dictionary words, so it holds whole words and sub-word pieces, but few made-up words. Only a
# vocabulary this small keeps the checker's syllable guesses and the decoder's counts in step (see above): kept
# hand-built for that, under a tiny random GPT-2.
POEM_WORDS = """
night light bright sight white flight day way say play gray stay away sea free tree me see be
moon soon tune june noon rain again plain pain sky high fly by lie eye cold gold old told hold
heart part start apart song long along strong wrong sleep deep keep weep snow glow slow know show
wind kind mind find behind the a of and in on to my your our with from under over through
river mountain garden window autumn summer winter morning evening silver golden quiet gentle silent
distant falling rising endless hollow leaves stars flowers birds shadows waves clouds stones
sings dreams waits burns drifts sleeps whispers wanders
""".split()


@pytest.fixture(scope="module")
def word_tokenizer():
    pronouncing.init_cmu()
    rng = random.Random(0)
    dictionary_words = rng.sample(sorted(w for w in pronouncing.lookup if w.isalpha() and 3 <= len(w) <= 8), 1500)
    pool = POEM_WORDS * 4 + dictionary_words
    lines = [" ".join(rng.choice(pool) for _ in range(rng.randint(4, 9))) for _ in range(600)]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(lines, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>")


@pytest.fixture(scope="module")
def word_model(word_tokenizer):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(word_tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=256,
        bos_token_id=word_tokenizer.eos_token_id,
        eos_token_id=word_tokenizer.eos_token_id,
        pad_token_id=word_tokenizer.eos_token_id,
    )
    yield GPT2LMHeadModel(config).eval()
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_haikus_scan_on_a_vocabulary_of_words(word_tokenizer, word_model):
    reports = decode_many(word_tokenizer, word_model, "haiku", "SKY")
    # Far below what random weights reach here (~95%): catches a broken constraint, not bad luck.
    assert pass_rate(reports, "haiku", "SKY") >= 0.7


def test_batched_rows_keep_their_own_state(tokenizer, model):
    for seed in range(3):
        for poem in generate(tokenizer, model, "english-quatrain", None, seed, num_return_sequences=6):
            report = check_english_poem(poem, "english-quatrain")
            assert structure_ok(report), report.to_markdown()


def test_regenerate_from_line_3_keeps_lines_1_and_2(tokenizer, model):
    kept = QUATRAIN_ABAB.splitlines()[:2]
    for seed in range(3):
        for poem in generate(tokenizer, model, "english-quatrain", "MOON", seed, kept, num_return_sequences=4):
            report = check_english_poem(poem, "english-quatrain", "MOON")
            assert poem.splitlines()[:2] == kept
            assert report.ok, report.to_markdown()  # lines 3 and 4 rhyme with the kept "night" and "deep"


def test_processor_never_leaves_a_row_without_a_token(tokenizer):
    processor = EnglishFormLogitsProcessor(tokenizer, "haiku", "SKY", prompt_len=0)
    padded_vocab = len(tokenizer) + 6  # model vocabularies are often padded past the tokenizer's
    for row_ids in ([], tokenizer.encode(" sky light"), tokenizer.encode(" sky light\nk")):
        ids = torch.tensor([row_ids], dtype=torch.long)
        for scores in (torch.zeros(1, padded_vocab), torch.full((1, padded_vocab), float("-inf"))):
            out = processor(ids, scores)
            assert torch.isfinite(out).any() and not torch.isfinite(out[0, len(tokenizer) :]).any()


def test_processor_rejects_regenerating_past_the_last_line(tokenizer):
    with pytest.raises(UserError, match="Cannot regenerate from line 4: the poem has 3 lines"):
        EnglishFormLogitsProcessor(tokenizer, "haiku", None, prompt_len=0, fixed_lines=["a", "b", "c"])


def test_the_shared_vocabulary_does_not_keep_an_unloaded_tokenizer_alive(tokenizer):
    import gc
    import weakref

    from aigc_demo.tasks.poetry import english_decoding

    copy = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer.backend_tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>"
    )
    processor = EnglishFormLogitsProcessor(copy, "haiku")
    again = EnglishFormLogitsProcessor(copy, "english-quatrain")
    assert again.vocab is processor.vocab  # read once, shared by requests
    copy.add_tokens(["zzzqqq"])
    assert EnglishFormLogitsProcessor(copy, "haiku").vocab is not processor.vocab  # a changed vocabulary is re-read
    alive = weakref.ref(copy)
    del copy, processor, again
    gc.collect()
    assert alive() is None
    assert all(key is not None for key in english_decoding._VOCABULARIES.keys())
