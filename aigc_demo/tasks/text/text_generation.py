"""Text generation: validated sampling settings, chat templates for instruct models, token streaming, run stats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec, default_model, get_spec
from aigc_demo.errors import UserError
from aigc_demo.manager import LoadedModel, ModelManager
from aigc_demo.tasks.common.evaluation import score_candidates
from aigc_demo.tasks.common.language import count_cjk
from aigc_demo.tasks.common.safe_mode import check_prompt
from aigc_demo.tasks.common.streaming import stream_generate
from aigc_demo.tasks.common.validation import check_number, check_text, resolve_seed

# Plain-language presets; the values are shown next to them in the UI.
PRESETS: dict[str, dict[str, float | int]] = {
    "Precise": {
        "temperature": 0.0,
        "top_k": 0,
        "top_p": 1.0,
        "min_p": 0.0,
        "typical_p": 1.0,
        "repetition_penalty": 1.1,
    },
    "Balanced": {
        "temperature": 0.7,
        "top_k": 50,
        "top_p": 0.9,
        "min_p": 0.0,
        "typical_p": 1.0,
        "repetition_penalty": 1.1,
    },
    "Creative": {
        "temperature": 1.1,
        "top_k": 0,
        "top_p": 0.95,
        "min_p": 0.05,
        "typical_p": 1.0,
        "repetition_penalty": 1.05,
    },
}


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings, named as in `transformers.GenerationConfig`."""

    max_new_tokens: int = settings.DEFAULT_NEW_TOKENS  # tokens to generate at most
    temperature: float = settings.DEFAULT_TEMPERATURE  # 0 = greedy, 1.0 = unchanged, < 1 less random, > 1 more
    top_k: int = settings.DEFAULT_TOP_K  # keep the k likeliest tokens; 0 = off
    top_p: float = settings.DEFAULT_TOP_P  # keep the smallest set with this much probability; 1.0 = off
    min_p: float = settings.DEFAULT_MIN_P  # drop tokens below min_p x the top probability; 0 = off
    typical_p: float = settings.DEFAULT_TYPICAL_P  # locally typical sampling; 1.0 = off
    repetition_penalty: float = settings.DEFAULT_REPETITION_PENALTY  # > 1 discourages repeats; 1.0 = off
    no_repeat_ngram_size: int = 0  # forbid repeating any n-gram of this size; 0 = off
    num_candidates: int = 1  # independent samples, shown side by side

    def validated(self) -> GenerationParams:
        """A copy with every field checked against the settings' bounds (UserError on the first bad one)."""
        return GenerationParams(
            max_new_tokens=check_number(
                "max_new_tokens", self.max_new_tokens, 1, settings.MAX_NEW_TOKENS, integer=True
            ),
            temperature=check_number("temperature", self.temperature, 0, settings.MAX_TEMPERATURE),
            top_k=check_number("top_k", self.top_k, 0, settings.MAX_TOP_K, integer=True),
            top_p=check_number("top_p", self.top_p, 0.01, 1.0),
            min_p=check_number("min_p", self.min_p, 0.0, 1.0),
            typical_p=check_number("typical_p", self.typical_p, 0.01, 1.0),
            repetition_penalty=check_number(
                "repetition_penalty", self.repetition_penalty, 1.0, settings.MAX_REPETITION_PENALTY
            ),
            no_repeat_ngram_size=check_number(
                "no_repeat_ngram_size", self.no_repeat_ngram_size, 0, settings.MAX_NO_REPEAT_NGRAM, integer=True
            ),
            num_candidates=check_number(
                "num_candidates", self.num_candidates, 1, settings.MAX_CANDIDATES, integer=True
            ),
        )

    def generate_kwargs(self) -> dict:
        """Keyword arguments for `model.generate`; temperature 0 means greedy decoding, not an error."""
        kwargs: dict = {
            "max_new_tokens": self.max_new_tokens,
            "repetition_penalty": self.repetition_penalty,
            "num_return_sequences": self.num_candidates,
        }
        if self.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        if self.temperature == 0:
            return kwargs | {
                "do_sample": False,
                "num_return_sequences": 1,
                "temperature": None,
                "top_k": None,
                "top_p": None,
            }
        return kwargs | {
            "do_sample": True,
            "temperature": self.temperature,
            "top_k": self.top_k or None,
            "top_p": self.top_p,
            "min_p": self.min_p or None,
            "typical_p": self.typical_p,
        }


