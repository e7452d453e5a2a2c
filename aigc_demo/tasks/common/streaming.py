"""Run `model.generate` in a worker thread and stream the new token ids of every row, with a real stop.

Closing the iterator (Stop button, client cancel, disconnect) sets a stop event that a StoppingCriteria checks after
every token, then joins the thread: when `stream_generate` returns, the model is free for the next request (the whole
stop chain: `tasks.common.worker`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from aigc_demo.tasks.common.worker import END, GENERATE_THREAD, Worker


class StopOnEvent:
    """A StoppingCriteria that ends every row once `event` is set."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


class _RelayStreamer:
    """A transformers streamer that hands each step's new tokens (one per row) to `emit`."""

    def __init__(self, emit: Callable[[list[int]], object], skip_first: bool):
        self.emit = emit
        self.skip_first = skip_first  # decoder-only models first "put" the prompt itself

    def put(self, value) -> None:
        if self.skip_first:
            self.skip_first = False
            return
        self.emit(value.reshape(-1).tolist())

    def end(self) -> None:
        pass  # the worker's END follows when generate returns


def stream_generate(
    model: Any, inputs: dict, timeout_s: float = 300.0, min_interval_s: float = 0.04, **generate_kwargs
) -> Iterator[list[list[int]]]:
    """Yield, after every decoding step, the new token ids generated so far for each output row.

    `generate_kwargs` go to `model.generate` unchanged (sampling settings, logits_processor, num_return_sequences...).
    Rows that finished keep their ids; the pad/eos tokens a finished row receives afterwards are not added.
    The first token is yielded at once; later yields come at most every `min_interval_s` (25 a second reads as smooth
    streaming), so serving the stream does not compete with the model for the CPU after every token.
    """
    from transformers import StoppingCriteriaList

    worker = Worker(GENERATE_THREAD, join_s=30)
    criteria = StoppingCriteriaList([StopOnEvent(worker.stop)])
    criteria.extend(generate_kwargs.pop("stopping_criteria", []) or [])
    streamer = _RelayStreamer(worker.emit, skip_first=not model.config.is_encoder_decoder)

    def work() -> None:
        import torch

        with torch.inference_mode():
            model.generate(**inputs, streamer=streamer, stopping_criteria=criteria, **generate_kwargs)

    eos = _eos_ids(model)
    worker.start(work)
    rows: list[list[int]] | None = None
    finished: list[bool] = []
    first = model.config.is_encoder_decoder  # seq2seq models first "put" the decoder start token
    last_yield = 0.0
    with worker:
        done = False
        while not done:
            # One yield per batch of steps: those that arrive within min_interval_s of the last yield, plus whatever
            # is pending when a slow consumer comes back (it skips intermediate states; generation never waits).
            steps = [worker.get(timeout_s)]
            while steps[-1] is not END:
                try:
                    steps.append(worker.get_until(last_yield + min_interval_s))
                except queue.Empty:
                    break
            if steps[-1] is END:
                done = True
                steps.pop()
            for step in steps:
                if first:
                    first = False
                    continue
                if rows is None:
                    rows = [[] for _ in step]
                    finished = [False] * len(step)
                for i, token in enumerate(step):
                    if not finished[i]:
                        if token in eos:
                            finished[i] = True
                        else:
                            rows[i].append(token)
            if rows is not None and steps:
                last_yield = time.monotonic()
                yield [list(r) for r in rows]
        worker.reraise()


def _eos_ids(model: Any) -> set[int]:
    eos = getattr(model.generation_config, "eos_token_id", None)
    if eos is None:
        eos = getattr(model.config, "eos_token_id", None)
    if eos is None:
        return set()
    return set(eos) if isinstance(eos, (list, tuple)) else {eos}
