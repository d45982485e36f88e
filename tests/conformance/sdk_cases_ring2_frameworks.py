"""Second-ring conformance cases made by the frameworks' own code: pydantic-ai, langchain-openai,
langchain-anthropic (with langchain-core) and openai-agents, each driving the real openai / anthropic /
google-genai SDK over a mock transport or a 127.0.0.1 socket. What reaches `classify` is the framework's own
exception (its wrapper class, its `__cause__`, its second base class), as a user of the framework sees it.

LiteLLM and instructor are not here: neither co-installs with the pins of the first suite (see
requirements-ring2.txt and the README).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import anthropic
import httpx2
import openai
from google import genai
from ring2_support import (
    FAKE_KEY,
    TIMEOUT_S,
    Case,
    Reply,
    headers,
    httpx2_async_client,
    httpx2_client,
    raised,
    refused,
    sse,
    timed_out,
)

_OPENAI_URL = "http://openai.invalid/v1"
_ANTHROPIC_URL = "http://anthropic.invalid"


def _openai_body(message: str, error_type: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _anthropic_body(error_type: str, message: str, error_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    return {"type": "error", "error": error, "request_id": "req_011CfakeRequestId"}


def _google_body(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": list(details)}}


_RPM = "Rate limit reached for gpt-test in organization org-x on requests per min (RPM): Limit 3, Used 3."
_QUOTA = "You exceeded your current quota, please check your plan and billing details."
_CONTEXT = (
    "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens."
)
_PROMPT_TOO_LONG = "prompt is too long: 208310 tokens > 200000 maximum"
_CREDIT = "Your credit balance is too low to access the Anthropic API."
_SPEND = "You have reached your specified API usage limits."


def _chat_completion(content: str | None, finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


# --- pydantic-ai --------------------------------------------------------------------------------------


def _pydantic_ai_run(model: Any, **run: Any) -> BaseException:
    from pydantic_ai import Agent

    agent = Agent(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return raised(lambda: agent.run_sync("hi", **run))


def _pai_openai_model(client: openai.AsyncOpenAI) -> Any:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    return OpenAIChatModel("gpt-test", provider=OpenAIProvider(openai_client=client))


def _pai_anthropic_model(client: anthropic.AsyncAnthropic) -> Any:
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    return AnthropicModel("claude-test", provider=AnthropicProvider(anthropic_client=client))


def _pai_openai(reply: Reply) -> BaseException:
    client = openai.AsyncOpenAI(
        api_key=FAKE_KEY, base_url=_OPENAI_URL, http_client=httpx2_async_client(reply), max_retries=0
    )
    return _pydantic_ai_run(_pai_openai_model(client))


def _pai_anthropic(reply: Reply, *, stream: bool = False) -> BaseException:
    client = anthropic.AsyncAnthropic(
        api_key=FAKE_KEY, base_url=_ANTHROPIC_URL, http_client=httpx2_async_client(reply), max_retries=0
    )
    model = _pai_anthropic_model(client)
    if not stream:
        return _pydantic_ai_run(model)

    from pydantic_ai import Agent

    async def run() -> None:
        async with Agent(model).run_stream("hi") as result:
            async for _ in result.stream_text():
                pass

    import asyncio

    try:
        asyncio.run(run())
    except Exception as exc:
        return exc
    raise AssertionError("the stream was expected to fail")


def _pai_google(reply: Reply) -> BaseException:
    from pydantic_ai.models.google import GoogleModel
    from pydantic_ai.providers.google import GoogleProvider

    client = genai.Client(
        api_key=FAKE_KEY,
        http_options=genai.types.HttpOptions(
            base_url="http://gemini.invalid", httpx_async_client=httpx2_async_client(reply)
        ),
    )
    return _pydantic_ai_run(GoogleModel("gemini-test", provider=GoogleProvider(client=client)))


def _pai_openai_network(base_url: str) -> BaseException:
    client = openai.AsyncOpenAI(
        api_key=FAKE_KEY,
        base_url=f"{base_url}/v1",
        http_client=httpx2.AsyncClient(trust_env=False),
        max_retries=0,
        timeout=TIMEOUT_S,
    )
    return _pydantic_ai_run(_pai_openai_model(client))


def _pai_fallback(*replies: Reply) -> BaseException:
    from pydantic_ai.models.fallback import FallbackModel

    models = [
        _pai_openai_model(
            openai.AsyncOpenAI(
                api_key=FAKE_KEY, base_url=_OPENAI_URL, http_client=httpx2_async_client(r), max_retries=0
            )
        )
        for r in replies
    ]
    return _pydantic_ai_run(FallbackModel(*models))


def _pai_usage_limit() -> BaseException:
    from pydantic_ai.usage import UsageLimits

    reply = Reply(200, _chat_completion("hello", "stop"))
    client = openai.AsyncOpenAI(
        api_key=FAKE_KEY, base_url=_OPENAI_URL, http_client=httpx2_async_client(reply), max_retries=0
    )
    return _pydantic_ai_run(_pai_openai_model(client), usage_limits=UsageLimits(output_tokens_limit=0))


def _anthropic_sse_error(error_type: str, message: str) -> Reply:
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
    body = f"event: message_start\ndata: {json.dumps(start)}\n\nevent: error\ndata: {json.dumps(error)}\n\n"
    return Reply(200, body, content_type="text/event-stream")


def _retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def _pydantic_ai_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"pydantic-ai-{name}", "pydantic-ai", make, kind, retryable, **kw)

    def oa(status: int, msg: str, t: str | None, c: str | None, **h: str) -> Callable[[], BaseException]:
        return partial(_pai_openai, Reply(status, _openai_body(msg, t, c), headers(**h)))

    def an(status: int, t: str, msg: str, code: str | None = None, **h: str) -> Callable[[], BaseException]:
        return partial(_pai_anthropic, Reply(status, _anthropic_body(t, msg, code), headers(**h)))

    return [
        case(
            "openai-429-retry-after",
            oa(429, _RPM, "requests", "rate_limit_exceeded", retry_after="7"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=7.0,
            preset="OpenAIPreset",
        ),
        case(
            "openai-429-retry-after-ms",
            oa(429, _RPM, "requests", "rate_limit_exceeded", retry_after_ms="1500"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=1.5,
        ),
        case(
            "openai-429-insufficient-quota",
            oa(429, _QUOTA, "insufficient_quota", "insufficient_quota"),
            "quota_exhausted",
            False,
            status=429,
            preset="OpenAIPreset",
        ),
        case(
            "openai-400-context-length",
            oa(400, _CONTEXT, "invalid_request_error", "context_length_exceeded"),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "openai-400-invalid",
            oa(400, "Invalid 'messages'", "invalid_request_error", None),
            "bad_request",
            False,
            status=400,
        ),
        case(
            "openai-401-invalid-key",
            oa(401, "Incorrect API key", "invalid_request_error", "invalid_api_key"),
            "auth",
            False,
            status=401,
        ),
        case(
            "openai-404-model",
            oa(404, "The model does not exist", "invalid_request_error", "model_not_found"),
            "not_found",
            False,
            status=404,
        ),
        case(
            "openai-500",
            oa(500, "The server had an error", "server_error", None),
            "server_error",
            True,
            status=500,
        ),
        case(
            "openai-503-overloaded",
            oa(503, "The engine is currently overloaded", "server_error", None),
            "overloaded",
            True,
            status=503,
        ),
        case(
            "openai-500-x-should-retry-false",
            oa(500, "The server had an error", "server_error", None, x_should_retry="false"),
            "server_error",
            False,
            status=500,
        ),
        case(
            "anthropic-529-overloaded",
            an(529, "overloaded_error", "Overloaded"),
            "overloaded",
            True,
            status=529,
            preset="AnthropicPreset",
        ),
        case(
            "anthropic-429-retry-after",
            an(429, "rate_limit_error", "Rate limited", retry_after="12"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=12.0,
        ),
        case(
            "anthropic-429-spend-limit",
            an(429, "rate_limit_error", _SPEND, "enforced_spend_limit_reached", retry_after="30"),
            "quota_exhausted",
            False,
            status=429,
            retry_after_s=30.0,
        ),
        case(
            "anthropic-400-credit-balance",
            an(400, "invalid_request_error", _CREDIT),
            "quota_exhausted",
            False,
            status=400,
        ),
        case(
            "anthropic-400-prompt-too-long",
            an(400, "invalid_request_error", _PROMPT_TOO_LONG),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "anthropic-403-permission", an(403, "permission_error", "Not allowed"), "auth", False, status=403
        ),
        case(
            "anthropic-stream-overloaded",
            partial(_pai_anthropic, _anthropic_sse_error("overloaded_error", "Overloaded"), stream=True),
            "overloaded",
            True,
        ),
        case(
            "gemini-429-retry-info",
            partial(
                _pai_google,
                Reply(429, _google_body(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", _retry_info("21s"))),
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=21.0,
            preset="GeminiPreset",
        ),
        case(
            "gemini-503-unavailable",
            partial(_pai_google, Reply(503, _google_body(503, "UNAVAILABLE", "The model is overloaded."))),
            "overloaded",
            True,
            status=503,
        ),
        case(
            "gemini-400-api-key-invalid",
            partial(
                _pai_google,
                Reply(
                    400,
                    _google_body(
                        400,
                        "INVALID_ARGUMENT",
                        "API key not valid.",
                        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
                    ),
                ),
            ),
            "auth",
            False,
            status=400,
        ),
        case(
            "content-filter-after-200",
            partial(_pai_openai, Reply(200, _chat_completion(None, "content_filter"))),
            "content_filtered",
            False,
        ),
        case("usage-limit-exceeded", _pai_usage_limit, "quota_exhausted", False),
        case("connection-refused", partial(refused, _pai_openai_network), "network", True),
        case("timeout", partial(timed_out, _pai_openai_network), "network", True),
        # FallbackExceptionGroup: every model failed; the most severe member speaks for the group.
        case(
            "fallback-group-429-and-500",
            partial(
                _pai_fallback,
                Reply(429, _openai_body(_RPM, "requests", "rate_limit_exceeded")),
                Reply(500, _openai_body("boom", "server_error", None)),
            ),
            "rate_limited",
            True,
            status=429,
        ),
        case(
            "fallback-group-quota-stops-retries",
            partial(
                _pai_fallback,
                Reply(503, _openai_body("overloaded", "server_error", None)),
                Reply(429, _openai_body(_QUOTA, "insufficient_quota", "insufficient_quota")),
            ),
            "quota_exhausted",
            False,
            status=429,
        ),
    ]


# --- langchain-openai, langchain-anthropic ------------------------------------------------------------


def _lc_openai(reply: Reply, **kw: Any) -> BaseException:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="gpt-test",
        api_key=FAKE_KEY,  # type: ignore[arg-type]
        base_url=_OPENAI_URL,
        http_client=httpx2_client(reply),
        max_retries=0,
        **kw,
    )
    return raised(lambda: model.invoke("hi"))


def _lc_openai_network(base_url: str) -> BaseException:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="gpt-test",
        api_key=FAKE_KEY,  # type: ignore[arg-type]
        base_url=f"{base_url}/v1",
        http_client=httpx2.Client(trust_env=False),
        max_retries=0,
        timeout=TIMEOUT_S,
    )
    return raised(lambda: model.invoke("hi"))


def _lc_anthropic(reply: Reply) -> BaseException:
    from langchain_anthropic import ChatAnthropic

    model = ChatAnthropic(
        model_name="claude-test",
        api_key=FAKE_KEY,  # type: ignore[arg-type]
        base_url=_ANTHROPIC_URL,
        max_retries=0,
        timeout=None,
        stop=None,
    )
    # ChatAnthropic builds its client itself; give it the mock transport.
    model._client = anthropic.Anthropic(  # type: ignore[misc]
        api_key=FAKE_KEY, base_url=_ANTHROPIC_URL, http_client=httpx2_client(reply), max_retries=0
    )
    return raised(lambda: model.invoke("hi"))


def _lc_anthropic_network(base_url: str) -> BaseException:
    from langchain_anthropic import ChatAnthropic

    model = ChatAnthropic(
        model_name="claude-test",
        api_key=FAKE_KEY,  # type: ignore[arg-type]
        base_url=base_url,
        max_retries=0,
        timeout=TIMEOUT_S,
        stop=None,
    )
    return raised(lambda: model.invoke("hi"))


def _lc_fallbacks(first: Reply, second: Reply) -> BaseException:
    """langchain-core's `with_fallbacks`: when every model failed, the first model's error is raised."""
    from langchain_openai import ChatOpenAI

    def model(reply: Reply) -> Any:
        return ChatOpenAI(
            model="gpt-test",
            api_key=FAKE_KEY,  # type: ignore[arg-type]
            base_url=_OPENAI_URL,
            http_client=httpx2_client(reply),
            max_retries=0,
        )

    chain = model(first).with_fallbacks([model(second)])
    return raised(lambda: chain.invoke("hi"))


def _langchain_cases() -> list[Case]:
    def oa_case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"langchain-openai-{name}", "langchain-openai", make, kind, retryable, **kw)

    def an_case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"langchain-anthropic-{name}", "langchain-anthropic", make, kind, retryable, **kw)

    def oa(status: int, msg: str, t: str | None, c: str | None, **h: str) -> Callable[[], BaseException]:
        return partial(_lc_openai, Reply(status, _openai_body(msg, t, c), headers(**h)))

    def an(status: int, t: str, msg: str, code: str | None = None, **h: str) -> Callable[[], BaseException]:
        return partial(_lc_anthropic, Reply(status, _anthropic_body(t, msg, code), headers(**h)))

    return [
        oa_case(
            "429-retry-after",
            oa(429, _RPM, "requests", "rate_limit_exceeded", retry_after="4"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=4.0,
            preset="OpenAIPreset",
        ),
        oa_case(
            "429-reset-headers",
            oa(
                429,
                _RPM,
                "tokens",
                "rate_limit_exceeded",
                x_ratelimit_remaining_tokens="0",
                x_ratelimit_reset_tokens="6m0s",
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=360.0,
        ),
        oa_case(
            "429-insufficient-quota",
            oa(429, _QUOTA, "insufficient_quota", "insufficient_quota"),
            "quota_exhausted",
            False,
            status=429,
        ),
        oa_case(
            "400-context-overflow",
            oa(400, _CONTEXT, "invalid_request_error", "context_length_exceeded"),
            "context_overflow",
            False,
            status=400,
            preset="OpenAIPreset",
        ),
        oa_case(
            "400-invalid-request",
            oa(400, "Invalid value for 'temperature'", "invalid_request_error", "invalid_value"),
            "bad_request",
            False,
            status=400,
        ),
        oa_case(
            "400-content-filter",
            oa(400, "The response was filtered", "invalid_request_error", "content_filter"),
            "content_filtered",
            False,
            status=400,
        ),
        oa_case(
            "401-auth",
            oa(401, "Incorrect API key", "invalid_request_error", "invalid_api_key"),
            "auth",
            False,
            status=401,
        ),
        oa_case(
            "403-region",
            oa(403, "Country not supported", "request_forbidden", "unsupported_country_region_territory"),
            "auth",
            False,
            status=403,
        ),
        oa_case(
            "404-model",
            oa(404, "The model does not exist", "invalid_request_error", "model_not_found"),
            "not_found",
            False,
            status=404,
        ),
        oa_case(
            "500-server",
            oa(500, "The server had an error", "server_error", None),
            "server_error",
            True,
            status=500,
        ),
        oa_case(
            "503-overloaded",
            oa(503, "overloaded", "server_error", None, retry_after="2"),
            "overloaded",
            True,
            status=503,
            retry_after_s=2.0,
        ),
        oa_case("connection-refused", partial(refused, _lc_openai_network), "network", True),
        oa_case("timeout", partial(timed_out, _lc_openai_network), "network", True),
        # with_fallbacks raises the first model's error once every fallback failed.
        oa_case(
            "with-fallbacks-first-error",
            partial(
                _lc_fallbacks,
                Reply(503, _openai_body("overloaded", "server_error", None), {"retry-after": "3"}),
                Reply(429, _openai_body(_RPM, "requests", "rate_limit_exceeded")),
            ),
            "overloaded",
            True,
            status=503,
            retry_after_s=3.0,
        ),
        an_case(
            "529-overloaded",
            an(529, "overloaded_error", "Overloaded"),
            "overloaded",
            True,
            status=529,
            preset="AnthropicPreset",
        ),
        an_case(
            "429-retry-after",
            an(429, "rate_limit_error", "Rate limited", retry_after="9"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=9.0,
        ),
        an_case(
            "429-spend-limit",
            an(429, "rate_limit_error", _SPEND, "enforced_spend_limit_reached"),
            "quota_exhausted",
            False,
            status=429,
            preset="AnthropicPreset",
        ),
        an_case(
            "400-prompt-too-long",
            an(400, "invalid_request_error", _PROMPT_TOO_LONG),
            "context_overflow",
            False,
            status=400,
        ),
        an_case(
            "400-credit-balance",
            an(400, "invalid_request_error", _CREDIT),
            "quota_exhausted",
            False,
            status=400,
        ),
        an_case("401-auth", an(401, "authentication_error", "invalid x-api-key"), "auth", False, status=401),
        an_case(
            "404-model", an(404, "not_found_error", "model: claude-test"), "not_found", False, status=404
        ),
        an_case(
            "500-api-error", an(500, "api_error", "Internal server error"), "server_error", True, status=500
        ),
        an_case(
            "503-unavailable", an(503, "api_error", "Service unavailable"), "overloaded", True, status=503
        ),
        an_case("connection-refused", partial(refused, _lc_anthropic_network), "network", True),
    ]


# --- openai-agents ------------------------------------------------------------------------------------


def _agents_run(
    reply: Reply, *, responses: bool = False, stream: bool = False, **agent: Any
) -> BaseException:
    from agents import (
        Agent,
        OpenAIChatCompletionsModel,
        OpenAIResponsesModel,
        Runner,
        set_tracing_disabled,
    )

    set_tracing_disabled(True)
    client = openai.AsyncOpenAI(
        api_key=FAKE_KEY, base_url=_OPENAI_URL, http_client=httpx2_async_client(reply), max_retries=0
    )
    model_class = OpenAIResponsesModel if responses else OpenAIChatCompletionsModel
    runner_agent = Agent(name="assistant", model=model_class(model="gpt-test", openai_client=client), **agent)
    if not stream:
        return raised(lambda: Runner.run_sync(runner_agent, "hi"))

    import asyncio

    async def run() -> None:
        result = Runner.run_streamed(runner_agent, "hi")
        async for _ in result.stream_events():
            pass

    try:
        asyncio.run(run())
    except Exception as exc:
        return exc
    raise AssertionError("the stream was expected to fail")


def _agents_guardrail() -> BaseException:
    from agents import GuardrailFunctionOutput, input_guardrail

    @input_guardrail
    def no_secrets(ctx: Any, agent: Any, text: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info="secret", tripwire_triggered=True)

    return _agents_run(Reply(200, _chat_completion("hello", "stop")), input_guardrails=[no_secrets])


def _agents_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"openai-agents-{name}", "openai-agents", make, kind, retryable, **kw)

    def reply(status: int, msg: str, t: str | None, c: str | None, **h: str) -> Reply:
        return Reply(status, _openai_body(msg, t, c), headers(**h))

    stream_error = sse(
        {
            "id": "chatcmpl-x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-test",
            "choices": [],
        },
        {"error": {"message": "The server had an error", "type": "server_error"}},
    )
    return [
        case(
            "chat-429-retry-after",
            partial(_agents_run, reply(429, _RPM, "requests", "rate_limit_exceeded", retry_after="5")),
            "rate_limited",
            True,
            status=429,
            retry_after_s=5.0,
            preset="OpenAIPreset",
        ),
        case(
            "responses-429-insufficient-quota",
            partial(
                _agents_run, reply(429, _QUOTA, "insufficient_quota", "insufficient_quota"), responses=True
            ),
            "quota_exhausted",
            False,
            status=429,
        ),
        case(
            "responses-500",
            partial(_agents_run, reply(500, "The server had an error", "server_error", None), responses=True),
            "server_error",
            True,
            status=500,
        ),
        case(
            "chat-400-context",
            partial(_agents_run, reply(400, _CONTEXT, "invalid_request_error", "context_length_exceeded")),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "chat-401-auth",
            partial(_agents_run, reply(401, "Incorrect API key", "invalid_request_error", "invalid_api_key")),
            "auth",
            False,
            status=401,
        ),
        case(
            "chat-404-model",
            partial(
                _agents_run,
                reply(404, "The model does not exist", "invalid_request_error", "model_not_found"),
            ),
            "not_found",
            False,
            status=404,
        ),
        case(
            "chat-stream-error-after-200",
            partial(_agents_run, Reply(200, stream_error, content_type="text/event-stream"), stream=True),
            "server_error",
            True,
            preset="OpenAIPreset",
        ),
        case("input-guardrail-tripwire", _agents_guardrail, "content_filtered", False),
    ]


def build_cases() -> list[Case]:
    """Every framework case, in a stable order."""
    return [*_pydantic_ai_cases(), *_langchain_cases(), *_agents_cases()]


SDK_MODULES = {
    "pydantic-ai": ("pydantic_ai",),
    "langchain-openai": ("langchain_openai", "openai"),
    "langchain-anthropic": ("langchain_anthropic", "anthropic"),
    "openai-agents": ("agents", "openai"),
}
"""Where each package's exceptions may come from: its own module, or the SDK it lets through unchanged."""
