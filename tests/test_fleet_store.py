"""The fleet simulation's Redis (`benches/fleet_store.py`): the small Lua server answers `RedisStore`'s real
scripts as fakeredis does, both on the virtual clock, and the counting client's round trips take the
latency asked for. Virtual time only."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from llm_retry import _redis_lua

pytest.importorskip("lupa")

BENCHES = str(Path(__file__).resolve().parent.parent / "benches")
if BENCHES not in sys.path:
    sys.path.insert(0, BENCHES)

import fleet_sim  # noqa: E402
import fleet_store  # noqa: E402

HAS_FAKEREDIS = importlib.util.find_spec("fakeredis") is not None
SCRIPTS = {
    "sync": _redis_lua.BREAKER_SYNC,
    "lease": _redis_lua.BREAKER_LEASE,
    "done": _redis_lua.BREAKER_PROBE_DONE,
    "budget": _redis_lua.BUDGET,
    "gate": _redis_lua.GATE,
    # A foreign value under one of the store's keys, as another program might leave it.
    "foreign": "redis.call('DEL', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return 1",
    "foreign_hash": "redis.call('DEL', KEYS[1]); return redis.call('HSET', KEYS[1], 'st', ARGV[1])",
}
BREAKER = ("t:{breaker:a}", "t:{breaker:a}:window", "t:{breaker:a}:probes")
BUDGET, GATE = ("t:{budget:a}",), ("t:{gate:a}",)


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def workload(seed: int, steps: int) -> list[tuple[float, str, tuple[str, ...], tuple[object, ...]]]:
    """(seconds to advance, script, keys, args): what a few processes' stores send, with foreign values
    and pauses long enough for keys to expire."""
    rng = random.Random(seed)
    leases = [f"p{n}" for n in range(4)]
    out: list[tuple[float, str, tuple[str, ...], tuple[object, ...]]] = []
    for _ in range(steps):
        advance = rng.choice([0.0, 0.001, 0.05, 0.3, 1.0, 2.5, 75.0]) if rng.random() < 0.9 else 130.0
        pick = rng.random()
        if pick < 0.35:
            ok, failed = rng.choice([0, 0, 1, 5]), rng.choice([0, 1, 3, 10])
            force = rng.choice([0] * 8 + [1, 2])
            rate = rng.choice([-1, 0.5])
            limited = rng.choice([0, 0, 0, 2])
            args = (
                ok,
                failed,
                rng.randint(0, 3),
                force,
                5,
                rate,
                4,
                10,
                rng.randint(2000, 2400),
                70000,
                limited,
            )
            out.append((advance, "sync", BREAKER, args))
        elif pick < 0.5:
            out.append((advance, "lease", (BREAKER[0], BREAKER[2]), (1, 30000, rng.choice(leases), 70000)))
        elif pick < 0.6:
            args = (rng.choice(leases), rng.choice([1, 0, -1]), rng.randint(0, 6), 2000, 10000, "1.1", 70000)
            out.append((advance, "done", BREAKER, args))
        elif pick < 0.8:
            args = (rng.randint(0, 20), rng.randint(0, 1), 3, "0.1", 10, 70000)
            out.append((advance, "budget", BUDGET, args))
        elif pick < 0.95:
            out.append((advance, "gate", GATE, (rng.choice([0, 0, 800, 1500, 4000]),)))
        else:
            key = rng.choice([BREAKER[0], BREAKER[1], BREAKER[2], BUDGET[0], GATE[0]])
            script = rng.choice(["foreign", "foreign_hash"])
            out.append((advance, script, (key,), (rng.choice(["x", "12", "llm-retry-hold:99"]),)))
    return out


# A store on the default clock ends every script's arguments with an empty one: the script reads TIME.
SERVER_CLOCK = ""


def lua_replies(steps: list[Any]) -> list[Any]:
    clock = Clock()
    server = fleet_store.LuaServer(clock)
    replies = []
    for advance, script, keys, args in steps:
        clock.now_s += advance
        replies.append(server.eval(SCRIPTS[script], len(keys), *keys, *args, SERVER_CLOCK))
    return replies


def fakeredis_replies(steps: list[Any]) -> list[Any]:
    import fakeredis

    clock = Clock()
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    replies = []
    with fleet_store.fakeredis_on(clock):
        for advance, script, keys, args in steps:
            clock.now_s += advance
            replies.append(client.eval(SCRIPTS[script], len(keys), *keys, *args, SERVER_CLOCK))
    return replies


@pytest.mark.skipif(not HAS_FAKEREDIS, reason="fakeredis is not installed (benches/requirements.txt)")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_lua_server_answers_the_store_scripts_as_fakeredis_does(seed: int) -> None:
    steps = workload(seed, 400)
    ours, theirs = lua_replies(steps), fakeredis_replies(steps)
    assert ours == theirs
    # The workload reaches every branch worth having: leases granted and refused, retries refused, holds.
    by_script = {
        name: [r for (_, n, _, _), r in zip(steps, ours, strict=True) if n == name] for name in SCRIPTS
    }
    assert {r[0] for r in by_script["lease"]} >= {0, 1, 2}
    assert {r[0] for r in by_script["budget"]} == {0, 1}
    assert any(r[0] > 0 for r in by_script["gate"])
    assert {r[0] for r in by_script["sync"]} >= {0, 1}


def test_time_is_the_virtual_clock_and_keys_expire_on_it() -> None:
    clock = Clock()
    server = fleet_store.LuaServer(clock)
    read_time = "local t = redis.call('TIME'); return {tonumber(t[1]), tonumber(t[2])}"
    clock.now_s = 12.345678
    seconds, micros = server.eval(read_time, 0)
    assert seconds * 1_000_000 + micros == round((fleet_store.EPOCH_S + 12.345678) * 1_000_000)
    assert server.eval(_redis_lua.GATE, 1, "g", 1500, SERVER_CLOCK) == [1500]
    clock.now_s += 1.0
    assert server.eval(_redis_lua.GATE, 1, "g", 0, SERVER_CLOCK) == [500]
    clock.now_s += 0.6
    assert server.eval(_redis_lua.GATE, 1, "g", 0, SERVER_CLOCK) == [0]
    assert b"g" not in server.data or server._live(b"g") is None


def test_an_unknown_script_is_noscript_and_a_script_error_is_an_error_reply() -> None:
    server = fleet_store.LuaServer(Clock())
    with pytest.raises(fleet_store.NoScriptError):
        server.evalsha("0" * 40, 0)
    with pytest.raises(fleet_store.ResponseError, match="WRONGTYPE"):
        server.eval("redis.call('SET', 'k', 'v'); return redis.call('HGET', 'k', 'f')", 0)


def _round_trip(server_kind: str, latency_s: float) -> tuple[float, float, int, Any]:
    """One script sent at virtual time 5 through a counting client: (time answered, server's TIME in s,
    commands counted, the store traffic)."""
    loop = fleet_sim.VirtualTimeLoop()
    try:

        async def go() -> tuple[float, float, int, Any]:
            await asyncio.sleep(5.0)
            clock = loop.time
            server: Any = fleet_store.LuaServer(clock)
            if server_kind == "fakeredis":
                server = fleet_store.FakeRedisServer(clock)
            traffic = fleet_store.StoreTraffic()
            client = fleet_store.CountingClient(server, traffic, latency_s)
            script = "local t = redis.call('TIME'); return {tonumber(t[1]), tonumber(t[2])}"
            seconds, micros = await client.eval(script, 0)
            server_s = seconds + micros / 1e6 - fleet_store.EPOCH_S
            return loop.time(), server_s, traffic.commands, traffic

        if server_kind == "fakeredis":
            with fleet_store.fakeredis_on(loop.time):
                return loop.run_until_complete(go())
        return loop.run_until_complete(go())
    finally:
        loop.close()


@pytest.mark.parametrize("server_kind", ["lupa", "fakeredis"])
def test_a_command_takes_its_latency_and_runs_at_the_server_half_way(server_kind: str) -> None:
    if server_kind == "fakeredis" and not HAS_FAKEREDIS:
        pytest.skip("fakeredis is not installed (benches/requirements.txt)")
    answered_s, server_s, commands, traffic = _round_trip(server_kind, 0.004)
    assert answered_s == pytest.approx(5.004)
    assert server_s == pytest.approx(5.002, abs=2e-6)
    assert commands == 1 and traffic.by_kind == {"EVAL": 1}
    answered_s, server_s, _, _ = _round_trip(server_kind, 0.0)
    assert answered_s == pytest.approx(5.0) and server_s == pytest.approx(5.0, abs=2e-6)


def test_commands_are_counted_by_what_they_are_for() -> None:
    server = fleet_store.LuaServer(Clock())
    traffic = fleet_store.StoreTraffic()
    client = fleet_store.CountingClient(server, traffic, 0.0)
    sha = server.script_load(_redis_lua.BUDGET)

    async def go() -> None:
        await client.evalsha(sha, 1, "b", 3, 0, 3, "0.1", 10, 70000, SERVER_CLOCK)
        await client.evalsha(sha, 1, "b", 0, 1, 3, "0.1", 10, 70000, SERVER_CLOCK)
        await client.ping()

    asyncio.run(go())
    assert traffic.by_kind == {"budget batch": 1, "budget withdrawal": 1, "PING": 1}
    assert traffic.commands == 3 and traffic.on_call_path == 1


@pytest.mark.parametrize("script_clock", ["server", "store"])
def test_the_scripts_read_the_servers_time_or_the_stores_reading(script_clock: str) -> None:
    """A store on the simulation's clock sends its reading (ms) last; the client empties it for the server's
    TIME, which the script reads when it runs, half a round trip later."""
    loop = fleet_sim.VirtualTimeLoop()
    server = fleet_store.LuaServer(loop.time)
    client = fleet_store.CountingClient(server, fleet_store.StoreTraffic(), 0.004, script_clock)
    sha = server.script_load(_redis_lua.GATE)

    async def go() -> Any:
        await asyncio.sleep(5.0)
        return await client.evalsha(sha, 1, "g", 1000, str(int(loop.time() * 1000)))

    try:
        assert loop.run_until_complete(go()) == [1000]
    finally:
        loop.close()
    _, value = server.data[b"g"]
    until_ms = int(value.split(b":")[1])
    if script_clock == "server":
        assert until_ms == round((fleet_store.EPOCH_S + 5.002) * 1000) + 1000
    else:
        assert until_ms == 6000


def test_a_script_clock_other_than_server_or_store_is_refused() -> None:
    with pytest.raises(ValueError, match="script_clock must be one of server, store, got 'wall'"):
        fleet_store.CountingClient(fleet_store.LuaServer(Clock()), fleet_store.StoreTraffic(), 0.0, "wall")
