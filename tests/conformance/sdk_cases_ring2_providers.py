"""Second-ring conformance cases made by providers' own SDKs and routes beyond the first eight: Azure AI
Inference (azure-core), openai's AzureOpenAI, ollama, huggingface_hub, together, fireworks-ai, replicate,
voyageai, xai-sdk (gRPC), google-genai in Vertex mode, anthropic's AnthropicVertex and AnthropicBedrock, and
OpenAI-compatible providers reached through openai's `base_url` (DeepSeek, OpenRouter, vLLM).

Each `make()` drives the real client over a mock transport, the loopback HTTP server or a loopback gRPC
server on 127.0.0.1, and returns what it raised.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from concurrent import futures
from functools import partial
from typing import Any

import anthropic
import httpx
import httpx2
import openai
from google import genai
from ring2_support import (
    FAKE_KEY,
    MESSAGES,
    TIMEOUT_S,
    Case,
    Reply,
    headers,
    httpx2_client,
    httpx_client,
    httpx_transport,
    loopback,
    raised,
    refused,
    sse,
    timed_out,
)

_CLOUDFLARE_524 = (
    "<!DOCTYPE html><html><head><title>api.together.xyz | 524: A timeout occurred</title></head>"
    "<body><h1>A timeout occurred</h1><p>Error code 524</p><p>cloudflare</p></body></html>"
)


def _openai_body(message: str, error_type: str | None, code: str | int | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


# --- Azure AI Inference (azure-core) ------------------------------------------------------------------


def _azure_ai_call(endpoint: str, **client: Any) -> BaseException:
    from azure.ai.inference import ChatCompletionsClient
    from azure.ai.inference.models import UserMessage
    from azure.core.credentials import AzureKeyCredential

    chat = ChatCompletionsClient(endpoint, AzureKeyCredential(FAKE_KEY), retry_total=0, **client)
    return raised(lambda: chat.complete(messages=[UserMessage("hi")], model="gpt-test"))


def _azure_ai(reply: Reply) -> BaseException:
    with loopback().serve(reply) as url:
        return _azure_ai_call(f"{url}/models")


def _azure_ai_network(base_url: str) -> BaseException:
    return _azure_ai_call(f"{base_url}/models", connection_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S)


def _odata(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


_CONTENT_FILTER = _odata(
    "content_filter",
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    status=400,
    innererror={
        "code": "ResponsibleAIPolicyViolation",
        "content_filter_result": {"hate": {"filtered": True}},
    },
)


def _azure_ai_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"azure-ai-inference-{name}", "azure-ai-inference", make, kind, retryable, **kw)

    def st(status: int, code: str, message: str, **h: str) -> Callable[[], BaseException]:
        return partial(_azure_ai, Reply(status, _odata(code, message), headers(**h)))

    p = "AzureAIPreset"
    return [
        case(
            "429-retry-after",
            st(429, "RateLimitReached", "Rate limit is exceeded.", retry_after="17"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=17.0,
            preset=p,
        ),
        case(
            "429-x-ms-retry-after-ms",
            st(429, "RateLimitReached", "Rate limit is exceeded.", x_ms_retry_after_ms="2500"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=2.5,
            preset=p,
        ),
        case(
            "400-content-filter",
            partial(_azure_ai, Reply(400, _CONTENT_FILTER)),
            "content_filtered",
            False,
            status=400,
            preset=p,
        ),
        case(
            "400-context-length",
            st(400, "context_length_exceeded", "This model's maximum context length is 8192 tokens."),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "400-invalid",
            st(400, "invalid_request", "Invalid value for 'temperature'."),
            "bad_request",
            False,
            status=400,
        ),
        case(
            "401-client-authentication",
            st(401, "Unauthorized", "Access denied due to invalid key."),
            "auth",
            False,
            status=401,
            preset=p,
        ),
        case(
            "403-forbidden",
            st(403, "PermissionDenied", "Principal does not have access."),
            "auth",
            False,
            status=403,
        ),
        case(
            "404-resource-not-found",
            st(404, "DeploymentNotFound", "The deployment does not exist."),
            "not_found",
            False,
            status=404,
            preset=p,
        ),
        case(
            "500-internal",
            st(500, "InternalServerError", "The server had an error."),
            "server_error",
            True,
            status=500,
        ),
        case(
            "503-unavailable",
            st(503, "ServiceUnavailable", "The service is temporarily unavailable."),
            "overloaded",
            True,
            status=503,
            preset=p,
        ),
        case("408-timeout", st(408, "Timeout", "The operation timed out."), "network", True, status=408),
        case("service-request-error-refused", partial(refused, _azure_ai_network), "network", True, preset=p),
        case("service-response-error-timeout", partial(timed_out, _azure_ai_network), "network", True),
    ]


# --- openai's AzureOpenAI ------------------------------------------------------------------------------


def _azure_openai(reply: Reply) -> BaseException:
    client = openai.AzureOpenAI(
        api_key=FAKE_KEY,
        api_version="2024-10-21",
        azure_endpoint="http://azure-openai.invalid",
        http_client=httpx2_client(reply),
        max_retries=0,
    )
    return raised(lambda: client.chat.completions.create(model="gpt-test", messages=MESSAGES))


def _azure_openai_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"azure-openai-{name}", "azure-openai", make, kind, retryable, **kw)

    tpm = "Requests to the ChatCompletions_Create Operation have exceeded token rate limit. Retry after 6 s."
    return [
        case(
            "429-x-ms-retry-after-ms",
            partial(
                _azure_openai,
                Reply(429, {"error": {"code": "429", "message": tpm}}, {"x-ms-retry-after-ms": "6000"}),
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=6.0,
            preset="AzureOpenAIPreset",
        ),
        case(
            "400-content-filter-innererror",
            partial(_azure_openai, Reply(400, _CONTENT_FILTER)),
            "content_filtered",
            False,
            status=400,
        ),
        case(
            "404-deployment-not-found",
            partial(
                _azure_openai,
                Reply(
                    404,
                    {
                        "error": {
                            "code": "DeploymentNotFound",
                            "message": "The API deployment does not exist.",
                        }
                    },
                ),
            ),
            "not_found",
            False,
            status=404,
        ),
        case(
            "424-dependency-failed",
            partial(_azure_openai, Reply(424, {"error": {"code": "424", "message": "Failed Dependency"}})),
            "unknown",
            False,
            status=424,
        ),
    ]


# --- ollama -------------------------------------------------------------------------------------------


def _ollama(reply: Reply, *, stream: bool = False) -> BaseException:
    import ollama

    client = ollama.Client(host="http://ollama.invalid:11434", transport=httpx_transport(reply))
    if stream:
        return raised(lambda: list(client.chat(model="llama-test", messages=MESSAGES, stream=True)))
    return raised(lambda: client.chat(model="llama-test", messages=MESSAGES))


def _ollama_network(base_url: str) -> BaseException:
    import ollama

    client = ollama.Client(host=base_url, timeout=TIMEOUT_S, trust_env=False)
    return raised(lambda: client.chat(model="llama-test", messages=MESSAGES))


def _ollama_no_model() -> BaseException:
    import ollama

    client = ollama.Client(host="http://ollama.invalid:11434", transport=httpx_transport(Reply(200, {})))
    return raised(lambda: client.chat(model="", messages=MESSAGES))


def _ollama_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"ollama-{name}", "ollama", make, kind, retryable, **kw)

    def st(status: int, error: str, **h: str) -> Callable[[], BaseException]:
        return partial(_ollama, Reply(status, {"error": error}, headers(**h)))

    p = "OllamaPreset"
    return [
        case(
            "404-model-not-found",
            st(404, "model 'llama-test' not found, try pulling it first"),
            "not_found",
            False,
            status=404,
            preset=p,
        ),
        case(
            "503-server-busy",
            st(503, "server busy, please try again.  maximum pending requests exceeded"),
            "overloaded",
            True,
            status=503,
            preset=p,
        ),
        case(
            "500-runner-stopped",
            st(500, "llama runner process has terminated: signal: killed"),
            "server_error",
            True,
            status=500,
            preset=p,
        ),
        case(
            "400-context-length",
            st(400, "the input length exceeds the context length"),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "400-invalid-options",
            st(400, "invalid options: num_ctx must be a number"),
            "bad_request",
            False,
            status=400,
        ),
        case("401-cloud-unauthorized", st(401, "unauthorized"), "auth", False, status=401),
        # ResponseError keeps only the text and the status (raised `from None`): its retry-after is gone.
        case(
            "429-cloud-retry-after-lost",
            st(429, "too many requests", retry_after="8"),
            "rate_limited",
            True,
            status=429,
        ),
        # A failure inside a stream that began with HTTP 200: status_code is ollama's sentinel, -1.
        case(
            "stream-error-after-200",
            partial(
                _ollama,
                Reply(
                    200,
                    '{"error":"an error was encountered while running the model"}\n',
                    content_type="application/x-ndjson",
                ),
                stream=True,
            ),
            "unknown",
            False,
        ),
        # ollama raises the builtin ConnectionError when no server listens.
        case("connection-refused", partial(refused, _ollama_network), "network", True, preset=p),
        case("read-timeout", partial(timed_out, _ollama_network), "network", True),
        # The client validates its request with pydantic before sending it.
        case("validation-error-empty-model", _ollama_no_model, "unknown", False),
    ]


# --- huggingface_hub ----------------------------------------------------------------------------------


class _HubTransport(httpx2.BaseTransport):
    """The transport of huggingface_hub's shared client in these cases: answers with the current reply."""

    reply = Reply(500, "no reply set", content_type="text/plain")

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        r = self.reply
        return httpx2.Response(r.status, headers=r.header_items(), content=r.content(), request=request)


