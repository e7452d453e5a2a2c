"""Fetch a news page and extract its article text (trafilatura), failing fast and clearly when there is no network.

The whole fetch, DNS lookup included, runs under one deadline in a worker thread, because name lookups ignore socket
timeouts: on a machine without internet the user hears so in seconds, not after a minute. Only public http(s)
addresses are fetched, and every redirect is checked again, so a public Space cannot be used to read its own network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from aigc_demo.errors import UserError

FETCH_TIMEOUT_S = 8.0  # seconds for the whole fetch, DNS and redirects included
CONNECT_TIMEOUT_S = 4.0  # seconds to open a connection
MAX_PAGE_BYTES = 5_000_000  # a news page is well under 1 MB; more is not an article
MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; aigc-demo news summary)"
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
URL_ONLY = re.compile(r"^https?://\S+$", re.IGNORECASE)


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
    url = (url or "").strip()
    if not url:
        raise UserError("Please enter the web address of an article.", "请输入文章的网址。")
    if "://" not in url and re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", url, re.IGNORECASE):
        url = "https://" + url  # "example.com/news/1" is what people type
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise UserError(
            f"'{url}' is not a web address; expected something like https://example.com/news/article.",
            f"“{url}”不是有效网址，应类似 https://example.com/news/article。",
        )
    return url


def fetch_article(url: str, *, timeout_s: float = FETCH_TIMEOUT_S, allow_private: bool = False) -> FetchedArticle:
    """Download `url` and return its main text; UserError for a bad address, no network, or a page with no article."""
    url = check_url(url)
    outcome: list = []

    def work() -> None:
        try:
            outcome.append(_download(url, allow_private))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=work, name="aigc-fetch", daemon=True)
    thread.start()
    thread.join(timeout_s)
    host = urlsplit(url).hostname
    if not outcome:
        raise UserError(
            f"{host} did not answer within {timeout_s:g} seconds. This machine may have no internet access: paste "
            "the article text instead.",
            f"{host} 在 {timeout_s:g} 秒内没有响应，本机可能无法上网：请直接粘贴文章正文。",
        )
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    final_url, body = outcome[0]
    return _extract(final_url, body)


def _download(url: str, allow_private: bool) -> tuple[str, bytes]:
    import httpx

    timeout = httpx.Timeout(FETCH_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    with httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            _check_host(url, allow_private)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = check_url(urljoin(url, response.headers["location"]))
                        continue
                    _check_response(url, response)
                    body = bytearray()
                    for block in response.iter_bytes():
                        body.extend(block)
                        if len(body) > MAX_PAGE_BYTES:
                            raise UserError(
                                f"The page at {url} is larger than {MAX_PAGE_BYTES // 1_000_000} MB; that is not a "
                                "news article. Paste the text instead.",
                                f"{url} 的页面超过 {MAX_PAGE_BYTES // 1_000_000} MB，不像新闻文章，请直接粘贴正文。",
                            )
                    return url, bytes(body)
            except httpx.HTTPError as exc:
                raise UserError(
                    f"Could not download {url} ({type(exc).__name__}). Check the address, or paste the article "
                    "text instead.",
                    f"无法下载 {url}（{type(exc).__name__}）。请检查网址，或直接粘贴文章正文。",
                ) from exc
    raise UserError(f"{url} redirects more than {MAX_REDIRECTS} times.", f"{url} 重定向超过 {MAX_REDIRECTS} 次。")


def _check_host(url: str, allow_private: bool) -> None:
    """Resolve the host; no internet is reported here, and private addresses are refused unless allowed."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise UserError(
            f"Could not find {host}: this machine may have no internet access, or the address has a typo. Paste the "
            "article text instead.",
            f"找不到 {host}：本机可能无法上网，或网址有误。请直接粘贴文章正文。",
        ) from exc
    if allow_private:
        return
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise UserError(
                f"{host} is a local or private address ({address}); only public web pages can be fetched.",
                f"{host} 是本地或内网地址（{address}），只能获取公开网页。",
            )


def _check_response(url: str, response) -> None:
    if response.status_code >= 400:
        raise UserError(
            f"The site answered {response.status_code} {response.reason_phrase} for {url}.",
            f"网站对 {url} 返回了 {response.status_code} {response.reason_phrase}。",
        )
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        raise UserError(
            f"{url} is not a web page but {content_type}; paste the article text instead.",
            f"{url} 不是网页，而是 {content_type}；请直接粘贴文章正文。",
        )


def _extract(url: str, body: bytes) -> FetchedArticle:
    import trafilatura

    document = trafilatura.bare_extraction(
        body, url=url, include_comments=False, include_tables=False, with_metadata=True
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not text:
        raise UserError(
            f"No article text was found at {url}. The page may need JavaScript or a login; paste the text instead.",
            f"在 {url} 没有找到文章正文，页面可能需要 JavaScript 或登录；请直接粘贴正文。",
        )
    title = (getattr(document, "title", None) or "").strip()
    first_line, _, rest = text.partition("\n")
    if title and first_line.strip() == title and rest.strip():
        text = rest.strip()  # the headline is returned as `title`; left in, it would pass for the lead sentence
    return FetchedArticle(url=url, title=title, text=text)
