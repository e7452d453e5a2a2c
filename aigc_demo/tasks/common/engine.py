"""Text generation on a serving engine: any OpenAI-compatible server (vLLM, TGI, llama.cpp's server, `transformers
serve`) that streams chat or text completions. For deployments that outgrow one machine: the text tab then sends
its prompts there instead of running a local model.

One streaming request per candidate (seed + i each), read in worker threads; their chunks are coalesced into at most
one update every `min_interval_s`, as `tasks.streaming` does for local models. Closing the iterator (Stop, a client's
cancel, a browser that left) closes every request, which tells the engine to stop generating.
"""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aigc_demo import settings
from aigc_demo.catalog import ModelSpec
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.worker import END, ENGINE_THREAD, Worker

log = logging.getLogger(__name__)
MAX_LINE_BYTES = 1_000_000  # one event line; a token is a few bytes, a whole usage report well under a kilobyte
MAX_CHARS_PER_TOKEN = 32  # a candidate longer than max_new_tokens x this is not honouring max_tokens
EXTRA_FIELDS = {"top_k": 0, "min_p": 0.0, "typical_p": 1.0, "repetition_penalty": 1.0}  # beyond OpenAI's: their "off"
ALIASES = {"repeat_penalty": "repetition_penalty"}  # llama.cpp's servers read only their own name for it


@dataclass
class EngineParams:
    """Sampling settings for an engine request, named as the text task's GenerationParams (which also fits)."""

    max_new_tokens: int
    temperature: float = 0.0  # 0 = greedy
    top_k: int = 0  # 0 = off
    top_p: float = 1.0
    min_p: float = 0.0
    typical_p: float = 1.0
    repetition_penalty: float = 1.0
    num_candidates: int = 1


@dataclass
class EngineStream:
    """Where the candidates stand: their text so far, and what the engine reported about tokens."""

    texts: list[str]
    completion_tokens: list[int] = field(default_factory=list)  # per candidate, from the engine's usage report
    prompt_tokens: int = 0
    chunks: int = 0  # content chunks received, the token count when the engine reports no usage
    not_applied: set[str] = field(default_factory=set)  # sampling settings the engine does not take