_HUB = _HubTransport()


@contextlib.contextmanager
def _hub_session(reply: Reply) -> Iterator[None]:
    from huggingface_hub.utils import _http

    _HUB.reply = reply
    previous = _http._GLOBAL_CLIENT_FACTORY
    _http.close_session()
    _http.set_client_factory(lambda: httpx2.Client(transport=_HUB))
    try:
        yield
    finally:
        _http.close_session()
        _http.set_client_factory(previous)


def _hf(reply: Reply, *, stream: bool = False) -> BaseException:
    from huggingface_hub import InferenceClient

    with _hub_session(reply), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = InferenceClient(base_url="http://tgi.invalid/v1", api_key=FAKE_KEY)
        if stream:
            return raised(lambda: list(client.chat_completion(messages=MESSAGES, stream=True)))
        return raised(lambda: client.chat_completion(messages=MESSAGES))


def _hf_network(base_url: str) -> BaseException:
    from huggingface_hub import InferenceClient
    from huggingface_hub.utils import _http

    previous = _http._GLOBAL_CLIENT_FACTORY
    _http.close_session()
    _http.set_client_factory(lambda: httpx2.Client(trust_env=False))
    try:
        client = InferenceClient(base_url=f"{base_url}/v1", api_key=FAKE_KEY, timeout=TIMEOUT_S)
        return raised(lambda: client.chat_completion(messages=MESSAGES))
    finally:
        _http.close_session()
        _http.set_client_factory(previous)


