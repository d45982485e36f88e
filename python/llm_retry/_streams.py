"""Retrying streams (generator and async-generator functions, e.g. an LLM's token stream).

An error before the first chunk is retried like any failed call, since nothing has reached the caller.
After the first chunk nothing is retried: a retry would duplicate output. The error propagates with a note.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar

from ._decorators import (
    AsyncSleep,
    Sleep,
    _add_note,
    _Call,
    _check_not_cancelling,
    _Retrier,
    _running_library_sleep,
)

T = TypeVar("T")

_AFTER_FIRST_CHUNK = (
    "llm-retry: not retried: the stream failed after its first chunk had been yielded "
    "(a retry would duplicate output)"
)


def wrap_sync_stream(
    fn: Callable[..., Iterator[T]], r: _Retrier, sleep: Sleep
) -> Callable[..., Generator[T, Any, Any]]:
    @functools.wraps(fn)
    def stream(*args: Any, **kwargs: Any) -> Generator[T, Any, Any]:
        call = _Call(r.clock())
        last: Exception | None = None
        while True:
            permit, wait_s = r.acquire(call, last)
            if permit is None and wait_s > 0:
                sleep(wait_s)
                continue
            chunks = iter(fn(*args, **kwargs))
            try:
                first = next(chunks)
            except StopIteration as stop:
                r.succeeded(call, permit)
                return stop.value
            except Exception as exc:
                last = exc
                delay = r.after_failure(exc, call, permit)
                if delay > 0:
                    sleep(delay)
                continue
            except BaseException:
                r.release(permit)
                raise
            break
        r.succeeded(call, permit)
        try:
            yield first
            return (yield from chunks)
        except Exception as exc:
            _add_note(exc, _AFTER_FIRST_CHUNK)
            raise
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    return stream


def wrap_async_stream(
    fn: Callable[..., AsyncIterator[T]], r: _Retrier, sleep: AsyncSleep | None
) -> Callable[..., AsyncGenerator[T, None]]:
    @functools.wraps(fn)
    async def stream(*args: Any, **kwargs: Any) -> AsyncGenerator[T, None]:
        call = _Call(r.clock())
        last: Exception | None = None
        while True:
            permit, wait_s = r.acquire(call, last)
            if permit is None and wait_s > 0:
                await (sleep or _running_library_sleep())(wait_s)
                continue
            chunks = aiter(fn(*args, **kwargs))
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                r.succeeded(call, permit)
                return
            except Exception as exc:
                _check_not_cancelling(exc, r, permit)
                last = exc
                delay = r.after_failure(exc, call, permit)
                if delay > 0:
                    await (sleep or _running_library_sleep())(delay)
                continue
            except BaseException:
                r.release(permit)
                raise
            break
        r.succeeded(call, permit)
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            _add_note(exc, _AFTER_FIRST_CHUNK)
            raise
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    return stream
