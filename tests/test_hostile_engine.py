"""The engine client against a broken or hostile engine on loopback (issue #12): every bad end is one sentence."""

from __future__ import annotations

import json
import time

import pytest

from aigc_demo import catalog, settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.text.text_generation import GenerationParams, TextRequest, generate

from .loopback import loopback_server, send


def chunk(text: str, finish: str | None = None) -> bytes:
    body = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def stream_head(handler, content_type: str = "text/event-stream") -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Connection", "close")
    handler.end_headers()


def endless(piece: str, pause_s: float):
    def handler(h) -> None:
        stream_head(h)
        while True:  # ends when the client hangs up (BrokenPipe, caught by the server)
            h.wfile.write(chunk(piece))
            h.wfile.flush()
            time.sleep(pause_s)

    return handler


def cut_before_done(h) -> None:
    stream_head(h)
    h.wfile.write(chunk("Hello"))
    h.wfile.flush()  # then the connection closes: no [DONE], no finish_reason


def html_page(h) -> None:
    send(h, b"<html><body>Login required</body></html>")


def complete(h) -> None:
    stream_head(h)
    h.wfile.write(chunk("Hello") + chunk(" sea", finish="stop") + b"data: [DONE]\n\n")


ROUTES = {
    "/slow/v1/chat/completions": endless("x", 0.05),
    "/flood/v1/chat/completions": endless("y" * 400, 0.0),
    "/cut/v1/chat/completions": cut_before_done,
    "/html/v1/chat/completions": html_page,
    "/ok/v1/chat/completions": complete,
}


@pytest.fixture(scope="module")
def engine():
    with loopback_server(ROUTES) as base:
        yield base


def run(manager, monkeypatch, base: str, route: str) -> list:
    spec = catalog.served_text_model(f"{base}/{route}/v1", "fake-model")
    monkeypatch.setitem(catalog.CATALOG, spec.key, spec)
    return list(generate(manager, TextRequest("Hello", spec.key, GenerationParams(max_new_tokens=8, temperature=0))))


def one_sentence(manager, monkeypatch, base: str, route: str) -> str:
    with pytest.raises(UserError) as caught:
        run(manager, monkeypatch, base, route)
    message = caught.value.message("en")
    assert base not in message, "visitors see the engine's name, not its address"
    assert caught.value.message("zh") != message
    return message


def test_a_complete_stream_is_an_answer(manager, monkeypatch, engine):
    updates = run(manager, monkeypatch, engine, "ok")
    assert updates[-1].done and updates[-1].texts[0] == "Hello sea"


def test_an_endless_stream_ends_at_the_total_deadline(manager, monkeypatch, engine):
    monkeypatch.setattr(settings, "TEXT_ENGINE_TOTAL_S", 1.0)
    message = one_sentence(manager, monkeypatch, engine, "slow")
    assert "streamed for longer than 1 s" in message and "AIGC_TEXT_ENGINE_TOTAL_S" in message, message


def test_a_stream_far_longer_than_asked_is_stopped(manager, monkeypatch, engine):
    message = one_sentence(manager, monkeypatch, engine, "flood")
    assert "more than the 8 tokens asked for" in message, message


def test_a_connection_cut_before_done_is_an_error(manager, monkeypatch, engine):
    message = one_sentence(manager, monkeypatch, engine, "cut")
    assert "did not send a complete answer" in message and "[DONE]" in message, message


def test_an_html_page_is_not_an_answer(manager, monkeypatch, engine):
    message = one_sentence(manager, monkeypatch, engine, "html")
    assert "did not send a complete answer" in message and "text/html" in message, message
