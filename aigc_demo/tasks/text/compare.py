"""A/B comparison: the same prompt and seed run twice, with one setting (or the model) changed, each run measured.

A runs with the settings given; B is A with exactly one field replaced. Both use the same seed, so what differs in
the outputs comes from that one field (and from sampling with it), not from luck.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace

from aigc_demo.catalog import get_spec
from aigc_demo.errors import UserError, echo
from aigc_demo.manager import ModelManager
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, TextUpdate, generate

# What B may change: the sampling settings that shape the text, and the model.
COMPARABLE = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "typical_p",
    "repetition_penalty",
    "no_repeat_ngram_size",
    "max_new_tokens",
    "model",
)


@dataclass
class CompareUpdate:
    """Both sides so far: each side's parameters (model, seed and every GenerationParams field) and its last update."""

    parameters: tuple[dict, dict]
    results: tuple[TextUpdate | None, TextUpdate | None]
    done: bool = False


def ab_parameters(model: str, params: GenerationParams, seed: int, field: str, value) -> tuple[dict, dict]:
    """(A, B): A is `model`, `seed` and `params` validated; B is A with `field` set to `value` (validated too)."""
    if field not in COMPARABLE:
        raise UserError(
            f"Choose what to change from: {', '.join(COMPARABLE)} (not {echo(field)}).",
            f"请从以下设置中选择要改变的一项：{', '.join(COMPARABLE)}（而不是 {echo(field)}）。",
        )
    a_params = params.validated()
    if field == "model":
        b_model = str(value or "").strip()
        spec = get_spec(b_model)  # an unknown key is the user's error
        if "text-generation" not in spec.tasks:
            raise UserError(f"{spec.key} is not a text generation model.", f"{spec.key} 不是文本生成模型。")
        b_params = a_params
    else:
        b_model = model
        b_params = replace(a_params, **{field: value}).validated()
    a = {"model": model, "seed": seed, **asdict(a_params)}
    b = {"model": b_model, "seed": seed, **asdict(b_params)}
    return a, b


def _params_of(side: dict) -> GenerationParams:
    return GenerationParams(**{f.name: side[f.name] for f in fields(GenerationParams)})


def compare(manager: ModelManager, req: TextRequest, field: str, value) -> Iterator[CompareUpdate]:
    """Stream A's run (`req`), then B's (`field` set to `value`) on the same prompt and seed; each side's final
    update carries its metrics."""
    req = req.validated()  # the seed is drawn once: both sides use it
    sides = ab_parameters(req.model, req.params, req.seed, field, value)
    results: list[TextUpdate | None] = [None, None]
    for i, side in enumerate(sides):
        for update in generate(manager, replace(req, model=side["model"], params=_params_of(side))):
            results[i] = update
            yield CompareUpdate(sides, (results[0], results[1]))
    yield CompareUpdate(sides, (results[0], results[1]), done=True)
