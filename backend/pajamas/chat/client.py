"""`ProviderClient`: one client for every OpenAI-compatible server, on the `openai` package.

It lists the server's models (`GET /v1/models`) and streams a chat completion (`POST
/v1/chat/completions`, `stream: true`): the package parses the server-sent events into its
`ChatCompletionChunk` types.  Each chunk's text is turned into a `Delta`; the pieces of tool
calls (`ChoiceDeltaToolCall`, by index) are gathered, and the stream ends with one `Finish`
that carries the whole `ToolCall`s.  Every failure of the server
(refused connection, an HTTP error, a stream cut short, a malformed chunk, silence past
`stall_s`) becomes `ProviderFailed` at one border, `provider_errors`, with a message a person
can act on.  `close_stream` ends a stream from another thread (chat.stop), even a silent one.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, final

from pajamas.errors import ProviderFailed

if TYPE_CHECKING:
    import openai
    from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall

BODY_CHARS = 300  # of a refusing server's answer, in the error


@dataclass(frozen=True)
class Request:
    """One completion: the prompt's messages, the sampling parameters, and the tools offered
    (OpenAI "tools" definitions; `tool_choice` "none" forbids calling them this time)."""

    messages: list[dict[str, Any]]
    model: str
    max_tokens: int
    temperature: float | None = None
    stop: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | None = None


@dataclass(frozen=True)
class Delta:
    """A piece of the reply's text."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A function the model asks to call: the call's id, the tool's name, the arguments as
    the JSON text the model wrote."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Finish:
    """The end of a reply: why, the server's token counts when it gave them, and the tool
    calls the model asks for (none: the reply is done)."""

    reason: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tool_calls: tuple[ToolCall, ...] = ()


@final
class ProviderClient:
    """A client of one OpenAI-compatible server (base_url ends with /v1)."""

    def __init__(self, provider: str, base_url: str, api_key: str | None, *,
                 connect_s: float = 5.0, stall_s: float = 30.0) -> None:
        import httpx2  # noqa: PLC0415  (the openai package's HTTP client; loaded on first chat)
        import openai  # noqa: PLC0415

        self.provider, self.base_url = provider, base_url
        timeout = httpx2.Timeout(stall_s, connect=connect_s)
        # No retries: a reply that failed says so at once; the user decides to regenerate.
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "none",
                                     timeout=timeout, max_retries=0)
        self._streams: dict[int, Any] = {}
        self._lock = threading.Lock()

    def models(self) -> list[str]:
        """The ids of the models the server offers."""
        with provider_errors(self.provider, self.base_url):
            return sorted(model.id for model in self._client.models.list())

    def stream(self, request: Request, key: int) -> Iterator[Delta | Finish]:
        """The reply as it comes: deltas, then one Finish; `ProviderFailed` on any failure.

        `key` names the stream for `close_stream`; a closed stream ends without error.
        """
        with provider_errors(self.provider, self.base_url):
            chunks = self._client.chat.completions.create(**_params(request))
        with self._lock:
            self._streams[key] = chunks
        try:
            with provider_errors(self.provider, self.base_url, streaming=True):
                yield from _events(chunks, self.provider)
        finally:
            with self._lock:
                self._streams.pop(key, None)
            chunks.close()

    def close_stream(self, key: int) -> bool:
        """End the stream named key now (its reader sees it end); whether one was open."""
        with self._lock:
            chunks = self._streams.pop(key, None)
        if chunks is None:
            return False
        # Closing the response alone does not wake a thread blocked reading its socket (a
        # silent server): shutting the socket down does, at once.
        stream = chunks.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        chunks.close()
        return True

    def tokenize_url(self) -> str:
        """Where llama.cpp-style servers count tokens: the base URL without /v1."""
        root = self.base_url.removesuffix("/v1")
        return f"{root}/tokenize"

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {"model": request.model or "default", "messages": request.messages,
                              "stream": True, "max_tokens": request.max_tokens,
                              "stream_options": {"include_usage": True}}
    if request.temperature is not None:
        params["temperature"] = request.temperature
    if request.stop:
        params["stop"] = request.stop
    if request.tools:
        params["tools"] = request.tools
        if request.tool_choice:
            params["tool_choice"] = request.tool_choice
    return params


