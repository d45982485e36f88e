"""Retrying streams (generator and async-generator functions, e.g. an LLM's token stream).

An error before the first chunk is retried like any failed call, since nothing has reached the caller.
After the first chunk nothing is retried: a retry would duplicate output. The error propagates with a note.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, TypeVar

from ._engine import AsyncAttempts, AsyncSleep, Call, Retrier, Sleep, SyncAttempts, add_note
from ._events import GiveUpEvent, emit, listening, mark_give_up
from ._kinds import GiveUpReason

T = TypeVar("T")

_AFTER_FIRST_CHUNK = (
    "llm-retry: not retried: the stream failed after its first chunk had been yielded "
    "(a retry would duplicate output)"
)


def after_first_chunk(call: Call, exc: Exception) -> None:
    """A stream failed after its first chunk: not retried (``NOT_RETRYABLE``), said in a note, on the
    exception (`give_up_reason`) and to the listeners; the attempt that yielded the chunk is its last."""
    add_note(exc, _AFTER_FIRST_CHUNK)
    mark_give_up(exc, GiveUpReason.NOT_RETRYABLE)
    r = call.r
    if listening(r.on_event):
        failure = r.policy.classify(exc)
        reason = GiveUpReason.NOT_RETRYABLE
        elapsed_s = call._elapsed_s()
        event = GiveUpEvent(
            r.name, reason, call.attempt, exc, failure, call.slept_s, elapsed_s, r.config.name, streamed=True
        )
        emit(event, r.on_event)


def wrap_sync_stream(
    fn: Callable[..., Generator[T, Any, Any]], r: Retrier, sleep: Sleep
) -> Callable[..., Generator[T, Any, Any]]:
    @functools.wraps(fn)
    def stream(*args: Any, **kwargs: Any) -> Generator[T, Any, Any]:
        call = Call(r, r.clock(), in_task=False)
        for attempt in SyncAttempts(call, sleep):
            with attempt:
                chunks = fn(*args, **kwargs)
                try:
                    chunk = next(chunks)
                except StopIteration as stop:
                    return stop.value
        # `yield from`, but from the second chunk on: what the caller sends or throws in after the first
        # goes to the inner generator too.
        try:
            while True:
                try:
                    sent = yield chunk
                except GeneratorExit:
                    raise
                except BaseException as thrown:
                    try:
                        chunk = chunks.throw(thrown)
                    except StopIteration as stop:
                        return stop.value
                    continue
                try:
                    chunk = chunks.send(sent)
                except StopIteration as stop:
                    return stop.value
        except Exception as exc:
            after_first_chunk(call, exc)
            raise
        finally:
            chunks.close()

    return stream


def wrap_async_stream(
    fn: Callable[..., AsyncGenerator[T, Any]], r: Retrier, sleep: AsyncSleep | None
) -> Callable[..., AsyncGenerator[T, Any]]:
    @functools.wraps(fn)
    async def stream(*args: Any, **kwargs: Any) -> AsyncGenerator[T, Any]:
        call = Call(r, r.clock(), in_task=True)
        async for attempt in AsyncAttempts(call, sleep):
            with attempt:
                chunks = fn(*args, **kwargs)
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
        # `yield from` for async generators: what the caller sends or throws in goes to the inner stream.
        try:
            while True:
                try:
                    sent = yield chunk
                except GeneratorExit:
                    raise
                except BaseException as thrown:
                    step = chunks.athrow(thrown)
                else:
                    step = chunks.asend(sent)
                try:
                    chunk = await step
                except StopAsyncIteration:
                    return
        except Exception as exc:
            after_first_chunk(call, exc)
            raise
        finally:
            await chunks.aclose()

    return stream