_LOADING = {"error": "Model meta-llama/Llama-test is currently loading", "estimated_time": 20.0}
_TGI_TOO_LONG = (
    "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens "
    "and 512 `max_new_tokens`"
)


def _hf_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"huggingface-hub-{name}", "huggingface-hub", make, kind, retryable, **kw)

    def st(status: int, body: Any, **h: str) -> Callable[[], BaseException]:
        return partial(_hf, Reply(status, body, headers(**h)))

    p = "HuggingFacePreset"
    overloaded_chunk = sse({"error": "Model is overloaded", "error_type": "overloaded"})
    return [
        case(
            "503-model-loading-estimated-time",
            st(503, _LOADING),
            "overloaded",
            True,
            status=503,
            retry_after_s=20.0,
            preset=p,
        ),
        case(
            "429-ratelimit-header",
            st(
                429,
                {"error": "Too many requests"},
                ratelimit='"api";r=0;t=55',
                ratelimit_policy='"fixed window";"api";q=500;w=300',
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=55.0,
            preset=p,
        ),
        case(
            "429-retry-after",
            st(429, {"error": "Too many requests"}, retry_after="3"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=3.0,
        ),
        case(
            "401-invalid-token",
            st(401, {"error": "Invalid credentials in Authorization header"}),
            "auth",
            False,
            status=401,
            preset=p,
        ),
        case(
            "402-credits",
            st(402, {"error": "You have exceeded your monthly included credits."}),
            "quota_exhausted",
            False,
            status=402,
        ),
        case("404-model", st(404, {"error": "Model not found"}), "not_found", False, status=404),
        case("400-bad-request", st(400, {"error": "Invalid JSON"}), "bad_request", False, status=400),
        case(
            "422-tgi-input-too-long",
            st(422, {"error": _TGI_TOO_LONG, "error_type": "validation"}),
            "context_overflow",
            False,
            status=422,
            preset=p,
        ),
        case("500-internal", st(500, {"error": "Internal Server Error"}), "server_error", True, status=500),
        case("504-gateway-timeout", st(504, {"error": "Gateway Timeout"}), "server_error", True, status=504),
        # Text Generation Inference reports capacity inside a stream that began with HTTP 200.
        case(
            "stream-overloaded-after-200",
            partial(_hf, Reply(200, overloaded_chunk, content_type="text/event-stream"), stream=True),
            "overloaded",
            True,
            preset=p,
        ),
        case("connect-error", partial(refused, _hf_network), "network", True),
        case("inference-timeout", partial(timed_out, _hf_network), "network", True, preset=p),
    ]


# --- together and fireworks-ai (Stainless, httpx) -------------------------------------------------------


def _together(reply: Reply) -> BaseException:
    import together

    client = together.Together(
        api_key=FAKE_KEY,
        base_url="http://together.invalid/v1",
        http_client=httpx_client(reply),
        max_retries=0,
    )
    return raised(lambda: client.chat.completions.create(model="llama-test", messages=MESSAGES))


def _together_network(base_url: str) -> BaseException:
    import together

    client = together.Together(
        api_key=FAKE_KEY,
        base_url=f"{base_url}/v1",
        http_client=httpx.Client(trust_env=False),
        max_retries=0,
        timeout=TIMEOUT_S,
    )
    return raised(lambda: client.chat.completions.create(model="llama-test", messages=MESSAGES))


def _fireworks(reply: Reply) -> BaseException:
    import fireworks

    client = fireworks.Fireworks(
        api_key=FAKE_KEY, base_url="http://fireworks.invalid", http_client=httpx_client(reply), max_retries=0
    )
    return raised(
        lambda: client.chat.completions.create(model="accounts/fireworks/models/test", messages=MESSAGES)
    )


def _fireworks_network(base_url: str) -> BaseException:
    import fireworks

    client = fireworks.Fireworks(
        api_key=FAKE_KEY,
        base_url=base_url,
        http_client=httpx.Client(trust_env=False),
        max_retries=0,
        timeout=TIMEOUT_S,
    )
    return raised(
        lambda: client.chat.completions.create(model="accounts/fireworks/models/test", messages=MESSAGES)
    )


_TOGETHER_403 = (
    "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8193. Given: 8000 `inputs` tokens "
    "and 512 `max_new_tokens`"
)


def _together_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"together-{name}", "together", make, kind, retryable, **kw)

    def st(status: int, message: str, t: str | None = None, c: str | None = None, **h: str) -> Any:
        return partial(_together, Reply(status, _openai_body(message, t, c), headers(**h)))

    p = "TogetherPreset"
    return [
        case(
            "429-retry-after",
            st(429, "Rate limit exceeded", "rate_limit", None, retry_after="2"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=2.0,
            preset=p,
        ),
        case(
            "429-reset-headers",
            st(429, "Rate limit exceeded", x_ratelimit_remaining="0", x_ratelimit_reset="4"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=4.0,
        ),
        # Together documents 403 as the token limit (input tokens plus max_tokens over the context length).
        case(
            "403-token-limit",
            st(403, _TOGETHER_403, "invalid_request_error"),
            "context_overflow",
            False,
            status=403,
            preset=p,
        ),
        case(
            "402-credits",
            st(402, "Credit limit exceeded", "credit_limit"),
            "quota_exhausted",
            False,
            status=402,
            preset=p,
        ),
        case(
            "401-auth",
            st(401, "Invalid API key provided", "invalid_request_error", "invalid_api_key"),
            "auth",
            False,
            status=401,
        ),
        case(
            "404-model",
            st(404, "Unable to access model llama-test", "invalid_request_error", "model_not_available"),
            "not_found",
            False,
            status=404,
        ),
        case(
            "400-invalid",
            st(400, "Input validation error", "invalid_request_error"),
            "bad_request",
            False,
            status=400,
        ),
        case(
            "500-server", st(500, "Internal server error", "server_error"), "server_error", True, status=500
        ),
        case(
            "503-engine-overloaded",
            st(503, "The server is overloaded", "server_error"),
            "overloaded",
            True,
            status=503,
            preset=p,
        ),
        # Cloudflare's 524 (the origin did not answer in time): an HTML page, no code.
        case(
            "524-cloudflare-timeout",
            partial(_together, Reply(524, _CLOUDFLARE_524, content_type="text/html")),
            "network",
            True,
            status=524,
            preset=p,
        ),
        case("connection-refused", partial(refused, _together_network), "network", True, preset=p),
        case("timeout", partial(timed_out, _together_network), "network", True),
    ]


def _fireworks_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"fireworks-{name}", "fireworks-ai", make, kind, retryable, **kw)

    def st(status: int, message: str, t: str | None = None, c: str | None = None, **h: str) -> Any:
        return partial(_fireworks, Reply(status, _openai_body(message, t, c), headers(**h)))

    p = "FireworksPreset"
    return [
        case(
            "429-retry-after",
            st(
                429,
                "Request didn't generate first token before the given deadline",
                "rate_limit_exceeded",
                None,
                retry_after="1",
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=1.0,
            preset=p,
        ),
        case(
            "400-prompt-too-long",
            st(
                400,
                "The prompt is too long: 140000, model maximum context length: 131072",
                "invalid_request_error",
            ),
            "context_overflow",
            False,
            status=400,
            preset=p,
        ),
        case(
            "401-auth",
            st(401, "The API key you provided is invalid.", "invalid_request_error"),
            "auth",
            False,
            status=401,
        ),
        case(
            "402-suspended",
            st(402, "Account suspended: billing", "invalid_request_error"),
            "quota_exhausted",
            False,
            status=402,
        ),
        case(
            "404-model",
            st(404, "Model not found, inaccessible, and/or not deployed", "invalid_request_error"),
            "not_found",
            False,
            status=404,
            preset=p,
        ),
        case(
            "500-server",
            st(500, "Internal server error", "internal_server_error"),
            "server_error",
            True,
            status=500,
        ),
        case(
            "503-unavailable",
            st(503, "Service unavailable", "internal_server_error"),
            "overloaded",
            True,
            status=503,
        ),
        case("connection-refused", partial(refused, _fireworks_network), "network", True, preset=p),
    ]


# --- replicate ----------------------------------------------------------------------------------------


def _replicate(reply: Reply, *, poll: bool = False) -> BaseException:
    import replicate

    client = replicate.Client(
        api_token=FAKE_KEY, base_url="http://replicate.invalid", transport=httpx_transport(reply)
    )
    if poll:
        return raised(lambda: client.run("owner/model", input={"prompt": "hi"}))
    return raised(lambda: client.predictions.create(version="0123456789abcdef", input={"prompt": "hi"}))


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"https://replicate.com/docs/reference/http#{status}",
        "title": title,
        "detail": detail,
        "status": status,
    }


_FAILED_PREDICTION = {
    "id": "p1",
    "model": "owner/model",
    "version": "0123456789abcdef",
    "status": "failed",
    "error": "CUDA out of memory",
    "input": {"prompt": "hi"},
    "output": None,
    "logs": "",
    "urls": {"get": "http://replicate.invalid/v1/predictions/p1", "cancel": ""},
}


def _replicate_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"replicate-{name}", "replicate", make, kind, retryable, **kw)

    def st(status: int, title: str, detail: str, **h: str) -> Any:
        return partial(
            _replicate,
            Reply(
                status, _problem(status, title, detail), headers(**h), content_type="application/problem+json"
            ),
        )

    return [
        # ReplicateError keeps the status and the problem details, but not the response: its retry-after
        # header is lost, and no hint is read.
        case(
            "429-throttled",
            st(
                429,
                "Request was throttled",
                "Request was throttled. Expected available in 5s.",
                retry_after="5",
            ),
            "rate_limited",
            True,
            status=429,
        ),
        case(
            "401-unauthenticated",
            st(401, "Unauthenticated", "You did not pass a valid authentication token"),
            "auth",
            False,
            status=401,
        ),
        case(
            "402-spend-limit",
            st(402, "Payment Required", "You have reached your monthly spend limit."),
            "quota_exhausted",
            False,
            status=402,
        ),
        case(
            "404-version",
            st(404, "Not found", "The specified version does not exist."),
            "not_found",
            False,
            status=404,
        ),
        case(
            "422-invalid-input",
            st(422, "Input validation failed", "prompt is required"),
            "bad_request",
            False,
            status=422,
        ),
        case(
            "500-internal",
            st(500, "Internal Server Error", "Something went wrong"),
            "server_error",
            True,
            status=500,
        ),
        case(
            "503-unavailable",
            st(503, "Service Unavailable", "Try again later"),
            "overloaded",
            True,
            status=503,
        ),
        # The prediction ran and the model itself failed: nothing says a retry would do better.
        case(
            "model-error-prediction-failed",
            partial(_replicate, Reply(200, _FAILED_PREDICTION), poll=True),
            "unknown",
            False,
        ),
    ]


# --- voyageai (requests) -------------------------------------------------------------------------------


def _voyage(reply: Reply) -> BaseException:
    import voyageai

    with loopback().serve(reply) as url:
        client = voyageai.Client(api_key=FAKE_KEY, base_url=f"{url}/v1", max_retries=0)
        return raised(lambda: client.embed(["hi"], model="voyage-test"))


def _voyage_network(base_url: str) -> BaseException:
    import voyageai

    client = voyageai.Client(api_key=FAKE_KEY, base_url=f"{base_url}/v1", max_retries=0, timeout=TIMEOUT_S)
    return raised(lambda: client.embed(["hi"], model="voyage-test"))


def _voyage_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"voyageai-{name}", "voyageai", make, kind, retryable, **kw)

    def st(status: int, detail: str, **h: str) -> Any:
        return partial(_voyage, Reply(status, {"detail": detail}, headers(**h)))

    batch = (
        "Request to model 'voyage-test' failed. The max allowed tokens per submitted batch is 120000. "
        "Your batch has 130000 tokens after truncation."
    )
    return [
        # voyageai keeps the status in `http_status`, not `status_code`.
        case(
            "429-rate-limit-retry-after",
            st(429, "Rate limit exceeded", retry_after="6"),
            "rate_limited",
            True,
            status=429,
            retry_after_s=6.0,
        ),
        case("401-auth", st(401, "Provided API key is invalid."), "auth", False, status=401),
        case("400-batch-too-large", st(400, batch), "context_overflow", False, status=400),
        case("422-malformed", st(422, "Field 'input' is required"), "bad_request", False, status=422),
        case(
            "500-server-error",
            partial(_voyage, Reply(500, "Internal Server Error", content_type="text/plain")),
            "server_error",
            True,
            status=500,
        ),
        case(
            "503-service-unavailable",
            partial(_voyage, Reply(503, "busy", content_type="text/plain")),
            "overloaded",
            True,
            status=503,
        ),
        case("connection-refused", partial(refused, _voyage_network), "network", True),
        case("timeout", partial(timed_out, _voyage_network), "network", True),
    ]


