"""`llm_retry.testing.provider_error` against the real SDKs: for each fault, the fake and the exception the
real SDK raises for the same response are classified, by the default policy and by the provider's preset, and
must get the same decision (kind, retryable, status, delay hint).

The real exceptions come from the makers of sdk_cases_stainless.py and sdk_cases_google_aws.py (real clients
over in-memory transports, loopback sockets and botocore's Stubber).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import llm_retry
import pytest
import sdk_cases_google_aws as gaws
import sdk_cases_ring2_providers as ring2
import sdk_cases_stainless as st
from llm_retry.testing import PROVIDERS, provider_error
from llm_retry.testing._faults import BEDROCK_CODES, BEDROCK_STREAM_CODES, GOOGLE_CANONICAL_STATUSES
from ring2_support import Reply as Ring2Reply
from ring2_support import headers as ring2_headers


@dataclass(frozen=True)
class Pair:
    id: str
    real: Callable[[], BaseException]
    provider: str
    fault: int | str
    preset: str
    fake: dict[str, Any] = field(default_factory=dict)


def _anthropic(status: int, error_type: str, message: str, code: str | None = None, **headers: str) -> Any:
    return st._anthropic_status(status, error_type, message, code, **headers)


def _openai(status: int, message: str, error_type: str | None, code: str | None, **headers: str) -> Any:
    return st._openai_status(status, message, error_type, code, **headers)


def _hdr(**headers: str) -> dict[str, str]:
    return st._header_names(headers)


_GROQ_SSE = (
    "data: "
    + json.dumps({"error": {"message": "Service Unavailable", "type": "internal_server_error", "code": None}})
    + "\n\n"
)


def _ring2(make: Callable[[Any], BaseException], status: int, message: str, error_type: str, **h: str) -> Any:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
    return partial(make, Ring2Reply(status, body, ring2_headers(**h)))


_A, _O, _G = "AnthropicPreset", "OpenAIPreset", "GroqPreset"
_M, _C, _GE, _B = "MistralPreset", "CoherePreset", "GeminiPreset", "BedrockPreset"
_TPM = st._OPENAI_TPM

# fmt: off
PAIRS = [
    # anthropic
    Pair("anthropic-529", _anthropic(529, "overloaded_error", "Overloaded"), "anthropic", 529, _A,
         {"message": "Overloaded"}),
    Pair("anthropic-529-retry-after", _anthropic(529, "overloaded_error", "Overloaded", retry_after="3"),
         "anthropic", 529, _A, {"headers": {"retry-after": "3"}, "message": "Overloaded"}),
    Pair("anthropic-429-retry-after", _anthropic(429, "rate_limit_error", "Slow down", retry_after="20"),
         "anthropic", 429, _A, {"headers": {"retry-after": "20"}, "message": "Slow down"}),
    Pair("anthropic-429-retry-after-ms",
         _anthropic(429, "rate_limit_error", "Slow down", retry_after_ms="2500", retry_after="30"),
         "anthropic", 429, _A,
         {"headers": _hdr(retry_after_ms="2500", retry_after="30"), "message": "Slow down"}),
    Pair("anthropic-429-spend-limit",
         _anthropic(429, "rate_limit_error", st._ANTHROPIC_SPEND, "enforced_spend_limit_reached"),
         "anthropic", 429, _A, {"code": "enforced_spend_limit_reached", "message": st._ANTHROPIC_SPEND}),
    Pair("anthropic-503", _anthropic(503, "api_error", "Service unavailable"), "anthropic", 503, _A,
         {"message": "Service unavailable"}),
    Pair("anthropic-500", _anthropic(500, "api_error", "Internal server error"), "anthropic", 500, _A,
         {"message": "Internal server error"}),
    Pair("anthropic-500-x-should-retry-false",
         _anthropic(500, "api_error", "Internal error", x_should_retry="false"), "anthropic", 500, _A,
         {"headers": {"x-should-retry": "false"}, "message": "Internal error"}),
    Pair("anthropic-504", _anthropic(504, "timeout_error", "Request timed out"), "anthropic", 504, _A,
         {"message": "Request timed out"}),
    Pair("anthropic-400", _anthropic(400, "invalid_request_error", "max_tokens: Field required"),
         "anthropic", 400, _A, {"message": "max_tokens: Field required"}),
    Pair("anthropic-400-prompt-too-long",
         _anthropic(400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"),
         "anthropic", 400, _A, {"message": "prompt is too long: 208310 tokens > 200000 maximum"}),
    Pair("anthropic-401", _anthropic(401, "authentication_error", "invalid x-api-key"), "anthropic", 401, _A,
         {"message": "invalid x-api-key"}),
    Pair("anthropic-402", _anthropic(402, "billing_error", "Payment required."), "anthropic", 402, _A,
         {"message": "Payment required."}),
    Pair("anthropic-404", _anthropic(404, "not_found_error", "model: claude-test"), "anthropic", 404, _A,
         {"message": "model: claude-test"}),
    Pair("anthropic-408", _anthropic(408, "timeout_error", "Request timed out"), "anthropic", 408, _A,
         {"message": "Request timed out"}),
    Pair("anthropic-413", _anthropic(413, "request_too_large", "Request exceeds the maximum size"),
         "anthropic", 413, _A, {"message": "Request exceeds the maximum size"}),
    Pair("anthropic-501", _anthropic(501, "api_error", "Not implemented"), "anthropic", 501, _A,
         {"message": "Not implemented"}),
    Pair("anthropic-stream-overloaded", st._anthropic_sse("overloaded_error", "Overloaded"), "anthropic",
         "overloaded_error", _A, {"message": "Overloaded"}),
    Pair("anthropic-stream-api-error", st._anthropic_sse("api_error", "Internal server error"), "anthropic",
         "api_error", _A, {"message": "Internal server error"}),
    Pair("anthropic-connection", partial(st._refused, st._anthropic_network), "anthropic", "connection", _A),
    Pair("anthropic-timeout", partial(st._timed_out, st._anthropic_network), "anthropic", "timeout", _A),
    # openai
    Pair("openai-429-retry-after", _openai(429, _TPM, "tokens", "rate_limit_exceeded", retry_after="20"),
         "openai", 429, _O, {"headers": {"retry-after": "20"}, "message": _TPM}),
    Pair("openai-429-no-hint", _openai(429, _TPM, "tokens", "rate_limit_exceeded"), "openai", 429, _O,
         {"message": _TPM}),
    Pair("openai-429-insufficient-quota",
         _openai(429, st._OPENAI_QUOTA, "insufficient_quota", "insufficient_quota"), "openai", 429, _O,
         {"code": "insufficient_quota", "message": st._OPENAI_QUOTA}),
    Pair("openai-429-insufficient-quota-default-message",
         _openai(429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota"),
         "openai", 429, _O, {"code": "insufficient_quota"}),
    Pair("openai-400-context-length",
         _openai(400, st._OPENAI_CONTEXT, "invalid_request_error", "context_length_exceeded"), "openai", 400,
         _O, {"code": "context_length_exceeded", "message": st._OPENAI_CONTEXT}),
    Pair("openai-400", _openai(400, "Invalid value for 'temperature'.", "invalid_request_error",
                               "invalid_value"), "openai", 400, _O,
         {"code": "invalid_value", "message": "Invalid value for 'temperature'."}),
    Pair("openai-401",
         _openai(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
         "openai", 401, _O, {"message": "Incorrect API key provided."}),
    Pair("openai-404", _openai(404, "The model `gpt-test` does not exist.", "invalid_request_error",
                               "model_not_found"), "openai", 404, _O,
         {"message": "The model `gpt-test` does not exist."}),
    Pair("openai-500", _openai(500, st._OPENAI_500, "server_error", None), "openai", 500, _O,
         {"message": st._OPENAI_500}),
    Pair("openai-503", _openai(503, "Service unavailable", "server_error", None), "openai", 503, _O,
         {"message": "Service unavailable"}),
    Pair("openai-connection", partial(st._refused, st._openai_network), "openai", "connection", _O),
    Pair("openai-timeout", partial(st._timed_out, st._openai_network), "openai", "timeout", _O),
    # groq
    Pair("groq-429-retry-after",
         st._groq_status(429, st._GROQ_TPM, "tokens", "rate_limit_exceeded", retry_after="8"), "groq", 429,
         _G, {"headers": {"retry-after": "8"}, "message": st._GROQ_TPM}),
    Pair("groq-498-capacity",
         st._groq_status(498, st._GROQ_CAPACITY, "internal_server_error", "capacity_exceeded"), "groq", 498,
         _G, {"code": "capacity_exceeded", "message": st._GROQ_CAPACITY}),
    Pair("groq-503", st._groq_status(503, "Service Unavailable", "internal_server_error", None), "groq", 503,
         _G, {"message": "Service Unavailable"}),
    Pair("groq-401", st._groq_status(401, "Invalid API Key", "invalid_request_error", "invalid_api_key"),
         "groq", 401, _G, {"message": "Invalid API Key"}),
    Pair("groq-connection", partial(st._refused, st._groq_network), "groq", "connection", _G),
    Pair("groq-stream-server-error",
         partial(st._groq, st.Reply(200, _GROQ_SSE, content_type="text/event-stream"), stream=True), "groq",
         "internal_server_error", _G, {"message": "Service Unavailable"}),
    # together, fireworks
    Pair("together-429-retry-after",
         _ring2(ring2._together, 429, "Rate limit exceeded", "rate_limit", retry_after="2"), "together", 429,
         "TogetherPreset", {"message": "Rate limit exceeded", "headers": {"retry-after": "2"}}),
    Pair("together-403-token-limit",
         _ring2(ring2._together, 403, ring2._TOGETHER_403, "invalid_request_error"), "together", 403,
         "TogetherPreset", {"message": ring2._TOGETHER_403}),
    Pair("together-503", _ring2(ring2._together, 503, "The server is overloaded", "server_error"), "together",
         503, "TogetherPreset", {"message": "The server is overloaded"}),
    Pair("together-connection", partial(ring2.refused, ring2._together_network), "together", "connection",
         "TogetherPreset"),
    Pair("fireworks-429", _ring2(ring2._fireworks, 429, "Too many requests", "rate_limit_exceeded"),
         "fireworks", 429, "FireworksPreset", {"message": "Too many requests"}),
    Pair("fireworks-500", _ring2(ring2._fireworks, 500, "Internal error", "server_error"), "fireworks", 500,
         "FireworksPreset", {"message": "Internal error"}),
    Pair("fireworks-connection", partial(ring2.refused, ring2._fireworks_network), "fireworks", "connection",
         "FireworksPreset"),
    # mistral
    Pair("mistral-429-retry-after",
         st._mistral_status(429, st._MISTRAL_RATE, "rate_limited", "1300", retry_after="2"), "mistral", 429,
         _M, {"headers": {"retry-after": "2"}, "message": st._MISTRAL_RATE}),
    Pair("mistral-500", st._mistral_status(500, "Internal server error", "internal_server_error", None),
         "mistral", 500, _M, {"message": "Internal server error"}),
    Pair("mistral-400-context", st._mistral_status(400, st._MISTRAL_CONTEXT, "invalid_request_error", None),
         "mistral", 400, _M, {"message": st._MISTRAL_CONTEXT}),
    Pair("mistral-403", st._mistral_status(403, "Forbidden", "forbidden", None), "mistral", 403, _M,
         {"message": "Forbidden"}),
    Pair("mistral-connection", partial(st._refused, st._mistral_network), "mistral", "connection", _M),
    Pair("mistral-timeout", partial(st._timed_out, st._mistral_network), "mistral", "timeout", _M),
    # cohere
    Pair("cohere-429-retry-after", st._cohere_status(429, st._COHERE_MINUTE, retry_after="5"), "cohere", 429,
         _C, {"headers": {"retry-after": "5"}, "message": st._COHERE_MINUTE}),
    Pair("cohere-429-trial-monthly", st._cohere_status(429, st._COHERE_TRIAL), "cohere", 429, _C,
         {"message": st._COHERE_TRIAL}),
    Pair("cohere-498", st._cohere_status(498, "invalid api token"), "cohere", 498, _C,
         {"message": "invalid api token"}),
    Pair("cohere-503", st._cohere_status(503, "service unavailable"), "cohere", 503, _C,
         {"message": "service unavailable"}),
    Pair("cohere-500", st._cohere_status(500, "internal server error"), "cohere", 500, _C),
    Pair("cohere-connection", partial(st._refused, st._cohere_network), "cohere", "connection", _C),
    # gemini (google-genai)
    Pair("gemini-429", gaws.genai_status(429, gaws._google_error(429, "RESOURCE_EXHAUSTED", "Slow down")),
         "gemini", 429, _GE, {"message": "Slow down"}),
    Pair("gemini-429-retry-info", gaws.genai_status(429, gaws.GEMINI_RATE_429), "gemini", 429, _GE,
         {"body": gaws.GEMINI_RATE_429}),
    Pair("gemini-resource-exhausted",
         gaws.genai_status(429, gaws._google_error(429, "RESOURCE_EXHAUSTED", "Slow down")), "gemini",
         "RESOURCE_EXHAUSTED", _GE, {"message": "Slow down"}),
    Pair("gemini-503", gaws.genai_status(503, gaws._google_error(503, "UNAVAILABLE", "Overloaded.")),
         "gemini", 503, _GE, {"message": "Overloaded."}),
    Pair("gemini-500", gaws.genai_status(500, gaws._google_error(500, "INTERNAL", "Internal error")),
         "gemini", 500, _GE, {"message": "Internal error"}),
    Pair("gemini-400", gaws.genai_status(400, gaws._google_error(400, "INVALID_ARGUMENT", "Bad value")),
         "gemini", 400, _GE, {"message": "Bad value"}),
    Pair("gemini-403", gaws.genai_status(403, gaws._google_error(403, "PERMISSION_DENIED", "No access")),
         "gemini", 403, _GE, {"message": "No access"}),
    Pair("gemini-404", gaws.genai_status(404, gaws._google_error(404, "NOT_FOUND", "No model")), "gemini",
         404, _GE, {"message": "No model"}),
    Pair("gemini-504", gaws.genai_status(504, gaws._google_error(504, "DEADLINE_EXCEEDED", "Deadline")),
         "gemini", 504, _GE, {"message": "Deadline"}),
    Pair("gemini-connection", lambda: gaws._genai_loopback(gaws.refused_url()), "gemini", "connection", _GE),
    # bedrock (botocore)
    Pair("bedrock-throttling", gaws.stubbed("ThrottlingException", 429, "Too many requests"), "bedrock",
         "ThrottlingException", _B, {"message": "Too many requests"}),
    Pair("bedrock-429", gaws.stubbed("ThrottlingException", 429, "Too many requests"), "bedrock", 429, _B,
         {"message": "Too many requests"}),
    Pair("bedrock-throttling-retry-after",
         gaws.stubbed("ThrottlingException", 429, "Too many requests", headers={"retry-after": "4"}),
         "bedrock", "ThrottlingException", _B,
         {"message": "Too many requests", "headers": {"retry-after": "4"}}),
    Pair("bedrock-model-not-ready", gaws.stubbed("ModelNotReadyException", 429, "Model is not ready"),
         "bedrock", "ModelNotReadyException", _B, {"message": "Model is not ready"}),
    Pair("bedrock-service-unavailable", gaws.stubbed("ServiceUnavailableException", 503, "Unavailable"),
         "bedrock", "ServiceUnavailableException", _B, {"message": "Unavailable"}),
    Pair("bedrock-internal", gaws.stubbed("InternalServerException", 500, "Internal"), "bedrock",
         "InternalServerException", _B, {"message": "Internal"}),
    Pair("bedrock-model-timeout", gaws.stubbed("ModelTimeoutException", 408, "Model timed out"), "bedrock",
         "ModelTimeoutException", _B, {"message": "Model timed out"}),
    Pair("bedrock-validation", gaws.stubbed("ValidationException", 400, "Malformed input request"), "bedrock",
         "ValidationException", _B, {"message": "Malformed input request"}),
    Pair("bedrock-validation-too-long",
         gaws.stubbed("ValidationException", 400, "Input is too long for requested model."), "bedrock",
         "ValidationException", _B, {"message": "Input is too long for requested model."}),
    Pair("bedrock-quota", gaws.stubbed("ServiceQuotaExceededException", 400, "Quota exceeded"), "bedrock",
         "ServiceQuotaExceededException", _B, {"message": "Quota exceeded"}),
    Pair("bedrock-access-denied", gaws.stubbed("AccessDeniedException", 403, "Access denied"), "bedrock",
         "AccessDeniedException", _B, {"message": "Access denied"}),
    Pair("bedrock-not-found", gaws.stubbed("ResourceNotFoundException", 404, "No model"), "bedrock",
         "ResourceNotFoundException", _B, {"message": "No model"}),
    Pair("bedrock-throttling-400", gaws.stubbed("ThrottlingException", 400, "Rate exceeded"), "bedrock", 400,
         _B, {"code": "ThrottlingException", "message": "Rate exceeded"}),
    Pair("bedrock-stream-throttling", gaws.bedrock_stream_error("throttlingException", "Too many requests"),
         "bedrock", "throttlingException", _B, {"message": "Too many requests"}),
    Pair("bedrock-stream-model-stream-error",
         gaws.bedrock_stream_error("modelStreamErrorException", "The model failed"), "bedrock",
         "modelStreamErrorException", _B, {"message": "The model failed"}),
    Pair("bedrock-connection",
         lambda: gaws.boto_loopback("bedrock-runtime", gaws.Reply(), url=gaws.refused_url())(), "bedrock",
         "connection", _B),
]
# fmt: on


def _every_named_fault() -> list[Pair]:
    """A pair for each fault name of `PROVIDERS` the list above leaves out, made the same way."""
    pairs = []
    for error_type in ("rate_limit_error", "timeout_error", "invalid_request_error"):
        pairs.append(
            Pair(
                f"anthropic-stream-{error_type}",
                st._anthropic_sse(error_type, "Stream failed"),
                "anthropic",
                error_type,
                _A,
                {"message": "Stream failed"},
            )
        )
    for error_type in ("server_error", "rate_limit_exceeded", "invalid_request_error"):
        error = {"message": "Stream failed", "type": error_type, "code": None}
        pairs.append(
            Pair(
                f"openai-stream-{error_type}",
                st._openai_sse(error),
                "openai",
                error_type,
                _O,
                {"message": "Stream failed"},
            )
        )
        sse = f"data: {json.dumps({'error': error})}\n\n"
        reply = st.Reply(200, sse, content_type="text/event-stream")
        pairs.append(
            Pair(
                f"groq-stream-{error_type}",
                partial(st._groq, reply, stream=True),
                "groq",
                error_type,
                _G,
                {"message": "Stream failed"},
            )
        )
    for name, status in GOOGLE_CANONICAL_STATUSES.items():
        body = gaws._google_error(status, name, f"{name} happened")
        pairs.append(
            Pair(
                f"gemini-{name}",
                gaws.genai_status(status, body),
                "gemini",
                name,
                _GE,
                {"message": f"{name} happened"},
            )
        )
    for code, status in BEDROCK_CODES.items():
        pairs.append(
            Pair(
                f"bedrock-{code}",
                gaws.stubbed(code, status, f"{code} happened"),
                "bedrock",
                code,
                _B,
                {"message": f"{code} happened"},
            )
        )
    for code in BEDROCK_STREAM_CODES:
        pairs.append(
            Pair(
                f"bedrock-stream-{code}",
                gaws.bedrock_stream_error(code, f"{code} happened"),
                "bedrock",
                code,
                _B,
                {"message": f"{code} happened"},
            )
        )
    timeouts: dict[str, tuple[Callable[[str], BaseException], str]] = {
        "groq": (st._groq_network, _G),
        "cohere": (st._cohere_network, _C),
        "together": (ring2._together_network, "TogetherPreset"),
        "fireworks": (ring2._fireworks_network, "FireworksPreset"),
        "gemini": (partial(gaws._genai_loopback, timeout_ms=100), _GE),
        "bedrock": (_bedrock_network, _B),
    }
    for provider, (network, preset) in timeouts.items():
        pairs.append(
            Pair(f"{provider}-timeout", partial(st._timed_out, network), provider, "timeout", preset)
        )
    named = {(p.provider, p.fault) for p in PAIRS}
    return [p for p in pairs if (p.provider, p.fault) not in named]


def _bedrock_network(url: str) -> BaseException:
    return gaws.boto_loopback("bedrock-runtime", gaws.Reply(), url=url, read_timeout_s=0.1)()


PAIRS += _every_named_fault()


def _decision(exc: BaseException, preset: Any = None) -> dict[str, Any]:
    c = llm_retry.classify(exc) if preset is None else llm_retry.classify(exc, preset=preset)
    hint = c.retry_after_s
    return {
        "kind": c.kind,
        "retryable": c.retryable,
        "status": c.status,
        # Clock-derived hints may differ by the time between the two readings.
        "retry_after_s": None if hint is None else math.floor(hint * 10) / 10,
    }


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_the_fake_is_classified_like_the_real_sdk_error(pair: Pair) -> None:
    real = pair.real()
    fake = provider_error(pair.provider, pair.fault, **pair.fake)
    # The fake's class is named like the real one, under the same module, and its bases are among the real
    # one's, in the same order (botocore's ReadTimeoutError also derives from vendored requests classes).
    assert (type(fake).__module__, type(fake).__qualname__) == (
        type(real).__module__,
        type(real).__qualname__,
    )
    real_names = [(c.__module__, c.__name__) for c in type(real).__mro__]
    fake_names = [(c.__module__, c.__name__) for c in type(fake).__mro__]
    assert [n for n in real_names if n in fake_names] == fake_names
    preset = getattr(llm_retry, pair.preset)
    assert _decision(fake) == _decision(real), f"{pair.id}: {llm_retry.classify(fake).reason}"
    assert _decision(fake, preset) == _decision(real, preset), f"{pair.id} with {pair.preset}"


def test_every_fault_of_every_provider_is_proven_against_its_sdk() -> None:
    proven = {(p.provider, p.fault) for p in PAIRS}
    unproven = [(name, fault) for name, spec in PROVIDERS.items() for fault in spec.faults]
    assert [pair for pair in unproven if pair not in proven] == []
    statuses = {
        name: {p.fault for p in PAIRS if p.provider == name and isinstance(p.fault, int)}
        for name in PROVIDERS
    }
    assert all(len(found) >= 2 for found in statuses.values()), statuses