def _events(chunks: Any, provider: str) -> Iterator[Delta | Finish]:
    reason: str | None = None
    prompt = completion = None
    calls: dict[int, list[str]] = {}  # index -> [id, name, arguments so far]
    for chunk in chunks:
        if chunk.usage is not None:
            prompt, completion = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
        for choice in chunk.choices or ():
            if choice.delta is not None and choice.delta.content:
                yield Delta(choice.delta.content)
            if choice.delta is not None:
                for part in choice.delta.tool_calls or ():
                    _gather(calls, part)
            reason = choice.finish_reason or reason
    if reason is None:
        raise ProviderFailed(f"provider {provider!r} ended the stream before the reply was "
                             "finished (no finish_reason); the server may have crashed or "
                             "dropped the connection", provider=provider, status=None, body="")
    yield Finish("length" if reason == "length" else "stop", prompt, completion,
                 tuple(ToolCall(i or f"call_{n}", name, args)
                       for n, (i, name, args) in sorted(calls.items()) if name))


def _gather(calls: dict[int, list[str]], part: ChoiceDeltaToolCall) -> None:
    """Add a streamed piece of a tool call: the first names it, the rest add arguments."""
    found = calls.setdefault(part.index, ["", "", ""])
    if part.id:
        found[0] = part.id
    if part.function is not None:
        found[1] += part.function.name or ""
        found[2] += part.function.arguments or ""


@contextmanager
def provider_errors(provider: str, base_url: str, *, streaming: bool = False) -> Iterator[None]:
    """Translate the openai package's and the HTTP client's failures into `ProviderFailed`.

    `streaming`: the server answered already, so a broken connection cut its stream short.
    """
    import httpx2  # noqa: PLC0415
    import openai  # noqa: PLC0415

    try:
        yield
    except openai.APIStatusError as exc:
        raise _refused(provider, exc) from None
    except openai.APITimeoutError:
        raise _stalled(provider, base_url) from None
    except openai.APIConnectionError as exc:
        if streaming:
            raise _cut(provider, _cause(exc)) from None
        raise ProviderFailed(
            f"could not connect to provider {provider!r} at {base_url} ({_cause(exc)}); is the "
            "server running? Check its base_url, then test the provider",
            provider=provider, status=None, body="") from None
    except httpx2.TimeoutException:
        raise _stalled(provider, base_url) from None
    except (httpx2.HTTPError, httpx2.StreamError) as exc:
        raise _cut(provider, type(exc).__name__) from None
    except (json.JSONDecodeError, openai.APIResponseValidationError, openai.APIError,
            ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProviderFailed(f"provider {provider!r} sent a malformed stream chunk "
                             f"({type(exc).__name__}: {str(exc)[:120]}); is it an "
                             "OpenAI-compatible server?",
                             provider=provider, status=None, body="") from None


def _refused(provider: str, exc: openai.APIStatusError) -> ProviderFailed:
    status = exc.status_code
    body = _body(exc)
    if status in (401, 403):
        hint = "it refused the API key: set the right one in the provider's settings"
    elif status == 404:
        hint = "the model or the URL is unknown to it: check base_url and model"
    elif status == 429:
        hint = "it is rate-limiting: wait and regenerate"
    elif status >= 500:
        hint = "the server failed: see its log, then regenerate"
    else:
        hint = "it refused the request"
    return ProviderFailed(f"provider {provider!r} answered HTTP {status}: {hint}"
                          + (f" ({body[:120]})" if body else ""),
                          provider=provider, status=status, body=body)


def _cut(provider: str, why: str) -> ProviderFailed:
    return ProviderFailed(f"provider {provider!r} cut the stream before the reply was finished "
                          f"({why}); the server may have crashed: regenerate to try again",
                          provider=provider, status=None, body="")


def _stalled(provider: str, base_url: str) -> ProviderFailed:
    return ProviderFailed(f"provider {provider!r} at {base_url} sent nothing for too long "
                          "(chat_stall_s); it may be overloaded or stuck: regenerate later",
                          provider=provider, status=None, body="")


def _body(exc: openai.APIStatusError) -> str:
    try:
        return exc.response.text[:BODY_CHARS]
    except Exception:
        return ""


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return type(cause).__name__ if cause is not None else "no answer"


def elapsed_ms(since: float) -> float:
    """Milliseconds since a `time.monotonic()` reading."""
    return (time.monotonic() - since) * 1000.0
