"""A tiny HTTP server on 127.0.0.1 for tests that need a hostile or broken remote: each path is a handler."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@contextlib.contextmanager
def loopback_server(routes: dict[str, Handler]) -> Iterator[str]:
    """Serve `routes` (path -> handler writing the whole answer) on 127.0.0.1; yields the base URL (no slash)."""

    class Routed(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet in test output
            pass

        def _route(self) -> None:
            handler = routes.get(self.path.split("?")[0])
            if handler is None:
                self.send_error(404)
                return
            try:
                handler(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up, as the code under test is meant to

        do_GET = do_POST = _route

    server = ThreadingHTTPServer(("127.0.0.1", 0), Routed)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="test-loopback", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def send(handler: BaseHTTPRequestHandler, body: bytes, content_type: str = "text/html", **headers: str) -> None:
    """A complete answer with a Content-Length."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)
