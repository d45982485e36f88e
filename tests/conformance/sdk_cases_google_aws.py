"""Conformance cases for google-genai, google-api-core, gRPC, botocore, the HTTP transports and builtins.

Each case makes the real library raise its own exception through its own code path (mock transports,
botocore's Stubber, loopback sockets on 127.0.0.1 only) and states the decision the classifier must reach.
Importable without pytest: benchmarks call `build_cases()` and each case's `make()`.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import email.utils
import functools
import hashlib
import json
import socket
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Only for the cases that are a timeout (a blackhole connect, a HANG read). Short enough to keep the suite
# fast, long enough that a loaded machine does not turn a read timeout into a connect timeout: the loopback
# handshake completes in the kernel, so only the read can time out.
LOOPBACK_TIMEOUT_S = 0.25
# For every exchange that must complete (an answer, a refusal, a close, a reset): the loopback server is a
# thread of this process, so a garbage collection or a loaded machine can delay its answer well past
# LOOPBACK_TIMEOUT_S (seen: aiohttp's connect timing out).
ANSWER_TIMEOUT_S = 10.0
FAKE_GEMINI_KEY = "fake-gemini-key-for-tests"
FAKE_AWS_KEY = ("AKIAFAKEFAKEFAKEFAKE", "fake-secret-key-for-tests")


@dataclass(frozen=True)
class Case:
    """One real exception and the decision expected for it."""

    id: str
    sdk: str
    make: Callable[[], BaseException]
    kind: str
    retryable: bool
    retry_after_s: float | None = None
    status: int | None = None
    preset: str | None = None
    sdk_retries: int | None = None
    """Retries the SDK already made (botocore `ResponseMetadata.RetryAttempts`), when the case checks it."""


# Module roots each case's exception type may come from: a case that names an SDK must get its exception from
# that SDK or from the transport the SDK lets through unwrapped.
SDK_MODULES: dict[str, tuple[str, ...]] = {
    "google-genai": ("google.genai", "httpx2", "httpx"),
    "google-api-core": ("google.api_core",),
    "grpc": ("grpc",),
    "botocore": ("botocore",),
    "httpx": ("httpx",),
    "httpx2": ("httpx2",),
    "requests": ("requests",),
    "aiohttp": ("aiohttp",),
    "urllib3": ("urllib3",),
    "builtins": ("builtins", "socket", "asyncio"),
}


def _catch(action: Callable[[], object]) -> BaseException:
    """Run `action` and return what it raised; a call that does not raise is a broken case.

    The libraries' own warnings (aiohttp warns about genai subclassing its ClientSession) are silenced, so
    that a run with warnings as errors still gets the library's exception rather than a `DeprecationWarning`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            action()
        except BaseException as exc:
            return exc
    raise AssertionError(f"{action!r} was expected to raise")


def _library_error(factory: Callable[..., object], *args: Any) -> BaseException:
    """The exception a library factory such as api-core's (untyped) `from_http_response` returns."""
    error = factory(*args)
    if not isinstance(error, BaseException):
        raise AssertionError(f"expected an exception, got {error!r}")
    return error


def _acatch(action: Callable[[], Any]) -> BaseException:
    """`_catch` for a coroutine function, run on a fresh event loop."""
    return _catch(lambda: asyncio.run(action()))


# ----------------------------------------------------------------------------------------------------
# Loopback sockets (127.0.0.1 only)


@dataclass(frozen=True)
class Reply:
    """What the loopback server does with a request: answer, or misbehave at the transport level."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # "reply" | "hang" (read the request, never answer) | "close" (close without answering) |
    # "truncate" (Content-Length larger than the body) | "bad_chunk" (an invalid chunk size line)
    behaviour: str = "reply"


def json_reply(status: int, body: object, *headers: tuple[str, str]) -> Reply:
    return Reply(status, (("Content-Type", "application/json"), *headers), json.dumps(body).encode())


_ROUTES: dict[str, Reply] = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self) -> Reply:
        key = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        return _ROUTES.get(key, Reply(404, body=b"no such route"))

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        reply = self._reply()
        self.close_connection = True
        if reply.behaviour == "hang":
            self.connection.settimeout(10)
            try:
                while self.connection.recv(65536):
                    pass
            except OSError:
                pass
            return
        if reply.behaviour == "close":
            return
        if reply.behaviour == "truncate":
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n0123456789"
            )
            return
        if reply.behaviour == "bad_chunk":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n")
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _server_port() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="conformance-loopback", daemon=True).start()
    return int(server.server_address[1])


def serve(reply: Reply) -> str:
    """The loopback base URL (no trailing slash) that answers every request under it with `reply`."""
    key = hashlib.sha1(repr(reply).encode()).hexdigest()[:16]
    _ROUTES[key] = reply
    return f"http://127.0.0.1:{_server_port()}/{key}"


class CountingServer(ThreadingHTTPServer):
    """A loopback server of its own that answers every request with one `reply` and records each request's
    path in `paths`; for cases that count what a client sends. Start it with `counting_server`."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.reply = reply
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _CountingHandler(_Handler):
    server: CountingServer

    def _reply(self) -> Reply:
        self.server.paths.append(self.path)
        return self.server.reply


@contextlib.contextmanager
def counting_server(reply: Reply) -> Iterator[CountingServer]:
    """A `CountingServer` serving on a thread; on exit the server stops, its handlers finish and the thread
    is joined. Every reply closes its connection, so no handler outlives its request."""
    server = CountingServer(reply)
    # shutdown() waits for serve_forever to poll again: 0.5 s by default, for every test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="conformance-counting", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(ANSWER_TIMEOUT_S)


_KEEP: list[socket.socket] = []


@functools.cache
def refused_port() -> int:
    """A port bound but never listening: every connect is refused at once (ECONNREFUSED)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _KEEP.append(sock)
    return int(sock.getsockname()[1])


@functools.cache
def blackhole_port() -> int:
    """A listener whose accept queue is full: the kernel drops new SYNs, so connects time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    _KEEP.append(listener)
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        _KEEP.append(filler)
    time.sleep(0.05)  # let the fillers' handshakes land in the queue
    return port


def _reset_after_request(listener: socket.socket) -> None:
    while True:
        conn, _addr = listener.accept()
        conn.recv(65536)
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


