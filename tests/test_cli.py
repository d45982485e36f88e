"""The command line, run as a subprocess (``python -m llm_retry``): ``explain`` prints the library's own
verdict, ``demo`` tours the features offline, ``--help`` works everywhere, and bad input is one message and
exit status 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import llm_retry
import pytest
from llm_retry._cli import ExplainedError, main


def _run(*args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llm_retry", *args], capture_output=True, text=True, timeout=timeout_s
    )


@pytest.mark.parametrize("args", [["--help"], ["explain", "--help"], ["demo", "--help"]])
def test_help_everywhere(args: list[str]) -> None:
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    assert "usage: llm-retry" in done.stdout


def test_explain_prints_kind_retryable_hint_and_reason() -> None:
    body = '{"error": {"type": "rate_limit_error"}}'
    done = _run("explain", "429", "-H", "retry-after: 3", "--body", body, "--preset", "anthropic")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.splitlines())
    assert lines["kind"].strip() == "rate_limited"
    assert lines["retryable"].strip() == "yes"
    assert lines["hint"].strip() == "3 s"
    assert "429" in lines["reason"]
    assert "retry in 3.00 s (the server's hint)" in lines["next"]


@pytest.mark.parametrize(
    ("args", "preset"),
    [
        (
            ["400", "--body", '{"error": {"message": "prompt is too long: 250000 tokens > 200000"}}'],
            "anthropic",
        ),
        (["429", "--code", "insufficient_quota"], "openai"),
        (["400", "-H", "x-amzn-errortype: ThrottlingException:http://internal.amazon.com/"], "bedrock"),
        (["503", "-H", "Retry-After: 7"], "default"),
    ],
)
def test_explain_says_what_the_library_decides(args: list[str], preset: str) -> None:
    done = _run("explain", *args, "--preset", preset, "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    # The same error, classified in this process by the public API.
    status = int(args[0])
    headers = {}
    body = None
    code = None
    rest = args[1:]
    for flag, value in zip(rest[::2], rest[1::2], strict=True):
        if flag == "-H":
            name, _, text = value.partition(":")
            headers[name.strip().lower()] = text.strip()
        elif flag == "--body":
            body = json.loads(value)
        elif flag == "--code":
            code = value
    config = {p.name: p for p in llm_retry.presets.PROVIDER_PRESETS} | {"default": llm_retry.DefaultPreset}
    expected = llm_retry.classify(ExplainedError(status, headers, body, code), preset=config[preset])
    assert printed["kind"] == expected.kind.value
    assert printed["retryable"] == expected.retryable
    assert printed["hint_s"] == expected.retry_after_s
    assert printed["reason"] == expected.reason


def test_explain_verdicts_that_matter() -> None:
    def verdict(*args: str) -> dict[str, object]:
        done = _run("explain", *args, "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    assert verdict("429", "--code", "insufficient_quota", "--preset", "openai")["kind"] == "quota_exhausted"
    assert verdict("529", "--preset", "AnthropicPreset")["retryable"] is True
    assert verdict("401")["retryable"] is False
    assert verdict("503", "-H", "retry-after: 7")["hint_s"] == 7.0


def test_explain_with_an_sdk_shapes_the_error_as_that_sdk_raises_it() -> None:
    def verdict(*args: str) -> dict[str, object]:
        done = _run("explain", *args, "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    # 498 means capacity at Groq and a bad token at cohere: only the SDK's error tells them apart.
    assert verdict("498", "--sdk", "groq", "--preset", "groq")["kind"] == "overloaded"
    assert verdict("498", "--sdk", "cohere", "--preset", "cohere")["kind"] == "auth"
    assert verdict("ThrottlingException", "--sdk", "bedrock")["kind"] == "rate_limited"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["explain", "Nope", "--sdk", "bedrock"],
            "STATUS for bedrock must be an HTTP status from 400 to 599",
        ),
        (["explain", "429", "--sdk", "acme"], "--sdk must be one of anthropic, openai"),
        (["explain", "abc"], "STATUS must be an HTTP status from 100 to 599, got 'abc'"),
        (["explain", "42"], "STATUS must be an HTTP status from 100 to 599, got 42"),
        (["explain", "429", "-H", "retry-after 3"], "-H must be 'NAME: VALUE', got 'retry-after 3'"),
        (["explain", "429", "--body", "{"], "--body must be JSON"),
        (["explain", "429", "--preset", "acme"], "--preset must be one of default, anthropic, openai"),
        (["explain"], "the following arguments are required: STATUS"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        ([], "usage: llm-retry"),
    ],
)
def test_bad_input_is_a_message_and_exit_2(args: list[str], message: str) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    if args[:1] == ["explain"]:
        assert "usage: llm-retry explain" in done.stderr


def test_demo_tours_every_feature_offline() -> None:
    done = _run("demo", timeout_s=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Traceback" not in done.stderr
    for shown in [
        "== Retries: 529, then 503, then 200",
        "waiting 0.40 s (the server's hint)",
        "breaker 'demo': closed -> open",
        "refused without calling the provider",
        "breaker 'demo': half_open -> closed",
        "a second caller starts now, during the hold",
        "callers_held=1",
        "primary failed (overloaded); falling back to secondary",
    ]:
        assert shown in out, shown


def test_the_console_script_is_main() -> None:
    (script,) = entry_points(group="console_scripts", name="llm-retry")
    assert script.load() is main
