"""A small OpenAI-compatible server on 127.0.0.1, well-behaved or misbehaving on purpose.

`mode` says how `POST /v1/chat/completions` answers: "ok" streams `words` then a finish
(`finish`: "stop", or "length" for a reply cut at its token limit) and a usage chunk; "hold"
streams the first word, then only SSE comments until `release` is set; "401" and "500"
refuse; "cut" closes the connection after two words; "malformed" sends a chunk that is not
JSON; "stall" sends one word, then nothing at all.

`tool_rounds` makes "ok" answer with tool calls first: each request takes the next round, a
list of {"id", "name", "arguments"}, and streams them as OpenAI does (the first chunk of a
call names it, the next ones carry its arguments in pieces; finish_reason "tool_calls");
once they are used up, requests get `words` again.
"""

from __future__ import annotations

import json
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from pajamas.perf.openai_stub import SSEHandler


class FakeOpenAI:
    """The server, its behaviour, and the requests it received."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.words = ["Hello", " there", ",", " friend", "."]
        self.finish = "stop"
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.tokenize = False
        self.tool_rounds: list[list[dict[str, str]]] = []
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def chunk(content: str | None, finish: str | None = None,
          delta: dict[str, Any] | None = None) -> dict[str, Any]:
    if delta is None:
        delta = {} if content is None else {"role": "assistant", "content": content}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
            "model": "fake", "choices": [{"index": 0, "delta": delta,
                                          "finish_reason": finish}]}


def tool_chunks(calls: list[dict[str, str]]) -> list[dict[str, Any]]:
    """A round of tool calls as streamed chunks: a name first, then the arguments in pieces."""
    chunks = [chunk(None, delta={"role": "assistant", "content": None})]
    for index, call in enumerate(calls):
        chunks.append(chunk(None, delta={"tool_calls": [{
            "index": index, "id": call["id"], "type": "function",
            "function": {"name": call["name"], "arguments": ""}}]}))
        text = call["arguments"]
        for start in range(0, len(text), 7):
            chunks.append(chunk(None, delta={"tool_calls": [{
                "index": index, "function": {"arguments": text[start:start + 7]}}]}))
    chunks.append(chunk(None, "tool_calls"))
    return chunks


class _Handler(SSEHandler):
    fake: FakeOpenAI

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [
                {"id": "fake-model", "object": "model", "created": 0, "owned_by": "test"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/tokenize" and self.fake.tokenize:
            self._json(200, {"tokens": list(range(len(body["content"].split())))})
            return
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
            return
        self.fake.requests.append(body)
        mode = self.fake.mode
        if mode == "401":
            self._json(401, {"error": {"message": "Incorrect API key provided"}})
        elif mode == "500":
            self._json(500, {"error": {"message": "model crashed"}})
        else:
            self._stream(mode)

    def _stream(self, mode: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = self.fake.words
        if mode == "ok" and self.fake.tool_rounds:
            for data in tool_chunks(self.fake.tool_rounds.pop(0)):
                self._event(data)
            self._send(b"data: [DONE]\n\n")
            self._send(b"")
        elif mode == "ok":
            for word in words:
                self._event(chunk(word))
            self._event(chunk(None, self.fake.finish))
            self._event({**chunk(None), "choices": [], "usage": {
                "prompt_tokens": 42, "completion_tokens": len(words), "total_tokens": 99}})
            self._send(b"data: [DONE]\n\n")
            self._send(b"")
        elif mode == "hold":
            self._event(chunk(words[0]))
            while not self.fake.release.wait(0.05):
                self._send(b": keep-alive\n\n")
            self._event(chunk(None, "stop"))
            self._send(b"data: [DONE]\n\n")
            self._send(b"")
        elif mode == "cut":
            self._event(chunk(words[0]))
            self._event(chunk(words[1]))
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
        elif mode == "malformed":
            self._event(chunk(words[0]))
            self._send(b'data: {"choices": [{"delta": {"content": "x"\n\n')
            self._send(b"data: [DONE]\n\n")
            self._send(b"")
        elif mode == "stall":
            self._event(chunk(words[0]))
            self.fake.release.wait()
