"""/generate_text: the text task as an endpoint, streamed, with the info object beside the text. No torch here."""

from collections.abc import Callable, Iterator
from dataclasses import asdict

import gradio as gr

from aigc_demo import settings
from aigc_demo.catalog import default_model, models_for, runs_here
from aigc_demo.tasks.common import labels
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, TextUpdate
from aigc_demo.ui.common import MODEL_CONCURRENCY_ID, user_errors
from aigc_demo.ui.stopping import Run

GenerateFn = Callable[[TextRequest], Iterator[TextUpdate]]
TEXT_CONCURRENCY_ID = "text"  # with a serving engine: text runs beside each other; local ones still take a model slot
DEFAULTS = GenerationParams()  # the endpoint's defaults are the request's own


def text_queue() -> dict:
    """The text events' queue group. Without a serving engine, the model queue. With one, their own group, wide
    enough for the engine's slots: served requests run at the same time (the engine batches them), while a local
    model's run still holds one of the process's model slots (ui.limits), so local runs stay one at a time."""
    if not any(s.is_served for s in models_for("text-generation")):
        return {"concurrency_id": MODEL_CONCURRENCY_ID}
    return {"concurrency_id": TEXT_CONCURRENCY_ID, "concurrency_limit": settings.CONCURRENCY + settings.ENGINE_SLOTS}


def text_info(lang: str, request: TextRequest, u: TextUpdate) -> dict:
    """The info object of a run (the API's second output, the download's header): labels.info with its settings.
    A continued run (Continue) says so: its text goes on from an earlier run's."""
    parameters = (
        asdict(request.params.validated())
        | ({"system_prompt": request.system_prompt} if request.system_prompt else {})
        | ({"continued": True} if request.continue_from else {})
    )
    return labels.info(
        lang,
        task="text",
        model=u.model or request.model,
        seed=u.seed,
        parameters=parameters,
        is_twin=u.is_twin,
        stand_in_for=u.stand_in_for,
        metrics=u.evaluation,
    )


def create_api(generate: GenerateFn) -> None:
    """Register /generate_text: the text, streamed, and beside it the info object (labels.info)."""
    default = default_model("text-generation")

    def generate_text(
        prompt: str,
        model: str = default,
        max_new_tokens: int = DEFAULTS.max_new_tokens,
        temperature: float = DEFAULTS.temperature,
        top_k: int = DEFAULTS.top_k,
        top_p: float = DEFAULTS.top_p,
        repetition_penalty: float = DEFAULTS.repetition_penalty,
        seed: int = 0,
        min_p: float = DEFAULTS.min_p,
        typical_p: float = DEFAULTS.typical_p,
        no_repeat_ngram_size: int = DEFAULTS.no_repeat_ngram_size,
        system_prompt: str = "",
        request: gr.Request = None,
    ) -> tuple[str, dict]:
        """Generate text from a prompt, streamed token by token. temperature 0 is greedy; seed -1 picks a random one.

        Returns the text and its info: ai_generated, label (in the client's language), model, seed, parameters, twin.

        Args:
            prompt: the text to continue, or the instruction for a chat model
            model: catalogue key of a text generation model
            max_new_tokens: tokens to generate at most
            temperature: 0 = greedy, 1 = the model's own distribution
            top_k: keep the k likeliest tokens (0 = off)
            top_p: nucleus sampling threshold (1 = off)
            repetition_penalty: above 1 discourages repeats (1 = off)
            seed: random seed; the same seed and settings give the same text
            min_p: drop tokens below min_p x the top probability (0 = off)
            typical_p: locally typical sampling (1 = off)
            no_repeat_ngram_size: forbid repeating n-grams of this size (0 = off)
            system_prompt: optional system message for chat models
        """
        with user_errors(request) as lang:
            params = GenerationParams(
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                min_p=min_p,
                typical_p=typical_p,
                repetition_penalty=repetition_penalty,
                no_repeat_ngram_size=no_repeat_ngram_size,
                num_candidates=1,
            )
            asked = TextRequest(prompt, model, params, seed, system_prompt)
            # Run: the model slot, the run-time limit, and a stop that waits for the worker (a client's cancel).
            meta = None
            for u in Run().follow(generate(asked), needs_model=runs_here(model)):
                # The seed is known from the first update; the metrics from the last.
                meta = text_info(lang, asked, u) if meta is None or u.done else meta
                yield (u.texts[0] if u.texts else ""), meta

    gr.api(generate_text, api_name="generate_text", **text_queue())