@functools.cache
def reset_port() -> int:
    """A listener that reads the request, then resets the connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    _KEEP.append(listener)
    threading.Thread(
        target=_reset_after_request, args=(listener,), name="conformance-reset", daemon=True
    ).start()
    return int(listener.getsockname()[1])


def refused_url() -> str:
    return f"http://127.0.0.1:{refused_port()}"


def blackhole_url() -> str:
    return f"http://127.0.0.1:{blackhole_port()}"


HANG = Reply(behaviour="hang")
CLOSE = Reply(behaviour="close")


def http_date(delta_s: float) -> str:
    """An HTTP-date `delta_s` from now. HTTP-dates have whole seconds: rounding keeps the error within 0.5 s,
    so a hint read at once is `delta_s` ± 0.5 (a case using one must be classified right after it is made)."""
    return email.utils.formatdate(round(time.time() + delta_s), usegmt=True)


# ----------------------------------------------------------------------------------------------------
# google-genai: the real client over an httpx2 MockTransport (or loopback), errors from its own response path


def _google_error(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return {"error": error}


def _retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def _quota_failure(quota_id: str, metric: str, value: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": metric,
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": "gemini-2.5-pro"},
                "quotaValue": value,
            }
        ],
    }


GEMINI_RATE_429 = _google_error(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details.",
    _quota_failure(
        "GenerateRequestsPerMinutePerProjectPerModel",
        "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
        "1000",
    ),
    {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{"description": "Learn more", "url": "https://x"}],
    },
    _retry_info("20s"),
)
GEMINI_FREE_TIER_DAY_429 = _google_error(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details. For more information on "
    "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: "
    "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50, "
    "model: gemini-2.5-pro\nPlease retry in 21.3s.",
    _quota_failure(
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
        "generativelanguage.googleapis.com/generate_content_free_tier_requests",
        "50",
    ),
    _retry_info("21s"),
)
GEMINI_LIMIT_ZERO_429 = _google_error(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details.\n"
    "* Quota exceeded for metric: "
    "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, limit: 0, "
    "model: gemini-2.5-pro\nPlease retry in 35.6s.",
    _retry_info("35s"),
)


def genai_call(handler: Callable[[Any], Any], *, stream: bool = False) -> BaseException:
    """Call `models.generate_content(_stream)` on a real genai client whose httpx2 transport is `handler`."""
    import httpx2
    from google import genai
    from google.genai import types

    client = genai.Client(
        api_key=FAKE_GEMINI_KEY,
        http_options=types.HttpOptions(httpx_client=httpx2.Client(transport=httpx2.MockTransport(handler))),
    )
    if stream:
        return _catch(
            lambda: list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))
        )
    return _catch(lambda: client.models.generate_content(model="gemini-2.5-flash", contents="hi"))


def genai_status(status: int, body: object, *headers: tuple[str, str]) -> Callable[[], BaseException]:
    def make() -> BaseException:
        import httpx2

        if isinstance(body, bytes):
            return genai_call(lambda _req: httpx2.Response(status, content=body, headers=[*headers]))
        return genai_call(lambda _req: httpx2.Response(status, json=body, headers=[*headers]))

    return make


def _genai_stream_error() -> BaseException:
    import httpx2

    chunks = (
        'data: {"candidates": [{"content": {"parts": [{"text": "Once upon"}], "role": "model"}}]}\n\n'
        'data: {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", '
        '"status": "UNAVAILABLE"}}\n\n'
    )
    return genai_call(
        lambda _req: httpx2.Response(
            200, content=chunks.encode(), headers={"content-type": "text/event-stream"}
        ),
        stream=True,
    )


def _genai_stream_not_json() -> BaseException:
    """A streamed 200 whose body is not JSON: genai's `UnknownApiResponseError`, a ValueError."""
    import httpx2

    body = b"data: <html>captive portal</html>\n\n"
    return genai_call(
        lambda _req: httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"}),
        stream=True,
    )


def _genai_loopback(base_url: str, *, timeout_ms: int = 5000, use_httpx: bool = False) -> BaseException:
    """The genai client with its own default transport, pointed at a loopback URL."""
    from google import genai
    from google.genai import types

    options = types.HttpOptions(base_url=base_url + "/", timeout=timeout_ms)
    if use_httpx:
        import httpx

        options = types.HttpOptions(
            base_url=base_url + "/", timeout=timeout_ms, httpx_client=httpx.Client(timeout=timeout_ms / 1000)
        )
    client = genai.Client(api_key=FAKE_GEMINI_KEY, http_options=options)
    return _catch(lambda: client.models.generate_content(model="gemini-2.5-flash", contents="hi"))


def _genai_aiohttp_loopback(base_url: str) -> BaseException:
    """The genai async path, which uses aiohttp when it is installed, against a loopback URL."""
    from google import genai
    from google.genai import types

    async def call() -> None:
        client = genai.Client(
            api_key=FAKE_GEMINI_KEY, http_options=types.HttpOptions(base_url=base_url + "/", timeout=5000)
        )
        try:
            await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
        finally:
            await client.aio.aclose()

    return _acatch(call)


def _genai_continuation_interrupted() -> BaseException:
    from google.genai import errors

    overloaded = genai_status(503, _google_error(503, "UNAVAILABLE", "The model is overloaded."))()

    def interrupted() -> None:
        raise errors.ContinuationInterruptedError(
            "continuation failed after progress", continuation_token="tok-1", interaction_id="int-1"
        ) from overloaded

    return _catch(interrupted)


def _genai_cases() -> list[Case]:
    sdk = "google-genai"
    g = "GeminiPreset"
    return [
        Case(
            "genai_429_retry_info_20s",
            sdk,
            genai_status(429, GEMINI_RATE_429),
            "rate_limited",
            True,
            retry_after_s=20,
            status=429,
            preset=g,
        ),
        Case(
            "genai_429_bare",
            sdk,
            genai_status(
                429,
                _google_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
            ),
            "rate_limited",
            True,
            status=429,
        ),
        Case(
            "genai_429_free_tier_per_day",
            sdk,
            genai_status(429, GEMINI_FREE_TIER_DAY_429),
            "quota_exhausted",
            False,
            status=429,
            preset=g,
        ),
        Case(
            "genai_429_limit_zero",
            sdk,
            genai_status(429, GEMINI_LIMIT_ZERO_429),
            "quota_exhausted",
            False,
            status=429,
            preset=g,
        ),
        Case(
            "genai_503_unavailable_overloaded",
            sdk,
            genai_status(
                503, _google_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
            ),
            "overloaded",
            True,
            status=503,
            preset=g,
        ),
        Case(
            "genai_500_internal",
            sdk,
            genai_status(
                500,
                _google_error(
                    500,
                    "INTERNAL",
                    "An internal error has occurred. Please retry or report in "
                    "https://developers.generativeai.google/guide/troubleshooting",
                ),
            ),
            "server_error",
            True,
            status=500,
            preset=g,
        ),
        Case(
            "genai_504_deadline_exceeded",
            sdk,
            genai_status(
                504, _google_error(504, "DEADLINE_EXCEEDED", "The request timed out. Please try again.")
            ),
            "server_error",
            True,
            status=504,
        ),
        Case(
            "genai_502_html_bad_gateway",
            sdk,
            genai_status(502, b"<html><body>502 Bad Gateway</body></html>", ("content-type", "text/html")),
            "server_error",
            True,
            status=502,
            preset=g,
        ),
        Case(
            "genai_500_non_json",
            sdk,
            genai_status(
                500,
                b"upstream connect error or disconnect/reset before headers",
                ("content-type", "text/plain"),
            ),
            "server_error",
            True,
            status=500,
        ),
        Case(
            "genai_400_input_token_count_overflow",
            sdk,
            genai_status(
                400,
                _google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "The input token count (1288576) exceeds the maximum number of tokens allowed (1048576).",
                ),
            ),
            "context_overflow",
            False,
            status=400,
            preset=g,
        ),
        Case(
            "genai_400_api_key_invalid",
            sdk,
            genai_status(
                400,
                _google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    },
                ),
            ),
            "auth",
            False,
            status=400,
            preset=g,
        ),
        Case(
            "genai_400_user_location_not_supported",
            sdk,
            genai_status(
                400,
                _google_error(400, "FAILED_PRECONDITION", "User location is not supported for the API use."),
            ),
            "auth",
            False,
            status=400,
            preset=g,
        ),
        Case(
            "genai_400_invalid_argument",
            sdk,
            genai_status(
                400,
                _google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': "
                    "Cannot find field.",
                ),
            ),
            "bad_request",
            False,
            status=400,
            preset=g,
        ),
        Case(
            "genai_401_unauthenticated",
            sdk,
            genai_status(
                401,
                _google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access token.",
                ),
            ),
            "auth",
            False,
            status=401,
        ),
        Case(
            "genai_403_permission_denied",
            sdk,
            genai_status(
                403,
                _google_error(
                    403,
                    "PERMISSION_DENIED",
                    "Your API key was reported as leaked. Please use another API key.",
                ),
            ),
            "auth",
            False,
            status=403,
            preset=g,
        ),
        Case(
            "genai_404_model_not_found",
            sdk,
            genai_status(
                404,
                _google_error(
                    404,
                    "NOT_FOUND",
                    "models/gemini-9 is not found for API version v1beta, or is not supported for "
                    "generateContent.",
                ),
            ),
            "not_found",
            False,
            status=404,
            preset=g,
        ),
        Case(
            "genai_499_cancelled",
            sdk,
            genai_status(499, _google_error(499, "CANCELLED", "The operation was cancelled.")),
            "unknown",
            False,
            status=499,
        ),
        Case("genai_stream_non_json_unknown_api_response", sdk, _genai_stream_not_json, "unknown", False),
        Case(
            "genai_stream_error_chunk_503_after_200",
            sdk,
            _genai_stream_error,
            "overloaded",
            True,
            status=503,
            preset=g,
        ),
        Case(
            "genai_continuation_interrupted_wraps_503",
            sdk,
            _genai_continuation_interrupted,
            "overloaded",
            True,
        ),
        Case(
            "genai_httpx2_connect_refused",
            sdk,
            lambda: _genai_loopback(refused_url()),
            "network",
            True,
            preset=g,
        ),
        Case(
            "genai_httpx2_read_timeout",
            sdk,
            lambda: _genai_loopback(serve(HANG), timeout_ms=250),
            "network",
            True,
            preset=g,
        ),
        Case(
            "genai_httpx_client_429_loopback",
            sdk,
            lambda: _genai_loopback(serve(json_reply(429, GEMINI_RATE_429)), use_httpx=True),
            "rate_limited",
            True,
            retry_after_s=20,
            status=429,
        ),
        Case(
            "genai_aiohttp_503_loopback",
            sdk,
            lambda: _genai_aiohttp_loopback(
                serve(json_reply(503, _google_error(503, "UNAVAILABLE", "The model is overloaded.")))
            ),
            "overloaded",
            True,
            status=503,
            preset=g,
        ),
    ]


