"""Conformance cases made by the real anthropic, openai (and Azure OpenAI), groq, mistralai and cohere SDKs.

Each `Case.make()` drives a real SDK client against an in-memory transport, an SSE stream or a 127.0.0.1
socket, and returns what the SDK raised. Importable without pytest: the benchmarks reuse `build_cases()`.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from functools import partial
from typing import Any

import anthropic
import cohere
import groq
import httpx
import httpx2
import openai
import pydantic
from mistralai.client import Mistral

# Loopback timeouts: long enough for a connect to 127.0.0.1 to finish, short enough to keep the suite fast.
_TIMEOUT_S = 0.1
_FAKE_KEY = "sk-fake-key-for-tests"
_MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]
_AZURE_API_VERSION = "2024-10-21"


@dataclass(frozen=True)
class Case:
    """One exception an SDK really raises, and what `llm_retry.classify` must say about it."""

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
    """The HTTP response a mock transport hands to the SDK."""

    status: int
    body: Mapping[str, Any] | str
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def content(self) -> bytes:
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return text.encode()

    def header_items(self) -> dict[str, str]:
        return {"content-type": self.content_type, **self.headers}


def _httpx2_client(reply: Reply) -> httpx2.Client:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(reply.status, headers=reply.header_items(), content=reply.content())

    return httpx2.Client(transport=httpx2.MockTransport(handler))


def _httpx_client(reply: Reply) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(reply.status, headers=reply.header_items(), content=reply.content())

    return httpx.Client(transport=httpx.MockTransport(handler))


def _raised(call: Callable[[], object]) -> BaseException:
    """Run a call that must fail and return the exception the SDK raised."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("the SDK call was expected to raise, but it returned")


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


# --- loopback sockets -----------------------------------------------------------------------------


@contextlib.contextmanager
def _refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound, so nobody else takes it, but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def _silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener completes the handshake (in the kernel) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


_Network = Callable[[str], BaseException]
"""Drives an SDK against a base URL on 127.0.0.1 with a short timeout and returns what it raised."""


def _refused(call: _Network) -> BaseException:
    with _refusing_port() as port:
        return call(f"http://127.0.0.1:{port}")


def _timed_out(call: _Network) -> BaseException:
    with _silent_port() as port:
        return call(f"http://127.0.0.1:{port}")


# --- hint headers whose value depends on the clock ------------------------------------------------


def _whole_second_in(seconds: int) -> int:
    """A whole-second instant that leaves a delay in [seconds, seconds + 1): formats truncate to seconds."""
    return math.ceil(time.time()) + seconds


def _http_date_in(seconds: int) -> str:
    return formatdate(_whole_second_in(seconds), usegmt=True)