# --- xai-sdk (gRPC) -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _grpc_server(code: Any, details: str) -> Iterator[int]:
    """A gRPC server on 127.0.0.1 whose every xai_api.Chat call fails with `code` and `details`."""
    import grpc

    def fail(request: bytes, context: grpc.ServicerContext) -> bytes:
        context.abort(code, details)
        raise AssertionError("unreachable")

    handler = grpc.method_handlers_generic_handler(
        "xai_api.Chat",
        {"GetCompletion": grpc.unary_unary_rpc_method_handler(fail)},
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(None)


def _xai_call(api_host: str, **client: Any) -> BaseException:
    from xai_sdk import Client
    from xai_sdk.chat import user

    xai = Client(
        api_key=FAKE_KEY,
        api_host=api_host,
        use_insecure_channel=True,
        # The channel's own retry policy retries UNAVAILABLE five times; these cases see the first failure.
        channel_options=[("grpc.enable_retries", 0)],
        **client,
    )
    try:
        chat = xai.chat.create(model="grok-test", messages=[user("hi")])
        return raised(chat.sample)
    finally:
        xai.close()


def _xai(code_name: str, details: str) -> BaseException:
    import grpc

    with _grpc_server(getattr(grpc.StatusCode, code_name), details) as port:
        return _xai_call(f"127.0.0.1:{port}")


def _xai_timeout() -> BaseException:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        return _xai_call(f"127.0.0.1:{sock.getsockname()[1]}", timeout=TIMEOUT_S)


def _xai_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"xai-sdk-{name}", "xai-sdk", make, kind, retryable, **kw)

    p = "XAIPreset"
    too_long = "This model's maximum prompt length is 131072 but the request contains 140000 tokens."
    return [
        case(
            "resource-exhausted",
            partial(_xai, "RESOURCE_EXHAUSTED", "Too many requests"),
            "rate_limited",
            True,
            preset=p,
        ),
        case(
            "unavailable",
            partial(_xai, "UNAVAILABLE", "Service temporarily unavailable"),
            "overloaded",
            True,
            preset=p,
        ),
        case("internal", partial(_xai, "INTERNAL", "Internal error"), "server_error", True, preset=p),
        case(
            "invalid-argument",
            partial(_xai, "INVALID_ARGUMENT", "Invalid request: temperature"),
            "bad_request",
            False,
            preset=p,
        ),
        case(
            "invalid-argument-prompt-too-long",
            partial(_xai, "INVALID_ARGUMENT", too_long),
            "context_overflow",
            False,
            preset=p,
        ),
        case(
            "unauthenticated", partial(_xai, "UNAUTHENTICATED", "Incorrect API key provided"), "auth", False
        ),
        case(
            "permission-denied",
            partial(
                _xai, "PERMISSION_DENIED", "The team has run out of credits or reached its spending limit"
            ),
            "auth",
            False,
        ),
        case("not-found", partial(_xai, "NOT_FOUND", "Model grok-test not found"), "not_found", False),
        case("deadline-exceeded", _xai_timeout, "network", True, preset=p),
    ]