# ----------------------------------------------------------------------------------------------------
# google-api-core: REST errors from `from_http_response` on real requests.Response objects from loopback


def api_core_rest(status: int, body: object) -> Callable[[], BaseException]:
    def make() -> BaseException:
        import requests
        from google.api_core import exceptions

        if isinstance(body, bytes):
            reply = Reply(status, (("Content-Type", "text/html"),), body)
        else:
            reply = json_reply(status, body)
        response = requests.post(serve(reply) + "/v1/projects/p/locations/l:predict", timeout=5)
        return _library_error(exceptions.from_http_response, response)

    return make


def _api_core_retry_error() -> BaseException:
    from google.api_core import exceptions, retry

    unavailable = api_core_rest(
        503, _google_error(503, "UNAVAILABLE", "The service is currently unavailable.")
    )()

    def call() -> None:
        raise unavailable

    policy = retry.Retry(
        predicate=retry.if_exception_type(exceptions.ServiceUnavailable),
        initial=0.001,
        maximum=0.001,
        timeout=0.005,
    )
    return _catch(policy(call))


def _api_core_cases() -> list[Case]:
    sdk = "google-api-core"
    return [
        Case(
            "gapi_rest_429_too_many_requests_retry_info",
            sdk,
            api_core_rest(
                429,
                _google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_"
                    "minute_per_project_per_base_model.",
                    _retry_info("20s"),
                ),
            ),
            "rate_limited",
            True,
            retry_after_s=20,
            status=429,
            preset="GeminiPreset",
        ),
        Case(
            "gapi_rest_503_service_unavailable",
            sdk,
            api_core_rest(503, _google_error(503, "UNAVAILABLE", "The service is currently unavailable.")),
            "overloaded",
            True,
            status=503,
        ),
        Case(
            "gapi_rest_500_internal",
            sdk,
            api_core_rest(500, _google_error(500, "INTERNAL", "Internal error encountered.")),
            "server_error",
            True,
            status=500,
        ),
        Case(
            "gapi_rest_502_bad_gateway_html",
            sdk,
            api_core_rest(502, b"<html>502 Bad Gateway</html>"),
            "server_error",
            True,
            status=502,
        ),
        Case(
            "gapi_rest_504_gateway_timeout",
            sdk,
            api_core_rest(
                504,
                _google_error(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
            ),
            "network",
            True,
            status=504,
        ),
        Case(
            "gapi_rest_400_bad_request",
            sdk,
            api_core_rest(
                400, _google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
            ),
            "bad_request",
            False,
            status=400,
        ),
        Case(
            "gapi_rest_400_token_overflow",
            sdk,
            api_core_rest(
                400,
                _google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "The input token count (2100000) exceeds the maximum number of tokens allowed (1048576).",
                ),
            ),
            "context_overflow",
            False,
            status=400,
        ),
        Case(
            "gapi_rest_401_unauthorized",
            sdk,
            api_core_rest(
                401, _google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            ),
            "auth",
            False,
            status=401,
        ),
        Case(
            "gapi_rest_403_forbidden",
            sdk,
            api_core_rest(
                403,
                _google_error(
                    403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied on resource."
                ),
            ),
            "auth",
            False,
            status=403,
        ),
        Case(
            "gapi_rest_404_not_found",
            sdk,
            api_core_rest(404, _google_error(404, "NOT_FOUND", "Publisher Model `gemini-9` not found.")),
            "not_found",
            False,
            status=404,
        ),
        Case(
            "gapi_rest_409_conflict",
            sdk,
            api_core_rest(409, _google_error(409, "ABORTED", "The operation was aborted.")),
            "server_error",
            True,
            status=409,
        ),
        Case(
            "gapi_rest_499_cancelled",
            sdk,
            api_core_rest(499, _google_error(499, "CANCELLED", "The operation was cancelled.")),
            "unknown",
            False,
            status=499,
        ),
        Case("gapi_retry_error_wrapping_unavailable", sdk, _api_core_retry_error, "overloaded", True),
    ]


# ----------------------------------------------------------------------------------------------------
# gRPC: a real in-process server on 127.0.0.1 that aborts with the asked-for status


RICH_STATUS_PREFIX = b"\x00"


def _grpc_abort(request: bytes, context: Any) -> bytes:
    import grpc

    if request.startswith(RICH_STATUS_PREFIX):
        from google.rpc import status_pb2
        from grpc_status import rpc_status

        status = status_pb2.Status.FromString(request[len(RICH_STATUS_PREFIX) :])
        context.abort_with_status(rpc_status.to_status(status))
    name, _, message = request.decode().partition(":")
    if name == "HANG":
        done = threading.Event()
        context.add_callback(done.set)
        done.wait(10)
        return b""
    context.abort(getattr(grpc.StatusCode, name), message)
    return b""  # unreachable: abort raises


