"""web-fetch: fetch an http(s) URL with the standard library and return its title and text.

Only http and https are fetched, redirects included; the body is read up to `max_bytes`
(the rest is dropped and "truncated" says so); HTML is turned into plain text by
`html.parser`, skipping scripts, styles and other invisible parts.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from html.parser import HTMLParser
from typing import Any

SCHEMES = ("http", "https")
MAX_BYTES = 2_000_000
DEFAULT_BYTES = 1_000_000
MAX_TIMEOUT_S = 30.0
USER_AGENT = "PajamasWeb-AI-Hub web-fetch/1.0"
TEXT_TYPES = ("application/json", "application/xml", "application/xhtml+xml")
HIDDEN = {"script", "style", "noscript", "template", "svg", "head"}
BLOCKS = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header",
          "footer", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "hr", "main",
          "nav", "aside", "form", "dd", "dt", "figcaption"}


def fetch(url: str, max_bytes: int = DEFAULT_BYTES, timeout_s: float = 10.0) -> dict[str, Any]:
    """Fetch url: {"url", "status", "content_type", "title", "text", "bytes", "truncated"}."""
    _check_url(url)
    _check_number("max_bytes", max_bytes, 1, MAX_BYTES)
    _check_number("timeout_s", timeout_s, 0.1, MAX_TIMEOUT_S)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html, text/*;q=0.9, */*;q=0.5"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (http(s): _check_url)
    try:
        response = _opener().open(request, timeout=timeout_s)
    except urllib.error.HTTPError as error:  # 4xx and 5xx still carry a page worth reading
        response = error
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectionError(f"could not fetch {url}: {reason}") from exc
    with response:
        body = response.read(max_bytes + 1)
        return _page(response.geturl(), response.status, response.headers, body, max_bytes)


def _check_url(url: object) -> None:
    if not isinstance(url, str) or not url:
        raise ValueError("url must be a non-empty text, e.g. 'https://example.org/'")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f"only http and https URLs are fetched, not {parts.scheme or 'no'} "
                         f"scheme ({url!r})")
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http and https URLs (never file:, ftp: or data:)."""

    def redirect_request(  # noqa: PLR0917  (urllib's signature)
            self, req: urllib.request.Request, fp: Any, code: int, msg: str,
            headers: Message, newurl: str) -> urllib.request.Request | None:
        _check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_HttpOnlyRedirects())


def _page(url: str, status: int, headers: Message, body: bytes,
          max_bytes: int) -> dict[str, Any]:
    truncated = len(body) > max_bytes
    body = body[:max_bytes]
    content_type = headers.get_content_type()
    text = body.decode(headers.get_content_charset() or "utf-8", errors="replace")
    title = ""
    if content_type in ("text/html", "application/xhtml+xml"):
        title, text = _html_text(text)
    elif not (content_type.startswith("text/") or content_type in TEXT_TYPES):
        text = ""  # an image or an archive: no text to give
    return {"url": url, "status": status, "content_type": content_type, "title": title,
            "text": text, "bytes": len(body), "truncated": truncated}


class _TextParser(HTMLParser):
    """Collects an HTML page's title and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.parts: list[str] = []
        self._hidden = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in HIDDEN:
            self._hidden += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden:
            self.parts.append(data)


def _html_text(html: str) -> tuple[str, str]:
    """The title and the visible text of an HTML page, whitespace tidied."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    title = " ".join("".join(parser.title).split())
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line for line in lines if line))
    return title, text.strip()
