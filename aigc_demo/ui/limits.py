"""Fair use under load: per-visitor job limits at the queue's door, one process-wide model slot, a request-size cap.

gradio bounds the queue as a whole (`max_size`), so one session could take every place in it. `install` puts a check
in front of `Queue.push`: a session (one browser tab, one API client) may have `MAX_JOBS_PER_SESSION` requests
waiting or running, a client address `MAX_JOBS_PER_IP`; past that the request is refused at once, with a sentence.

`MODEL_SLOTS` is held by every worker that runs a model (see `ui.stopping.Run.follow`) for as long as that worker
really runs: a stopped run whose pipeline is still finishing a step keeps its slot, so the next run waits for it
instead of running beside it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.common.language import preferred_language

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


def install(demo: Any) -> None:
    """Put the per-visitor limits in front of `demo`'s queue (call after `demo.queue(...)`)."""
    queue = demo._queue  # gradio has no public hook before an event is queued; push() is where max_size is checked
    push = queue.push

    async def limited_push(body: Any, request: Any, username: str | None):
        refusal = over_limit(queue, getattr(body, "session_hash", None), client_address(request))
        if refusal is not None:
            header = request.headers.get("accept-language") if request is not None else None
            return False, refusal.message(preferred_language(header)), "queue_full"
        return await push(body, request, username)

    queue.push = limited_push


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
        if path.endswith("/upload") or (declared is not None and _too_big(declared, self.max_bytes)):
            await _refuse(send, path.endswith("/upload"), self.max_bytes)
            return
        seen = 0

        async def bounded_receive() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, bounded_receive, send)
        except _BodyTooLarge:
            await _refuse(send, False, self.max_bytes)


class _BodyTooLarge(Exception):
    pass


def _too_big(declared: bytes, max_bytes: int) -> bool:
    try:
        return int(declared) > max_bytes
    except ValueError:
        return True


async def _refuse(send: Any, upload: bool, max_bytes: int) -> None:
    text = (
        "This app takes no uploads."
        if upload
        else f"The request is larger than {max_bytes:,} bytes, the limit here (AIGC_MAX_REQUEST_BYTES)."
    )
    body = json.dumps({"detail": text}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
