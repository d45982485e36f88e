"""A real retry, end to end, with no API key: `llm_retry.testing.FlakyProvider`, a provider on 127.0.0.1
that answers 529 (overloaded), then 429 with `retry-after`, then 200; a client decorated with `retry_llm`
rides through both, and a 400 afterwards is raised at once. Then a block retried with `attempts()` rides
through one more 529.

    python examples/flaky_provider.py
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

from llm_retry import AnthropicPreset, RetryEvent, attempts, classify, retry_llm
from llm_retry.testing import FlakyProvider

# One answer per request, in order: a status alone gets Anthropic's own error envelope for it.
SCRIPT = [529, (429, {"retry-after": "1"}), 200, 400, 529, 200]


def show(event: RetryEvent) -> None:
    hint = " (the server's retry-after)" if event.from_hint else ""
    print(f"  attempt {event.attempt} failed: {event.classification.reason}")
    print(f"  waiting {event.delay_s:.2f} s{hint}")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    with FlakyProvider(SCRIPT) as provider:
        run(provider)


def run(provider: FlakyProvider) -> None:
    url = provider.base_url + "/v1/messages"

    def post(prompt: str) -> str:
        request = urllib.request.Request(url, data=json.dumps({"prompt": prompt}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(json.load(response)["content"][0]["text"])

    ask = retry_llm(preset=AnthropicPreset, max_attempts=5, base_delay_s=0.2, on_retry=show)(post)

    started = time.monotonic()
    print("call 1: the provider answers 529, then 429 with retry-after: 1, then 200")
    print(
        f"  -> {ask('hello')!r} after {len(provider.requests)} attempts in {time.monotonic() - started:.1f} s"
    )

    print("call 2: the provider answers 400 (a bad request is not retried)")
    before = len(provider.requests)
    try:
        ask("hello again")
    except urllib.error.HTTPError as exc:
        print(f"  -> raised at once after {len(provider.requests) - before} attempt: HTTP {exc.code}")
        print(f"     {classify(exc).reason}")

    print("call 3, a block: the provider answers 529, then 200")
    before = len(provider.requests)
    for attempt in attempts(preset=AnthropicPreset, max_attempts=3, base_delay_s=0.2, on_retry=show):
        with attempt:
            text = post("hello from a block")
    print(f"  -> {text!r} after {len(provider.requests) - before} attempts")


if __name__ == "__main__":
    main()
