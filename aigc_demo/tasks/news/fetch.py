"""Fetch a news page and extract its article text (trafilatura), failing fast and clearly when there is no network.

The whole fetch, DNS lookup, download and extraction included, runs under one deadline in a worker thread, because
name lookups ignore socket timeouts: on a machine without internet the user hears so in seconds, not after a minute;
the download itself checks the deadline too, so a server that trickles bytes is dropped, and at most `MAX_FETCHES`
run at once. Only public http(s) addresses are fetched: each host is resolved once, checked, and connected to at
exactly that address (a name that answers differently the second time cannot point us inside), and every redirect is
checked again, so a public Space cannot be used to read its own network. Pages are decompressed by us, with a bound.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from aigc_demo import settings
from aigc_demo.errors import UserError, echo
from aigc_demo.tasks.common.worker import FETCH_THREAD, Worker

FETCH_TIMEOUT_S = 8.0  # seconds for the whole fetch, DNS, redirects, download and extraction included
CONNECT_TIMEOUT_S = 4.0  # seconds to open a connection
MAX_PAGE_BYTES = 1_500_000  # a news page is well under 1 MB; more is not an article, and costs seconds to extract
MAX_REDIRECTS = 5
MAX_FETCHES = 4  # fetches in flight at once, over all visitors
USER_AGENT = "Mozilla/5.0 (compatible; aigc-demo news summary)"
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
URL_ONLY = re.compile(r"^https?://\S+$", re.IGNORECASE)
_IN_FLIGHT = threading.BoundedSemaphore(MAX_FETCHES)


@dataclass(frozen=True)
class FetchedArticle:
    url: str  # after redirects
    title: str
    text: str


def looks_like_url(text: str) -> bool:
    """Whether `text` is a bare web address (someone pasted a link where the article goes)."""
    return bool(URL_ONLY.match(text.strip()))


def check_url(url: str) -> str:
    """A stripped http(s) URL with a host, or a UserError that says what is wrong with it."""
    if not isinstance(url, str):
        raise UserError("The web address must be text.", "网址必须是文本。")
    url = url.strip()
    if not url:
        raise UserError("Please enter the web address of an article.", "请输入文章的网址。")
    if "://" not in url and re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", url, re.IGNORECASE):
        url = "https://" + url  # "example.com/news/1" is what people type
    if not _is_http_url(url):
        shown = echo(url)
        raise UserError(
            f"{shown} is not a web address; expected something like https://example.com/news/article.",
            f"{shown} 不是有效网址，应类似 https://example.com/news/article。",
        )
    return url


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        host = parts.hostname
        if host:
            host.encode("idna")  # UnicodeError for a name no resolver can look up
    except (ValueError, UnicodeError):
        return False
    return bool(host) and parts.scheme in ("http", "https") and not any(c.isspace() for c in url)


def fetch_article(url: str, *, timeout_s: float = FETCH_TIMEOUT_S, allow_private: bool = False) -> FetchedArticle:
    """Download `url` and return its main text; UserError for a bad address, no network, or a page with no article."""
    url = check_url(url)
    if not _IN_FLIGHT.acquire(blocking=False):
        raise UserError(
            "Too many articles are being fetched right now; try again in a few seconds, or paste the text.",
            "当前正在获取的文章太多；请几秒后再试，或直接粘贴正文。",
        )
    deadline = time.monotonic() + timeout_s

    def work() -> str:
        try:
            final_url, body = _download(url, allow_private, deadline)
            return _extract(final_url, body)
        finally:
            _IN_FLIGHT.release()  # held until the network work has really ended, so stuck fetches stay bounded

    # Not joined past the deadline: a stuck download is left to its own socket timeouts, counted by _IN_FLIGHT.
    worker = Worker(FETCH_THREAD, join_s=0).start(work)
    host = echo(urlsplit(url).hostname or "", quote=False)
    if not worker.wait(max(0.0, deadline - time.monotonic())):
        raise UserError(
            f"{host} did not answer within {timeout_s:g} seconds. This machine may have no internet access: paste "
            "the article text instead.",
            f"{host} 在 {timeout_s:g} 秒内没有响应，本机可能无法上网：请直接粘贴文章正文。",
        )
    return worker.result()


class _PinnedBackend:
    """An httpcore network backend that connects to the address `_resolve` checked, never to a second lookup's.

    The URL keeps its host name, so the Host header, TLS SNI and certificate check are the site's own.
    """

    def __init__(self) -> None:
        import httpcore

        self._inner = httpcore.SyncBackend()
        self.pinned: dict[str, str] = {}

    def connect_tcp(self, host: str, port: int, timeout=None, local_address=None, socket_options=None):
        address = self.pinned.get(host.lower().strip("[]"))
        if address is None:
            raise OSError(f"{host} was not checked before connecting")
        return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, *args, **kwargs):
        raise OSError("no unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _download(url: str, allow_private: bool, deadline: float) -> tuple[str, bytes]:
    import httpx

    backend = _PinnedBackend()
    transport = httpx.HTTPTransport(trust_env=False)  # no proxy from the environment: we connect where we checked
    transport._pool._network_backend = backend  # httpx has no public hook for this; httpcore's pool reads it per dial
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    with httpx.Client(transport=transport, follow_redirects=False, headers=headers, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or ""
            backend.pinned[host.lower()] = _resolve(host, allow_private)
            remaining = max(0.1, deadline - time.monotonic())
            timeout = httpx.Timeout(remaining, connect=min(CONNECT_TIMEOUT_S, remaining))
            try:
                with client.stream("GET", url, timeout=timeout) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = check_url(urljoin(url, response.headers["location"]))
                        continue
                    _check_response(url, response)
                    return url, _read_body(url, response, deadline)
            except httpx.HTTPError as exc:
                shown = echo(url)
                raise UserError(
                    f"Could not download {shown} ({type(exc).__name__}). Check the address, or paste the article "
                    "text instead.",
                    f"无法下载 {shown}（{type(exc).__name__}）。请检查网址，或直接粘贴文章正文。",
                ) from exc
    shown = echo(url)
    raise UserError(f"{shown} redirects more than {MAX_REDIRECTS} times.", f"{shown} 重定向超过 {MAX_REDIRECTS} 次。")


def _read_body(url: str, response, deadline: float) -> bytes:
    """The page, decompressed by us with a bound on the output (a small compressed body can inflate to gigabytes)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(47 if encoding != "deflate" else zlib.MAX_WBITS)  # 47: gzip or zlib header
    elif encoding in ("identity", ""):
        inflater = None
    else:
        raise UserError(
            f"{echo(url)} sent its page in an encoding this app does not read ({echo(encoding, 30)}).",
            f"{echo(url)} 的页面使用了本应用不支持的编码（{echo(encoding, 30)}）。",
        )
    body = bytearray()
    for block in response.iter_raw():
        if inflater is not None:
            block = inflater.decompress(block, MAX_PAGE_BYTES + 1 - len(body))
        body.extend(block)
        if len(body) > MAX_PAGE_BYTES:
            mb = MAX_PAGE_BYTES / 1_000_000
            raise UserError(
                f"The page at {echo(url)} is larger than {mb:g} MB; that is not a news article. Paste the text instead.",
                f"{echo(url)} 的页面超过 {mb:g} MB，不像新闻文章，请直接粘贴正文。",
            )
        if time.monotonic() > deadline:
            raise UserError(
                f"{echo(url)} sends its page too slowly; paste the article text instead.",
                f"{echo(url)} 的页面传输太慢；请直接粘贴文章正文。",
            )
    return bytes(body)


