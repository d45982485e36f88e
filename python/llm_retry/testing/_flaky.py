"""`FlakyProvider`: an HTTP server on 127.0.0.1 that answers from a script, speaking enough of Anthropic's
Messages API, OpenAI's Chat Completions and Responses APIs, Gemini's generateContent and Bedrock's Converse
and ConverseStream for their real SDKs to parse what it sends.

It serves the status, headers and body each script item names, in order, one item per request; the error body
a status gets when the item names none is the provider's own envelope, so the SDKs raise the very classes
they raise in production (``anthropic.OverloadedError`` for a 529, ``openai.RateLimitError`` for a 429).
"""

from __future__ import annotations

import binascii
import dataclasses
import json
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeAlias

from .. import _validate as valid
from ._faults import (
    ANTHROPIC_ERROR_TYPES,
    BEDROCK_ERROR_CODES,
    BEDROCK_STREAM_CODES,
    GOOGLE_CANONICAL_STATUSES,
    GOOGLE_STATUS_NAMES,
)

Body: TypeAlias = Mapping[str, Any] | str | bytes


@dataclass(frozen=True, slots=True)
class StreamError:
    """A script item for a streamed request: HTTP 200, the first part of the answer, then an error inside
    the stream, as providers send an overload that strikes mid-answer. ``error_type`` is the provider's
    (Anthropic's ``overloaded_error``, ``api_error``; OpenAI's ``server_error``; Bedrock's
    ``throttlingException``, ``modelStreamErrorException``...), sent as an Anthropic ``event: error`` on
    ``/v1/messages``, as an exception event on Bedrock's ``/model/.../converse-stream`` (a type that is not
    one of Bedrock's stream codes is sent as ``serviceUnavailableException``) and as an ``{"error": ...}``
    chunk elsewhere; the SDKs raise it while the stream is read (anthropic's ``APIStatusError`` with status
    200, openai's bare ``APIError``, botocore's ``EventStreamError``)."""

    error_type: str = "overloaded_error"
    message: str = "Overloaded"


@dataclass(frozen=True, slots=True)
class Stall:
    """A script item that answers late: nothing for ``seconds`` (at most 60), then ``then``. A client whose
    timeout is shorter gives up first, as it would with a provider that hangs."""

    seconds: float
    then: ScriptItem = 200


ScriptItem: TypeAlias = (
    int | StreamError | Stall | tuple[int, Mapping[str, str]] | tuple[int, Mapping[str, str], Body | None]
)
"""One answer: a status, ``(status, headers)``, ``(status, headers, body)``, a `StreamError` or a `Stall`.
A dict body is sent as JSON, a str or bytes body as it is; left out, the body is the provider's usual one
for that status."""

REPLY_TEXT = "Hello from FlakyProvider"
"""The assistant's text in every success body the script does not spell out."""

_SCRIPT_ITEM = "an int status, (status, headers), (status, headers, body) or a StreamError"
_MAX_REQUEST_BYTES = 1 << 20
_LONGEST_STALL_S = 60.0


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request the provider received (bodies are not kept: they are prompts)."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: Body | None
    stream_error: StreamError | None = None
    stall_s: float = 0.0