# --- google-genai in Vertex mode ---------------------------------------------------------------------


def _vertex_genai(reply: Reply) -> BaseException:
    from google.oauth2.credentials import Credentials

    client = genai.Client(
        vertexai=True,
        project="project-test",
        location="us-central1",
        credentials=Credentials(token="ya29.fake"),  # type: ignore[no-untyped-call]
        http_options=genai.types.HttpOptions(
            base_url="http://vertex.invalid", httpx_client=httpx2_client(reply)
        ),
    )
    return raised(lambda: client.models.generate_content(model="gemini-test", contents="hi"))


def _vertex_body(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _vertex_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"google-genai-vertex-{name}", "google-genai-vertex", make, kind, retryable, **kw)

    def st(code: int, status: str, message: str) -> Any:
        return partial(_vertex_genai, Reply(code, _vertex_body(code, status, message)))

    exhausted = (
        "Resource exhausted. Please try again later. Please refer to "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details."
    )
    p = "GeminiPreset"
    return [
        # Vertex's 429 (dynamic shared quota) carries no RetryInfo and no quota id: a rate limit, no hint.
        case(
            "429-resource-exhausted",
            st(429, "RESOURCE_EXHAUSTED", exhausted),
            "rate_limited",
            True,
            status=429,
            preset=p,
        ),
        case(
            "503-unavailable",
            st(503, "UNAVAILABLE", "The service is currently unavailable."),
            "overloaded",
            True,
            status=503,
            preset=p,
        ),
        case(
            "500-internal",
            st(500, "INTERNAL", "Internal error encountered."),
            "server_error",
            True,
            status=500,
        ),
        case(
            "400-too-many-tokens",
            st(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
            ),
            "context_overflow",
            False,
            status=400,
            preset=p,
        ),
        case(
            "403-permission-denied",
            st(403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied on resource."),
            "auth",
            False,
            status=403,
        ),
        case(
            "404-model",
            st(404, "NOT_FOUND", "Publisher Model `gemini-test` was not found."),
            "not_found",
            False,
            status=404,
        ),
    ]


# --- anthropic's AnthropicVertex and AnthropicBedrock -------------------------------------------------


def _anthropic_vertex(reply: Reply) -> BaseException:
    client = anthropic.AnthropicVertex(
        region="us-east5",
        project_id="project-test",
        access_token="ya29.fake",
        base_url="http://vertex.invalid/v1",
        http_client=httpx2_client(reply),
        max_retries=0,
    )
    return raised(lambda: client.messages.create(model="claude-test", max_tokens=16, messages=MESSAGES))


def _anthropic_bedrock(reply: Reply) -> BaseException:
    client = anthropic.AnthropicBedrock(
        api_key=FAKE_KEY,
        aws_region="us-east-1",
        base_url="http://bedrock.invalid",
        http_client=httpx2_client(reply),
        max_retries=0,
    )
    return raised(lambda: client.messages.create(model="claude-test", max_tokens=16, messages=MESSAGES))


def _bedrock_reply(status: int, code: str, message: str) -> Reply:
    errortype = f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    return Reply(status, {"message": message}, {"x-amzn-errortype": errortype})


def _anthropic_cloud_cases() -> list[Case]:
    def vertex(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"anthropic-vertex-{name}", "anthropic-vertex", make, kind, retryable, **kw)

    def bedrock(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"anthropic-bedrock-{name}", "anthropic-bedrock", make, kind, retryable, **kw)

    def anthropic_body(error_type: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type, "message": message}}

    return [
        # Vertex answers quota errors itself, in Google's envelope (no Anthropic error type).
        vertex(
            "429-google-envelope",
            partial(
                _anthropic_vertex,
                Reply(
                    429,
                    _vertex_body(429, "RESOURCE_EXHAUSTED", "Quota exceeded for aiplatform.googleapis.com"),
                ),
            ),
            "rate_limited",
            True,
            status=429,
            preset="AnthropicPreset",
        ),
        vertex(
            "529-overloaded",
            partial(_anthropic_vertex, Reply(529, anthropic_body("overloaded_error", "Overloaded"))),
            "overloaded",
            True,
            status=529,
            preset="AnthropicPreset",
        ),
        vertex(
            "400-prompt-too-long",
            partial(
                _anthropic_vertex,
                Reply(
                    400, anthropic_body("invalid_request_error", "prompt is too long: 210000 tokens > 200000")
                ),
            ),
            "context_overflow",
            False,
            status=400,
        ),
        vertex(
            "403-permission-denied",
            partial(
                _anthropic_vertex,
                Reply(403, _vertex_body(403, "PERMISSION_DENIED", "Permission denied on resource project.")),
            ),
            "auth",
            False,
            status=403,
        ),
        # Bedrock sends the AWS code only in x-amzn-errortype; the body is just {"message": ...}.
        bedrock(
            "429-throttling",
            partial(_anthropic_bedrock, _bedrock_reply(429, "ThrottlingException", "Too many requests")),
            "rate_limited",
            True,
            status=429,
            preset="AnthropicPreset",
        ),
        bedrock(
            "503-service-unavailable",
            partial(
                _anthropic_bedrock,
                _bedrock_reply(
                    503, "ServiceUnavailableException", "Bedrock is unable to process your request."
                ),
            ),
            "overloaded",
            True,
            status=503,
            preset="BedrockPreset",
        ),
        bedrock(
            "400-input-too-long",
            partial(
                _anthropic_bedrock,
                _bedrock_reply(400, "ValidationException", "Input is too long for requested model."),
            ),
            "context_overflow",
            False,
            status=400,
        ),
        bedrock(
            "403-access-denied",
            partial(
                _anthropic_bedrock,
                _bedrock_reply(403, "AccessDeniedException", "You don't have access to the model."),
            ),
            "auth",
            False,
            status=403,
        ),
        bedrock(
            "408-model-timeout",
            partial(_anthropic_bedrock, _bedrock_reply(408, "ModelTimeoutException", "Model has timed out")),
            "network",
            True,
            status=408,
        ),
    ]