@functools.cache
def _grpc_port() -> int:
    from concurrent.futures import ThreadPoolExecutor

    import grpc

    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    handler = grpc.method_handlers_generic_handler(
        "llmretry.Conformance", {"Fail": grpc.unary_unary_rpc_method_handler(_grpc_abort)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    _KEEP_GRPC.append(server)
    return int(port)


_KEEP_GRPC: list[Any] = []


def grpc_raw(
    status: str, message: str = "", *, port: int | None = None, timeout_s: float = 5
) -> BaseException:
    """A raw `grpc._channel._InactiveRpcError` from a real unary call on loopback."""
    return _grpc_call(f"{status}:{message}".encode(), port=port, timeout_s=timeout_s)


def _grpc_call(request: bytes, *, port: int | None = None, timeout_s: float = 5) -> BaseException:
    import grpc

    with grpc.insecure_channel(f"127.0.0.1:{port or _grpc_port()}") as channel:
        call = channel.unary_unary("/llmretry.Conformance/Fail")
        return _catch(lambda: call(request, timeout=timeout_s))


def grpc_rich(code: str, message: str, *details: Any) -> Callable[[], BaseException]:
    """google-api-core's `from_grpc_error` on a call whose server sent a rich `google.rpc.Status`
    (details such as RetryInfo and QuotaFailure travel in the `grpc-status-details-bin` trailer)."""

    def make() -> BaseException:
        from google.api_core import exceptions
        from google.protobuf import any_pb2
        from google.rpc import code_pb2, status_pb2

        packed = []
        for detail in details:
            wrapper = any_pb2.Any()
            wrapper.Pack(detail)
            packed.append(wrapper)
        status = status_pb2.Status(code=code_pb2.Code.Value(code), message=message, details=packed)
        return _library_error(
            exceptions.from_grpc_error, _grpc_call(RICH_STATUS_PREFIX + status.SerializeToString())
        )

    return make


def _grpc_retry_info(seconds: int) -> Any:
    from google.protobuf import duration_pb2
    from google.rpc import error_details_pb2

    return error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=seconds))


def _grpc_quota_failure(quota_id: str) -> Any:
    from google.rpc import error_details_pb2

    violation = error_details_pb2.QuotaFailure.Violation(
        subject="project:123", description=f"Quota exceeded for quota metric {quota_id}."
    )
    # quota_id is newer than some googleapis-common-protos releases; the description carries it regardless.
    if "quota_id" in error_details_pb2.QuotaFailure.Violation.DESCRIPTOR.fields_by_name:
        violation.quota_id = quota_id
    return error_details_pb2.QuotaFailure(violations=[violation])


def grpc_api_core(status: str, message: str = "") -> Callable[[], BaseException]:
    def make() -> BaseException:
        from google.api_core import exceptions

        return _library_error(exceptions.from_grpc_error, grpc_raw(status, message))

    return make


def _grpc_cases() -> list[Case]:
    try:
        import grpc  # noqa: F401
    except ImportError:
        return []
    raw, sdk = "grpc", "google-api-core"
    return [
        Case(
            "grpc_raw_unavailable",
            raw,
            lambda: grpc_raw("UNAVAILABLE", "The model is overloaded."),
            "overloaded",
            True,
        ),
        Case(
            "grpc_raw_resource_exhausted",
            raw,
            lambda: grpc_raw("RESOURCE_EXHAUSTED", "Quota exceeded."),
            "rate_limited",
            True,
        ),
        Case(
            "grpc_raw_deadline_exceeded",
            raw,
            lambda: grpc_raw("HANG", timeout_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case("grpc_raw_failed_to_connect", raw, lambda: grpc_raw("OK", port=refused_port()), "network", True),
        Case(
            "grpc_raw_permission_denied", raw, lambda: grpc_raw("PERMISSION_DENIED", "denied"), "auth", False
        ),
        Case(
            "grpc_raw_invalid_argument",
            raw,
            lambda: grpc_raw("INVALID_ARGUMENT", "bad field"),
            "bad_request",
            False,
        ),
        Case(
            "gapi_grpc_resource_exhausted",
            sdk,
            grpc_api_core(
                "RESOURCE_EXHAUSTED", "Quota exceeded for online_prediction_requests_per_base_model."
            ),
            "rate_limited",
            True,
            status=429,
            preset="GeminiPreset",
        ),
        Case(
            "gapi_grpc_resource_exhausted_retry_info_20s",
            sdk,
            lambda: grpc_rich(
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for aiplatform.googleapis.com/"
                "generate_content_requests_per_minute_per_project_per_base_model.",
                _grpc_retry_info(20),
            )(),
            "rate_limited",
            True,
            retry_after_s=20,
            status=429,
            preset="GeminiPreset",
        ),
        Case(
            "gapi_grpc_resource_exhausted_free_tier_per_day",
            sdk,
            lambda: grpc_rich(
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota. Quota exceeded for metric: "
                "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0",
                _grpc_quota_failure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
                _grpc_retry_info(35),
            )(),
            "quota_exhausted",
            False,
            status=429,
            preset="GeminiPreset",
        ),
        Case(
            "gapi_grpc_service_unavailable",
            sdk,
            grpc_api_core("UNAVAILABLE", "The service is currently unavailable."),
            "overloaded",
            True,
            status=503,
        ),
        Case(
            "gapi_grpc_internal",
            sdk,
            grpc_api_core("INTERNAL", "Internal error encountered."),
            "server_error",
            True,
            status=500,
        ),
        Case(
            "gapi_grpc_deadline_exceeded",
            sdk,
            grpc_api_core("DEADLINE_EXCEEDED", "Deadline Exceeded"),
            "network",
            True,
            status=504,
        ),
        Case(
            "gapi_grpc_unknown_code_none",
            sdk,
            grpc_api_core("UNKNOWN", "Stream removed"),
            "server_error",
            True,
        ),
        Case(
            "gapi_grpc_data_loss_code_none",
            sdk,
            grpc_api_core("DATA_LOSS", "Data corrupted"),
            "server_error",
            True,
        ),
        Case(
            "gapi_grpc_aborted",
            sdk,
            grpc_api_core("ABORTED", "Transaction aborted."),
            "server_error",
            True,
            status=409,
        ),
        Case(
            "gapi_grpc_invalid_argument_token_overflow",
            sdk,
            grpc_api_core(
                "INVALID_ARGUMENT",
                "The input token count (1300000) exceeds the maximum number of tokens allowed (1048576).",
            ),
            "context_overflow",
            False,
            status=400,
        ),
        Case(
            "gapi_grpc_failed_precondition",
            sdk,
            grpc_api_core("FAILED_PRECONDITION", "Precondition check failed."),
            "bad_request",
            False,
            status=400,
        ),
        Case(
            "gapi_grpc_unauthenticated",
            sdk,
            grpc_api_core("UNAUTHENTICATED", "Request had invalid authentication credentials."),
            "auth",
            False,
            status=401,
        ),
        Case(
            "gapi_grpc_permission_denied",
            sdk,
            grpc_api_core("PERMISSION_DENIED", "Permission denied on resource project p."),
            "auth",
            False,
            status=403,
        ),
        Case(
            "gapi_grpc_not_found",
            sdk,
            grpc_api_core("NOT_FOUND", "Endpoint not found."),
            "not_found",
            False,
            status=404,
        ),
        Case(
            "gapi_grpc_cancelled",
            sdk,
            grpc_api_core("CANCELLED", "The operation was cancelled."),
            "unknown",
            False,
            status=499,
        ),
    ]


# ----------------------------------------------------------------------------------------------------
# botocore: Stubber, real loopback responses parsed by botocore's own parsers, real transport failures


@functools.cache
def _boto_session() -> Any:
    import botocore.session

    return botocore.session.Session()


def boto_client(
    service: str,
    endpoint_url: str | None = None,
    *,
    connect_timeout_s: float = ANSWER_TIMEOUT_S,
    read_timeout_s: float = ANSWER_TIMEOUT_S,
) -> Any:
    from botocore.config import Config

    return _boto_session().create_client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id=FAKE_AWS_KEY[0],
        aws_secret_access_key=FAKE_AWS_KEY[1],
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
        ),
    )


