"""`llm_retry.testing.FlakyProvider`: the real anthropic and openai SDKs pointed at it with ``base_url`` and
``max_retries=0``, wrapped in `retry_llm`, ride through its scripted failures; plain HTTP sees the script's
statuses, headers and bodies. The SDK tests skip when the SDK is not installed."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from llm_retry import (
    AnthropicPreset,
    BedrockPreset,
    GeminiPreset,
    OpenAIPreset,
    RetryEvent,
    classify,
    retry_llm,
)
from llm_retry.testing import REPLY_TEXT, FlakyProvider, Stall, StreamError


def _post(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers.items()), json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), json.load(exc)


def test_answers_follow_the_script_then_say_it_ran_out() -> None:
    script = [529, (429, {"retry-after": "7"}), (200, {"x-custom": "yes"}, {"hello": "world"}), 200]
    with FlakyProvider(script) as provider:
        url = provider.base_url + "/v1/messages"
        answers = [_post(url, {"model": "claude-x"}) for _ in range(5)]
        assert [a[0] for a in answers] == [529, 429, 200, 200, 400]
        assert answers[0][2]["error"]["type"] == "overloaded_error"
        assert answers[1][1]["retry-after"] == "7"
        assert answers[1][2]["error"]["type"] == "rate_limit_error"
        assert answers[2][1]["x-custom"] == "yes"
        assert answers[2][2] == {"hello": "world"}
        assert answers[3][2]["content"][0]["text"] == REPLY_TEXT
        assert answers[3][2]["model"] == "claude-x"
        assert "script has 4 answers and this is request 5" in answers[4][2]["error"]["message"]
        assert [(r.method, r.path) for r in provider.requests] == [("POST", "/v1/messages")] * 5


def test_openai_paths_get_openai_bodies() -> None:
    with FlakyProvider([429, 500, 200, 200]) as provider:
        rate = _post(provider.base_url + "/v1/chat/completions")[2]
        server = _post(provider.base_url + "/v1/chat/completions")[2]
        chat = _post(provider.base_url + "/v1/chat/completions")[2]
        response = _post(provider.base_url + "/v1/responses")[2]
    assert rate["error"]["code"] == "rate_limit_exceeded"
    assert server["error"]["type"] == "server_error"
    assert chat["choices"][0]["message"]["content"] == REPLY_TEXT
    assert response["output"][0]["content"][0]["text"] == REPLY_TEXT


def test_a_retried_call_against_it_waits_as_the_hint_says() -> None:
    waits: list[float] = []
    with FlakyProvider([503, (429, {"retry-after": "2"}), 200]) as provider:

        @retry_llm(max_attempts=4, base_delay_s=0.01, sleep=waits.append, budget=None)
        def ask() -> Any:
            status, headers, body = _post(provider.base_url + "/v1/messages")
            if status != 200:
                raise _StatusError(status, headers, body)
            return body

        assert ask()["content"][0]["text"] == REPLY_TEXT
        assert len(provider.requests) == 3
    assert len(waits) == 2
    assert waits[1] == pytest.approx(2.0, abs=0.5)


class _StatusError(Exception):
    def __init__(self, status_code: int, headers: dict[str, str], body: Any) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.headers = headers
        self.body = body


def test_bad_scripts_and_hosts_are_refused_naming_the_item() -> None:
    with pytest.raises(
        ValueError, match=r"script\[1\]'s status must be an HTTP status from 200 to 599, got 99"
    ):
        FlakyProvider([200, 99])
    with pytest.raises(TypeError, match=r"script\[0\] must be an int status"):
        FlakyProvider(["529"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"script\[0\]'s headers must be a mapping of str to str"):
        FlakyProvider([(429, {"retry-after": 1})])  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="host must be a loopback address"):
        FlakyProvider([200], host="0.0.0.0")
    with pytest.raises(RuntimeError, match="not running"):
        _ = FlakyProvider([200]).base_url


def test_it_stops_when_the_block_ends() -> None:
    with FlakyProvider([200]) as provider:
        url = provider.base_url + "/v1/messages"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(urllib.request.Request(url, data=b"{}"), timeout=2)


# --- the real SDKs -------------------------------------------------------------------------------------


def test_the_anthropic_sdk_rides_through_overload_and_rate_limit() -> None:
    anthropic = pytest.importorskip("anthropic")
    events: list[RetryEvent] = []
    sleeps: list[float] = []
    with FlakyProvider([529, (429, {"retry-after": "1"}), 200, 400]) as provider:
        client = anthropic.Anthropic(api_key="sk-test", base_url=provider.base_url, max_retries=0)

        @retry_llm(preset=AnthropicPreset, max_attempts=4, on_retry=events.append, sleep=sleeps.append)
        def ask(prompt: str) -> str:
            message = client.messages.create(
                model="claude-test", max_tokens=16, messages=[{"role": "user", "content": prompt}]
            )
            return str(message.content[0].text)

        assert ask("hi") == REPLY_TEXT
        with pytest.raises(anthropic.BadRequestError):
            ask("again")
        assert len(provider.requests) == 4
        assert provider.requests[0].headers["authorization"] == "Bearer sk-test"
    assert [type(e.exception).__name__ for e in events] == ["OverloadedError", "RateLimitError"]
    assert [e.kind.value for e in events] == ["overloaded", "rate_limited"]
    assert events[1].from_hint
    assert sleeps[1] == pytest.approx(1.0, abs=0.3)


def test_the_anthropic_sdk_streams_from_it() -> None:
    anthropic = pytest.importorskip("anthropic")
    with FlakyProvider([200]) as provider:
        client = anthropic.Anthropic(api_key="sk-test", base_url=provider.base_url, max_retries=0)
        with client.messages.stream(
            model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            assert "".join(stream.text_stream) == REPLY_TEXT


def test_the_openai_sdk_rides_through_a_server_error_and_gives_up_on_quota() -> None:
    openai = pytest.importorskip("openai")
    sleeps: list[float] = []
    script = [500, (429, {"retry-after-ms": "300"}), 200, 200, 200]
    with FlakyProvider(script) as provider:
        client = openai.OpenAI(api_key="sk-test", base_url=provider.base_url + "/v1", max_retries=0)

        @retry_llm(preset=OpenAIPreset, max_attempts=4, sleep=sleeps.append)
        def ask() -> str:
            completion = client.chat.completions.create(
                model="gpt-test", messages=[{"role": "user", "content": "hi"}]
            )
            return str(completion.choices[0].message.content)

        assert ask() == REPLY_TEXT
        assert sleeps[1] == pytest.approx(0.3, abs=0.1)
        response = client.responses.create(model="gpt-test", input="hi")
        assert response.output_text == REPLY_TEXT
        chunks = client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY_TEXT
    quota = {
        "error": {
            "message": "You exceeded your current quota.",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    with FlakyProvider([(429, {}, quota)]) as provider:
        client = openai.OpenAI(api_key="sk-test", base_url=provider.base_url + "/v1", max_retries=0)
        with pytest.raises(openai.RateLimitError) as raised:
            retry_llm(preset=OpenAIPreset, sleep=sleeps.append)(client.chat.completions.create)(
                model="gpt-test", messages=[{"role": "user", "content": "hi"}]
            )
        assert len(provider.requests) == 1
    assert classify(raised.value).kind.value == "quota_exhausted"


def test_an_error_inside_a_stream_is_raised_by_the_sdks_and_retried() -> None:
    anthropic = pytest.importorskip("anthropic")
    openai = pytest.importorskip("openai")
    events: list[RetryEvent] = []
    messages = [{"role": "user", "content": "hi"}]
    with FlakyProvider([StreamError("overloaded_error"), 200]) as provider:
        claude = anthropic.Anthropic(api_key="sk-test", base_url=provider.base_url, max_retries=0)

        @retry_llm(preset=AnthropicPreset, on_retry=events.append, sleep=lambda s: None)
        def stream_claude() -> str:
            with claude.messages.stream(model="claude-test", max_tokens=16, messages=messages) as stream:
                return "".join(stream.text_stream)

        assert stream_claude() == REPLY_TEXT
    with FlakyProvider([StreamError("server_error", "The server had an error"), 200]) as provider:
        gpt = openai.OpenAI(api_key="sk-test", base_url=provider.base_url + "/v1", max_retries=0)

        @retry_llm(preset=OpenAIPreset, on_retry=events.append, sleep=lambda s: None)
        def stream_gpt() -> str:
            chunks = gpt.chat.completions.create(model="gpt-test", messages=messages, stream=True)
            return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

        assert stream_gpt() == REPLY_TEXT
    raised = [(type(e.exception).__name__, e.status, e.kind.value) for e in events]
    assert raised == [("APIStatusError", 200, "overloaded"), ("APIError", None, "server_error")]


def test_the_async_openai_sdk_with_async_retry_llm() -> None:
    openai = pytest.importorskip("openai")
    from llm_retry import async_retry_llm

    async def scenario() -> tuple[str, int]:
        async with FlakyProvider([503, 200]) as provider:
            client = openai.AsyncOpenAI(api_key="sk-test", base_url=provider.base_url + "/v1", max_retries=0)

            @async_retry_llm(preset=OpenAIPreset, sleep=_no_wait)
            async def ask() -> str:
                completion = await client.chat.completions.create(
                    model="gpt-test", messages=[{"role": "user", "content": "hi"}]
                )
                return str(completion.choices[0].message.content)

            answer = await ask()
            await client.close()
            return answer, len(provider.requests)

    assert asyncio.run(scenario()) == (REPLY_TEXT, 2)


async def _no_wait(seconds: float) -> None:
    pass


def test_the_google_genai_sdk_against_it() -> None:
    pytest.importorskip("google.genai")
    from google import genai
    from google.genai import errors, types

    events: list[RetryEvent] = []
    script = [429, 200, StreamError("UNAVAILABLE", "The model is overloaded."), 200]
    with FlakyProvider(script) as provider:
        client = genai.Client(
            api_key="test", http_options=types.HttpOptions(base_url=provider.base_url + "/")
        )

        @retry_llm(preset=GeminiPreset, on_retry=events.append, sleep=lambda s: None)
        def ask() -> str:
            return str(client.models.generate_content(model="gemini-test", contents="hi").text)

        @retry_llm(preset=GeminiPreset, on_retry=events.append, sleep=lambda s: None)
        def stream() -> str:
            chunks = client.models.generate_content_stream(model="gemini-test", contents="hi")
            return "".join(chunk.text or "" for chunk in chunks)

        assert ask() == REPLY_TEXT
        assert stream() == REPLY_TEXT
        assert ":streamGenerateContent" in provider.requests[2].path
    assert [(type(e.exception), e.kind.value) for e in events] == [
        (errors.ClientError, "rate_limited"),
        (errors.ServerError, "overloaded"),
    ]


def _bedrock_client(provider: FlakyProvider) -> Any:
    """botocore's bedrock-runtime client on the provider, with fake credentials and its own retries off."""
    import botocore.session
    from botocore.config import Config

    return botocore.session.Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=provider.base_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_botocore_bedrock_converse_against_it() -> None:
    pytest.importorskip("botocore")
    events: list[RetryEvent] = []
    with FlakyProvider([(429, {"retry-after": "2"}), 503, 200, 400]) as provider:
        client = _bedrock_client(provider)
        waits: list[float] = []

        @retry_llm(preset=BedrockPreset, on_retry=events.append, sleep=waits.append)
        def ask() -> str:
            answer = client.converse(
                modelId="anthropic.claude-test", messages=[{"role": "user", "content": [{"text": "hi"}]}]
            )
            return str(answer["output"]["message"]["content"][0]["text"])

        assert ask() == REPLY_TEXT
        with pytest.raises(client.exceptions.ValidationException):
            ask()
        assert provider.requests[0].path == "/model/anthropic.claude-test/converse"
    assert [(type(e.exception).__name__, e.kind.value) for e in events] == [
        ("ThrottlingException", "rate_limited"),
        ("ServiceUnavailableException", "overloaded"),
    ]
    assert waits[0] == pytest.approx(2.0, abs=0.5)


