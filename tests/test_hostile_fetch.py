"""News fetching under a hostile remote (issue #12): DNS rebinding, redirects inward, compression bombs."""

from __future__ import annotations

import gzip
import socket

import pytest

from aigc_demo.errors import UserError
from aigc_demo.tasks.news import fetch as news_fetch

from .loopback import loopback_server, send

SECRET = "INTERNAL-ONLY admin page: the deploy key is here."
ARTICLE = (
    "<html><head><title>Internal</title></head><body><article>" + f"<p>{SECRET} " * 20 + "</article></body></html>"
)
PUBLIC = "8.8.8.8"  # a global address; nothing here connects to it successfully (no internet), and nothing must


def internal_page(handler) -> None:
    send(handler, ARTICLE.encode())


def test_a_name_that_rebinds_to_loopback_never_returns_the_internal_page(monkeypatch):
    real = socket.getaddrinfo
    answers = [PUBLIC, "127.0.0.1"]  # public to the check, loopback to any second lookup

    def rebinding(host, port=None, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(news_fetch.socket, "getaddrinfo", rebinding)
    with loopback_server({"/news": internal_page}) as base:
        port = base.rsplit(":", 1)[1]
        try:
            article = news_fetch.fetch_article(f"http://rebind.test:{port}/news", timeout_s=3)
        except UserError as exc:
            assert SECRET not in exc.message("en")
        else:
            pytest.fail(f"a rebinding name returned a page: {article.text[:80]!r}")


def test_a_redirect_to_a_private_address_is_refused(monkeypatch):
    real_resolve = news_fetch._resolve

    def resolve(host, allow_private):
        # "public.test" passes the check as if public but is served by the loopback server; every other hop is
        # checked for real, so the redirect to 127.0.0.1 must be caught by the re-check of each hop.
        return "127.0.0.1" if host == "public.test" else real_resolve(host, allow_private)

    monkeypatch.setattr(news_fetch, "_resolve", resolve)
    with loopback_server({"/secret": internal_page}) as base:
        port = base.rsplit(":", 1)[1]

        def redirect(handler) -> None:
            handler.send_response(302)
            handler.send_header("Location", f"{base}/secret")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with loopback_server({"/news": redirect}) as outer:
            outer_port = outer.rsplit(":", 1)[1]
            with pytest.raises(UserError) as caught:
                news_fetch.fetch_article(f"http://public.test:{outer_port}/news", timeout_s=5)
    message = caught.value.message("en")
    assert "local or private address" in message and "127.0.0.1" in message, message
    assert port  # the inner server existed; it was never read


def test_a_gzip_bomb_is_cut_at_the_page_limit():
    bomb = gzip.compress(b" " * 200_000_000, compresslevel=9)  # ~200 KB that inflates to 200 MB
    assert len(bomb) < 1_000_000

    def serve_bomb(handler) -> None:
        send(handler, bomb, Content_Encoding="gzip")

    with loopback_server({"/bomb": serve_bomb}) as base:
        with pytest.raises(UserError) as caught:
            news_fetch.fetch_article(f"{base}/bomb", timeout_s=20, allow_private=True)
    message = caught.value.message("en")
    limit_mb = f"{news_fetch.MAX_PAGE_BYTES / 1_000_000:g} MB"
    assert f"larger than {limit_mb}" in message, message


def test_a_modest_gzip_page_is_still_read():
    page = gzip.compress(ARTICLE.encode())

    def serve(handler) -> None:
        send(handler, page, Content_Encoding="gzip")

    with loopback_server({"/ok": serve}) as base:
        article = news_fetch.fetch_article(f"{base}/ok", timeout_s=20, allow_private=True)
    assert SECRET in article.text


def test_html_in_a_remote_reason_phrase_is_cut_short():
    def refuse(handler) -> None:
        handler.send_response(403, "<form><input type=password name=pw>" + "x" * 500)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with loopback_server({"/no": refuse}) as base:
        with pytest.raises(UserError) as caught:
            news_fetch.fetch_article(f"{base}/no", timeout_s=10, allow_private=True)
    message = caught.value.message("en")
    assert "403" in message and "x" * 100 not in message, message
