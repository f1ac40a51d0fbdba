"""Counting a prompt's tokens: with the provider's tokenizer when it has one, else an estimate.

llama.cpp's server (and so the embedded provider) counts tokens at ``POST /tokenize``
(``{"content"}`` → ``{"tokens": [...]}``; llama-cpp-python's server at ``/extras/tokenize``,
``{"input"}``).  Other servers have no such endpoint: then a text counts
``ceil(utf-8 bytes / 4)`` tokens, the usual rate of BPE tokenizers on English (an overcount on
words, an undercount on some scripts), and every message ``MESSAGE_OVERHEAD`` more for its
chat template's markers.  Counts are cached by text, so a prompt rebuilt each reply asks the
server only about what is new.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, final

log = logging.getLogger(__name__)
MESSAGE_OVERHEAD: Final = 4  # <|im_start|>role\n … <|im_end|>\n
CACHE_SIZE: Final = 4096
TIMEOUT_S: Final = 5.0


def estimate(text: str) -> int:
    """The documented estimate: one token per 4 bytes of UTF-8, rounded up."""
    return (len(text.encode("utf-8")) + 3) // 4


@final
class TokenCounter:
    """Counts with the server at root (its URL without /v1) when it can, else estimates."""

    def __init__(self, root: str | None, *, api_key: str | None = None) -> None:
        self._root, self._key = root, api_key
        self._ways: list[tuple[str, str]] | None = None if root else []
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self._http: Any = None  # an httpx2.Client, kept alive: a prompt asks many times

    @property
    def exact(self) -> bool | None:
        """Whether the server's tokenizer is used (None: not tried yet)."""
        return None if self._ways is None else bool(self._ways)

    def count(self, text: str) -> int:
        """The tokens of text."""
        if not text:
            return 0
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        tokens = self._ask(text)
        n = estimate(text) if tokens is None else tokens
        with self._lock:
            self._cache[text] = n
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return n

    def close(self) -> None:
        """Close the connection to the server."""
        if self._http is not None:
            self._http.close()

    def _ask(self, text: str) -> int | None:
        if self._ways == []:
            return None
        import httpx2  # noqa: PLC0415

        if self._http is None:
            headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
            self._http = httpx2.Client(headers=headers, timeout=TIMEOUT_S)
        for path, field in self._ways or [("/tokenize", "content"),
                                          ("/extras/tokenize", "input")]:
            try:
                answer = self._http.post(f"{self._root}{path}", json={field: text})
                tokens = answer.json()["tokens"] if answer.status_code == 200 else None
            except (httpx2.HTTPError, ValueError, KeyError, TypeError):
                tokens = None
            if isinstance(tokens, list):
                self._ways = [(path, field)]
                return len(tokens)
        if self._ways is None:
            log.info("%s has no /tokenize: prompt tokens are estimated", self._root)
            self._ways = []
        return None


Count = Callable[[str], int]