def test_botocore_bedrock_converse_stream_against_it() -> None:
    """ConverseStream in AWS's binary event stream: an exception event after the answer began (botocore
    raises `EventStreamError` while the stream is read), an overload named in the provider's own words,
    then a whole streamed answer."""
    pytest.importorskip("botocore")
    events: list[RetryEvent] = []
    script = [StreamError("throttlingException", "Too many tokens"), StreamError(), 200]
    with FlakyProvider(script) as provider:
        client = _bedrock_client(provider)

        @retry_llm(preset=BedrockPreset, on_retry=events.append, sleep=lambda s: None)
        def stream() -> str:
            answer = client.converse_stream(
                modelId="anthropic.claude-test", messages=[{"role": "user", "content": [{"text": "hi"}]}]
            )
            parts = [
                event["contentBlockDelta"]["delta"]["text"]
                for event in answer["stream"]
                if "contentBlockDelta" in event
            ]
            return "".join(parts)

        assert stream() == REPLY_TEXT
        assert [r.path for r in provider.requests] == ["/model/anthropic.claude-test/converse-stream"] * 3
    assert [(type(e.exception).__name__, e.kind.value) for e in events] == [
        ("EventStreamError", "rate_limited"),
        ("EventStreamError", "overloaded"),
    ]
    assert [e.exception.response["Error"]["Code"] for e in events] == [  # type: ignore[attr-defined]
        "throttlingException",
        "serviceUnavailableException",
    ]


def test_a_stall_times_the_sdk_out_and_the_retry_gets_through() -> None:
    anthropic = pytest.importorskip("anthropic")
    events: list[RetryEvent] = []
    with FlakyProvider([Stall(30.0), 200]) as provider:
        client = anthropic.Anthropic(
            api_key="sk-test", base_url=provider.base_url, max_retries=0, timeout=0.2
        )

        @retry_llm(preset=AnthropicPreset, on_retry=events.append, sleep=lambda s: None)
        def ask() -> str:
            reply = client.messages.create(
                model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
            )
            return str(reply.content[0].text)

        assert ask() == REPLY_TEXT
    assert [(type(e.exception).__name__, e.kind.value) for e in events] == [("APITimeoutError", "network")]


def test_stalls_are_bounded_and_not_nested() -> None:
    with pytest.raises(ValueError, match=r"script\[0\]'s seconds must be"):
        FlakyProvider([Stall(61.0)])
    with pytest.raises(TypeError, match=r"script\[0\]'s then must be a script item other than a Stall"):
        FlakyProvider([Stall(1.0, Stall(1.0))])
