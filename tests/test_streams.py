"""Streams: decorated generator and async-generator functions. An error before the first chunk is retried like
any failed call (nothing reached the caller yet); after the first chunk nothing is retried and the error
propagates with a note. The consumer sees each chunk exactly once; closing the stream early closes the inner
generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import trio
from doubles import BadRequestError, RateLimitError, ServiceUnavailableError, StreamErrorEvent
from llm_retry import (
    AnthropicPreset,
    CircuitBreaker,
    RetryConfig,
    RetryEvent,
    async_retry_llm,
    retry_llm,
)

AFTER_FIRST_CHUNK = "not retried: the stream failed after its first chunk had been yielded"


FAILURES_BEFORE_FIRST_CHUNK: list[Callable[[], Exception]] = [
    lambda: ServiceUnavailableError("503"),
    lambda: RateLimitError("429"),
    StreamErrorEvent,
    lambda: ConnectionResetError("connection reset by peer"),
]
FAILURE_IDS = ["503", "429", "anthropic-overloaded_error", "reset"]


class Script:
    """A provider's token stream, one entry per attempt: the chunks it yields, then the error it raises (if
    any). Counts the streams started, finished and closed early."""

    def __init__(self, *attempts: tuple[list[str], Exception | None]) -> None:
        self.attempts = list(attempts)
        self.started = 0
        self.finished = 0
        self.closed_early = 0

    def next_attempt(self) -> tuple[list[str], Exception | None]:
        self.started += 1
        return self.attempts[min(self.started, len(self.attempts)) - 1]


def notes(exc: BaseException) -> list[str]:
    return list(getattr(exc, "__notes__", []))


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def wait(self, seconds: float) -> None:
        self.append(seconds)


def sync_tokens(script: Script, sleeps: Sleeps, **kwargs: Any) -> Callable[..., Iterator[str]]:
    @retry_llm(sleep=sleeps, **kwargs)
    def tokens(prompt: str) -> Iterator[str]:
        chunks, error = script.next_attempt()
        try:
            yield from chunks
        except GeneratorExit:
            script.closed_early += 1
            raise
        if error is not None:
            raise error
        script.finished += 1

    return tokens


def async_tokens(script: Script, sleeps: Sleeps, **kwargs: Any) -> Callable[..., AsyncIterator[str]]:
    @async_retry_llm(sleep=sleeps.wait, **kwargs)
    async def tokens(prompt: str) -> AsyncIterator[str]:
        chunks, error = script.next_attempt()
        try:
            for chunk in chunks:
                yield chunk
        except GeneratorExit:
            script.closed_early += 1
            raise
        if error is not None:
            raise error
        script.finished += 1

    return tokens


def run(backend: str, main: Callable[[], Any]) -> Any:
    return asyncio.run(main()) if backend == "asyncio" else trio.run(main)


BACKENDS = pytest.mark.parametrize("backend", ["asyncio", "trio"])


# --- sync -------------------------------------------------------------------------------------------


def test_a_decorated_generator_function_is_still_one() -> None:
    script = Script((["a"], None))
    tokens = sync_tokens(script, Sleeps())

    assert inspect.isgeneratorfunction(tokens)
    stream = tokens("hi")
    assert script.started == 0  # nothing is called until the consumer asks for a chunk
    assert list(stream) == ["a"]


@pytest.mark.parametrize("error", FAILURES_BEFORE_FIRST_CHUNK, ids=FAILURE_IDS)
def test_errors_before_the_first_chunk_are_retried(error: Callable[[], Exception]) -> None:
    script = Script(([], error()), ([], error()), (["Hel", "lo"], None))
    sleeps = Sleeps()
    events: list[RetryEvent] = []

    chunks = list(sync_tokens(script, sleeps, on_retry=events.append, base_delay_s=0.1, seed=1)("hi"))

    assert chunks == ["Hel", "lo"]
    assert script.started == 3
    assert script.finished == 1
    assert len(sleeps) == 2
    assert [e.attempt for e in events] == [1, 2]


@pytest.mark.parametrize("preset", [None, AnthropicPreset], ids=["default", "anthropic"])
def test_an_anthropic_overloaded_event_before_the_first_chunk_is_retried(preset: RetryConfig | None) -> None:
    script = Script(([], StreamErrorEvent("overloaded_error")), (["Hi", "!"], None))
    sleeps = Sleeps()

    chunks = list(sync_tokens(script, sleeps, preset=preset, base_delay_s=0.1)("hi"))

    assert chunks == ["Hi", "!"]
    assert script.started == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "error",
    [ServiceUnavailableError("503"), StreamErrorEvent("overloaded_error"), ConnectionResetError("reset")],
    ids=["503", "anthropic-overloaded_error", "reset"],
)
def test_an_error_after_the_first_chunk_propagates_with_a_note(error: Exception) -> None:
    script = Script((["The", " answer"], error), (["never"], None))
    sleeps = Sleeps()
    received: list[str] = []

    with pytest.raises(type(error)) as info:
        for chunk in sync_tokens(script, sleeps)("hi"):
            received.append(chunk)

    assert info.value is error
    assert received == ["The", " answer"]
    assert script.started == 1
    assert sleeps == []
    assert any(AFTER_FIRST_CHUNK in note for note in notes(error))


def test_the_consumer_sees_each_chunk_exactly_once() -> None:
    chunks = [f"t{i}" for i in range(100)]
    script = Script(
        ([], ServiceUnavailableError("503")),
        ([], RateLimitError("429", retry_after_s=1)),
        (chunks, None),
    )
    sleeps = Sleeps()

    assert list(sync_tokens(script, sleeps, base_delay_s=0.1, seed=2)("hi")) == chunks
    assert sleeps[1] == 1.0


def test_closing_the_stream_early_closes_the_inner_generator() -> None:
    script = Script((["a", "b", "c"], None))
    stream = sync_tokens(script, Sleeps())("hi")

    assert next(stream) == "a"
    stream.close()

    assert script.closed_early == 1
    assert script.finished == 0
    with pytest.raises(StopIteration):
        next(stream)


def test_breaking_out_of_a_with_closing_block_closes_the_inner_generator() -> None:
    script = Script(([], ServiceUnavailableError("503")), (["a", "b", "c"], None))
    with contextlib.closing(sync_tokens(script, Sleeps(), base_delay_s=0.0)("hi")) as stream:
        for chunk in stream:
            assert chunk == "a"
            break
    assert script.closed_early == 1
    assert script.started == 2


def test_the_generators_return_value_is_kept() -> None:
    @retry_llm(sleep=Sleeps())
    def tokens() -> Iterator[str]:
        yield "a"
        return "usage: 1 token"

    def consume() -> Iterator[str]:
        result = yield from tokens()
        assert result == "usage: 1 token"

    assert list(consume()) == ["a"]


def test_an_empty_stream_is_a_success() -> None:
    script = Script(([], None))
    assert list(sync_tokens(script, Sleeps())("hi")) == []
    assert script.started == 1


def test_a_bad_request_before_the_first_chunk_is_raised_at_once() -> None:
    error = BadRequestError("400 invalid request")
    script = Script(([], error))

    with pytest.raises(BadRequestError) as info:
        list(sync_tokens(script, Sleeps())("hi"))

    assert info.value is error
    assert script.started == 1


def test_errors_before_the_first_chunk_exhaust_attempts_with_a_note() -> None:
    script = Script(([], ServiceUnavailableError("503")))
    sleeps = Sleeps()

    with pytest.raises(ServiceUnavailableError) as info:
        list(sync_tokens(script, sleeps, max_attempts=3, base_delay_s=0.1)("hi"))

    assert script.started == 3
    assert len(sleeps) == 2
    assert "gave up after 3 attempts" in notes(info.value)[-1]


def test_a_stream_counts_once_per_attempt_on_the_breaker() -> None:
    breaker = CircuitBreaker(failure_threshold=5)
    script = Script(([], ServiceUnavailableError("503")), ([], ServiceUnavailableError("503")), (["a"], None))

    assert list(sync_tokens(script, Sleeps(), breaker=breaker, base_delay_s=0.0)("hi")) == ["a"]

    stats = breaker.stats
    assert (stats["total_calls"], stats["failures"], stats["successes"]) == (3, 2, 1)


def test_a_stream_respects_its_deadline() -> None:
    now = [0.0]
    sleeps = Sleeps()
    script = Script(([], RateLimitError("429", retry_after_s=30)))

    with pytest.raises(RateLimitError) as info:
        list(sync_tokens(script, sleeps, deadline_s=10.0, clock=lambda: now[0])("hi"))

    assert sleeps == []
    assert script.started == 1
    assert "would pass the deadline" in notes(info.value)[-1]


def test_retry_llm_refuses_an_async_generator_function() -> None:
    async def tokens() -> AsyncIterator[str]:
        yield "a"

    with pytest.raises(TypeError, match="async_retry_llm"):
        retry_llm(tokens)


# --- async ------------------------------------------------------------------------------------------


def test_a_decorated_async_generator_function_is_still_one() -> None:
    tokens = async_tokens(Script((["a"], None)), Sleeps())
    assert inspect.isasyncgenfunction(tokens)


def test_async_retry_llm_refuses_a_sync_generator_function() -> None:
    def tokens() -> Iterator[str]:
        yield "a"

    with pytest.raises(TypeError, match="retry_llm"):
        async_retry_llm(tokens)


@BACKENDS
@pytest.mark.parametrize("error", FAILURES_BEFORE_FIRST_CHUNK, ids=FAILURE_IDS)
def test_async_errors_before_the_first_chunk_are_retried(
    backend: str, error: Callable[[], Exception]
) -> None:
    script = Script(([], error()), ([], error()), (["Hel", "lo"], None))
    sleeps = Sleeps()
    tokens = async_tokens(script, sleeps, base_delay_s=0.1, seed=1)

    async def main() -> list[str]:
        return [chunk async for chunk in tokens("hi")]

    assert run(backend, main) == ["Hel", "lo"]
    assert script.started == 3
    assert len(sleeps) == 2


@BACKENDS
def test_async_an_error_after_the_first_chunk_propagates_with_a_note(backend: str) -> None:
    error = StreamErrorEvent("overloaded_error")
    script = Script((["The", " answer"], error), (["never"], None))
    sleeps = Sleeps()
    tokens = async_tokens(script, sleeps)
    received: list[str] = []

    async def main() -> None:
        with pytest.raises(StreamErrorEvent) as info:
            async for chunk in tokens("hi"):
                received.append(chunk)
        assert info.value is error

    run(backend, main)
    assert received == ["The", " answer"]
    assert script.started == 1
    assert sleeps == []
    assert any(AFTER_FIRST_CHUNK in note for note in notes(error))


@BACKENDS
def test_async_the_consumer_sees_each_chunk_exactly_once(backend: str) -> None:
    chunks = [f"t{i}" for i in range(100)]
    script = Script(([], ServiceUnavailableError("503")), ([], StreamErrorEvent()), (chunks, None))
    tokens = async_tokens(script, Sleeps(), base_delay_s=0.1, seed=3)

    async def main() -> list[str]:
        return [chunk async for chunk in tokens("hi")]

    assert run(backend, main) == chunks


@BACKENDS
def test_async_closing_the_stream_early_closes_the_inner_generator(backend: str) -> None:
    script = Script((["a", "b", "c"], None))
    tokens = async_tokens(script, Sleeps())

    async def main() -> None:
        stream = tokens("hi")
        assert await stream.__anext__() == "a"
        await stream.aclose()
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()

    run(backend, main)
    assert script.closed_early == 1
    assert script.finished == 0


def test_async_a_bad_request_before_the_first_chunk_is_raised_at_once() -> None:
    error = BadRequestError("400")
    script = Script(([], error))
    tokens = async_tokens(script, Sleeps())

    async def main() -> None:
        with pytest.raises(BadRequestError) as info:
            async for _ in tokens("hi"):
                pass
        assert info.value is error

    asyncio.run(main())
    assert script.started == 1


def test_async_an_empty_stream_is_a_success() -> None:
    script = Script(([], None))
    tokens = async_tokens(script, Sleeps())

    async def main() -> list[str]:
        return [chunk async for chunk in tokens("hi")]

    assert asyncio.run(main()) == []
    assert script.finished == 1


def test_async_a_stream_cancelled_before_its_first_chunk_frees_its_probe() -> None:
    now = [0.0]
    breaker = CircuitBreaker(cooldown_s=30.0, clock=lambda: now[0])
    breaker.open()
    now[0] = 30.0

    @async_retry_llm(breaker=breaker, sleep=Sleeps().wait)
    async def tokens(gate: asyncio.Event) -> AsyncIterator[str]:
        try:
            await gate.wait()
        except asyncio.CancelledError:
            # Some HTTP clients turn a cancellation into their own connection error.
            raise ConnectionResetError("connection closed") from None
        yield "never"

    async def consume() -> list[str]:
        return [chunk async for chunk in tokens(asyncio.Event())]

    async def main() -> None:
        task = asyncio.create_task(consume())
        await asyncio.sleep(0)
        assert breaker.stats["probes_in_flight"] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert breaker.stats["probes_in_flight"] == 0

    asyncio.run(main())