def request_body(
    spec: ModelSpec, prompt: str, system_prompt: str, params: Any, seed: int, extra: dict | None = None
) -> tuple[str, dict]:
    """The path and JSON body of one streamed request. Beyond OpenAI's own sampling fields, top_k, min_p,
    typical_p and repetition_penalty are sent only when they are on: vLLM and llama.cpp's servers read them
    (llama.cpp as repeat_penalty, sent beside it); a server that refuses them is asked again without them (see
    `stream_from_engine`).
    """
    body: dict[str, Any] = {
        "model": spec.repo_id,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "seed": seed,
    }
    extras = {name: (getattr(params, name), off) for name, off in EXTRA_FIELDS.items()}
    body |= {name: value for name, (value, off) in extras.items() if value != off}
    body |= {alias: body[name] for alias, name in ALIASES.items() if name in body}
    body |= extra or {}  # engine-specific fields (llama.cpp's `grammar`), dropped like the others when refused
    if spec.kind == "instruct":
        messages = [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
        body["messages"] = [*messages, {"role": "user", "content": prompt}]
        return "/chat/completions", body
    body["prompt"] = prompt
    return "/completions", body


def stream_from_engine(
    spec: ModelSpec,
    prompt: str,
    system_prompt: str,
    params: Any,
    seed: int,
    min_interval_s: float = 0.04,
    extra: dict | None = None,
) -> Iterator[EngineStream]:
    """Yield the candidates' texts as the engine streams them; the last yield holds the engine's token counts.

    Bounded on our side whatever the engine does: the whole stream ends within TEXT_ENGINE_TOTAL_S, a candidate may
    send no more than it was asked for (`_too_long`), and no line may exceed MAX_LINE_BYTES. A stream counts as
    complete only when a 2xx text/event-stream ends with `[DONE]` or a finish_reason; any other end is an error.
    """
    import httpx

    n = params.num_candidates if params.temperature > 0 else 1
    state = EngineStream(texts=[""] * n, completion_tokens=[0] * n)
    worker = Worker(ENGINE_THREAD, join_s=5)
    headers = {"Authorization": f"Bearer {settings.TEXT_ENGINE_API_KEY}"} if settings.TEXT_ENGINE_API_KEY else {}
    timeout = httpx.Timeout(settings.TEXT_ENGINE_TIMEOUT_S, connect=5.0)

    def read(i: int, client: httpx.Client) -> None:
        path, body = request_body(spec, prompt, system_prompt, params, seed + i, extra)
        try:
            while True:
                with client.stream("POST", spec.endpoint + path, json=body, headers=headers) as response:
                    if response.status_code >= 400:
                        response.read()
                        names = (*EXTRA_FIELDS, *ALIASES, *(extra or {}))
                        refused = [n for n in names if n in body and n in response.text]
                        if response.status_code in (400, 422) and refused:
                            # A strict server (OpenAI's own, `transformers serve`) names the fields it does not
                            # take: ask again without them, and say so.
                            for name in refused:
                                del body[name]
                            worker.emit((i, [name for name in refused if name not in ALIASES]))
                            continue
                        raise _refused(spec, response.status_code, response.text)
                    _check_stream(spec, response)
                    if not _read_events(spec, i, response, worker) and not worker.stop.is_set():
                        raise _broken(spec, "the stream ended before [DONE] or a finish_reason")
                    return
        except UserError as exc:
            worker.emit((i, exc))
        except httpx.TimeoutException:
            worker.emit((i, _silent(spec)))
        except httpx.HTTPError as exc:
            worker.emit((i, _unreachable(spec, exc)))
        except Exception as exc:  # noqa: BLE001 - not JSON, too deep, anything: one sentence, never a dead thread
            log.warning("Engine stream from %s unreadable: %r", spec.endpoint, exc)
            worker.emit((i, _broken(spec, f"unreadable stream ({type(exc).__name__})")))

    deadline = time.monotonic() + settings.TEXT_ENGINE_TOTAL_S
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for i in range(n):
            worker.start(read, i, client)
        with worker:
            running, last_yield = n, 0.0
            while running:
                batch = [_next_event(spec, worker, deadline)]
                while True:  # everything that arrives within min_interval_s of the last yield goes out together
                    try:
                        batch.append(worker.get_until(last_yield + min_interval_s))
                    except queue.Empty:
                        break
                for item in batch:
                    if item is END:  # one reader ended (its errors came before, as events)
                        running -= 1
                        continue
                    i, event = item
                    if isinstance(event, UserError):
                        raise event
                    elif isinstance(event, list):  # sampling settings the engine refused
                        state.not_applied.update(event)
                    else:
                        _take_checked(spec, state, i, event)
                        _check_length(spec, state, i, params.max_new_tokens)
                last_yield = time.monotonic()
                yield state


def _next_event(spec: ModelSpec, worker: Worker, deadline: float) -> Any:
    try:
        return worker.get(max(0.0, deadline - time.monotonic()))
    except queue.Empty:
        raise UserError(
            f"The serving engine {spec.key} streamed for longer than {settings.TEXT_ENGINE_TOTAL_S:g} s "
            "(AIGC_TEXT_ENGINE_TOTAL_S); the answer was stopped.",
            f"服务引擎 {spec.key} 的输出超过 {settings.TEXT_ENGINE_TOTAL_S:g} 秒（AIGC_TEXT_ENGINE_TOTAL_S），已停止。",
        ) from None


def _check_stream(spec: ModelSpec, response: Any) -> None:
    """A 2xx event stream, or the sentence saying what came instead (an HTML page, a redirect...)."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not 200 <= response.status_code < 300 or content_type != "text/event-stream":
        raise _broken(
            spec, f"HTTP {response.status_code} {content_type or 'without a content type'} instead of a stream"
        )


def _read_events(spec: ModelSpec, i: int, response: Any, worker: Worker) -> bool:
    """Hand the stream's chunks to `worker`'s consumer; True once it ended properly ([DONE] or a finish_reason)."""
    finished = False
    for line in _lines(spec, response):
        if worker.stop.is_set():
            return True
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return True
        chunk = json.loads(data)
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
            finished = True
        worker.emit((i, chunk))
    return finished


def _lines(spec: ModelSpec, response: Any) -> Iterator[str]:
    """The stream's lines, each at most MAX_LINE_BYTES (httpx's iter_lines would hold a line of any size)."""
    pending = b""
    for block in response.iter_bytes():
        pending += block
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield raw.rstrip(b"\r").decode("utf-8", "replace")
        if len(pending) > MAX_LINE_BYTES:
            raise _broken(spec, f"a line longer than {MAX_LINE_BYTES // 1_000_000} MB")
    if pending:
        yield pending.decode("utf-8", "replace")


def _take_checked(spec: ModelSpec, state: EngineStream, i: int, chunk: Any) -> None:
    try:
        _take(state, i, chunk)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        log.warning("Engine chunk from %s of the wrong shape: %r", spec.endpoint, exc)
        raise _broken(spec, "a chunk that is not an OpenAI-style completion") from None


def _check_length(spec: ModelSpec, state: EngineStream, i: int, max_new_tokens: int) -> None:
    """Stop a candidate that sends far more than it was asked for (an engine that ignores max_tokens)."""
    if len(state.texts[i]) > max_new_tokens * MAX_CHARS_PER_TOKEN + 256:
        raise UserError(
            f"The serving engine {spec.key} sent more than the {max_new_tokens} tokens asked for; the answer was "
            "stopped.",
            f"服务引擎 {spec.key} 返回的内容超过了请求的 {max_new_tokens} 个 token，已停止。",
        )


def _take(state: EngineStream, i: int, chunk: dict) -> None:
    if "error" in chunk:  # vLLM and others report a failure mid-stream this way
        detail = _detail(chunk)
        raise UserError(f"The serving engine failed: {detail}", f"服务引擎出错：{detail}")
    for choice in chunk.get("choices") or []:
        piece = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
        if not isinstance(piece, str):
            raise TypeError("content is not text")
        if piece:
            state.texts[i] += piece
            state.chunks += 1
    usage = chunk.get("usage") or {}
    if usage.get("completion_tokens") is not None:
        state.completion_tokens[i] = int(usage["completion_tokens"])
        state.prompt_tokens = int(usage.get("prompt_tokens") or state.prompt_tokens)


def _unreachable(spec: ModelSpec, exc: Exception) -> UserError:
    log.warning("Serving engine %s at %s unreachable: %r", spec.key, spec.endpoint, exc)
    return UserError(
        f"The serving engine {spec.key} is not reachable ({type(exc).__name__}). Check that it is running, "
        "or pick a local model.",
        f"无法连接服务引擎 {spec.key}（{type(exc).__name__}）。请确认它在运行，或改选本地模型。",
    )


def _silent(spec: ModelSpec) -> UserError:
    log.warning("Serving engine %s at %s silent for %g s", spec.key, spec.endpoint, settings.TEXT_ENGINE_TIMEOUT_S)
    return UserError(
        f"The serving engine {spec.key} stopped answering for {settings.TEXT_ENGINE_TIMEOUT_S:g} s; please try again.",
        f"服务引擎 {spec.key} 已 {settings.TEXT_ENGINE_TIMEOUT_S:g} 秒没有回应，请重试。",
    )


def _broken(spec: ModelSpec, what: str) -> UserError:
    log.warning("Serving engine %s at %s: %s", spec.key, spec.endpoint, what)
    return UserError(
        f"The serving engine {spec.key} did not send a complete answer ({what}); please try again.",
        f"服务引擎 {spec.key} 没有返回完整的回答（{what}），请重试。",
    )


def _refused(spec: ModelSpec, status: int, text: str) -> UserError:
    try:
        detail = _detail(json.loads(text))
    except (ValueError, RecursionError):
        detail = text.strip()[:300] or "no details"
    return UserError(
        f"The serving engine refused the request (HTTP {status}): {detail}",
        f"服务引擎拒绝了请求（HTTP {status}）：{detail}",
    )


def _detail(body: Any) -> str:
    """The message of an engine's error body: OpenAI's {"error": {"message": ...}}, or whatever else it sent."""
    detail = body.get("error", body) if isinstance(body, dict) else body
    detail = detail.get("message", detail) if isinstance(detail, dict) else detail
    return str(detail).strip()[:300] or "no details"


@dataclass
class EngineHealth:
    """What one cheap call (GET /models) said about a serving engine."""

    key: str
    reachable: bool
    latency_ms: float = 0.0
    model_ids: list[str] = field(default_factory=list)  # what the engine says it serves
    problem: str = ""  # why it is not reachable or not usable, in a few words


def check_health(spec: ModelSpec, timeout_s: float = 2.0) -> EngineHealth:
    """Whether the engine answers `GET /models`, how fast, and which model ids it reports; never raises."""
    import httpx

    headers = {"Authorization": f"Bearer {settings.TEXT_ENGINE_API_KEY}"} if settings.TEXT_ENGINE_API_KEY else {}
    start = time.perf_counter()
    try:
        response = httpx.get(spec.endpoint + "/models", headers=headers, timeout=timeout_s, follow_redirects=False)
        latency_ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            return EngineHealth(spec.key, False, latency_ms, problem=f"HTTP {response.status_code}")
        data = response.json().get("data")
        ids = [str(m.get("id")) for m in data if isinstance(m, dict)][:20] if isinstance(data, list) else []
    except httpx.TimeoutException:
        return EngineHealth(spec.key, False, problem=f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        log.info("Serving engine %s at %s unreachable: %r", spec.key, spec.endpoint, exc)
        return EngineHealth(spec.key, False, problem=type(exc).__name__)
    except (ValueError, AttributeError, RecursionError):
        return EngineHealth(spec.key, False, (time.perf_counter() - start) * 1000, problem="not an OpenAI model list")
    if spec.repo_id not in ids and spec.repo_id != "default":
        return EngineHealth(spec.key, True, latency_ms, ids, problem=f"does not serve {spec.repo_id}")
    return EngineHealth(spec.key, True, latency_ms, ids)