# --- OpenAI-compatible providers through base_url -----------------------------------------------------


def _compatible(base_url: str, reply: Reply) -> BaseException:
    client = openai.OpenAI(
        api_key=FAKE_KEY, base_url=base_url, http_client=httpx2_client(reply), max_retries=0
    )
    return raised(lambda: client.chat.completions.create(model="model-test", messages=MESSAGES))


def _compatible_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"openai-compatible-{name}", "openai-compatible", make, kind, retryable, **kw)

    deepseek = partial(_compatible, "http://deepseek.invalid")
    openrouter = partial(_compatible, "http://openrouter.invalid/api/v1")
    vllm = partial(_compatible, "http://vllm.invalid/v1")
    p = "DeepSeekPreset"
    return [
        case(
            "deepseek-402-insufficient-balance",
            partial(
                deepseek,
                Reply(402, _openai_body("Insufficient Balance", "unknown_error", "invalid_request_error")),
            ),
            "quota_exhausted",
            False,
            status=402,
            preset=p,
        ),
        case(
            "deepseek-429-rate-limit",
            partial(deepseek, Reply(429, _openai_body("Rate Limit Reached", "rate_limit_error", None))),
            "rate_limited",
            True,
            status=429,
            preset=p,
        ),
        case(
            "deepseek-503-server-overloaded",
            partial(
                deepseek,
                Reply(503, _openai_body("Server overloaded, please try again later", "server_error", None)),
            ),
            "overloaded",
            True,
            status=503,
            preset=p,
        ),
        case(
            "deepseek-422-invalid-parameters",
            partial(deepseek, Reply(422, _openai_body("Invalid parameters", "invalid_request_error", None))),
            "bad_request",
            False,
            status=422,
            preset=p,
        ),
        case(
            "deepseek-400-context-length",
            partial(
                deepseek,
                Reply(
                    400,
                    _openai_body(
                        "This model's maximum context length is 65536 tokens. "
                        "However, you requested 70000 tokens.",
                        "invalid_request_error",
                        "invalid_request_error",
                    ),
                ),
            ),
            "context_overflow",
            False,
            status=400,
            preset=p,
        ),
        case(
            "deepseek-401-auth",
            partial(
                deepseek,
                Reply(
                    401,
                    _openai_body(
                        "Authentication Fails (no such user)", "authentication_error", "invalid_request_error"
                    ),
                ),
            ),
            "auth",
            False,
            status=401,
        ),
        # OpenRouter's envelope puts the status in error.code, as an int.
        case(
            "openrouter-429-int-code",
            partial(
                openrouter,
                Reply(
                    429,
                    {
                        "error": {
                            "code": 429,
                            "message": "Rate limit exceeded: free-models-per-min",
                            "metadata": {"headers": {"X-RateLimit-Reset": "1"}},
                        }
                    },
                    {"retry-after": "10"},
                ),
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=10.0,
        ),
        case(
            "openrouter-402-credits",
            partial(openrouter, Reply(402, {"error": {"code": 402, "message": "Insufficient credits"}})),
            "quota_exhausted",
            False,
            status=402,
        ),
        case(
            "vllm-400-context-length",
            partial(
                vllm,
                Reply(
                    400,
                    {
                        "object": "error",
                        "message": "This model's maximum context length is 4096 "
                        "tokens. However, you requested 5000 tokens.",
                        "type": "BadRequestError",
                        "param": None,
                        "code": 400,
                    },
                ),
            ),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "vllm-500-engine-dead",
            partial(
                vllm,
                Reply(
                    500,
                    {
                        "object": "error",
                        "message": "EngineCore encountered an issue.",
                        "type": "InternalServerError",
                        "param": None,
                        "code": 500,
                    },
                ),
            ),
            "server_error",
            True,
            status=500,
        ),
    ]


def build_cases() -> list[Case]:
    """Every provider case, in a stable order."""
    return [
        *_azure_ai_cases(),
        *_azure_openai_cases(),
        *_ollama_cases(),
        *_hf_cases(),
        *_together_cases(),
        *_fireworks_cases(),
        *_replicate_cases(),
        *_voyage_cases(),
        *_xai_cases(),
        *_vertex_cases(),
        *_anthropic_cloud_cases(),
        *_compatible_cases(),
    ]


SDK_MODULES = {
    "azure-ai-inference": ("azure.core", "azure.ai.inference"),
    "azure-openai": ("openai",),
    # ollama wraps neither read timeouts (httpx) nor its own request validation (pydantic).
    "ollama": ("ollama", "builtins", "httpx", "pydantic_core"),
    "huggingface-hub": ("huggingface_hub", "httpx2"),
    "together": ("together",),
    "fireworks-ai": ("fireworks",),
    "replicate": ("replicate",),
    "voyageai": ("voyageai",),
    "xai-sdk": ("grpc",),
    "google-genai-vertex": ("google.genai",),
    "anthropic-vertex": ("anthropic",),
    "anthropic-bedrock": ("anthropic",),
    "openai-compatible": ("openai",),
}
"""Where each package's exceptions may come from: its own module, or what it lets through unchanged."""
