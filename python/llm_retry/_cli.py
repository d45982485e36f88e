"""The command line, ``llm-retry`` or ``python -m llm_retry``: ``explain`` (what llm-retry decides about one
HTTP error given as status, headers and body) and ``demo`` (a tour against flaky providers on 127.0.0.1).

Bad input is a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from ._config import RetryConfig
from ._core import VERSION
from .presets import PROVIDER_PRESETS, DefaultPreset

PRESETS: dict[str, RetryConfig] = {"default": DefaultPreset, **{p.name: p for p in PROVIDER_PRESETS}}


class ExplainedError(Exception):
    """The error `explain` classifies: an HTTP error as any client keeps it (``status_code``, ``headers``,
    ``body``, and ``code`` when one is given), from no SDK in particular."""

    def __init__(self, status_code: int, headers: dict[str, str], body: object, code: str | None) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.headers = headers
        self.body = body
        if code is not None:
            self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="llm-retry",
        description="Retries for LLM API calls: see what llm-retry decides about an error, or watch it work.",
    )
    parser.add_argument("--version", action="version", version=f"llm-retry {VERSION}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    explain = commands.add_parser(
        "explain",
        help="classify an HTTP error: kind, retryable, delay hint and why",
        description=(
            "Classify an HTTP error given on the command line with llm-retry's own classifier, and print "
            "its kind, whether it is retried, the server's delay hint and the reason."
        ),
        epilog=(
            "example: llm-retry explain 429 -H 'retry-after: 3' "
            '--body \'{"error": {"type": "rate_limit_error"}}\' --preset anthropic'
        ),
    )
    explain.add_argument(
        "status",
        metavar="STATUS",
        help="the HTTP status, 100 to 599 (200 for a failed stream); with --sdk, also one of its fault names",
    )
    explain.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a response header, as curl takes them (repeatable)",
    )
    explain.add_argument("--body", metavar="JSON", help="the response body, as JSON")
    explain.add_argument("--code", metavar="CODE", help="the error code the SDK reports (.code), if any")
    explain.add_argument(
        "--sdk",
        metavar="NAME",
        help=(
            "shape the error as this SDK raises it (llm_retry.testing.provider_error): "
            "anthropic, openai, groq, together, fireworks, mistral, cohere, gemini, bedrock"
        ),
    )
    explain.add_argument(
        "--preset",
        default="default",
        metavar="NAME",
        help=f"the provider preset to decide with: {', '.join(PRESETS)} (default: default)",
    )
    explain.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
    explain.set_defaults(command_parser=explain)
    commands.add_parser(
        "demo",
        help="a tour against flaky providers on 127.0.0.1 (no API key needed)",
        description=(
            "Run llm-retry against scripted flaky providers on 127.0.0.1: retries, a server hint, the "
            "breaker, a rate-limit gate and a fallback. No API key, no network; a few seconds."
        ),
    )
    return parser


def _status(parser: argparse.ArgumentParser, text: str) -> int:
    try:
        status = int(text)
    except ValueError:
        parser.error(f"STATUS must be an HTTP status from 100 to 599, got {text!r}")
    if not 100 <= status <= 599:
        parser.error(f"STATUS must be an HTTP status from 100 to 599, got {status}")
    return status


def _headers(parser: argparse.ArgumentParser, given: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for header in given:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            parser.error(f"-H must be 'NAME: VALUE', got {header!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _body(parser: argparse.ArgumentParser, text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        parser.error(f"--body must be JSON ({exc}), got {text[:60]!r}")


def _preset(parser: argparse.ArgumentParser, name: str) -> RetryConfig:
    key = name.lower().removesuffix("preset")
    preset = PRESETS.get(key) or next((p for p in PRESETS.values() if p.name.replace("-", "") == key), None)
    if preset is None:
        parser.error(f"--preset must be one of {', '.join(PRESETS)}, got {name!r}")
    return preset


def _sdk_error(
    parser: argparse.ArgumentParser,
    sdk: str,
    fault: str,
    headers: dict[str, str],
    body: object,
    code: str | None,
) -> Exception:
    from .testing import provider_error

    if body is not None and not isinstance(body, dict | str):
        parser.error(f"--body must be a JSON object with --sdk, got {json.dumps(body)[:60]}")
    try:
        what: int | str = int(fault)
    except ValueError:
        what = fault
    try:
        return provider_error(sdk, what, code=code, headers=headers or None, body=body)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc).replace("status_or_code", "STATUS").replace("provider must", "--sdk must"))


def explain(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO) -> int:
    from ._decorators import classify

    preset = _preset(parser, args.preset)
    headers, body = _headers(parser, args.header), _body(parser, args.body)
    exc: Exception
    if args.sdk is None:
        exc = ExplainedError(_status(parser, args.status), headers, body, args.code)
    else:
        exc = _sdk_error(parser, args.sdk, args.status, headers, body, args.code)
    verdict = classify(exc, preset=preset)
    decision = preset._policy.decide(exc, 1)  # type: ignore[attr-defined]
    hint = verdict.retry_after_s
    if decision.retry:
        source = "the server's hint" if decision.from_hint else "backoff with jitter"
        next_step = f"retry in {decision.delay_s:.2f} s ({source}), attempt 2 of {preset.max_attempts}"
    else:
        why = decision.give_up.value if decision.give_up is not None else "not retryable"
        next_step = f"raise at once ({why})"
    fields: dict[str, Any] = {
        "kind": verdict.kind.value,
        "retryable": verdict.retryable,
        "hint_s": hint,
        "reason": verdict.reason,
        "preset": preset.name,
        "after_a_first_failure": next_step,
    }
    if args.json:
        print(json.dumps(fields), file=out)
        return 0
    lines = [
        ("kind", verdict.kind.value),
        ("retryable", "yes" if verdict.retryable else "no"),
        ("hint", "none" if hint is None else f"{hint:g} s"),
        ("reason", verdict.reason),
        ("preset", preset.name),
        ("next", next_step),
    ]
    for name, value in lines:
        print(f"{name + ':':<11}{value}", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``llm-retry`` console script; returns the exit status.

    >>> main(["explain", "529", "--preset", "anthropic", "--json"])  # doctest: +ELLIPSIS
    {"kind": "overloaded", "retryable": true, "hint_s": null, ...}
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "explain":
        return explain(args, args.command_parser, sys.stdout)
    if args.command == "demo":
        from ._demo import run

        # The tour narrates every retry itself; the library's own WARNING lines would say it twice.
        logging.getLogger("llm_retry").setLevel(logging.ERROR)
        run(sys.stdout)
        return 0
    parser.print_help(sys.stderr)
    return 2
