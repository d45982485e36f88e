"""Retrying streams (generator and async-generator functions, e.g. an LLM's token stream).

An error before the first chunk is retried like any failed call, since nothing has reached the caller.
After the first chunk nothing is retried: a retry would duplicate output. The error propagates with a note.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar

from ._engine import AsyncAttempts, AsyncSleep, Call, Retrier, Sleep, SyncAttempts, add_note

T = TypeVar("T")

_AFTER_FIRST_CHUNK = (
    "llm-retry: not retried: the stream failed after its first chunk had been yielded "
    "(a retry would duplicate output)"
)


def wrap_sync_stream(
    fn: Callable[..., Iterator[T]], r: Retrier, sleep: Sleep
) -> Callable[..., Generator[T, Any, Any]]:
    @functools.wraps(fn)
    def stream(*args: Any, **kwargs: Any) -> Generator[T, Any, Any]:
        for attempt in SyncAttempts(Call(r, r.clock(), in_task=False), sleep):
            with attempt:
                chunks = iter(fn(*args, **kwargs))
                try:
                    first = next(chunks)
                except StopIteration as stop:
                    return stop.value
        try:
            yield first
            return (yield from chunks)
        except Exception as exc:
            add_note(exc, _AFTER_FIRST_CHUNK)
            raise
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    return stream


def wrap_async_stream(
    fn: Callable[..., AsyncIterator[T]], r: Retrier, sleep: AsyncSleep | None
) -> Callable[..., AsyncGenerator[T, None]]:
    @functools.wraps(fn)
    async def stream(*args: Any, **kwargs: Any) -> AsyncGenerator[T, None]:
        async for attempt in AsyncAttempts(Call(r, r.clock(), in_task=True), sleep):
            with attempt:
                chunks = aiter(fn(*args, **kwargs))
                try:
                    first = await anext(chunks)
                except StopAsyncIteration:
                    return
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            add_note(exc, _AFTER_FIRST_CHUNK)
            raise
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    return stream