def _resolve(host: str, allow_private: bool) -> str:
    """Resolve the host once: the address to connect to; no internet and private addresses are reported here."""
    shown = echo(host, quote=False)
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]
    except (OSError, UnicodeError) as exc:
        raise UserError(
            f"Could not find {shown}: this machine may have no internet access, or the address has a typo. Paste the "
            "article text instead.",
            f"找不到 {shown}：本机可能无法上网，或网址有误。请直接粘贴文章正文。",
        ) from exc
    if not addresses:
        raise UserError(f"Could not find {shown}.", f"找不到 {shown}。")
    if not allow_private:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise UserError(
                    f"{shown} is a local or private address ({address}); only public web pages can be fetched.",
                    f"{shown} 是本地或内网地址（{address}），只能获取公开网页。",
                )
    return addresses[0]


def _check_response(url: str, response) -> None:
    shown = echo(url)
    if response.status_code >= 400:
        reason = echo(response.reason_phrase, 40, quote=False)  # the remote site's words: escaped, kept short
        raise UserError(
            f"The site answered {response.status_code} {reason} for {shown}.",
            f"网站对 {shown} 返回了 {response.status_code} {reason}。",
        )
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        kind = echo(content_type, 40, quote=False)
        raise UserError(
            f"{shown} is not a web page but {kind}; paste the article text instead.",
            f"{shown} 不是网页，而是 {kind}；请直接粘贴文章正文。",
        )


def _extract(url: str, body: bytes) -> FetchedArticle:
    import trafilatura

    document = trafilatura.bare_extraction(
        body, url=url, include_comments=False, include_tables=False, with_metadata=True
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not text:
        raise UserError(
            f"No article text was found at {echo(url)}. The page may need JavaScript or a login; paste the text instead.",
            f"在 {echo(url)} 没有找到文章正文，页面可能需要 JavaScript 或登录；请直接粘贴正文。",
        )
    if len(text) > settings.MAX_ARTICLE_CHARS:  # keep what the summary accepts, ending at a paragraph
        cut = text[: settings.MAX_ARTICLE_CHARS]
        text = cut[: cut.rfind("\n")].strip() if "\n" in cut else cut
    title = (getattr(document, "title", None) or "").strip()[:300]
    first_line, _, rest = text.partition("\n")
    if title and first_line.strip() == title and rest.strip():
        text = rest.strip()  # the headline is returned as `title`; left in, it would pass for the lead sentence
    return FetchedArticle(url=url, title=title, text=text)
