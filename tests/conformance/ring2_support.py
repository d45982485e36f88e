"""What the second conformance suite's cases share: the `Case` record, canned replies, mock transports for
the httpx and httpx2 clients, a loopback HTTP server for the clients built on requests (azure-core,
voyageai), a loopback gRPC server (xai-sdk), and refusing or silent ports on 127.0.0.1.

Nothing here reaches beyond 127.0.0.1, and every wait is bounded by `TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import httpx2

# Loopback timeouts: long enough for a connect to 127.0.0.1 to finish, short enough to keep the suite fast.
TIMEOUT_S = 0.2
FAKE_KEY = "sk-fake-key-for-tests"
MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


@dataclass(frozen=True)
class Case:
    """One exception a package really raises, and what `llm_retry.classify` must say about it: the kind,
    whether it is retried, and the delay hint (None: the exception carries none that applies)."""

    id: str
    sdk: str
    make: Callable[[], BaseException]
    kind: str
    retryable: bool
    retry_after_s: float | None = None
    status: int | None = None
    preset: str | None = None


@dataclass(frozen=True)
class Reply:
    """The HTTP response a mock transport or the loopback server hands to the client."""

    status: int
    body: Mapping[str, Any] | list[Any] | str
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def content(self) -> bytes:
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return text.encode()

    def header_items(self) -> dict[str, str]:
        return {"content-type": self.content_type, **self.headers}


def headers(**names: str) -> dict[str, str]:
    """Keyword arguments to HTTP header names: retry_after_ms -> retry-after-ms."""
    return {name.replace("_", "-"): value for name, value in names.items()}


def sse(*events: Mapping[str, Any], done: bool = False) -> str:
    """A text/event-stream body of `data:` lines."""
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines)


def raised(call: Callable[[], object]) -> BaseException:
    """Run a call that must fail and return the exception the package raised."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("the call was expected to raise, but it returned")


def raised_async(call: Callable[[], Coroutine[Any, Any, object]]) -> BaseException:
    async def run() -> BaseException:
        try:
            await call()
        except Exception as exc:
            return exc
        raise AssertionError("the call was expected to raise, but it returned")

    return asyncio.run(run())


# --- mock transports ----------------------------------------------------------------------------------


def _handler2(reply: Reply) -> Callable[[httpx2.Request], httpx2.Response]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(reply.status, headers=reply.header_items(), content=reply.content())

    return handler


def _handler(reply: Reply) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(reply.status, headers=reply.header_items(), content=reply.content())

    return handler


def httpx2_client(reply: Reply) -> httpx2.Client:
    return httpx2.Client(transport=httpx2.MockTransport(_handler2(reply)))


def httpx2_async_client(reply: Reply) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.MockTransport(_handler2(reply)))


def httpx_client(reply: Reply) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(_handler(reply)))


def httpx_transport(reply: Reply) -> httpx.MockTransport:
    return httpx.MockTransport(_handler(reply))


# --- loopback sockets ---------------------------------------------------------------------------------


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound, so nobody else takes it, but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener completes the handshake (in the kernel) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def refused(call: Callable[[str], BaseException]) -> BaseException:
    with refusing_port() as port:
        return call(f"http://127.0.0.1:{port}")


def timed_out(call: Callable[[str], BaseException]) -> BaseException:
    with silent_port() as port:
        return call(f"http://127.0.0.1:{port}")


class _Scripted(BaseHTTPRequestHandler):
    """Answers every request with the server's current reply."""

    server: LoopbackServer

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        reply = self.server.reply
        content = reply.content()
        self.send_response(reply.status)
        for name, value in reply.header_items().items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that answers with `reply`; `serve(reply)` sets it for one call."""

    daemon_threads = True
    reply: Reply = Reply(500, "no reply set", content_type="text/plain")

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Scripted)
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @contextlib.contextmanager
    def serve(self, reply: Reply) -> Iterator[str]:
        with self.lock:
            self.reply = reply
            yield self.url


_SERVER: LoopbackServer | None = None


def loopback() -> LoopbackServer:
    """The one loopback HTTP server of the process, started on first use."""
    global _SERVER
    if _SERVER is None:
        _SERVER = LoopbackServer()
    return _SERVER