CONVERSE_ARGS: dict[str, Any] = {
    "modelId": "anthropic.claude-3-5-haiku-20241022-v1:0",
    "messages": [{"role": "user", "content": [{"text": "hi"}]}],
}


def _invoke(client: Any, service: str) -> None:
    if service == "bedrock-runtime":
        client.converse(**CONVERSE_ARGS)
    elif service == "sagemaker-runtime":
        client.invoke_endpoint(EndpointName="my-endpoint", Body=b"{}", ContentType="application/json")
    elif service == "sts":
        client.get_caller_identity()
    elif service == "kinesis":
        client.list_streams()
    else:
        raise ValueError(f"no canned call for {service}")


def _modeled_message(client: Any, code: str, message: str) -> dict[str, Any] | None:
    """The `message` member botocore's parser adds for a modeled error; unmodeled codes carry none."""
    modeled = {shape.name for shape in client.meta.service_model.error_shapes}
    return {"message": message} if message and code in modeled else None


def stubbed(
    code: str,
    status: int,
    message: str = "",
    *,
    service: str = "bedrock-runtime",
    headers: dict[str, str] | None = None,
    retry_attempts: int = 0,
    modeled: dict[str, Any] | None = None,
) -> Callable[[], BaseException]:
    """An error from botocore's Stubber, shaped as botocore's parser shapes a real one."""

    def make() -> BaseException:
        from botocore.stub import Stubber

        client = boto_client(service)
        method = {"bedrock-runtime": "converse", "sagemaker-runtime": "invoke_endpoint"}[service]
        stubber = Stubber(client)
        stubber.add_client_error(
            method,
            service_error_code=code,
            service_message=message,
            http_status_code=status,
            response_meta={
                "RequestId": "0c7f4a2e-0000-4000-8000-000000000000",
                "HTTPHeaders": {
                    "content-type": "application/json",
                    "x-amzn-requestid": "0c7f4a2e-0000-4000-8000-000000000000",
                    "x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                    **(headers or {}),
                },
                "RetryAttempts": retry_attempts,
            },
            modeled_fields=modeled if modeled is not None else _modeled_message(client, code, message),
        )
        with stubber:
            return _catch(lambda: _invoke(client, service))

    return make


def boto_loopback(
    service: str,
    reply: Reply,
    *,
    url: str | None = None,
    connect_timeout_s: float = ANSWER_TIMEOUT_S,
    read_timeout_s: float = ANSWER_TIMEOUT_S,
) -> Callable[[], BaseException]:
    """A real HTTP exchange on loopback, the answer parsed by botocore's own protocol parser."""

    def make() -> BaseException:
        timeouts_s = {"connect_timeout_s": connect_timeout_s, "read_timeout_s": read_timeout_s}
        return _catch(lambda: _invoke(boto_client(service, url or serve(reply), **timeouts_s), service))

    return make


def _aws_json_error(status: int, code: str, message: str, *headers: tuple[str, str]) -> Reply:
    return Reply(
        status,
        (
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", "6a2f3c1e-0000-4000-8000-000000000000"),
            ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            *headers,
        ),
        json.dumps({"message": message}).encode(),
    )


def event_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One `application/vnd.amazon.eventstream` frame (string headers only), as AWS sends it."""
    encoded = b"".join(
        bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value)) + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message))


def bedrock_stream_error(exception_type: str, message: str) -> Callable[[], BaseException]:
    """ConverseStream that starts a message, then gets an exception frame: botocore's `EventStreamError`."""

    def make() -> BaseException:
        start = event_message(
            {":message-type": "event", ":event-type": "messageStart", ":content-type": "application/json"},
            b'{"role": "assistant"}',
        )
        failure = event_message(
            {
                ":message-type": "exception",
                ":exception-type": exception_type,
                ":content-type": "application/json",
            },
            json.dumps({"message": message}).encode(),
        )
        reply = Reply(200, (("Content-Type", "application/vnd.amazon.eventstream"),), start + failure)
        client = boto_client("bedrock-runtime", serve(reply))

        def consume() -> None:
            for _event in client.converse_stream(**CONVERSE_ARGS)["stream"]:
                pass

        return _catch(consume)

    return make


def _no_credentials() -> BaseException:
    import botocore.session
    from botocore.config import Config
    from botocore.credentials import CredentialResolver

    session = botocore.session.Session()
    # No provider at all: nothing reads the environment, files or the instance metadata service.
    session.register_component("credential_provider", CredentialResolver(providers=[]))
    client = session.create_client(
        "bedrock-runtime", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
    )
    return _catch(lambda: client.converse(**CONVERSE_ARGS))


SAGEMAKER_LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/my-endpoint"


def sagemaker_model_error(original_status: int, original_message: str) -> Reply:
    """SageMaker runtime's 424 `ModelError`: the model container's own status is only in the body."""
    kind = "CLIENT" if original_status < 500 else "SERVER"
    body = {
        "ErrorCode": f"{kind}_ERROR_FROM_MODEL",
        "OriginalStatusCode": original_status,
        "OriginalMessage": original_message,
        "LogStreamArn": SAGEMAKER_LOG_GROUP,
        "message": f"Received {kind.lower()} error ({original_status}) from primary with message "
        f'"{original_message}".',
    }
    errortype = "ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker.runtime/"
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", errortype))
    return Reply(424, headers, json.dumps(body).encode())


STS_THROTTLING_XML = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>5b1f2e3d-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
)


