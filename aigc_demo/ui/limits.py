"""Fair use under load: per-visitor job limits at the queue's door, one process-wide model slot, a request-size cap.

gradio bounds the queue as a whole (`max_size`), so one session could take every place in it. `install` puts a check
in front of `Queue.push`: a session (one browser tab, one API client) may have `MAX_JOBS_PER_SESSION` requests
waiting or running, a client address `MAX_JOBS_PER_IP`; past that the request is refused at once, with a sentence
(see `refused_detail` for why it is answered as a validation error).

`MODEL_SLOTS` is held by every worker that runs a model (see `ui.stopping.Run.follow`) for as long as that worker
really runs: a stopped run whose pipeline is still finishing a step keeps its slot, so the next run waits for it
instead of running beside it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import gradio as gr

from aigc_demo import settings
from aigc_demo.errors import UserError, echo
from aigc_demo.tasks.common.language import request_language

log = logging.getLogger(__name__)

MODEL_SLOTS = threading.BoundedSemaphore(max(1, settings.CONCURRENCY))
LIGHT_CONCURRENCY_ID = "light"  # model-free work (extractive summaries): never queued behind model runs
POLL_S = 0.05


@contextlib.contextmanager
def model_slot(give_up: threading.Event | None = None, timeout_s: float | None = None) -> Iterator[bool]:
    """Hold one of the process's model slots; yields False (holding nothing) if `give_up` was set while waiting."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while not MODEL_SLOTS.acquire(timeout=POLL_S):
        if (give_up is not None and give_up.is_set()) or (deadline is not None and time.monotonic() > deadline):
            yield False
            return
    try:
        yield True
    finally:
        MODEL_SLOTS.release()


def client_address(request: Any) -> str:
    """The visitor's address: the last X-Forwarded-For hop (what the hosting proxy saw), else the socket's peer."""
    headers = getattr(request, "headers", None) or {}
    forwarded = headers.get("x-forwarded-for", "") if hasattr(headers, "get") else ""
    if forwarded.strip():
        return forwarded.split(",")[-1].strip()
    client = getattr(request, "client", None)
    return getattr(client, "host", "") or ""


def _live_events(queue: Any) -> list[Any]:
    waiting = [e for q in queue.event_queue_per_concurrency_id.values() for e in q.queue]
    running = [e for job in queue.active_jobs if job for e in job]
    return [*waiting, *running]


def over_limit(queue: Any, session_hash: str | None, address: str) -> UserError | None:
    """The refusal for a visitor who already has too many requests waiting or running, else None."""
    events = [e for e in _live_events(queue) if getattr(e, "alive", True)]
    mine = sum(1 for e in events if session_hash and e.session_hash == session_hash)
    if mine >= settings.MAX_JOBS_PER_SESSION:
        n = settings.MAX_JOBS_PER_SESSION
        return UserError(
            f"You already have {n} requests waiting or running (the limit per visitor, AIGC_MAX_JOBS_PER_SESSION); "
            "wait for one to finish, then try again.",
            f"你已有 {n} 个请求在排队或运行（每位访客的上限，AIGC_MAX_JOBS_PER_SESSION）；请等其中一个完成后再试。",
        )
    from_address = sum(1 for e in events if address and client_address(getattr(e, "request", None)) == address)
    if from_address >= settings.MAX_JOBS_PER_IP:
        n = settings.MAX_JOBS_PER_IP
        return UserError(
            f"Your network address already has {n} requests waiting or running (the limit per address, "
            "AIGC_MAX_JOBS_PER_IP); wait for one to finish, then try again.",
            f"你的网络地址已有 {n} 个请求在排队或运行（每个地址的上限，AIGC_MAX_JOBS_PER_IP）；请等其中一个完成后再试。",
        )
    return None


