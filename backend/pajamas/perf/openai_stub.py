"""A deterministic OpenAI-compatible server on 127.0.0.1 for the chat benchmarks.

Why not the embedded model: its first token waits for the prompt's evaluation (tens to
hundreds of ms, varying with the load), which would drown the hub's own few milliseconds; this
server answers at once, the same way every time.  `POST /v1/chat/completions` (stream: true)
sends `tokens` chunks whose texts are `token_text(n)` (" w0", " w1", …), `interval_s` apart,
then a finish and a usage chunk; `sent` keeps when (time.monotonic(), a clock shared by every
process of the machine) each chunk of the latest reply was written.  `GET /v1/models` lists one
model.  It runs in threads of the benchmark's process, so the direct client and the hub's
events are timed on the same clock.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

MODEL: Final = "stub-model"


def token_text(n: int) -> str:
    """The text of the nth chunk of a reply."""
    return f" w{n}"


def token_index(text: str) -> int | None:
    """n for a chunk text made by `token_text`, else None."""
    stem = text.strip()
    return int(stem[1:]) if stem.startswith("w") and stem[1:].isdigit() else None


class StubServer:
    """The server; `tokens` and `interval_s` shape the next replies."""

    def __init__(self, tokens: int = 8, interval_s: float = 0.0) -> None:
        self.tokens, self.interval_s = tokens, interval_s
        self.sent: dict[int, float] = {}  # chunk index -> when it was written (monotonic)
        self.requests = 0
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="pajamas-perf-openai-stub")
        self._thread.start()

    @property
    def base_url(self) -> str:
        """Its OpenAI base URL (…/v1)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def close(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its kept-alive connection resets it: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"role": "assistant", "content": content}
    return {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0,
            "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class SSEHandler(BaseHTTPRequestHandler):
    """What an OpenAI-compatible server writes: JSON answers and server-sent `data:` events
    in HTTP/1.1 chunks (the tests' misbehaving server builds on it too)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _event(self, data: dict[str, Any]) -> None:
        self._send(b"data: " + json.dumps(data).encode() + b"\n\n")

    def _send(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Handler(SSEHandler):
    stub: StubServer

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "pajamas-perf"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
            return
        stub = self.stub
        stub.requests += 1
        stub.sent = {}
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n in range(stub.tokens):
            if n and stub.interval_s:
                time.sleep(stub.interval_s)
            stub.sent[n] = time.monotonic()
            self._event(_chunk(token_text(n)))
        self._event(_chunk(None, "stop"))
        self._event({**_chunk(None), "choices": [], "usage": {
            "prompt_tokens": 1, "completion_tokens": stub.tokens,
            "total_tokens": 1 + stub.tokens}})
        self._send(b"data: [DONE]\n\n")
        self._send(b"")