def _reply(item: object, index: int) -> _Reply:
    name = f"script[{index}]"
    if isinstance(item, Stall):
        stall_s = valid.seconds(f"{name}'s seconds", item.seconds, maximum=_LONGEST_STALL_S)
        if isinstance(item.then, Stall):
            raise valid.wrong_type(f"{name}'s then", "a script item other than a Stall", item.then)
        return dataclasses.replace(_reply(item.then, index), stall_s=stall_s)
    if isinstance(item, StreamError):
        if not isinstance(item.error_type, str) or not isinstance(item.message, str):
            raise valid.wrong_type(f"{name}'s error_type and message", "str", item)
        return _Reply(200, (), None, item)
    parts = item if isinstance(item, tuple) else (item,)
    if not 1 <= len(parts) <= 3:
        raise valid.out_of_range(name, _SCRIPT_ITEM, item)
    status = parts[0]
    if type(status) is not int:
        raise valid.wrong_type(name, _SCRIPT_ITEM, item)
    if not 200 <= status <= 599:
        raise valid.out_of_range(f"{name}'s status", "an HTTP status from 200 to 599", status)
    headers = parts[1] if len(parts) > 1 else {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise valid.wrong_type(f"{name}'s headers", "a mapping of str to str", headers)
    body = parts[2] if len(parts) > 2 else None
    if body is not None and not isinstance(body, Mapping | str | bytes):
        raise valid.wrong_type(f"{name}'s body", "None, a dict (sent as JSON), str or bytes", body)
    return _Reply(status, tuple(headers.items()), body)


class FlakyProvider:
    """An LLM provider on 127.0.0.1 that fails the way real ones do, for testing code end to end.

    ``script`` lists the answers, one per request in the order they arrive: ``529``, ``(429, {"retry-after":
    "1"})``, ``(200, {}, {"content": ...})``. A status alone gets the provider's usual body: Anthropic's
    error envelope on ``/v1/messages`` (``overloaded_error`` for 529, ``rate_limit_error`` for 429...),
    Google's on ``...:generateContent``, Bedrock's code header on ``/model/.../converse`` (and
    ``converse-stream``), OpenAI's elsewhere; and for 200 a complete message, chat completion, response,
    Gemini candidate or Converse output (streamed when the request asks for a stream: Bedrock's in its binary
    event stream). A request past the end of the script is answered 400 with a message saying so, which no
    client retries. Point a real SDK at ``base_url`` (with ``max_retries=0``, so that only your retries run);
    ``requests`` lists what arrived.

    >>> import json, urllib.error, urllib.request
    >>> from llm_retry import retry_llm
    >>> with FlakyProvider([503, (429, {"retry-after": "0"}), 200]) as provider:
    ...     @retry_llm(max_attempts=3, base_delay_s=0.0, budget=None)
    ...     def ask() -> str:
    ...         request = urllib.request.Request(provider.base_url + "/v1/messages", data=b"{}")
    ...         try:
    ...             with urllib.request.urlopen(request, timeout=5) as response:
    ...                 return json.load(response)["content"][0]["text"]
    ...         except urllib.error.HTTPError as exc:
    ...             exc.close()  # its status and headers stay readable
    ...             raise
    ...     ask(), len(provider.requests)
    ('Hello from FlakyProvider', 3)
    """

    def __init__(self, script: Iterable[ScriptItem], *, host: str = "127.0.0.1") -> None:
        if isinstance(script, str | bytes | Mapping) or not isinstance(script, Iterable):
            raise valid.wrong_type("script", f"a list of script items ({_SCRIPT_ITEM})", script)
        self._script = [_reply(item, i) for i, item in enumerate(script)]
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise valid.out_of_range("host", "a loopback address ('127.0.0.1', 'localhost' or '::1')", host)
        self._host = host
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._requests: list[ReceivedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a path: what the SDKs take as ``base_url`` (OpenAI's with
        ``/v1`` added: ``base_url=provider.base_url + "/v1"``)."""
        if self._server is None:
            raise RuntimeError("FlakyProvider is not running; use it as a context manager (with ...)")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        """The requests received so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def __enter__(self) -> FlakyProvider:
        if self._server is not None:
            raise RuntimeError("FlakyProvider is already running")
        handler = type("_Handler", (_Handler,), {"provider": self})
        self._closing.clear()
        server_class = _IPv6Server if ":" in self._host else _Server
        self._server = server_class((self._host, 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self._closing.set()
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    async def __aenter__(self) -> FlakyProvider:
        """``async with FlakyProvider(...)``: the same server, for async tests (it runs in its own thread)."""
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _next(self, request: ReceivedRequest) -> tuple[_Reply | None, int]:
        with self._lock:
            self._requests.append(request)
            n = len(self._requests)
        return (self._script[n - 1] if n <= len(self._script) else None), n


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up mid-answer (a test's timeout, a cancelled stream) is not the server's error.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    provider: FlakyProvider
    server_version = "FlakyProvider"
    timeout = 10  # seconds a request may take to arrive: a client that stalls cannot hold a thread for ever

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(min(max(length, 0), _MAX_REQUEST_BYTES)) if length else b""
        try:
            request_body = json.loads(raw) if raw else {}
        except ValueError:
            request_body = {}
        if not isinstance(request_body, dict):
            request_body = {}
        received = ReceivedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        reply, n = self.provider._next(received)
        if reply is not None and reply.stall_s > 0 and self.provider._closing.wait(reply.stall_s):
            return  # the provider is shutting down: the stalled request is dropped unanswered
        api = _api_of(self.path)
        if reply is None:
            served = len(self.provider._script)
            message = f"FlakyProvider: the script has {served} answers and this is request {n}"
            self._send(400, *_error_reply(api, 400, message))
            return
        if reply.stream_error is not None:
            self._send_stream(reply, api, request_body)
            return
        body = reply.body
        headers = reply.headers
        if body is None:
            if reply.status < 300:
                body = _success_body(api, request_body)
                if _streamed(api, self.path, request_body):
                    self._send_stream(reply, api, request_body)
                    return
            else:
                extra, body = _error_reply(api, reply.status, None)
                headers = (*extra, *headers)
        self._send(reply.status, headers, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def _send(self, status: int, headers: tuple[tuple[str, str], ...], body: Body) -> None:
        payload = json.dumps(body).encode() if isinstance(body, Mapping) else body
        payload = payload.encode() if isinstance(payload, str) else payload
        self.send_response(status)
        names = {k.lower() for k, _ in headers}
        if "content-type" not in names:
            self.send_header("content-type", "application/json")
        if "request-id" not in names:
            self.send_header("request-id", f"req_flaky{int(time.time() * 1000)}")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_stream(self, reply: _Reply, api: str, request_body: dict[str, Any]) -> None:
        if api == "bedrock":
            self._send_event_stream(reply, request_body)
            return
        self.send_response(reply.status)
        self.send_header("content-type", "text/event-stream")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        events = _stream_events(api, request_body)
        if reply.stream_error is not None:
            events = [*events[: _STARTED_EVENTS[api]], _stream_error_event(api, reply.stream_error)]
        for event, data in events:
            line = (f"event: {event}\n" if event else "") + f"data: {data}\n\n"
            self.wfile.write(line.encode())
        self.wfile.flush()

    def _send_event_stream(self, reply: _Reply, request_body: dict[str, Any]) -> None:
        """ConverseStream's answer: AWS event-stream frames, each event's type in its headers."""
        self.send_response(reply.status)
        self.send_header("content-type", "application/vnd.amazon.eventstream")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        events = _bedrock_stream_events(request_body)
        frames = [
            _event_frame({":message-type": "event", ":event-type": kind}, body) for kind, body in events
        ]
        if reply.stream_error is not None:
            error = reply.stream_error
            code = (
                error.error_type
                if error.error_type in BEDROCK_STREAM_CODES
                else "serviceUnavailableException"
            )
            headers = {":message-type": "exception", ":exception-type": code}
            frames = [
                *frames[: _STARTED_EVENTS["bedrock"]],
                _event_frame(headers, {"message": error.message}),
            ]
        for frame in frames:
            self.wfile.write(frame)
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _api_of(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/")
    if ":generateContent" in path or ":streamGenerateContent" in path:
        return "gemini"
    if path.endswith(("/converse", "/converse-stream")) and "/model/" in path:
        return "bedrock"
    if path.endswith("/messages") and "/chat/" not in path:
        return "anthropic"
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    return "other"


# OpenAI's (`type`, `code`) per status, as its API sends them.
_OPENAI_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Overloaded" if status == 529 else f"HTTP {status}"


def _streamed(api: str, path: str, request_body: Mapping[str, Any]) -> bool:
    """Whether the request asks for a stream: Gemini and Bedrock say so in the path, others in the body."""
    if api == "gemini":
        return ":streamGenerateContent" in path
    if api == "bedrock":
        return path.split("?", 1)[0].rstrip("/").endswith("/converse-stream")
    return request_body.get("stream") is True and api in ("anthropic", "chat", "responses")


def _error_reply(api: str, status: int, message: str | None) -> tuple[tuple[tuple[str, str], ...], Any]:
    """The headers and body of the provider's error for ``status``."""
    text = message or f"{_phrase(status)} (FlakyProvider)"
    if api == "bedrock":
        # botocore reads the code from this header (rest-json protocol), the message from the body.
        code = BEDROCK_ERROR_CODES.get(
            status, "InternalServerException" if status >= 500 else "ValidationException"
        )
        errortype = f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        return (("x-amzn-errortype", errortype),), {"message": text}
    return (), _error_body(api, status, text)


def _error_body(api: str, status: int, message: str | None) -> dict[str, Any]:
    text = message or f"{_phrase(status)} (FlakyProvider)"
    if api == "gemini":
        canonical = GOOGLE_STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        return {"error": {"code": status, "message": text, "status": canonical}}
    if api == "anthropic":
        # Anthropic's `error.type` per status; anything else >= 500 is `api_error`.
        kind = ANTHROPIC_ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": text}, "request_id": "req_flaky"}
    kind, code = _OPENAI_TYPES.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}


def _model(request_body: Mapping[str, Any], default: str) -> str:
    model = request_body.get("model")
    return model if isinstance(model, str) else default


def _success_body(api: str, request_body: Mapping[str, Any]) -> dict[str, Any]:
    usage_in, usage_out = 5, 5
    if api == "gemini":
        return {
            "candidates": [
                {
                    "content": {"parts": [{"text": REPLY_TEXT}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": usage_in,
                "candidatesTokenCount": usage_out,
                "totalTokenCount": usage_in + usage_out,
            },
            "modelVersion": "gemini-flaky",
        }
    if api == "bedrock":
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": REPLY_TEXT}]}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": usage_in,
                "outputTokens": usage_out,
                "totalTokens": usage_in + usage_out,
            },
            "metrics": {"latencyMs": 1},
        }
    if api == "anthropic":
        return {
            "id": "msg_flaky",
            "type": "message",
            "role": "assistant",
            "model": _model(request_body, "claude-flaky"),
            "content": [{"type": "text", "text": REPLY_TEXT}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": usage_in, "output_tokens": usage_out},
        }
    if api == "responses":
        return {
            "id": "resp_flaky",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": _model(request_body, "gpt-flaky"),
            "output": [
                {
                    "type": "message",
                    "id": "msg_flaky",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": REPLY_TEXT, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": usage_in,
                "output_tokens": usage_out,
                "total_tokens": usage_in + usage_out,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }
    # Chat Completions, and the shape for any other path.
    return {
        "id": "chatcmpl-flaky",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": _model(request_body, "gpt-flaky"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY_TEXT, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": usage_in, "completion_tokens": usage_out, "total_tokens": 10},
    }


# How many events of a streamed success go out before a `StreamError` strikes: the answer has begun.
_STARTED_EVENTS = {"anthropic": 3, "chat": 1, "responses": 2, "gemini": 1, "bedrock": 2, "other": 1}


def _bedrock_stream_events(request_body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """ConverseStream's events for a success: (event type, payload)."""
    done = _success_body("bedrock", request_body)
    return [
        ("messageStart", {"role": "assistant"}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": REPLY_TEXT}}),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": done["stopReason"]}),
        ("metadata", {"usage": done["usage"], "metrics": done["metrics"]}),
    ]


def _event_frame(headers: Mapping[str, str], payload: Mapping[str, Any]) -> bytes:
    """One AWS event-stream message: its length, its headers' length and their CRC32, the headers (all
    strings, type 7), a JSON payload and the CRC32 of everything before it."""
    fields = [(name.encode(), value.encode()) for name, value in headers.items()]
    fields.append((b":content-type", b"application/json"))
    encoded = b"".join(
        bytes([len(name)]) + name + b"\x07" + len(value).to_bytes(2, "big") + value for name, value in fields
    )
    body = json.dumps(payload).encode()
    prelude = (12 + len(encoded) + len(body) + 4).to_bytes(4, "big") + len(encoded).to_bytes(4, "big")
    message = prelude + binascii.crc32(prelude).to_bytes(4, "big") + encoded + body
    return message + binascii.crc32(message).to_bytes(4, "big")


def _stream_error_event(api: str, error: StreamError) -> tuple[str | None, str]:
    if api == "gemini":
        # A canonical status (`UNAVAILABLE`) as the error type; its HTTP status as the code.
        code = GOOGLE_CANONICAL_STATUSES.get(error.error_type, 500)
        return None, json.dumps(
            {"error": {"code": code, "message": error.message, "status": error.error_type}}
        )
    if api == "anthropic":
        body = {"type": "error", "error": {"type": error.error_type, "message": error.message}}
        return "error", json.dumps(body)
    return None, json.dumps({"error": {"message": error.message, "type": error.error_type, "code": None}})


def _stream_events(api: str, request_body: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """The SSE events of a streamed success: (event name or None, data)."""
    if api == "gemini":
        first = _success_body(api, request_body)
        words = REPLY_TEXT.split(" ")
        head, tail = " ".join(words[:2]) + " ", " ".join(words[2:])
        chunks = []
        for text, finish in ((head, None), (tail, "STOP")):
            candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
            chunks.append({**first, "candidates": [candidate | ({"finishReason": finish} if finish else {})]})
        return [(None, json.dumps(chunk)) for chunk in chunks]
    if api == "anthropic":
        message = _success_body(api, request_body) | {"content": [], "stop_reason": None}
        events: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": message}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": REPLY_TEXT},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 5},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return [(name, json.dumps(data)) for name, data in events]
    if api == "chat":
        chunk = {
            "id": "chatcmpl-flaky",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": _model(request_body, "gpt-flaky"),
        }
        first = chunk | {
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": REPLY_TEXT}, "finish_reason": None}
            ]
        }
        last = chunk | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        return [(None, json.dumps(first)), (None, json.dumps(last)), (None, "[DONE]")]
    response = _success_body(api, request_body)
    return [
        (
            "response.created",
            json.dumps(
                {
                    "type": "response.created",
                    "sequence_number": 0,
                    "response": response | {"status": "in_progress", "output": []},
                }
            ),
        ),
        (
            "response.output_text.delta",
            json.dumps(
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 1,
                    "item_id": "msg_flaky",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": REPLY_TEXT,
                    "logprobs": [],
                }
            ),
        ),
        (
            "response.completed",
            json.dumps({"type": "response.completed", "sequence_number": 2, "response": response}),
        ),
    ]
