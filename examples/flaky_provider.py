"""A real retry, end to end, with no API key: a tiny provider on 127.0.0.1 that answers 529 (overloaded),
then 429 with `retry-after`, then 200; a client decorated with `retry_llm` rides through both, and a
400 afterwards is raised at once. Then a block retried with `attempts()` rides through one more 529.

    python examples/flaky_provider.py
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from llm_retry import AnthropicPreset, RetryEvent, attempts, classify, retry_llm

SCRIPT = [
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, {}),
    (
        429,
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}},
        {"retry-after": "1"},
    ),
    (200, {"content": [{"type": "text", "text": "Hello from the flaky provider"}]}, {}),
    (
        400,
        {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: required"}},
        {},
    ),
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, {}),
    (200, {"content": [{"type": "text", "text": "Hello again, from a block"}]}, {}),
]


class FlakyProvider(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:
        status, body, headers = SCRIPT[min(FlakyProvider.calls, len(SCRIPT) - 1)]
        FlakyProvider.calls += 1
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


def show(event: RetryEvent) -> None:
    hint = " (the server's retry-after)" if event.from_hint else ""
    print(f"  attempt {event.attempt} failed: {event.classification.reason}")
    print(f"  waiting {event.delay_s:.2f} s{hint}")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"

    def post(prompt: str) -> str:
        request = urllib.request.Request(url, data=json.dumps({"prompt": prompt}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(json.load(response)["content"][0]["text"])

    ask = retry_llm(preset=AnthropicPreset, max_attempts=5, base_delay_s=0.2, on_retry=show)(post)

    started = time.monotonic()
    print("call 1: the provider answers 529, then 429 with retry-after: 1, then 200")
    print(f"  -> {ask('hello')!r} after {FlakyProvider.calls} attempts in {time.monotonic() - started:.1f} s")

    print("call 2: the provider answers 400 (a bad request is not retried)")
    before = FlakyProvider.calls
    try:
        ask("hello again")
    except urllib.error.HTTPError as exc:
        print(f"  -> raised at once after {FlakyProvider.calls - before} attempt: HTTP {exc.code}")
        print(f"     {classify(exc).reason}")

    print("call 3, a block: the provider answers 529, then 200")
    before = FlakyProvider.calls
    for attempt in attempts(preset=AnthropicPreset, max_attempts=3, base_delay_s=0.2, on_retry=show):
        with attempt:
            text = post("hello from a block")
    print(f"  -> {text!r} after {FlakyProvider.calls - before} attempts")
    server.shutdown()


if __name__ == "__main__":
    main()