@dataclass(frozen=True)
class TextRequest:
    """One run of the text task: what to write from, with which model and settings. The tab, /generate_text and
    the A/B comparison build one; `generate` validates it once, at its entry."""

    prompt: str
    model: str = ""  # catalogue key; "" = the default text model
    params: GenerationParams = GenerationParams()
    seed: int = 0  # candidate i uses the seed's stream; -1 = random
    system_prompt: str = ""  # chat models' system message; a completion model's is dropped (it has no system role)
    continue_from: str = ""  # an earlier run's text for this prompt: the candidates are what comes after it

    def validated(self) -> TextRequest:
        """A copy with every field checked (UserError on the first bad one), the seed drawn if it is -1, and the
        model's key resolved."""
        prompt = check_text("prompt", self.prompt, max_chars=settings.MAX_PROMPT_CHARS)
        system_prompt = check_text(
            "system_prompt", self.system_prompt, max_chars=settings.MAX_PROMPT_CHARS, allow_empty=True
        )
        continue_from = self.continue_from or ""  # kept as it is: its last space or line break is where it goes on
        spec = get_spec(self.model or default_model("text-generation"))
        if "text-generation" not in spec.tasks:
            raise UserError(f"{spec.key} is not a text generation model.", f"{spec.key} 不是文本生成模型。")
        if spec.is_served and continue_from and spec.kind == "instruct":
            raise UserError(
                f"Continue works with the models that run here; {spec.key} is served by an engine: use Generate.",
                f"“续写”只适用于在本机运行的模型；{spec.key} 由推理服务提供：请用“生成”。",
            )
        return replace(
            self,
            prompt=prompt,
            model=spec.key,
            params=self.params.validated(),
            seed=resolve_seed(self.seed),
            system_prompt=system_prompt,
            continue_from=continue_from,
        )


@dataclass
class TextUpdate:
    """One streamed state of a run: the candidates so far, and (when done) the run's stats."""

    texts: list[str]
    done: bool = False
    seed: int = 0
    is_twin: bool = False
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (English, Chinese)
    new_tokens: int = 0
    tokens_per_second: float = 0.0
    time_to_first_token: float = 0.0
    prompt_tokens: int = 0
    evaluation: dict | None = None  # the finished run's metrics (tasks.common.evaluation.score_candidates)
    model: str = ""  # the model that answered
    stand_in_for: str = ""  # the model asked for, when a packaged real model answered instead (no Hub)


def build_inputs(lm: LoadedModel, prompt: str, system_prompt: str = "", continue_from: str = "") -> dict:
    """Token ids for `prompt`: through the chat template for instruct models, as plain text for base models.

    `continue_from`: an answer to go on with. A chat model gets it as its own unfinished reply; a base model reads it
    as the text after the prompt.
    """
    tok = lm.tokenizer
    if lm.spec.kind == "instruct" and tok.chat_template:
        messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
            {"role": "user", "content": prompt}
        ]
        if continue_from:
            messages.append({"role": "assistant", "content": continue_from})
        template = {"continue_final_message": True} if continue_from else {"add_generation_prompt": True}
        return dict(tok.apply_chat_template(messages, return_tensors="pt", return_dict=True, **template))
    return dict(tok(prompt + continue_from, return_tensors="pt"))


def count_prompt_tokens(lm: LoadedModel, prompt: str, system_prompt: str = "") -> int:
    return int(build_inputs(lm, prompt, system_prompt)["input_ids"].shape[1])


def count_tokens(manager: ModelManager, text: str, key: str, system: str) -> tuple[int, bool]:
    """(count, exact): exact when the model is loaded; otherwise an estimate, so typing never triggers a download."""
    if manager.is_loaded(key):
        return count_prompt_tokens(manager.get(key), text, system), True
    cjk = count_cjk(text)  # about a token each; other text about four characters a token
    return cjk + (len(text) - cjk) // 4 + 1, False


def _trim(lm: LoadedModel, inputs: dict, max_new_tokens: int) -> tuple[dict, list[tuple[str, str]]]:
    """Keep the end of a prompt that does not fit the context window, and say so."""
    window = lm.spec.context_window or lm.model.config.max_position_embeddings
    room = window - max_new_tokens
    n = inputs["input_ids"].shape[1]
    if room < 1:
        raise UserError(
            f"max_new_tokens ({max_new_tokens}) must be below the model's context window ({window}).",
            f"最大生成长度（{max_new_tokens}）必须小于模型的上下文长度（{window}）。",
        )
    if n <= room:
        return inputs, []
    trimmed = {k: v[:, -room:] for k, v in inputs.items()}
    return trimmed, [
        (
            f"The prompt was {n:,} tokens; only its last {room:,} fit the model and were used.",
            f"提示词共 {n:,} 个词元，模型只能容纳最后 {room:,} 个，其余已截去。",
        )
    ]


