"""The tests' own Redis server is real, private and disposable, and its faults are real: what the Redis store
tests build on."""

from __future__ import annotations

import socket

import pytest
from redis_server import RedisServer, redis_server

__all__ = ["redis_server"]  # the fixture, imported for pytest


def test_it_answers_on_loopback_without_persistence(redis_server: RedisServer) -> None:
    assert redis_server.command("PING") == b"+PONG"
    assert redis_server.host == "127.0.0.1"
    assert redis_server.command("CONFIG", "GET", "appendonly") == [b"appendonly", b"no"]
    assert redis_server.command("CONFIG", "GET", "save") == [b"save", b""]
    assert redis_server.command("SET", "k", "v") == b"+OK"
    redis_server.flush()
    assert redis_server.command("EXISTS", "k") == 0


def test_a_paused_server_answers_nothing_until_resumed(redis_server: RedisServer) -> None:
    redis_server.pause()
    try:
        with pytest.raises(socket.timeout):
            redis_server.command("PING", timeout_s=0.2)
    finally:
        redis_server.resume()
    assert redis_server.command("PING") == b"+PONG"


def test_a_killed_server_refuses_and_a_restarted_one_is_empty(redis_server: RedisServer) -> None:
    assert redis_server.command("SET", "k", "v") == b"+OK"
    redis_server.kill()
    with pytest.raises(ConnectionRefusedError):
        redis_server.command("PING", timeout_s=0.5)
    redis_server.restart()
    assert redis_server.command("EXISTS", "k") == 0