def _botocore_cases() -> list[Case]:
    sdk, b = "botocore", "BedrockPreset"
    too_long = "Input is too long for requested model."
    return [
        Case(
            "bedrock_throttling_429_modeled",
            sdk,
            stubbed("ThrottlingException", 429, "Too many requests, please wait before trying again."),
            "rate_limited",
            True,
            status=429,
            preset=b,
        ),
        Case(
            "bedrock_throttling_400_plain_client_error",
            sdk,
            stubbed("ThrottlingException", 400, "Rate exceeded", service="sagemaker-runtime"),
            "rate_limited",
            True,
            status=400,
            preset=b,
        ),
        Case(
            "bedrock_model_not_ready_429",
            sdk,
            stubbed(
                "ModelNotReadyException",
                429,
                "Model is not ready for inference. The SDK will automatically retry the request.",
            ),
            "overloaded",
            True,
            status=429,
            preset=b,
        ),
        Case(
            "bedrock_service_unavailable_503",
            sdk,
            stubbed("ServiceUnavailableException", 503, "Service Unavailable. Please try again later."),
            "overloaded",
            True,
            status=503,
            preset=b,
        ),
        Case(
            "bedrock_internal_server_500",
            sdk,
            stubbed(
                "InternalServerException", 500, "The server encountered an error processing your request."
            ),
            "server_error",
            True,
            status=500,
            preset=b,
        ),
        Case(
            "bedrock_model_timeout_408",
            sdk,
            stubbed(
                "ModelTimeoutException",
                408,
                "Model has timed out in processing the request. Try your request again.",
            ),
            "network",
            True,
            status=408,
            preset=b,
        ),
        Case(
            "bedrock_validation_input_too_long",
            sdk,
            stubbed("ValidationException", 400, too_long),
            "context_overflow",
            False,
            status=400,
            preset=b,
        ),
        Case(
            "bedrock_validation_prompt_too_long",
            sdk,
            stubbed("ValidationException", 400, "prompt is too long: 215325 tokens > 200000 maximum"),
            "context_overflow",
            False,
            status=400,
        ),
        Case(
            "bedrock_validation_other",
            sdk,
            stubbed(
                "ValidationException",
                400,
                "Malformed input request: #/messages/0/content: expected type: JSONArray, please reformat "
                "your input and try again.",
            ),
            "bad_request",
            False,
            status=400,
            preset=b,
        ),
        Case(
            "bedrock_service_quota_exceeded_400",
            sdk,
            stubbed(
                "ServiceQuotaExceededException",
                400,
                "Your request exceeds the service quota for your account.",
            ),
            "quota_exhausted",
            False,
            status=400,
            preset=b,
        ),
        Case(
            "bedrock_access_denied_403",
            sdk,
            stubbed(
                "AccessDeniedException",
                403,
                "You don't have access to the model with the specified model ID.",
            ),
            "auth",
            False,
            status=403,
            preset=b,
        ),
        Case(
            "bedrock_expired_token_400",
            sdk,
            stubbed("ExpiredTokenException", 400, "The security token included in the request is expired"),
            "auth",
            False,
            status=400,
            preset=b,
        ),
        Case(
            "bedrock_unrecognized_client_403",
            sdk,
            stubbed(
                "UnrecognizedClientException", 403, "The security token included in the request is invalid."
            ),
            "auth",
            False,
            status=403,
        ),
        Case(
            "bedrock_resource_not_found_404",
            sdk,
            stubbed("ResourceNotFoundException", 404, "Model not found."),
            "not_found",
            False,
            status=404,
            preset=b,
        ),
        Case(
            "bedrock_model_error_424",
            sdk,
            stubbed("ModelErrorException", 424, "The model returned an error."),
            "unknown",
            False,
            status=424,
            preset=b,
        ),
        Case(
            "bedrock_throttling_x_amz_retry_after_ms",
            sdk,
            stubbed("ThrottlingException", 429, "Too many requests", headers={"x-amz-retry-after": "7000"}),
            "rate_limited",
            True,
            retry_after_s=7,
            status=429,
            preset=b,
        ),
        Case(
            "bedrock_stubbed_retry_attempts",
            sdk,
            stubbed("ServiceUnavailableException", 503, "Service Unavailable", retry_attempts=2),
            "overloaded",
            True,
            status=503,
            sdk_retries=2,
        ),
        Case(
            "sagemaker_model_error_original_429",
            sdk,
            stubbed(
                "ModelError",
                424,
                'Received client error (429) from primary with message "Too Many Requests".',
                service="sagemaker-runtime",
                modeled={
                    "Message": "Received client error (429) from primary",
                    "OriginalStatusCode": 429,
                    "OriginalMessage": "Too Many Requests",
                    "LogStreamArn": SAGEMAKER_LOG_GROUP,
                },
            ),
            "rate_limited",
            True,
        ),
        Case(
            "sagemaker_model_error_original_429_loopback",
            sdk,
            boto_loopback("sagemaker-runtime", sagemaker_model_error(429, "Too Many Requests")),
            "rate_limited",
            True,
        ),
        Case(
            "sagemaker_model_error_original_503_loopback",
            sdk,
            boto_loopback("sagemaker-runtime", sagemaker_model_error(503, "Service Unavailable")),
            "overloaded",
            True,
        ),
        Case(
            "sagemaker_model_error_original_400_loopback",
            sdk,
            boto_loopback("sagemaker-runtime", sagemaker_model_error(400, "Invalid input: missing 'inputs'")),
            "bad_request",
            False,
        ),
        Case(
            "bedrock_loopback_429_throttling_parsed",
            sdk,
            boto_loopback(
                "bedrock-runtime",
                _aws_json_error(
                    429,
                    "ThrottlingException",
                    "Too many requests, please wait before trying again.",
                    ("retry-after", "4"),
                    ("x-amz-retry-after", "4000"),
                ),
            ),
            "rate_limited",
            True,
            retry_after_s=4,
            status=429,
            preset=b,
            sdk_retries=0,
        ),
        Case(
            "bedrock_loopback_500_internal_server",
            sdk,
            boto_loopback(
                "bedrock-runtime",
                _aws_json_error(
                    500, "InternalServerException", "The server encountered an error processing your request."
                ),
            ),
            "server_error",
            True,
            status=500,
            preset=b,
        ),
        Case(
            "bedrock_loopback_input_too_long",
            sdk,
            boto_loopback("bedrock-runtime", _aws_json_error(400, "ValidationException", too_long)),
            "context_overflow",
            False,
            status=400,
        ),
        Case(
            "sts_query_throttling_400",
            sdk,
            boto_loopback("sts", Reply(400, (("Content-Type", "text/xml"),), STS_THROTTLING_XML)),
            "rate_limited",
            True,
            status=400,
        ),
        Case(
            "kinesis_json_throttling_400",
            sdk,
            boto_loopback(
                "kinesis",
                Reply(
                    400,
                    (("Content-Type", "application/x-amz-json-1.1"),),
                    json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode(),
                ),
            ),
            "rate_limited",
            True,
            status=400,
        ),
        Case(
            "bedrock_stream_throttling",
            sdk,
            bedrock_stream_error(
                "throttlingException", "Too many requests, please wait before trying again."
            ),
            "rate_limited",
            True,
            preset=b,
        ),
        Case(
            "bedrock_stream_service_unavailable",
            sdk,
            bedrock_stream_error("serviceUnavailableException", "Service unavailable"),
            "overloaded",
            True,
            preset=b,
        ),
        Case(
            "bedrock_stream_validation",
            sdk,
            bedrock_stream_error(
                "validationException",
                "The model returned the following errors: messages.1.content: Field required",
            ),
            "bad_request",
            False,
            preset=b,
        ),
        Case(
            "bedrock_stream_model_stream_error",
            sdk,
            bedrock_stream_error("modelStreamErrorException", "Model stream error"),
            "server_error",
            True,
            preset=b,
        ),
        Case(
            "bedrock_stream_internal_server",
            sdk,
            bedrock_stream_error("internalServerException", "Internal server error"),
            "server_error",
            True,
        ),
        Case(
            "botocore_endpoint_connection_error",
            sdk,
            lambda: boto_loopback("bedrock-runtime", Reply(), url=refused_url())(),
            "network",
            True,
            preset=b,
        ),
        Case(
            "botocore_connect_timeout",
            sdk,
            lambda: boto_loopback(
                "bedrock-runtime", Reply(), url=blackhole_url(), connect_timeout_s=LOOPBACK_TIMEOUT_S
            )(),
            "network",
            True,
            preset=b,
        ),
        Case(
            "botocore_read_timeout",
            sdk,
            boto_loopback("bedrock-runtime", HANG, read_timeout_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
            preset=b,
        ),
        Case("botocore_connection_closed", sdk, boto_loopback("bedrock-runtime", CLOSE), "network", True),
        Case("botocore_no_credentials", sdk, _no_credentials, "auth", False, preset=b),
    ]


# ----------------------------------------------------------------------------------------------------
# httpx and httpx2 (the same class tree in two modules)


def httpx_status(module: str, status: int, *headers: tuple[str, str]) -> Callable[[], BaseException]:
    """`HTTPStatusError` from `raise_for_status()` on a real client over a MockTransport."""

    def make() -> BaseException:
        http = __import__(module)
        transport = http.MockTransport(
            lambda _req: http.Response(status, headers=[*headers], json={"error": {}})
        )
        with http.Client(transport=transport) as client:
            response = client.post("https://api.example.test/v1/chat", json={"q": 1})
            return _catch(response.raise_for_status)

    return make


def httpx_loopback(module: str, url: str, *, timeout_s: float = ANSWER_TIMEOUT_S) -> BaseException:
    http = __import__(module)
    with http.Client(timeout=timeout_s) as client:
        return _catch(lambda: client.get(url))


def httpx_pool_timeout(module: str) -> BaseException:
    """The pool's one connection is held by an open streaming response, so the next request cannot get one."""
    http = __import__(module)
    timeout = http.Timeout(5, pool=LOOPBACK_TIMEOUT_S)
    slow = serve(Reply(200, (("Content-Type", "text/plain"),), b"x" * 10))
    with (
        http.Client(timeout=timeout, limits=http.Limits(max_connections=1)) as client,
        client.stream("GET", slow),
    ):
        return _catch(lambda: client.get(slow))


def httpx_transport_error(module: str) -> BaseException:
    """A transport used directly (as SDK wrappers do) raises errors whose `.request` property raises."""
    http = __import__(module)
    with http.HTTPTransport() as transport:
        return _catch(lambda: transport.handle_request(http.Request("GET", refused_url())))


def _httpx_cases(module: str) -> list[Case]:
    h = "HTTPPreset"
    return [
        Case(
            f"{module}_429_retry_after_int",
            module,
            httpx_status(module, 429, ("retry-after", "7")),
            "rate_limited",
            True,
            retry_after_s=7,
            status=429,
            preset=h,
        ),
        Case(
            f"{module}_429_retry_after_float",
            module,
            httpx_status(module, 429, ("Retry-After", "1.5")),
            "rate_limited",
            True,
            retry_after_s=1.5,
            status=429,
        ),
        Case(
            f"{module}_429_retry_after_http_date",
            module,
            lambda: httpx_status(module, 429, ("retry-after", http_date(30)))(),
            "rate_limited",
            True,
            retry_after_s=30,
            status=429,
            preset=h,
        ),
        Case(
            f"{module}_429_retry_after_past_date_is_now",
            module,
            lambda: httpx_status(module, 429, ("retry-after", http_date(-3600)))(),
            "rate_limited",
            True,
            retry_after_s=0,
            status=429,
        ),
        Case(
            f"{module}_429_retry_after_ms_wins",
            module,
            httpx_status(module, 429, ("retry-after", "9"), ("retry-after-ms", "2500")),
            "rate_limited",
            True,
            retry_after_s=2.5,
            status=429,
        ),
        Case(
            f"{module}_429_retry_after_3600",
            module,
            httpx_status(module, 429, ("retry-after", "3600")),
            "rate_limited",
            True,
            retry_after_s=3600,
            status=429,
        ),
        # An unparseable Retry-After is no hint at all (the suite checks `retry_after_s is None`).
        Case(
            f"{module}_429_retry_after_unparseable",
            module,
            httpx_status(module, 429, ("retry-after", "soon")),
            "rate_limited",
            True,
            status=429,
        ),
        Case(f"{module}_503", module, httpx_status(module, 503), "overloaded", True, status=503, preset=h),
        Case(f"{module}_529", module, httpx_status(module, 529), "overloaded", True, status=529),
        Case(f"{module}_500", module, httpx_status(module, 500), "server_error", True, status=500, preset=h),
        Case(f"{module}_502", module, httpx_status(module, 502), "server_error", True, status=502),
        Case(f"{module}_504", module, httpx_status(module, 504), "server_error", True, status=504),
        Case(f"{module}_409", module, httpx_status(module, 409), "server_error", True, status=409),
        Case(f"{module}_408", module, httpx_status(module, 408), "network", True, status=408),
        Case(f"{module}_401", module, httpx_status(module, 401), "auth", False, status=401, preset=h),
        Case(f"{module}_403", module, httpx_status(module, 403), "auth", False, status=403),
        Case(f"{module}_404", module, httpx_status(module, 404), "not_found", False, status=404),
        Case(f"{module}_400", module, httpx_status(module, 400), "bad_request", False, status=400),
        Case(f"{module}_422", module, httpx_status(module, 422), "bad_request", False, status=422),
        Case(f"{module}_501", module, httpx_status(module, 501), "bad_request", False, status=501),
        Case(f"{module}_499", module, httpx_status(module, 499), "unknown", False, status=499),
        Case(
            f"{module}_connect_error_refused",
            module,
            lambda: httpx_loopback(module, refused_url()),
            "network",
            True,
            preset=h,
        ),
        Case(
            f"{module}_connect_timeout",
            module,
            lambda: httpx_loopback(module, blackhole_url(), timeout_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case(
            f"{module}_read_timeout",
            module,
            lambda: httpx_loopback(module, serve(HANG), timeout_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
            preset=h,
        ),
        Case(f"{module}_pool_timeout", module, lambda: httpx_pool_timeout(module), "network", True),
        Case(
            f"{module}_remote_protocol_error",
            module,
            lambda: httpx_loopback(module, serve(CLOSE)),
            "network",
            True,
        ),
        Case(
            f"{module}_read_error_reset",
            module,
            lambda: httpx_loopback(module, f"http://127.0.0.1:{reset_port()}"),
            "network",
            True,
        ),
        Case(
            f"{module}_request_property_raises",
            module,
            lambda: httpx_transport_error(module),
            "network",
            True,
        ),
    ]


# ----------------------------------------------------------------------------------------------------
# requests (every RequestException is an OSError)


def requests_status(status: int, *headers: tuple[str, str]) -> Callable[[], BaseException]:
    def make() -> BaseException:
        import requests

        response = requests.get(serve(json_reply(status, {"error": "x"}, *headers)), timeout=5)
        return _catch(response.raise_for_status)

    return make


def requests_get(
    url: str, *, stream_body: bool = False, timeout_s: float = ANSWER_TIMEOUT_S
) -> BaseException:
    import requests

    def call() -> None:
        response = requests.get(url, timeout=timeout_s, stream=stream_body)
        if stream_body:
            for _chunk in response.iter_content(64):
                pass

    return _catch(call)


def _requests_cases() -> list[Case]:
    sdk, h = "requests", "HTTPPreset"
    return [
        Case(
            "requests_429_retry_after",
            sdk,
            requests_status(429, ("Retry-After", "5")),
            "rate_limited",
            True,
            retry_after_s=5,
            status=429,
            preset=h,
        ),
        Case("requests_500", sdk, requests_status(500), "server_error", True, status=500),
        Case("requests_503", sdk, requests_status(503), "overloaded", True, status=503, preset=h),
        Case(
            "requests_401_is_oserror_but_auth", sdk, requests_status(401), "auth", False, status=401, preset=h
        ),
        Case("requests_404", sdk, requests_status(404), "not_found", False, status=404),
        Case(
            "requests_connection_error_refused",
            sdk,
            lambda: requests_get(refused_url()),
            "network",
            True,
            preset=h,
        ),
        Case(
            "requests_connect_timeout",
            sdk,
            lambda: requests_get(blackhole_url(), timeout_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case(
            "requests_read_timeout",
            sdk,
            lambda: requests_get(serve(HANG), timeout_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
            preset=h,
        ),
        Case("requests_connection_aborted", sdk, lambda: requests_get(serve(CLOSE)), "network", True),
        Case(
            "requests_chunked_encoding_error",
            sdk,
            lambda: requests_get(serve(Reply(behaviour="bad_chunk")), stream_body=True),
            "network",
            True,
        ),
    ]


# ----------------------------------------------------------------------------------------------------
# aiohttp


def aiohttp_get(
    url: str,
    *,
    total_s: float | None = None,
    sock_read_s: float | None = None,
    connect_s: float = ANSWER_TIMEOUT_S,
) -> BaseException:
    import aiohttp

    async def call() -> None:
        timeout = aiohttp.ClientTimeout(total=total_s, sock_read=sock_read_s, sock_connect=connect_s)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            response.raise_for_status()
            await response.read()

    return _acatch(call)


def aiohttp_status(status: int, *headers: tuple[str, str]) -> Callable[[], BaseException]:
    return lambda: aiohttp_get(serve(json_reply(status, {"error": "x"}, *headers)))


def _aiohttp_cases() -> list[Case]:
    sdk, h = "aiohttp", "HTTPPreset"
    return [
        Case(
            "aiohttp_429_retry_after",
            sdk,
            aiohttp_status(429, ("Retry-After", "3")),
            "rate_limited",
            True,
            retry_after_s=3,
            status=429,
            preset=h,
        ),
        Case("aiohttp_503", sdk, aiohttp_status(503), "overloaded", True, status=503),
        Case("aiohttp_500", sdk, aiohttp_status(500), "server_error", True, status=500, preset=h),
        Case("aiohttp_401", sdk, aiohttp_status(401), "auth", False, status=401, preset=h),
        Case(
            "aiohttp_connector_error_refused",
            sdk,
            lambda: aiohttp_get(refused_url()),
            "network",
            True,
            preset=h,
        ),
        Case(
            "aiohttp_connection_timeout",
            sdk,
            lambda: aiohttp_get(blackhole_url(), connect_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case("aiohttp_server_disconnected", sdk, lambda: aiohttp_get(serve(CLOSE)), "network", True),
        Case(
            "aiohttp_connection_reset",
            sdk,
            lambda: aiohttp_get(f"http://127.0.0.1:{reset_port()}"),
            "network",
            True,
        ),
        Case(
            "aiohttp_total_timeout_bare_timeout_error",
            "builtins",
            lambda: aiohttp_get(serve(HANG), total_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
            preset=h,
        ),
        Case(
            "aiohttp_socket_read_timeout",
            sdk,
            lambda: aiohttp_get(serve(HANG), sock_read_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case(
            "aiohttp_client_payload_error",
            sdk,
            lambda: aiohttp_get(serve(Reply(behaviour="truncate"))),
            "network",
            True,
        ),
    ]


# ----------------------------------------------------------------------------------------------------
# urllib3


def urllib3_get(
    url: str,
    *,
    retries: object = False,
    connect_s: float = ANSWER_TIMEOUT_S,
    read_s: float = ANSWER_TIMEOUT_S,
) -> BaseException:
    import urllib3

    with urllib3.PoolManager(timeout=urllib3.Timeout(connect=connect_s, read=read_s)) as pool:
        return _catch(lambda: pool.request("GET", url, retries=retries))


def _urllib3_cases() -> list[Case]:
    sdk = "urllib3"
    return [
        Case("urllib3_new_connection_error", sdk, lambda: urllib3_get(refused_url()), "network", True),
        Case(
            "urllib3_connect_timeout",
            sdk,
            lambda: urllib3_get(blackhole_url(), connect_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case(
            "urllib3_read_timeout",
            sdk,
            lambda: urllib3_get(serve(HANG), read_s=LOOPBACK_TIMEOUT_S),
            "network",
            True,
        ),
        Case(
            "urllib3_max_retry_error_refused",
            sdk,
            lambda: urllib3_get(refused_url(), retries=0),
            "network",
            True,
        ),
        Case("urllib3_protocol_error", sdk, lambda: urllib3_get(serve(CLOSE)), "network", True),
    ]


# ----------------------------------------------------------------------------------------------------
# builtins and chaining


def _socket_exchange(port: int, path: str = "/", *, timeout_s: float = 5) -> None:
    """A raw HTTP/1.1 request over a plain socket, reading until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while sock.recv(1024):
            pass


def _wait_for_timeout() -> BaseException:
    async def call() -> None:
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.01)

    return _acatch(call)


def _disk_full() -> BaseException:
    def write() -> None:
        with open("/dev/full", "wb", buffering=0) as device:
            device.write(b"x")

    return _catch(write)


def _explicit_cause() -> BaseException:
    connect_error = httpx_loopback("httpx2", refused_url())

    def wrap() -> None:
        raise RuntimeError("completion failed") from connect_error

    return _catch(wrap)


def _implicit_context_only() -> BaseException:
    connect_error = httpx_loopback("httpx2", refused_url())

    def buggy_handler() -> None:
        try:
            raise connect_error
        except Exception:
            int("not a number")  # a bug inside the except block: the ConnectError is only __context__

    return _catch(buggy_handler)


def _task_group_connect_error() -> BaseException:
    import httpx2

    async def call() -> None:
        async def fetch() -> None:
            async with httpx2.AsyncClient(timeout=ANSWER_TIMEOUT_S) as client:
                await client.get(refused_url())

        async with asyncio.TaskGroup() as group:
            group.create_task(fetch())

    return _acatch(call)


def _builtin_cases() -> list[Case]:
    sdk = "builtins"
    cases = [
        Case(
            "builtin_connection_refused",
            sdk,
            lambda: _catch(lambda: _socket_exchange(refused_port())),
            "network",
            True,
            preset="HTTPPreset",
        ),
        Case(
            "builtin_connection_reset",
            sdk,
            lambda: _catch(lambda: _socket_exchange(reset_port())),
            "network",
            True,
        ),
        Case(
            "builtin_socket_timeout",
            sdk,
            lambda: _catch(
                lambda: _socket_exchange(
                    _server_port(), "/" + serve(HANG).rsplit("/", 1)[1], timeout_s=LOOPBACK_TIMEOUT_S
                )
            ),
            "network",
            True,
        ),
        Case("builtin_wait_for_timeout_cause_cancelled", sdk, _wait_for_timeout, "network", True),
        Case("builtin_oserror_enospc_not_network", sdk, _disk_full, "unknown", False, preset="HTTPPreset"),
        Case("builtin_value_error", sdk, lambda: _catch(lambda: int("x")), "unknown", False),
        Case("builtin_explicit_cause_followed", sdk, _explicit_cause, "network", True),
        Case("builtin_implicit_context_only", sdk, _implicit_context_only, "unknown", False),
        Case("builtin_exception_group_connect", sdk, _task_group_connect_error, "network", True),
    ]
    return cases


def build_cases() -> list[Case]:
    """Every case, in a stable order; ids are unique."""
    cases = [
        *_genai_cases(),
        *_api_core_cases(),
        *_grpc_cases(),
        *_botocore_cases(),
        *_httpx_cases("httpx"),
        *_httpx_cases("httpx2"),
        *_requests_cases(),
        *_aiohttp_cases(),
        *_urllib3_cases(),
        *_builtin_cases(),
    ]
    ids = [case.id for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise AssertionError(f"duplicate case ids: {sorted(duplicates)}")
    return cases