def _rfc3339_in(seconds: int) -> str:
    return datetime.fromtimestamp(_whole_second_in(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch_in(seconds: int) -> str:
    return str(_whole_second_in(seconds))


def _header_names(headers: Mapping[str, str]) -> dict[str, str]:
    """Keyword arguments to HTTP header names: retry_after_ms -> retry-after-ms."""
    return {name.replace("_", "-"): value for name, value in headers.items()}


_CLOUDFLARE_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_CLOUDFLARE_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


# --- anthropic ------------------------------------------------------------------------------------


def _anthropic_body(error_type: str, message: str, error_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    return {"type": "error", "error": error, "request_id": "req_011CfakeRequestId"}


def _anthropic_call(client: anthropic.Anthropic, *, stream: bool = False) -> None:
    if stream:
        _drain(client.messages.create(model="claude-test", max_tokens=16, messages=_MESSAGES, stream=True))
    else:
        client.messages.create(model="claude-test", max_tokens=16, messages=_MESSAGES)


def _anthropic(reply: Reply, *, stream: bool = False) -> BaseException:
    with _httpx2_client(reply) as http_client:
        client = anthropic.Anthropic(
            api_key=_FAKE_KEY, base_url="http://anthropic.invalid", http_client=http_client, max_retries=0
        )
        return _raised(lambda: _anthropic_call(client, stream=stream))


def _anthropic_network(base_url: str) -> BaseException:
    with httpx2.Client(trust_env=False) as http_client:
        client = anthropic.Anthropic(
            api_key=_FAKE_KEY, base_url=base_url, http_client=http_client, max_retries=0, timeout=_TIMEOUT_S
        )
        return _raised(lambda: _anthropic_call(client))


def _anthropic_status(
    status: int, error_type: str, message: str, error_code: str | None = None, **headers: str
) -> Callable[[], BaseException]:
    reply = Reply(status, _anthropic_body(error_type, message, error_code), _header_names(headers))
    return partial(_anthropic, reply)


def _anthropic_html(status: int, html: str) -> Callable[[], BaseException]:
    return partial(_anthropic, Reply(status, html, content_type="text/html"))


def _anthropic_sse(error_type: str, message: str) -> Callable[[], BaseException]:
    """HTTP 200, a message_start and a ping, then `event: error`: the SDK raises APIStatusError(200)."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_01fake",
            "type": "message",
            "role": "assistant",
            "model": "claude-test",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 9, "output_tokens": 1},
        },
    }
    error = {"type": "error", "error": {"type": error_type, "message": message}}
    body = (
        f"event: message_start\ndata: {json.dumps(start)}\n\n"
        'event: ping\ndata: {"type": "ping"}\n\n'
        f"event: error\ndata: {json.dumps(error)}\n\n"
    )
    return partial(_anthropic, Reply(200, body, content_type="text/event-stream"), stream=True)


def _anthropic_ratelimit_reset(seconds: int, **headers: str) -> Callable[[], BaseException]:
    """A 429 whose requests bucket is empty until `seconds` from now; the tokens bucket is not the limit."""

    def make() -> BaseException:
        reset = {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": _rfc3339_in(seconds),
            "anthropic-ratelimit-tokens-limit": "40000",
            "anthropic-ratelimit-tokens-remaining": "39000",
            "anthropic-ratelimit-tokens-reset": _rfc3339_in(1),
        }
        body = _anthropic_body("rate_limit_error", _ANTHROPIC_RPM)
        return _anthropic(Reply(429, body, {**reset, **_header_names(headers)}))

    return make


def _anthropic_http_date(seconds: int) -> Callable[[], BaseException]:
    def make() -> BaseException:
        body = _anthropic_body("rate_limit_error", _ANTHROPIC_RPM)
        return _anthropic(Reply(429, body, {"retry-after": _http_date_in(seconds)}))

    return make


_ANTHROPIC_RPM = "Number of requests has exceeded your per-minute rate limit."
_ANTHROPIC_TPM = "Number of request tokens has exceeded your per-minute rate limit."
_ANTHROPIC_SPEND = "You have reached your specified API usage limits. You will regain access on 2026-12-01."
_ANTHROPIC_CREDIT = (
    "Your credit balance is too low to access the Anthropic API. "
    "Please go to Plans & Billing to upgrade or purchase credits."
)


def _anthropic_cases() -> list[Case]:
    p = "AnthropicPreset"
    st = _anthropic_status

    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"anthropic-{name}", "anthropic", make, kind, retryable, **kw)

    # fmt: off
    return [
        # Overloaded and unavailable (trap: 529 is not in every status list).
        case("529-overloaded", st(529, "overloaded_error", "Overloaded"), "overloaded", True, status=529,
             preset=p),
        case("529-overloaded-retry-after", st(529, "overloaded_error", "Overloaded", retry_after="3"),
             "overloaded", True, status=529, retry_after_s=3.0),
        case("529-compaction-unavailable",
             st(529, "overloaded_error", "Compaction is unavailable.", "compaction_unavailable"),
             "overloaded", True, status=529, preset=p),
        case("503-service-unavailable", st(503, "api_error", "Service unavailable"), "overloaded", True,
             status=503, preset=p),
        case("503-cmek-key-unreachable", st(503, "api_error", "CMEK key unreachable", "cmek_key_unreachable"),
             "overloaded", True, status=503),
        # Server errors.
        case("500-api-error", st(500, "api_error", "Internal server error"), "server_error", True,
             status=500, preset=p),
        case("504-timeout-error", st(504, "timeout_error", "Request timed out"), "server_error", True,
             status=504, preset=p),
        case("502-cloudflare-html", _anthropic_html(502, _CLOUDFLARE_502), "server_error", True, status=502),
        case("409-conflict", st(409, "conflict_error", "Conflict"), "server_error", True, status=409),
        # Trap 21: x-should-retry overrides the status, both ways.
        case("500-x-should-retry-false", st(500, "api_error", "Internal error", x_should_retry="false"),
             "server_error", False, status=500, preset=p),
        case("400-x-should-retry-true", st(400, "invalid_request_error", "Try again", x_should_retry="true"),
             "bad_request", True, status=400),
        # Rate limits and every form of delay hint.
        case("429-rate-limit", st(429, "rate_limit_error", _ANTHROPIC_TPM), "rate_limited", True, status=429),
        case("429-retry-after", st(429, "rate_limit_error", _ANTHROPIC_TPM, retry_after="20"),
             "rate_limited", True, status=429, retry_after_s=20.0, preset=p),
        case("429-retry-after-float", st(429, "rate_limit_error", _ANTHROPIC_TPM, retry_after="1.5"),
             "rate_limited", True, status=429, retry_after_s=1.5),
        case("429-retry-after-ms-wins",
             st(429, "rate_limit_error", _ANTHROPIC_TPM, retry_after_ms="2500", retry_after="30"),
             "rate_limited", True, status=429, retry_after_s=2.5, preset=p),
        case("429-retry-after-http-date", _anthropic_http_date(10), "rate_limited", True, status=429,
             retry_after_s=10.5),
        case("429-ratelimit-reset-rfc3339", _anthropic_ratelimit_reset(30), "rate_limited", True, status=429,
             retry_after_s=30.5, preset=p),
        case("429-retry-after-beats-reset", _anthropic_ratelimit_reset(40, retry_after="12"), "rate_limited",
             True, status=429, retry_after_s=12.0),
        case("429-ramp-limit-exceeded",
             st(429, "rate_limit_error", "Ramp limit exceeded.", "ramp_limit_exceeded", retry_after="5"),
             "rate_limited", True, status=429, retry_after_s=5.0),
        # Trap 2 and 7: spend limits and billing retrying cannot fix, whatever the status class says.
        case("429-enforced-spend-limit",
             st(429, "rate_limit_error", _ANTHROPIC_SPEND, "enforced_spend_limit_reached"),
             "quota_exhausted", False, status=429, preset=p),
        case("429-enforced-spend-limit-with-retry-after",
             st(429, "rate_limit_error", _ANTHROPIC_SPEND, "enforced_spend_limit_reached", retry_after="60"),
             "quota_exhausted", False, status=429),
        case("429-contract-spend-limit",
             st(429, "rate_limit_error", "Contract spend limit reached.", "contract_spend_limit_reached"),
             "quota_exhausted", False, status=429),
        case("402-billing-error", st(402, "billing_error", "Payment required."), "quota_exhausted", False,
             status=402, preset=p),
        case("400-credit-balance-too-low", st(400, "invalid_request_error", _ANTHROPIC_CREDIT),
             "quota_exhausted", False, status=400, preset=p),
        # Trap 6: context overflow, by message, and 413 by bytes (Cloudflare HTML: no type at all).
        case("400-prompt-too-long",
             st(400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"),
             "context_overflow", False, status=400, preset=p),
        case("413-cloudflare-html", _anthropic_html(413, _CLOUDFLARE_413), "context_overflow", False,
             status=413),
        case("413-request-too-large", st(413, "request_too_large", "Request exceeds the maximum size"),
             "context_overflow", False, status=413, preset=p),
        # Auth, bad requests, not found, and the statuses with a fixed answer.
        case("401-authentication", st(401, "authentication_error", "invalid x-api-key"), "auth", False,
             status=401, preset=p),
        case("403-permission", st(403, "permission_error", "Your API key does not have permission."),
             "auth", False, status=403),
        case("404-not-found", st(404, "not_found_error", "model: claude-test"), "not_found", False,
             status=404, preset=p),
        case("400-invalid-request", st(400, "invalid_request_error", "max_tokens: Field required"),
             "bad_request", False, status=400, preset=p),
        case("422-unprocessable", st(422, "invalid_request_error", "Unprocessable entity"), "bad_request",
             False, status=422),
        case("431-header-too-large", st(431, "invalid_request_error", "Request header fields too large"),
             "bad_request", False, status=431),
        case("501-not-implemented", st(501, "api_error", "Not implemented"), "bad_request", False,
             status=501),
        case("408-request-timeout", st(408, "timeout_error", "Request timed out"), "network", True,
             status=408, preset=p),
        case("499-client-closed", st(499, "api_error", "Client closed request"), "unknown", False,
             status=499),
        # Trap 8: errors after HTTP 200, inside the SSE stream; only error.type says what happened.
        case("stream-overloaded-error", _anthropic_sse("overloaded_error", "Overloaded"), "overloaded", True,
             preset=p),
        case("stream-api-error", _anthropic_sse("api_error", "Internal server error"), "server_error", True),
        case("stream-rate-limit-error", _anthropic_sse("rate_limit_error", _ANTHROPIC_TPM), "rate_limited",
             True),
        # Transport: APIConnectionError / APITimeoutError with an httpx2 __cause__.
        case("connection-refused", partial(_refused, _anthropic_network), "network", True, preset=p),
        case("timeout", partial(_timed_out, _anthropic_network), "network", True, preset=p),
    ]
    # fmt: on


# --- openai and Azure OpenAI ----------------------------------------------------------------------


def _openai_body(message: str, error_type: str | None, code: str | None, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code, **extra}}


def _openai_call(client: openai.OpenAI, *, stream: bool = False) -> None:
    if stream:
        _drain(client.chat.completions.create(model="gpt-test", messages=_MESSAGES, stream=True))
    else:
        client.chat.completions.create(model="gpt-test", messages=_MESSAGES)


def _openai(reply: Reply, *, stream: bool = False) -> BaseException:
    with _httpx2_client(reply) as http_client:
        client = openai.OpenAI(
            api_key=_FAKE_KEY, base_url="http://openai.invalid/v1", http_client=http_client, max_retries=0
        )
        return _raised(lambda: _openai_call(client, stream=stream))


def _openai_network(base_url: str) -> BaseException:
    with httpx2.Client(trust_env=False) as http_client:
        client = openai.OpenAI(
            api_key=_FAKE_KEY,
            base_url=f"{base_url}/v1",
            http_client=http_client,
            max_retries=0,
            timeout=_TIMEOUT_S,
        )
        return _raised(lambda: _openai_call(client))


def _azure(reply: Reply) -> BaseException:
    with _httpx2_client(reply) as http_client:
        client = openai.AzureOpenAI(
            api_key=_FAKE_KEY,
            azure_endpoint="http://example-resource.openai.invalid",
            api_version=_AZURE_API_VERSION,
            http_client=http_client,
            max_retries=0,
        )
        return _raised(lambda: _openai_call(client))


def _azure_network(base_url: str) -> BaseException:
    with httpx2.Client(trust_env=False) as http_client:
        client = openai.AzureOpenAI(
            api_key=_FAKE_KEY,
            azure_endpoint=base_url,
            api_version=_AZURE_API_VERSION,
            http_client=http_client,
            max_retries=0,
            timeout=_TIMEOUT_S,
        )
        return _raised(lambda: _openai_call(client))


def _openai_status(
    status: int, message: str, error_type: str | None, code: str | None, **headers: str
) -> Callable[[], BaseException]:
    return partial(_openai, Reply(status, _openai_body(message, error_type, code), _header_names(headers)))


def _openai_html(status: int, html: str) -> Callable[[], BaseException]:
    return partial(_openai, Reply(status, html, content_type="text/html"))


def _openai_sse(error: Mapping[str, Any]) -> Callable[[], BaseException]:
    """HTTP 200, one chunk, then a `data: {"error": ...}` line: the SDK raises a bare APIError."""
    chunk = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
    }
    body = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps({'error': error})}\n\n"
    return partial(_openai, Reply(200, body, content_type="text/event-stream"), stream=True)


class _Answer(pydantic.BaseModel):
    text: str


def _openai_parse(finish_reason: str, content: str | None) -> Callable[[], BaseException]:
    """HTTP 200 with a completion cut short: `parse()` raises LengthFinishReasonError (max_tokens, not the
    context window) or ContentFilterFinishReasonError, neither of which has a status."""
    completion = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-test",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 16, "total_tokens": 25},
    }

    def make() -> BaseException:
        with _httpx2_client(Reply(200, completion)) as http_client:
            client = openai.OpenAI(
                api_key=_FAKE_KEY, base_url="http://openai.invalid/v1", http_client=http_client, max_retries=0
            )
            return _raised(
                lambda: client.chat.completions.parse(
                    model="gpt-test", messages=_MESSAGES, response_format=_Answer
                )
            )

    return make


def _openai_http_date(seconds: int) -> Callable[[], BaseException]:
    def make() -> BaseException:
        body = _openai_body(_OPENAI_TPM, "tokens", "rate_limit_exceeded")
        return _openai(Reply(429, body, {"retry-after": _http_date_in(seconds)}))

    return make


_OPENAI_TPM = (
    "Rate limit reached for gpt-4o in organization org-fake on tokens per min (TPM): Limit 30000, "
    "Used 29000, Requested 1500. Please try again in 1s. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)
_OPENAI_RPD = "Rate limit reached for gpt-4o in organization org-fake on requests per day (RPD): Limit 10000."
_OPENAI_TOO_LARGE = (
    "Request too large for gpt-4o in organization org-fake on tokens per min (TPM): Limit 30000, "
    "Requested 52000. The input or output tokens must be reduced in order to run successfully. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)
_OPENAI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more information on "
    "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)
_OPENAI_CONTEXT = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 "
    "tokens. Please reduce the length of the messages."
)
_OPENAI_FLAGGED = "Invalid prompt: your prompt was flagged as potentially violating our usage policy."
_OPENAI_500 = "The server had an error while processing your request. Sorry about that!"


def _openai_cases() -> list[Case]:
    p = "OpenAIPreset"
    st = _openai_status
    tpm = (_OPENAI_TPM, "tokens", "rate_limit_exceeded")

    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"openai-{name}", "openai", make, kind, retryable, **kw)

    # fmt: off
    return [
        # Rate limits and every form of delay hint.
        case("429-rate-limit-retry-after", st(429, *tpm, retry_after="20"), "rate_limited", True, status=429,
             retry_after_s=20.0, preset=p),
        case("429-rate-limit-retry-after-ms", st(429, *tpm, retry_after_ms="1500"), "rate_limited", True,
             status=429, retry_after_s=1.5),
        case("429-retry-after-ms-wins", st(429, *tpm, retry_after_ms="800", retry_after="9"), "rate_limited",
             True, status=429, retry_after_s=0.8, preset=p),
        case("429-retry-after-http-date", _openai_http_date(12), "rate_limited", True, status=429,
             retry_after_s=12.5),
        case("429-retry-after-past-date", st(429, *tpm, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"),
             "rate_limited", True, status=429, retry_after_s=0.0),
        case("429-retry-after-unparseable", st(429, *tpm, retry_after="soon"), "rate_limited", True,
             status=429),
        # Go-duration reset headers: the bucket whose remaining is 0 decides.
        case("429-reset-requests-go-duration",
             st(429, _OPENAI_RPD, "requests", "rate_limit_exceeded", x_ratelimit_remaining_requests="0",
                x_ratelimit_reset_requests="6m0s", x_ratelimit_remaining_tokens="29000",
                x_ratelimit_reset_tokens="120ms"),
             "rate_limited", True, status=429, retry_after_s=360.0, preset=p),
        case("429-reset-tokens-go-duration",
             st(429, *tpm, x_ratelimit_remaining_requests="499", x_ratelimit_reset_requests="120ms",
                x_ratelimit_remaining_tokens="0", x_ratelimit_reset_tokens="2m59.56s"),
             "rate_limited", True, status=429, retry_after_s=179.56),
        case("429-reset-tokens-seconds",
             st(429, *tpm, x_ratelimit_remaining_requests="499", x_ratelimit_reset_requests="6m0s",
                x_ratelimit_remaining_tokens="0", x_ratelimit_reset_tokens="7.66s"),
             "rate_limited", True, status=429, retry_after_s=7.66),
        case("429-no-hint", st(429, *tpm), "rate_limited", True, status=429),
        # Trap 2: 429s that will never succeed.
        case("429-insufficient-quota", st(429, _OPENAI_QUOTA, "insufficient_quota", "insufficient_quota"),
             "quota_exhausted", False, status=429, preset=p),
        case("429-insufficient-quota-with-retry-after",
             st(429, _OPENAI_QUOTA, "insufficient_quota", "insufficient_quota", retry_after="20"),
             "quota_exhausted", False, status=429),
        case("429-request-too-large", st(429, _OPENAI_TOO_LARGE, "tokens", "rate_limit_exceeded"),
             "context_overflow", False, status=429, preset=p),
        # Context, content filter, auth, bad requests.
        case("400-context-length-exceeded",
             st(400, _OPENAI_CONTEXT, "invalid_request_error", "context_length_exceeded"),
             "context_overflow", False, status=400, preset=p),
        case("400-invalid-prompt", st(400, _OPENAI_FLAGGED, "invalid_request_error", "invalid_prompt"),
             "content_filtered", False, status=400),
        case("401-invalid-api-key",
             st(401, "Incorrect API key provided: sk-fake.", "invalid_request_error", "invalid_api_key"),
             "auth", False, status=401, preset=p),
        case("403-unsupported-country",
             st(403, "Country, region, or territory not supported", "request_forbidden",
                "unsupported_country_region_territory"),
             "auth", False, status=403),
        case("404-model-not-found",
             st(404, "The model `gpt-test` does not exist or you do not have access to it.",
                "invalid_request_error", "model_not_found"),
             "not_found", False, status=404, preset=p),
        case("400-invalid-request",
             st(400, "Invalid value for 'temperature'.", "invalid_request_error", "invalid_value"),
             "bad_request", False, status=400),
        case("422-unprocessable", st(422, "Unprocessable entity", "invalid_request_error", None),
             "bad_request", False, status=422),
        case("400-x-should-retry-true",
             st(400, "Try again", "invalid_request_error", None, x_should_retry="true"),
             "bad_request", True, status=400),
        # Server side: InternalServerError is every status >= 500.
        case("500-server-error", st(500, _OPENAI_500, "server_error", None), "server_error", True,
             status=500, preset=p),
        case("500-x-should-retry-false", st(500, _OPENAI_500, "server_error", None, x_should_retry="false"),
             "server_error", False, status=500),
        case("502-cloudflare-html", _openai_html(502, _CLOUDFLARE_502), "server_error", True, status=502),
        case("503-overloaded",
             st(503, "The engine is currently overloaded, please try again later.", "server_error", None),
             "overloaded", True, status=503, preset=p),
        case("504-gateway-timeout", st(504, "Gateway timeout", "server_error", None), "server_error", True,
             status=504),
        case("409-conflict", st(409, "Conflict", "invalid_request_error", None), "server_error", True,
             status=409),
        case("408-request-timeout", st(408, "Request timed out", None, None), "network", True, status=408),
        case("499-client-closed", st(499, "Client closed request", None, None), "unknown", False, status=499),
        # Trap 8: after HTTP 200, a bare APIError without status_code or response.
        case("stream-server-error",
             _openai_sse({"message": _OPENAI_500, "type": "server_error", "param": None, "code": None}),
             "server_error", True, preset=p),
        # Trap 23: HTTP 200, but parse() refuses the completion; output hitting max_tokens is no overflow.
        case("content-filter-finish-reason", _openai_parse("content_filter", None), "content_filtered", False,
             preset=p),
        case("length-finish-reason", _openai_parse("length", '{"text": "Hel'), "bad_request", False),
        # Transport: APIConnectionError / APITimeoutError with an httpx2 __cause__.
        case("connection-refused", partial(_refused, _openai_network), "network", True, preset=p),
        case("timeout", partial(_timed_out, _openai_network), "network", True),
    ]
    # fmt: on


_AZURE_FILTERED = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
    "Please modify your prompt and retry. To learn more about our content filtering policies please read "
    "our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)
_AZURE_FILTER_RESULT = {
    "hate": {"filtered": False, "severity": "safe"},
    "jailbreak": {"filtered": True, "detected": True},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
_AZURE_429 = (
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have "
    "exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. "
    "Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default "
    "rate limit."
)
_AZURE_401 = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
_AZURE_503 = "The service is temporarily unable to process your request. Please try again later."


def _azure_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _azure_cases() -> list[Case]:
    p = "AzureOpenAIPreset"

    def case(name: str, reply: Reply, kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"azure-openai-{name}", "openai", partial(_azure, reply), kind, retryable, **kw)

    filtered = {
        "error": {
            "message": _AZURE_FILTERED,
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": _AZURE_FILTER_RESULT,
            },
        }
    }
    context = _openai_body(_OPENAI_CONTEXT, "invalid_request_error", "context_length_exceeded")
    # fmt: off
    return [
        case("400-content-filter", Reply(400, filtered), "content_filtered", False, status=400, preset=p),
        case("429-rate-limit", Reply(429, _azure_error("429", _AZURE_429), {"retry-after": "6"}),
             "rate_limited", True, status=429, retry_after_s=6.0, preset=p),
        case("429-rate-limit-retry-after-ms",
             Reply(429, _azure_error("429", _AZURE_429), {"retry-after-ms": "6000", "retry-after": "6"}),
             "rate_limited", True, status=429, retry_after_s=6.0),
        case("400-context-length-exceeded", Reply(400, context), "context_overflow", False, status=400),
        case("401-access-denied", Reply(401, _azure_error("401", _AZURE_401)), "auth", False, status=401,
             preset=p),
        case("404-deployment-not-found",
             Reply(404, _azure_error("DeploymentNotFound", "The API deployment for this resource does not "
                                     "exist.")),
             "not_found", False, status=404),
        case("500-internal", Reply(500, _openai_body(_OPENAI_500, "server_error", None)), "server_error",
             True, status=500),
        case("503-service-unavailable", Reply(503, _azure_error("ServiceUnavailable", _AZURE_503)),
             "overloaded", True, status=503, preset=p),
        Case("azure-openai-connection-refused", "openai", partial(_refused, _azure_network), "network", True),
    ]
    # fmt: on


# --- groq -----------------------------------------------------------------------------------------


def _groq_call(client: groq.Groq, *, stream: bool = False) -> None:
    if stream:
        _drain(client.chat.completions.create(model="llama-test", messages=_MESSAGES, stream=True))
    else:
        client.chat.completions.create(model="llama-test", messages=_MESSAGES)


def _groq(reply: Reply, *, stream: bool = False) -> BaseException:
    with _httpx_client(reply) as http_client:
        client = groq.Groq(
            api_key=_FAKE_KEY, base_url="http://groq.invalid", http_client=http_client, max_retries=0
        )
        return _raised(lambda: _groq_call(client, stream=stream))


def _groq_network(base_url: str) -> BaseException:
    with httpx.Client(trust_env=False) as http_client:
        client = groq.Groq(
            api_key=_FAKE_KEY, base_url=base_url, http_client=http_client, max_retries=0, timeout=_TIMEOUT_S
        )
        return _raised(lambda: _groq_call(client))


def _groq_status(
    status: int, message: str, error_type: str | None, code: str | None, **headers: str
) -> Callable[[], BaseException]:
    return partial(_groq, Reply(status, _openai_body(message, error_type, code), _header_names(headers)))


_GROQ_TPM = (
    "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_fake` service tier "
    "`on_demand` on tokens per minute (TPM): Limit 12000, Used 11500, Requested 900. "
    "Please try again in 7.66s."
)
_GROQ_RPD = "Rate limit reached for model `llama-3.3-70b-versatile` on requests per day (RPD): Limit 14400."
_GROQ_TOO_LARGE = (
    "Request too large for model `llama-3.3-70b-versatile` in organization `org_fake` service tier "
    "`on_demand` on tokens per minute (TPM): Limit 12000, Requested 31000, please reduce your message size "
    "and try again."
)
_GROQ_CAPACITY = "The flex tier is at capacity. Please try again later."
_GROQ_CONTEXT = "Please reduce the length of the messages or completion."


def _groq_cases() -> list[Case]:
    p = "GroqPreset"
    st = _groq_status
    tpm = (_GROQ_TPM, "tokens", "rate_limit_exceeded")
    sse_error = {"error": {"message": "Service Unavailable", "type": "internal_server_error", "code": None}}
    stream = partial(
        _groq, Reply(200, f"data: {json.dumps(sse_error)}\n\n", content_type="text/event-stream"), stream=True
    )

    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"groq-{name}", "groq", make, kind, retryable, **kw)

    # fmt: off
    return [
        case("429-retry-after-beats-reset",
             st(429, *tpm, retry_after="8", x_ratelimit_remaining_tokens="0",
                x_ratelimit_reset_tokens="7.66s"),
             "rate_limited", True, status=429, retry_after_s=8.0, preset=p),
        case("429-reset-requests-go-duration",
             st(429, _GROQ_RPD, "requests", "rate_limit_exceeded", x_ratelimit_remaining_requests="0",
                x_ratelimit_reset_requests="2m59.56s", x_ratelimit_remaining_tokens="11000",
                x_ratelimit_reset_tokens="7.66s"),
             "rate_limited", True, status=429, retry_after_s=179.56, preset=p),
        case("429-reset-tokens-milliseconds",
             st(429, *tpm, x_ratelimit_remaining_tokens="0", x_ratelimit_reset_tokens="120ms",
                x_ratelimit_remaining_requests="14000", x_ratelimit_reset_requests="6.2s"),
             "rate_limited", True, status=429, retry_after_s=0.12),
        case("429-no-hint", st(429, *tpm), "rate_limited", True, status=429),
        # Trap 2: a single request over the per-minute budget never succeeds (413, code rate_limit_exceeded).
        case("413-request-too-large", st(413, _GROQ_TOO_LARGE, "tokens", "rate_limit_exceeded"),
             "context_overflow", False, status=413, preset=p),
        # Trap 4: groq's 498 is flex-tier capacity, retried.
        case("498-capacity-exceeded", st(498, _GROQ_CAPACITY, "internal_server_error", "capacity_exceeded"),
             "overloaded", True, status=498, preset=p),
        case("400-context-length-exceeded",
             st(400, _GROQ_CONTEXT, "invalid_request_error", "context_length_exceeded"),
             "context_overflow", False, status=400, preset=p),
        case("400-invalid-request", st(400, "'messages' : must have at least 1 item", "invalid_request_error",
                                       None),
             "bad_request", False, status=400),
        case("422-unprocessable", st(422, "Unprocessable entity", "invalid_request_error", None),
             "bad_request", False, status=422),
        case("401-invalid-api-key", st(401, "Invalid API Key", "invalid_request_error", "invalid_api_key"),
             "auth", False, status=401, preset=p),
        case("403-permission", st(403, "Forbidden", "permissions_error", None), "auth", False, status=403),
        case("404-model-not-found",
             st(404, "The model `llama-test` does not exist or you do not have access to it.",
                "invalid_request_error", "model_not_found"),
             "not_found", False, status=404, preset=p),
        case("500-internal", st(500, "Internal Server Error", "internal_server_error", None), "server_error",
             True, status=500, preset=p),
        case("502-cloudflare-html", partial(_groq, Reply(502, _CLOUDFLARE_502, content_type="text/html")),
             "server_error", True, status=502),
        case("503-service-unavailable", st(503, "Service Unavailable", "internal_server_error", None),
             "overloaded", True, status=503, preset=p),
        case("504-gateway-timeout", st(504, "Gateway Timeout", "internal_server_error", None), "server_error",
             True, status=504),
        case("409-conflict", st(409, "Conflict", "invalid_request_error", None), "server_error", True,
             status=409),
        case("408-request-timeout", st(408, "Request Timeout", None, None), "network", True, status=408),
        case("500-x-should-retry-false",
             st(500, "Internal Server Error", "internal_server_error", None, x_should_retry="false"),
             "server_error", False, status=500),
        case("400-x-should-retry-true",
             st(400, "Try again", "invalid_request_error", None, x_should_retry="true"),
             "bad_request", True, status=400),
        # After HTTP 200: a bare APIError, like openai's.
        case("stream-server-error", stream, "server_error", True),
        # Transport: APIConnectionError / APITimeoutError with an httpx (not httpx2) __cause__.
        case("connection-refused", partial(_refused, _groq_network), "network", True, preset=p),
        case("timeout", partial(_timed_out, _groq_network), "network", True),
    ]
    # fmt: on


# --- mistralai ------------------------------------------------------------------------------------


def _mistral_call(client: Mistral) -> None:
    client.chat.complete(model="mistral-small-latest", messages=_MESSAGES)


# retry_config stays UNSET, as mistralai ships: it does not retry unless asked to. The SDK does not close a
# client it was given, hence the `with`.
def _mistral(reply: Reply) -> BaseException:
    with _httpx2_client(reply) as http_client:
        client = Mistral(api_key=_FAKE_KEY, server_url="http://mistral.invalid", client=http_client)
        return _raised(lambda: _mistral_call(client))


def _mistral_network(base_url: str) -> BaseException:
    with httpx2.Client(trust_env=False) as http_client:
        client = Mistral(
            api_key=_FAKE_KEY, server_url=base_url, client=http_client, timeout_ms=int(_TIMEOUT_S * 1000)
        )
        return _raised(lambda: _mistral_call(client))


def _mistral_status(
    status: int, message: str, error_type: str | None, code: str | None, **headers: str
) -> Callable[[], BaseException]:
    body = {"object": "error", "message": message, "type": error_type, "param": None, "code": code}
    return partial(_mistral, Reply(status, body, _header_names(headers)))


def _mistral_reply(
    status: int, body: Mapping[str, Any] | str, content_type: str
) -> Callable[[], BaseException]:
    return partial(_mistral, Reply(status, body, content_type=content_type))


_MISTRAL_RATE = "Requests rate limit exceeded"
_MISTRAL_CAPACITY = "Service tier capacity exceeded for this model."
_MISTRAL_CONTEXT = (
    "Prompt contains 140000 tokens and 0 draft tokens, too large for model with 131072 maximum context length"
)
_MISTRAL_422 = {
    "detail": [{"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {}}]
}
_JSON = "application/json"


def _mistral_cases() -> list[Case]:
    p = "MistralPreset"
    st = _mistral_status
    reply = _mistral_reply

    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"mistral-{name}", "mistralai", make, kind, retryable, **kw)

    # fmt: off
    return [
        case("429-rate-limited-retry-after", st(429, _MISTRAL_RATE, "rate_limited", "1300", retry_after="2"),
             "rate_limited", True, status=429, retry_after_s=2.0, preset=p),
        case("429-rate-limited-retry-after-ms",
             st(429, _MISTRAL_RATE, "rate_limited", "1300", retry_after_ms="750"),
             "rate_limited", True, status=429, retry_after_s=0.75),
        case("429-rate-limited-no-hint", st(429, _MISTRAL_RATE, "rate_limited", "1300"), "rate_limited", True,
             status=429, preset=p),
        # Trap 22: capacity typed as invalid_request_error; only the message says so.
        case("429-service-tier-capacity", st(429, _MISTRAL_CAPACITY, "invalid_request_error", None),
             "overloaded", True, status=429, preset=p),
        case("503-service-tier-capacity", st(503, _MISTRAL_CAPACITY, "invalid_request_error", None),
             "overloaded", True, status=503),
        case("400-too-large-for-context", st(400, _MISTRAL_CONTEXT, "invalid_request_error", None),
             "context_overflow", False, status=400, preset=p),
        case("400-invalid-request", st(400, "Invalid model: mistral-test", "invalid_model", "1500"),
             "bad_request", False, status=400),
        case("401-unauthorized", reply(401, {"message": "Unauthorized", "request_id": "fake-id"}, _JSON),
             "auth", False, status=401, preset=p),
        case("403-forbidden", st(403, "Forbidden", "forbidden", None), "auth", False, status=403),
        case("404-not-found", reply(404, {"detail": "Not Found"}, _JSON), "not_found", False, status=404),
        case("422-http-validation-error", reply(422, _MISTRAL_422, _JSON), "bad_request", False, status=422,
             preset=p),
        case("500-internal", st(500, "Internal server error", "internal_server_error", None), "server_error",
             True, status=500, preset=p),
        case("502-cloudflare-html", reply(502, _CLOUDFLARE_502, "text/html"), "server_error", True,
             status=502),
        case("503-unavailable", reply(503, "upstream connect error", "text/plain"), "overloaded", True,
             status=503),
        case("504-gateway-timeout", reply(504, "upstream request timeout", "text/plain"), "server_error",
             True, status=504),
        # Trap 1: mistralai does not wrap transport errors; these are raw httpx2 exceptions.
        case("connect-error", partial(_refused, _mistral_network), "network", True, preset=p),
        case("read-timeout", partial(_timed_out, _mistral_network), "network", True),
    ]
    # fmt: on


# --- cohere ---------------------------------------------------------------------------------------


def _cohere(reply: Reply) -> BaseException:
    with _httpx_client(reply) as http_client:
        client = cohere.ClientV2(
            api_key=_FAKE_KEY, base_url="http://cohere.invalid", httpx_client=http_client, max_retries=0
        )
        return _raised(lambda: client.chat(model="command-test", messages=_MESSAGES))


def _cohere_v1(reply: Reply) -> BaseException:
    with _httpx_client(reply) as http_client:
        client = cohere.Client(
            api_key=_FAKE_KEY, base_url="http://cohere.invalid", httpx_client=http_client, max_retries=0
        )
        return _raised(lambda: client.chat(model="command-test", message="hi"))


def _cohere_network(base_url: str) -> BaseException:
    with httpx.Client(trust_env=False, timeout=_TIMEOUT_S) as http_client:
        client = cohere.ClientV2(
            api_key=_FAKE_KEY, base_url=base_url, httpx_client=http_client, max_retries=0, timeout=_TIMEOUT_S
        )
        return _raised(lambda: client.chat(model="command-test", messages=_MESSAGES))


def _cohere_status(status: int, message: str, **headers: str) -> Callable[[], BaseException]:
    return partial(_cohere, Reply(status, {"message": message}, _header_names(headers)))


def _cohere_epoch_reset(seconds: int) -> Callable[[], BaseException]:
    def make() -> BaseException:
        return _cohere(Reply(429, {"message": _COHERE_MINUTE}, {"x-ratelimit-reset": _epoch_in(seconds)}))

    return make


_COHERE_TRIAL = (
    "You are using a Trial key, which is limited to 1000 API calls / month. You can continue to use the "
    "Trial key for free or upgrade to a Production key with higher rate limits at "
    "'https://dashboard.cohere.com/api-keys'."
)
_COHERE_MINUTE = (
    "You are using a Trial key, which is limited to 20 API calls / minute. You can continue to use the "
    "Trial key for free or upgrade to a Production key with higher rate limits at "
    "'https://dashboard.cohere.com/api-keys'."
)
_COHERE_TOKENS = (
    "too many tokens: size limit exceeded by 1024 tokens. Try using shorter or fewer inputs, or setting "
    "prompt_truncation='AUTO'."
)


def _cohere_cases() -> list[Case]:
    p = "CoherePreset"
    st = _cohere_status

    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"cohere-{name}", "cohere", make, kind, retryable, **kw)

    # fmt: off
    return [
        case("429-too-many-requests-retry-after", st(429, _COHERE_MINUTE, retry_after="5"), "rate_limited",
             True, status=429, retry_after_s=5.0, preset=p),
        case("429-retry-after-float", st(429, _COHERE_MINUTE, retry_after="1.5"), "rate_limited", True,
             status=429, retry_after_s=1.5),
        case("429-x-ratelimit-reset-epoch", _cohere_epoch_reset(30), "rate_limited", True, status=429,
             retry_after_s=30.5, preset=p),
        case("429-no-hint", st(429, _COHERE_MINUTE), "rate_limited", True, status=429),
        # Trap 2: a trial key's monthly allowance does not come back in a minute.
        case("429-trial-key-monthly", st(429, _COHERE_TRIAL), "quota_exhausted", False, status=429, preset=p),
        # Trap 4 and 5: cohere's 498 is an invalid token, not capacity.
        case("498-invalid-token", st(498, "invalid api token"), "auth", False, status=498, preset=p),
        case("401-unauthorized", st(401, "no api key supplied"), "auth", False, status=401, preset=p),
        case("403-forbidden", st(403, "Forbidden"), "auth", False, status=403),
        case("400-too-many-tokens", st(400, _COHERE_TOKENS), "context_overflow", False, status=400, preset=p),
        case("400-invalid-request", st(400, "invalid request: message must be at least 1 token long"),
             "bad_request", False, status=400),
        case("404-not-found", st(404, "model 'command-test' not found"), "not_found", False, status=404),
        case("422-unprocessable", st(422, "unprocessable entity"), "bad_request", False, status=422),
        case("500-internal", st(500, "internal server error"), "server_error", True, status=500, preset=p),
        case("502-plain-api-error", partial(_cohere, Reply(502, "Bad Gateway", content_type="text/plain")),
             "server_error", True, status=502),
        case("503-service-unavailable", st(503, "service unavailable"), "overloaded", True, status=503,
             preset=p),
        case("504-gateway-timeout", st(504, "gateway timeout"), "server_error", True, status=504),
        case("409-conflict-plain-api-error", st(409, "conflict"), "server_error", True, status=409),
        case("408-request-timeout-plain-api-error", st(408, "request timeout"), "network", True, status=408),
        # Trap 13: cohere.errors.NotImplementedError is an HTTP 501 ApiError, not the builtin.
        case("501-not-implemented", st(501, "not implemented"), "bad_request", False, status=501, preset=p),
        case("499-client-closed", st(499, "client closed request"), "unknown", False, status=499),
        case("v1-429-too-many-requests",
             partial(_cohere_v1, Reply(429, {"message": _COHERE_MINUTE}, {"retry-after": "7"})),
             "rate_limited", True, status=429, retry_after_s=7.0),
        case("v1-400-too-many-tokens", partial(_cohere_v1, Reply(400, {"message": _COHERE_TOKENS})),
             "context_overflow", False, status=400),
        # Trap 1: cohere does not wrap transport errors; these are raw httpx exceptions.
        case("connect-error", partial(_refused, _cohere_network), "network", True, preset=p),
        case("read-timeout", partial(_timed_out, _cohere_network), "network", True),
    ]
    # fmt: on


def build_cases() -> list[Case]:
    """Every conformance case for the five SDKs, in a stable order."""
    return [
        *_anthropic_cases(),
        *_openai_cases(),
        *_azure_cases(),
        *_groq_cases(),
        *_mistral_cases(),
        *_cohere_cases(),
    ]
