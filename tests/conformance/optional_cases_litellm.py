"""LiteLLM cases, made by LiteLLM's own code against the loopback HTTP server. Optional: LiteLLM cannot be
installed beside the first suite's pins (every release that supports openai 3.x requires
`boto3>=1.43.117`, so `botocore>=1.43.117`, and requirements-google-aws.txt pins `botocore==1.43.11`), so
test_conformance_litellm.py skips when it is missing. To run them, in a venv of their own:

    pip install -r tests/conformance/requirements-litellm.txt && pip install .
    python -m pytest tests/conformance/test_conformance_litellm.py

Not named sdk_cases_*.py, so the benches and the README's table (which import every such file) do not need
LiteLLM.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from functools import partial
from typing import Any

from ring2_support import FAKE_KEY, MESSAGES, Case, Reply, loopback, raised

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of the model price list


def _litellm(model: str, reply: Reply) -> BaseException:
    import litellm

    litellm.suppress_debug_info = True
    with loopback().serve(reply) as url:
        return raised(
            lambda: litellm.completion(
                model=model,
                messages=MESSAGES,
                api_key=FAKE_KEY,
                api_base=url,
                num_retries=0,
                max_retries=0,
                timeout=2,
            )
        )


def _refused(model: str) -> BaseException:
    import litellm

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return raised(
            lambda: litellm.completion(
                model=model, messages=MESSAGES, api_key=FAKE_KEY, api_base=url, num_retries=0, timeout=1
            )
        )


def _router_cooldown() -> BaseException:
    """A Router whose one deployment failed and is cooling down: the next call is refused locally."""
    import litellm

    router = litellm.Router(
        model_list=[
            {
                "model_name": "m",
                "litellm_params": {
                    "model": "openai/gpt-test",
                    "api_key": FAKE_KEY,
                    "api_base": loopback().url,
                },
            },
            {
                "model_name": "m",
                "litellm_params": {
                    "model": "openai/gpt-test-2",
                    "api_key": FAKE_KEY,
                    "api_base": loopback().url,
                },
            },
        ],
        num_retries=0,
        cooldown_time=30,
        allowed_fails=0,
    )
    reply = Reply(429, _openai("Rate limit", "requests", "rate_limit_exceeded"), {"retry-after": "7"})
    with loopback().serve(reply):
        for _ in range(4):
            exc = raised(lambda: router.completion(model="m", messages=MESSAGES))
            if type(exc).__name__ == "RouterRateLimitError":
                return exc
    return exc


def _openai(message: str, error_type: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _anthropic(error_type: str, message: str, error_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if error_code:
        error["details"] = {"error_code": error_code}
    return {"type": "error", "error": error}


def _google(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": list(details)}}


def build_cases() -> list[Case]:
    def case(name: str, make: Callable[[], BaseException], kind: str, retryable: bool, **kw: Any) -> Case:
        return Case(f"litellm-{name}", "litellm", make, kind, retryable, **kw)

    openai_model = partial(_litellm, "openai/gpt-test")
    anthropic_model = partial(_litellm, "anthropic/claude-test")
    gemini_model = partial(_litellm, "gemini/gemini-test")
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "21s"}
    return [
        case(
            "openai-429-retry-after",
            partial(
                openai_model,
                Reply(429, _openai("Rate limit", "requests", "rate_limit_exceeded"), {"retry-after": "7"}),
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=7.0,
        ),
        # LiteLLM keeps insufficient_quota as a RateLimitError; its body still says so.
        case(
            "openai-429-insufficient-quota",
            partial(
                openai_model,
                Reply(
                    429,
                    _openai("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
                ),
            ),
            "quota_exhausted",
            False,
            status=429,
        ),
        case(
            "openai-400-context-window",
            partial(
                openai_model,
                Reply(
                    400,
                    _openai(
                        "This model's maximum context length is 8192 tokens",
                        "invalid_request_error",
                        "context_length_exceeded",
                    ),
                ),
            ),
            "context_overflow",
            False,
            status=400,
        ),
        case(
            "openai-401-auth",
            partial(
                openai_model,
                Reply(401, _openai("Incorrect API key", "invalid_request_error", "invalid_api_key")),
            ),
            "auth",
            False,
            status=401,
        ),
        # LiteLLM rewrites Anthropic's 529 as a 500; the body it embeds in its message still says overloaded.
        case(
            "anthropic-529-as-500",
            partial(
                anthropic_model,
                Reply(529, _anthropic("overloaded_error", "Overloaded"), {"retry-after": "9"}),
            ),
            "overloaded",
            True,
            status=500,
            retry_after_s=9.0,
        ),
        case(
            "anthropic-429-retry-after",
            partial(
                anthropic_model,
                Reply(429, _anthropic("rate_limit_error", "Rate limited"), {"retry-after": "4"}),
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=4.0,
        ),
        # The spend limit survives only inside LiteLLM's message, as the provider's body.
        case(
            "anthropic-429-spend-limit",
            partial(
                anthropic_model,
                Reply(429, _anthropic("rate_limit_error", "spend", "enforced_spend_limit_reached")),
            ),
            "quota_exhausted",
            False,
            status=429,
        ),
        case(
            "anthropic-400-prompt-too-long",
            partial(
                anthropic_model,
                Reply(
                    400,
                    _anthropic("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
                ),
            ),
            "context_overflow",
            False,
            status=400,
        ),
        # A refused connection becomes a 500 (an InternalServerError whose context is the transport's error).
        case(
            "anthropic-connection-refused-as-500",
            partial(_refused, "anthropic/claude-test"),
            "server_error",
            True,
            status=500,
        ),
        # Gemini's RetryInfo survives only in the provider body LiteLLM embeds in its message.
        case(
            "gemini-429-retry-info",
            partial(
                gemini_model, Reply(429, _google(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry_info))
            ),
            "rate_limited",
            True,
            status=429,
            retry_after_s=21.0,
        ),
        # LiteLLM reports Gemini's 503 as a 500, whose status decides (UNAVAILABLE restates a status).
        case(
            "gemini-503-as-500",
            partial(gemini_model, Reply(503, _google(503, "UNAVAILABLE", "The model is overloaded."))),
            "server_error",
            True,
            status=500,
        ),
        # Every deployment is cooling down; the Router says for how long (`cooldown_time`, here the
        # provider's retry-after).
        case("router-cooldown", _router_cooldown, "rate_limited", True, status=429, retry_after_s=7.0),
    ]
