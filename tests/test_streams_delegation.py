"""A retried async generator passes ``asend``, ``athrow`` and ``aclose`` through to the inner one, as
``yield from`` does for the sync kind, once its first chunk is out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest
from llm_retry import async_retry_llm, retry_llm


class OverloadedError(Exception):
    status_code = 529


async def no_sleep(seconds: float) -> None:
    pass


def test_asend_reaches_the_inner_generator_after_a_retry() -> None:
    starts: list[int] = []
    received: list[Any] = []

    @async_retry_llm(max_attempts=3, sleep=no_sleep)
    async def echo() -> AsyncGenerator[str, str]:
        starts.append(1)
        if len(starts) == 1:
            raise OverloadedError("529")
        reply = "ready"
        while True:
            got = yield reply
            received.append(got)
            reply = f"echo {got}"

    async def main() -> list[str]:
        stream = echo()
        out = [await anext(stream)]
        out.append(await stream.asend("a"))
        out.append(await stream.asend("b"))
        await stream.aclose()
        return out

    assert asyncio.run(main()) == ["ready", "echo a", "echo b"]
    assert received == ["a", "b"]
    assert len(starts) == 2


def test_athrow_reaches_the_inner_generator_which_may_handle_it() -> None:
    @async_retry_llm(sleep=no_sleep)
    async def tokens() -> AsyncGenerator[str, None]:
        try:
            yield "first"
        except ValueError as exc:
            yield f"handled {exc}"
        yield "last"

    async def main() -> list[str]:
        stream = tokens()
        out = [await anext(stream)]
        out.append(await stream.athrow(ValueError("nudge")))
        out.extend([chunk async for chunk in stream])
        return out

    assert asyncio.run(main()) == ["first", "handled nudge", "last"]


def test_athrow_that_the_inner_generator_does_not_handle_propagates_unretried() -> None:
    starts: list[int] = []

    @async_retry_llm(sleep=no_sleep)
    async def tokens() -> AsyncGenerator[str, None]:
        starts.append(1)
        yield "first"
        yield "never"

    async def main() -> None:
        stream = tokens()
        await anext(stream)
        with pytest.raises(ConnectionResetError):
            await stream.athrow(ConnectionResetError("from the caller"))

    asyncio.run(main())
    assert starts == [1]


def test_aclose_closes_the_inner_generator() -> None:
    closed: list[bool] = []

    @async_retry_llm(sleep=no_sleep)
    async def tokens() -> AsyncGenerator[str, None]:
        try:
            yield "first"
            yield "second"
        finally:
            closed.append(True)

    async def main() -> None:
        stream = tokens()
        assert await anext(stream) == "first"
        await stream.aclose()

    asyncio.run(main())
    assert closed == [True]


def test_the_sync_kind_delegates_send_too() -> None:
    @retry_llm(sleep=lambda s: None)
    def echo() -> Generator[str, str, None]:
        got = yield "ready"
        yield f"echo {got}"

    stream = echo()
    assert next(stream) == "ready"
    assert stream.send("a") == "echo a"