def generate(manager: ModelManager, req: TextRequest) -> Iterator[TextUpdate]:
    """Stream the candidates for `req.prompt`; every update carries the stats so far."""
    req = req.validated()
    prompt, system_prompt, continue_from = req.prompt, req.system_prompt, req.continue_from
    params, seed, model = req.params, req.seed, req.model
    check_prompt(f"{system_prompt}\n{prompt}", "text")  # safe mode: refused before any model loads
    spec = get_spec(model)
    if spec.is_served:
        yield from _generate_served(spec, prompt + continue_from, system_prompt, params, seed)
        return
    import torch

    key = manager.answering(model, "text-generation")
    about = dict(seed=seed, model=key, stand_in_for=model if key != model else "")
    with manager.use(key) as lm:
        inputs, warnings = _trim(lm, build_inputs(lm, prompt, system_prompt, continue_from), params.max_new_tokens)
        inputs = {k: v.to(lm.device) for k, v in inputs.items()}
        kwargs = params.generate_kwargs()
        warnings += _greedy_note(params)
        if lm.tokenizer.pad_token_id is None:
            kwargs["pad_token_id"] = lm.tokenizer.eos_token_id
        torch.manual_seed(seed)
        start = time.perf_counter()
        first_token_at = 0.0
        texts: list[str] = [""] * kwargs["num_return_sequences"]
        rows: list[list[int]] = []
        about |= dict(is_twin=lm.is_twin, warnings=warnings, prompt_tokens=int(inputs["input_ids"].shape[1]))

        def so_far() -> dict:  # the stats of what is written: a stopped run still shows them
            elapsed, new_tokens = time.perf_counter() - start, sum(len(r) for r in rows)
            return dict(
                new_tokens=new_tokens,
                tokens_per_second=new_tokens / elapsed if elapsed > 0 else 0.0,
                time_to_first_token=first_token_at,
            )

        for rows in stream_generate(lm.model, inputs, **kwargs):
            if not first_token_at:
                first_token_at = time.perf_counter() - start
            texts = [lm.tokenizer.decode(r, skip_special_tokens=True) for r in rows]
            yield TextUpdate(texts, **about, **so_far())
        yield TextUpdate(
            texts,
            done=True,
            **about,
            **so_far(),
            evaluation=score_candidates(texts, lm),  # after the run, with the model that wrote them
        )


def _greedy_note(params: GenerationParams) -> list[tuple[str, str]]:
    if params.temperature == 0 and params.num_candidates > 1:
        return [
            (
                "Temperature 0 is greedy decoding, which has one answer: showing one candidate.",
                "温度为 0 时为贪心解码，只有一个结果：仅显示一个候选。",
            )
        ]
    return []


def _generate_served(
    spec: ModelSpec, prompt: str, system_prompt: str, params: GenerationParams, seed: int
) -> Iterator[TextUpdate]:
    """The same updates as a local run, streamed from the serving engine that `spec.endpoint` names."""
    from aigc_demo.tasks.common.engine import stream_from_engine

    warnings = _greedy_note(params)
    start = time.perf_counter()
    first_token_at = 0.0
    texts: list[str] = []
    state, told = None, False
    for state in stream_from_engine(spec, prompt, system_prompt, params, seed):
        texts = list(state.texts)
        if not first_token_at and any(texts):
            first_token_at = time.perf_counter() - start
        if state.not_applied and not told:  # known from the first chunk on: said once
            names = ", ".join(sorted(state.not_applied))
            warnings = [
                *warnings,
                (
                    f"The serving engine does not take {names}: they were not applied.",
                    f"服务引擎不支持 {names}，这些设置未生效。",
                ),
            ]
            told = True
        elapsed, made = time.perf_counter() - start, sum(state.completion_tokens) or state.chunks
        yield TextUpdate(
            texts,
            seed=seed,
            warnings=warnings,
            new_tokens=made,
            tokens_per_second=made / elapsed if elapsed > 0 else 0.0,
            time_to_first_token=first_token_at,
            prompt_tokens=state.prompt_tokens,
        )
    elapsed = time.perf_counter() - start
    new_tokens = (sum(state.completion_tokens) or state.chunks) if state else 0
    yield TextUpdate(
        texts,
        done=True,
        seed=seed,
        warnings=warnings,
        new_tokens=new_tokens,
        tokens_per_second=new_tokens / elapsed if elapsed > 0 else 0.0,
        time_to_first_token=first_token_at,
        prompt_tokens=state.prompt_tokens if state else 0,
        evaluation=score_candidates(texts, skipped="served"),
    )
