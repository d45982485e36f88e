"""The link to the store never makes the store's failure the caller's: against a real Redis server that is
killed, paused and restarted, every call returns (None while the store is away), the link degrades once and
recovers by itself, and a caller's cancellation is still raised."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis
import redis.asyncio
from doubles import FakeClock
from llm_retry._redis_link import AsyncLink, LinkHealth, SyncLink
from redis_server import RedisServer, redis_server

__all__ = ["redis_server"]  # the fixture, imported for pytest


def sync_link(server: RedisServer, clock: FakeClock) -> tuple[SyncLink, redis.Redis]:
    client = redis.Redis(host=server.host, port=server.port)
    return SyncLink(LinkHealth("test", clock), client.ping, timeout_s=0.05), client


def test_a_healthy_store_answers(redis_server: RedisServer) -> None:
    link, client = sync_link(redis_server, FakeClock())
    assert link.call(lambda: client.set("k", "v")) is True
    assert link.call(lambda: client.get("k")) == b"v"
    assert not link.health.degraded


def test_a_paused_store_degrades_the_link_and_it_recovers_when_resumed(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    link, client = sync_link(redis_server, clock)
    assert link.call(client.ping) is True
    redis_server.pause()
    try:
        with caplog.at_level(logging.WARNING, logger="llm_retry"):
            assert link.call(client.ping) is None
            assert link.health.degraded
            # Degraded: nothing waits for the store any more, and nothing is sent.
            assert link.call(client.ping) is None
            assert link.send(client.ping) is False
    finally:
        redis_server.resume()
    # The stuck command finishes once the server runs again; a background check then brings the link back.
    for _ in range(200):
        clock.advance(10.0)
        link.call(client.ping)
        if not link.health.degraded:
            break
        time.sleep(0.01)  # lets the worker thread run; a bounded poll, not a timing assertion
    assert not link.health.degraded
    assert link.call(client.ping) is True
    warnings = [r.getMessage() for r in caplog.records if r.name == "llm_retry"]
    assert len([w for w in warnings if "is not answering" in w]) == 1
    assert (link.health.degradations, link.health.recoveries) == (1, 1)


def test_a_killed_store_is_absent_state_and_a_restarted_one_is_used_again(redis_server: RedisServer) -> None:
    clock = FakeClock()
    link, client = sync_link(redis_server, clock)
    redis_server.kill()
    assert link.call(client.ping) is None
    assert link.health.degraded
    redis_server.restart()
    for _ in range(200):
        clock.advance(10.0)
        link.call(client.ping)
        if not link.health.degraded:
            break
        time.sleep(0.01)  # lets the worker thread run; a bounded poll, not a timing assertion
    assert not link.health.degraded
    assert link.call(lambda: client.get("k")) is None  # an empty server: the key is gone, the call answered


def test_an_async_link_degrades_and_still_raises_a_cancellation(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        client = redis.asyncio.Redis(host=redis_server.host, port=redis_server.port)
        link = AsyncLink(LinkHealth("test", FakeClock()), client.ping, timeout_s=0.05)
        assert await link.call(client.ping) is True
        redis_server.pause()
        try:
            assert await link.call(client.ping) is None
            assert link.health.degraded
        finally:
            redis_server.resume()
        await client.aclose()

        # A cancellation of the caller waiting on the store is the caller's, and is raised.
        slow = AsyncLink(LinkHealth("slow", FakeClock()), client.ping, timeout_s=10.0)
        task = asyncio.ensure_future(slow.call(lambda: asyncio.sleep(5)))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