def refused_detail(sentence: str) -> list[dict]:
    """A refusal in the shape of gradio's validation errors (HTTP 422), the one shape both clients show as written.

    As "queue_full" (503) the browser says "This application is currently busy" and gradio_client "Queue is full!";
    this way the browser shows the sentence under the event's first input, and gradio_client raises a
    ValidationError that carries it.
    """
    return [{"__type__": "validate", "is_valid": False, "parameter_name": "requests", "message": sentence}]


def lean_session_state() -> None:
    """New gradio sessions start without a copy of every component's config (~0.4 MB and ~0.1 s of CPU each).

    gradio fills `SessionState.config_values` with the config of all ~260 blocks for each session, every plain-HTTP
    call included, and reads it only for deep links (which this app refuses, see `BodyLimit`); a config is still
    made when an event updates its block. gradio's own constructor runs, shown no blocks to copy.
    """
    from gradio.state_holder import SessionState

    if getattr(SessionState.__init__, "lean", False):
        return
    full_init = SessionState.__init__

    def lean_init(self: Any, blocks: Any) -> None:
        full_init(self, SimpleNamespace(default_config=blocks.default_config, blocks={}))

    lean_init.lean = True  # type: ignore[attr-defined]
    lean_init.full = full_init  # type: ignore[attr-defined]
    SessionState.__init__ = lean_init


LINK_REFUSAL = "This app does not fetch files from links. 本应用不从链接获取文件。"


def no_remote_files() -> None:
    """Refuse what gradio does with an http(s) link a client puts in a file input (the image gallery, say): download
    it into the cache, of any size. Nothing here takes remote files: the app's own files are all local."""
    from gradio import processing_utils

    async def refuse(url: str, cache_dir: str) -> str:
        log.info("Refused a link in a file input: %s", echo(url, quote=False))
        raise gr.Error(LINK_REFUSAL, print_exception=False)

    processing_utils.async_ssrf_protected_download = refuse  # the sync one calls this too


def install(demo: Any) -> None:
    """Put the per-visitor limits in front of `demo`'s queue (call after `demo.queue(...)`)."""
    lean_session_state()
    no_remote_files()
    queue = demo._queue  # gradio has no public hook before an event is queued; push() is where max_size is checked
    push = queue.push

    async def limited_push(body: Any, request: Any, username: str | None):
        refusal = over_limit(queue, getattr(body, "session_hash", None), client_address(request))
        if refusal is not None:
            lang = request_language(request.headers, request.cookies) if request is not None else "en"
            return False, refused_detail(refusal.message(lang)), "validator_error"
        return await push(body, request, username)

    queue.push = limited_push


REFUSED_PATHS = ("/upload", "/deep_link")  # no component takes files; deep links write a session's state to disk


class BodyLimit:
    """ASGI middleware: a request whose body is over `max_bytes` is answered 413 before it is read into memory."""

    def __init__(self, app: Any, max_bytes: int = settings.MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if path.endswith(REFUSED_PATHS) or (declared is not None and _too_big(declared, self.max_bytes)):
            await _refuse(send, path, self.max_bytes)
            return
        seen, started, refused = 0, False, False

        async def bounded_receive() -> dict:
            # Past the limit the app is told the client left; FastAPI would turn an exception here into a 400.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                refused = True
                if not started:
                    await _refuse(send, "", self.max_bytes)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal started
            if not refused:  # after the 413, the app's answer to a body it never got is dropped
                started = True
                await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except Exception:
            if not refused:
                raise


def _too_big(declared: bytes, max_bytes: int) -> bool:
    try:
        return int(declared) > max_bytes
    except ValueError:
        return True


async def _refuse(send: Any, path: str, max_bytes: int) -> None:
    if path.endswith("/upload"):
        text = "This app takes no uploads."
    elif path.endswith("/deep_link"):
        text = "This app offers no deep links."
    else:
        text = f"The request is larger than {max_bytes:,} bytes, the limit here (AIGC_MAX_REQUEST_BYTES)."
    body = json.dumps({"detail": text}).encode()
    status = 404 if path.endswith("/deep_link") else 413
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
