"""`llm-retry demo`: a tour of what the library does, against `FlakyProvider`s on 127.0.0.1 (no API key, no
network): retries, a server hint, the breaker, a rate-limit gate and a fallback, in a few seconds.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ._breaker import CircuitBreaker, CircuitOpenError
from ._events import RetryEvent
from ._fallback import FallbackEvent, fallback
from ._gate import RateLimitGate
from ._kinds import BreakerState
from .presets import AnthropicPreset
from .testing import FlakyProvider, ScriptItem

# Delays are scaled down so that the tour takes seconds: the library's real defaults are longer.
_BASE_DELAY_S = 0.05


class ProviderError(Exception):
    """What the tour's client raises for a non-2xx answer: the status, headers and body, as an SDK keeps
    them (and as `classify` reads them)."""

    def __init__(self, status_code: int, headers: dict[str, str], body: object) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.headers = headers
        self.body = body


def _client(provider: FlakyProvider) -> Callable[[str], str]:
    url = provider.base_url + "/v1/messages"

    def ask(prompt: str) -> str:
        request = urllib.request.Request(url, data=json.dumps({"model": "demo"}).encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return str(json.load(response)["content"][0]["text"])
        except urllib.error.HTTPError as exc:
            with exc:
                raise ProviderError(exc.code, dict(exc.headers.items()), json.load(exc)) from None

    ask.__qualname__ = "ask"
    return ask


class _Tour:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def part(self, title: str, script: list[ScriptItem]) -> Iterator[FlakyProvider]:
        self.say(f"\n== {title}")
        with FlakyProvider(script) as provider:
            yield provider

    def on_retry(self, event: RetryEvent) -> None:
        hint = " (the server's hint)" if event.from_hint else " (backoff with jitter)"
        self.say(f"   attempt {event.attempt} failed: {event.classification.reason}")
        self.say(f"   waiting {event.delay_s:.2f} s{hint}")

    def retries(self) -> None:
        with self.part("Retries: 529, then 503, then 200", [529, 503, 200]) as provider:
            ask = _retried(_client(provider), self.on_retry)
            self.say(f"-> {ask('hello')!r} after {len(provider.requests)} attempts")
        with self.part("A bad request is not retried: 400", [400]) as provider:
            try:
                _retried(_client(provider), self.on_retry)("hello")
            except ProviderError as exc:
                self.say(f"-> raised at once, HTTP {exc.status_code}, after {len(provider.requests)} attempt")

    def server_hint(self) -> None:
        script: list[ScriptItem] = [(429, {"retry-after-ms": "400"}), 200]
        with self.part("A server hint: 429 with retry-after-ms: 400", script) as provider:
            ask = _retried(_client(provider), self.on_retry)
            self.say(f"-> {ask('hello')!r} after {len(provider.requests)} attempts")

    def breaker(self) -> None:
        script: list[ScriptItem] = [503, 503, 503, 200, 200]
        with self.part("The breaker: three 503s open it; a probe closes it", script) as provider:

            def changed(breaker: CircuitBreaker, old: BreakerState, new: BreakerState) -> None:
                self.say(f"   breaker {breaker.name!r}: {old.value} -> {new.value}")

            breaker = CircuitBreaker(
                failure_threshold=3, cooldown_s=0.3, name="demo", on_state_change=changed, slow_start_s=0
            )
            ask = _retried(_client(provider), None, breaker=breaker, max_attempts=1)
            for n in range(1, 5):
                try:
                    ask("hello")
                except ProviderError as exc:
                    self.say(f"   call {n}: HTTP {exc.status_code}")
                except CircuitOpenError as exc:
                    self.say(f"   call {n}: refused without calling the provider: {exc}")
            self.say(f"   the provider saw {len(provider.requests)} requests; waiting out the cooldown")
            time.sleep(breaker.retry_in_s() + 0.05)
            self.say(f"-> call 5, the probe: {ask('hello')!r}; the breaker is {breaker.state.value}")

    def gate(self) -> None:
        script: list[ScriptItem] = [(429, {"retry-after-ms": "500"}), 200, 200]
        with self.part("A rate-limit gate: one caller's 429 holds every caller", script) as provider:
            gate = RateLimitGate("demo", jitter=0.2)
            second = _retried(_client(provider), None, gate=gate)
            answers: list[str] = []
            waited: list[float] = []

            def call_second() -> None:
                started = time.monotonic()
                answers.append(second("hello"))
                waited.append(time.monotonic() - started)

            callers: list[threading.Thread] = []

            def first_failed(event: RetryEvent) -> None:
                self.on_retry(event)
                if not callers:
                    self.say("   a second caller starts now, during the hold")
                    callers.append(threading.Thread(target=call_second))
                    callers[0].start()

            first = _retried(_client(provider), first_failed, gate=gate)
            self.say(f"-> first caller: {first('hello')!r}")
            for caller in callers:
                caller.join(timeout=10)
            if answers:
                held = (
                    f"answered {waited[0]:.2f} s later: the gate held its first attempt until the hint passed"
                )
                self.say(f"-> second caller: {answers[0]!r}, {held}")
            self.say(f"   gate stats: {gate.stats}")

    def fallback(self) -> None:
        with (
            FlakyProvider([529, 529]) as primary_provider,
            FlakyProvider([200]) as secondary_provider,
        ):
            self.say("\n== A fallback: the primary stays overloaded (529), the secondary answers")
            primary = _retried(_client(primary_provider), self.on_retry, max_attempts=2)
            primary.__qualname__ = "primary"
            secondary = _retried(_client(secondary_provider), None)
            secondary.__qualname__ = "secondary"

            def fell(event: FallbackEvent) -> None:
                kind = event.kind.value if event.kind else "not attempted"
                self.say(f"   {event.failed} failed ({kind}); falling back to {event.next}")

            answer = fallback(primary, secondary, on_fallback=fell)("hello")
            self.say(f"-> {answer!r}")

    def run(self) -> None:
        self.say("llm-retry demo: flaky providers on 127.0.0.1, no API key (delays scaled down)")
        self.retries()
        self.server_hint()
        self.breaker()
        self.gate()
        self.fallback()
        self.say(f"\ndone in {time.monotonic() - self.started:.1f} s")


def _retried(
    fn: Callable[[str], str],
    on_retry: Callable[[RetryEvent], object] | None,
    *,
    breaker: CircuitBreaker | None = None,
    gate: RateLimitGate | None = None,
    max_attempts: int = 4,
) -> Callable[[str], str]:
    from ._decorators import retry_llm

    options: dict[str, Any] = {"on_retry": on_retry} if on_retry is not None else {}
    return retry_llm(
        preset=AnthropicPreset,
        max_attempts=max_attempts,
        base_delay_s=_BASE_DELAY_S,
        breaker=breaker,
        gate=gate,
        budget=None,
        **options,
    )(fn)


def run(out: TextIO) -> None:
    """Runs the tour, printing to ``out``."""
    _Tour(out).run()
