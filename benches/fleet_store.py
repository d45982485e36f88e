"""The Redis of the fleet simulation (`benches/fleet_sim.py`): a server whose clock is the simulation's
virtual clock, and a client per simulated process that counts every command and makes it cost a round trip.

`RedisStore` runs its real Lua scripts (`llm_retry._redis_lua`) on one of two servers:

- `LuaServer` (``--fake-redis lupa``, the default): the commands those scripts call and nothing else, with
  the scripts run by Lua 5.1 through ``lupa`` as Redis runs them, each compiled once. A script costs tens of
  microseconds, which is what lets 1,000 stores sync every 0.25 s for 360 virtual seconds.
- `FakeRedisServer` (``--fake-redis fakeredis``): ``fakeredis`` with its own Lua (also ``lupa``), its
  ``TIME`` and key expiry moved onto the virtual clock. It compiles each script on every call (about 1.5 ms
  a script here), so it is the cross-check on small runs; tests/test_fleet_sim.py checks that both answer
  the scripts alike.

`CountingClient` is what a process's `RedisStore` is given (it passes for ``redis.asyncio.Redis``): every
command is counted by kind, and takes ``latency_s`` of virtual time, half on the way to the server and half
back, the command itself running at the server in between (Redis's atomicity: one script at a time). The
store sends no pipelines: each script is one command, one round trip.

Whose clock the scripts read: a store on a custom clock (the simulation's) sends that clock's reading as each
script's last argument, and the scripts then use it instead of ``TIME``. With ``script_clock="server"`` (the
default) the client sends what a production store on the default clock sends, an empty last argument, so
that the scripts read the server's ``TIME`` when they run, half a round trip after the store's reading;
``"store"`` passes the store's reading through.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from llm_retry import _redis_lua

EPOCH_S = 1_796_000_000.0
"""The server's ``TIME`` at virtual time 0: a plausible Unix time, so that milliseconds are large numbers as
in production (scores, expiry times) and a script that confused seconds with milliseconds would show it."""

SCRIPT_NAMES = {
    hashlib.sha1(source.encode()).hexdigest(): name
    for name, source in (
        ("breaker sync", _redis_lua.BREAKER_SYNC),
        ("probe lease", _redis_lua.BREAKER_LEASE),
        ("probe done", _redis_lua.BREAKER_PROBE_DONE),
        ("budget", _redis_lua.BUDGET),
        ("gate", _redis_lua.GATE),
    )
}
"""The store's scripts by SHA-1, to count commands by what they are for."""

SCRIPT_CLOCKS = ("server", "store")
"""Whose clock the store's scripts read: the server's ``TIME`` (as in production), or the store's reading."""

ON_THE_CALL_PATH = ("probe lease", "budget withdrawal")
"""Commands a call waits for (at most the store's ``timeout_s``); the others are the background rounds'."""


class ResponseError(Exception):
    """An error reply (as redis-py's `ResponseError`)."""


class NoScriptError(ResponseError):
    """EVALSHA of a script the server does not hold: the store then sends EVAL (it matches on the name)."""


# --- the small server ------------------------------------------------------------------------------------


def _arg(value: object) -> bytes:
    """A command argument as Redis receives it from Lua (numbers formatted as with ``%.17g``)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        raise ResponseError("Lua redis() command arguments must be strings or integers")
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else f"{value:.17g}").encode()
    return str(value).encode()


def _score(raw: bytes) -> float:
    text = raw.decode()
    if text in ("-inf", "+inf", "inf"):
        return -math.inf if text == "-inf" else math.inf
    try:
        return float(text)
    except ValueError:
        raise ResponseError("ERR min or max is not a float") from None


def _format_score(score: float) -> bytes:
    return (str(int(score)) if score.is_integer() else repr(score)).encode()


_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


class LuaServer:
    """One Redis server, in memory, on ``clock`` (virtual seconds): strings, hashes and sorted sets with
    expiry, the commands `RedisStore`'s scripts call, and EVAL/EVALSHA/SCRIPT LOAD/PING."""

    def __init__(self, clock: Callable[[], float]) -> None:
        from lupa import lua51  # Redis embeds Lua 5.1

        self.clock = clock
        self.data: dict[bytes, tuple[str, Any]] = {}
        self.expires_ms: dict[bytes, int] = {}
        self.scripts: dict[str, Any] = {}  # sha -> compiled function(KEYS, ARGV)
        self.lua = lua51.LuaRuntime(encoding=None, unpack_returned_tuples=True)
        self.lua.globals()[b"redis"] = self.lua.table_from({b"call": self._lua_call})
        self._commands: dict[bytes, Callable[..., Any]] = {
            b"TIME": self._time,
            b"TYPE": self._type,
            b"DEL": self._del,
            b"GET": self._get,
            b"SET": self._set,
            b"HGET": self._hget,
            b"HMGET": self._hmget,
            b"HSET": self._hset,
            b"HDEL": self._hdel,
            b"HINCRBY": self._hincrby,
            b"HGETALL": self._hgetall,
            b"PEXPIRE": self._pexpire,
            b"ZADD": self._zadd,
            b"ZREM": self._zrem,
            b"ZCARD": self._zcard,
            b"ZRANGE": self._zrange,
            b"ZREMRANGEBYSCORE": self._zremrangebyscore,
        }

    def now_ms(self) -> int:
        return int((EPOCH_S + self.clock()) * 1000)

    # The client's commands.

    def script_load(self, source: str) -> str:
        sha = hashlib.sha1(source.encode()).hexdigest()
        if sha not in self.scripts:
            # The script becomes a function's body: KEYS and ARGV are its arguments, `return` ends it.
            self.scripts[sha] = self.lua.execute(
                b"return function(KEYS, ARGV)\n" + source.encode() + b"\nend"
            )
        return sha

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: object) -> Any:
        function = self.scripts.get(sha)
        if function is None:
            raise NoScriptError("NOSCRIPT No matching script. Please use EVAL.")
        raw = [_arg(a) for a in keys_and_args]
        keys = self.lua.table_from(raw[:numkeys])
        argv = self.lua.table_from(raw[numkeys:])
        try:
            result = function(keys, argv)
        except Exception as exc:  # lupa's LuaError, or an error reply raised by redis.call
            raise ResponseError(f"ERR Error running script (call to f_{sha}): {exc}") from None
        return self._reply(result)

    def eval(self, source: str, numkeys: int, *keys_and_args: object) -> Any:
        return self.evalsha(self.script_load(source), numkeys, *keys_and_args)

    def _reply(self, value: Any) -> Any:
        """A Lua value as the client reads Redis's reply: numbers truncated to integers, false as nil,
        tables as arrays up to their first nil, ``{ok=...}`` as a status, ``{err=...}`` as an error."""
        if value is None or value is False:
            return None
        if value is True:
            return 1
        if isinstance(value, (int, float)):
            return int(value)
        if isinstance(value, bytes):
            return value
        if value[b"err"] is not None:
            raise ResponseError(value[b"err"].decode())
        if value[b"ok"] is not None:
            return value[b"ok"]
        out = []
        i = 1
        while (item := value[i]) is not None:
            out.append(self._reply(item))
            i += 1
        return out

    # What Lua's redis.call reaches.

    def _lua_call(self, name: bytes, *args: object) -> Any:
        command = self._commands.get(name.upper())
        if command is None:
            raise ResponseError(f"ERR unknown command '{name.decode()}' in this fake")
        result = command(*[_arg(a) for a in args])
        if isinstance(result, list):
            return self.lua.table_from(result)
        if isinstance(result, dict):
            return self.lua.table_from(result)
        return result

    def _live(self, key: bytes) -> tuple[str, Any] | None:
        at_ms = self.expires_ms.get(key)
        if at_ms is not None and at_ms <= self.now_ms():
            del self.expires_ms[key]
            self.data.pop(key, None)
        return self.data.get(key)

    def _of(self, key: bytes, kind: str) -> Any:
        entry = self._live(key)
        if entry is None:
            return None
        if entry[0] != kind:
            raise ResponseError(_WRONGTYPE)
        return entry[1]

    def _make(self, key: bytes, kind: str, empty: Any) -> Any:
        found = self._of(key, kind)
        if found is None:
            self.data[key] = (kind, empty)
            self.expires_ms.pop(key, None)
            return empty
        return found

    def _drop_if_empty(self, key: bytes, value: Any) -> None:
        if not value:
            self.data.pop(key, None)
            self.expires_ms.pop(key, None)

    def _time(self) -> list[bytes]:
        now_us = int((EPOCH_S + self.clock()) * 1_000_000)
        return [str(now_us // 1_000_000).encode(), str(now_us % 1_000_000).encode()]

    def _type(self, key: bytes) -> dict[bytes, bytes]:
        entry = self._live(key)
        return {b"ok": b"none" if entry is None else entry[0].encode()}

    def _del(self, *keys: bytes) -> int:
        gone = 0
        for key in keys:
            if self._live(key) is not None:
                del self.data[key]
                self.expires_ms.pop(key, None)
                gone += 1
        return gone

    def _get(self, key: bytes) -> bytes | bool:
        value = self._of(key, "string")
        return False if value is None else value

    def _set(self, key: bytes, value: bytes, *options: bytes) -> dict[bytes, bytes]:
        self._live(key)
        self.data[key] = ("string", value)
        self.expires_ms.pop(key, None)
        words = [o.upper() for o in options]
        if words[:1] == [b"PX"] and len(words) == 2:
            self.expires_ms[key] = self.now_ms() + int(options[1])
        elif words:
            raise ResponseError(f"ERR SET options {options!r} are not in this fake")
        return {b"ok": b"OK"}

    def _hget(self, key: bytes, field: bytes) -> bytes | bool:
        value = self._of(key, "hash")
        found = None if value is None else value.get(field)
        return False if found is None else found

    def _hmget(self, key: bytes, *fields: bytes) -> list[bytes | bool]:
        value = self._of(key, "hash") or {}
        return [value.get(f, False) for f in fields]

    def _hset(self, key: bytes, *pairs: bytes) -> int:
        if not pairs or len(pairs) % 2:
            raise ResponseError("ERR wrong number of arguments for 'hset' command")
        value = self._make(key, "hash", {})
        added = 0
        for field, item in zip(pairs[::2], pairs[1::2], strict=True):
            added += field not in value
            value[field] = item
        return added

    def _hdel(self, key: bytes, *fields: bytes) -> int:
        value = self._of(key, "hash")
        if value is None:
            return 0
        gone = sum(value.pop(f, None) is not None for f in fields)
        self._drop_if_empty(key, value)
        return gone

    def _hincrby(self, key: bytes, field: bytes, by: bytes) -> int:
        value = self._make(key, "hash", {})
        try:
            new = int(value.get(field, b"0")) + int(by)
        except ValueError:
            raise ResponseError("ERR hash value is not an integer") from None
        value[field] = str(new).encode()
        return new

    def _hgetall(self, key: bytes) -> list[bytes]:
        value = self._of(key, "hash") or {}
        return [item for pair in value.items() for item in pair]

    def _pexpire(self, key: bytes, ms: bytes) -> int:
        if self._live(key) is None:
            return 0
        if int(ms) <= 0:
            self._del(key)
        else:
            self.expires_ms[key] = self.now_ms() + int(ms)
        return 1

    def _zadd(self, key: bytes, *pairs: bytes) -> int:
        value = self._make(key, "zset", {})
        added = 0
        for score, member in zip(pairs[::2], pairs[1::2], strict=True):
            added += member not in value
            value[member] = _score(score)
        return added

    def _zrem(self, key: bytes, *members: bytes) -> int:
        value = self._of(key, "zset")
        if value is None:
            return 0
        gone = sum(value.pop(m, None) is not None for m in members)
        self._drop_if_empty(key, value)
        return gone

    def _zcard(self, key: bytes) -> int:
        return len(self._of(key, "zset") or {})

    def _zrange(self, key: bytes, start: bytes, stop: bytes, *options: bytes) -> list[bytes]:
        value = self._of(key, "zset") or {}
        ordered = sorted(value.items(), key=lambda item: (item[1], item[0]))
        first, last = int(start), int(stop)
        n = len(ordered)
        first, last = (first + n if first < 0 else first), (last + n if last < 0 else last)
        chosen = ordered[max(first, 0) : last + 1]
        if [o.upper() for o in options] == [b"WITHSCORES"]:
            return [x for member, score in chosen for x in (member, _format_score(score))]
        return [member for member, _ in chosen]

    def _zremrangebyscore(self, key: bytes, low: bytes, high: bytes) -> int:
        value = self._of(key, "zset")
        if value is None:
            return 0
        lo, hi = _score(low), _score(high)
        gone = [m for m, score in value.items() if lo <= score <= hi]
        for member in gone:
            del value[member]
        self._drop_if_empty(key, value)
        return len(gone)


# --- fakeredis on the virtual clock ------------------------------------------------------------------------


class _VirtualTime:
    """Stands for the `time` module inside fakeredis: ``time()`` is the server's clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def time(self) -> float:
        return EPOCH_S + self._clock()

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)


@contextlib.contextmanager
def fakeredis_on(clock: Callable[[], float]) -> Iterator[None]:
    """fakeredis reads ``time.time()`` for ``TIME`` (server_mixin) and for key expiry (the socket sets each
    database's time before a command): both read ``clock`` instead while this lasts."""
    from fakeredis import _helpers
    from fakeredis._socket import _base
    from fakeredis.commands_mixins import server_mixin

    modules = (_base, server_mixin, _helpers)
    saved = [m.time for m in modules]  # type: ignore[attr-defined]
    shim = _VirtualTime(clock)
    for module in modules:
        module.time = shim  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.time = original  # type: ignore[attr-defined]


class FakeRedisServer:
    """One ``fakeredis.FakeServer``; `connect` gives each process its own connection to it."""

    def __init__(self, clock: Callable[[], float]) -> None:
        import fakeredis

        self.clock = clock
        self.server = fakeredis.FakeServer()

    def connect(self) -> Any:
        import fakeredis

        return fakeredis.FakeAsyncRedis(server=self.server)


# --- the client a process's store is given -----------------------------------------------------------------


class StoreTraffic:
    """Every command the fleet's stores sent, by kind (a script's purpose, or the command's name)."""

    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()

    @property
    def commands(self) -> int:
        return sum(self.by_kind.values())

    @property
    def on_call_path(self) -> int:
        return sum(self.by_kind[k] for k in ON_THE_CALL_PATH)


def _kind(command: str, sha: str | None, args: tuple[object, ...]) -> str:
    name = SCRIPT_NAMES.get(sha or "", command)
    if name == "budget":
        # ARGV[2] is 1 for a retry's withdrawal (a call waits for it), 0 for a round's batch of firsts.
        return "budget withdrawal" if str(args[1]) == "1" else "budget batch"
    return name


class CountingClient:
    """An async Redis client (it passes for ``redis.asyncio.Redis``) for one process: each command is
    counted in ``traffic`` and spends ``latency_s`` of virtual time, the server running it at half-way."""

    def __init__(
        self,
        server: LuaServer | FakeRedisServer,
        traffic: StoreTraffic,
        latency_s: float,
        script_clock: str = "server",
    ) -> None:
        if script_clock not in SCRIPT_CLOCKS:
            raise ValueError(f"script_clock must be one of {', '.join(SCRIPT_CLOCKS)}, got {script_clock!r}")
        self._server = server
        self._connection = server.connect() if isinstance(server, FakeRedisServer) else None
        self._traffic = traffic
        self._half_s = latency_s / 2
        self._server_clock = script_clock == "server"

    def _clocked(self, sha: str, keys_and_args: tuple[object, ...]) -> tuple[object, ...]:
        """A store script's arguments, its last one (the store's clock reading) emptied for the server's."""
        if self._server_clock and sha in SCRIPT_NAMES and keys_and_args:
            return (*keys_and_args[:-1], "")
        return keys_and_args

    async def _round_trip(self, kind: str, run: Callable[[], Any]) -> Any:
        self._traffic.by_kind[kind] += 1
        if self._half_s:
            await asyncio.sleep(self._half_s)
        result = run()
        if asyncio.iscoroutine(result):
            result = await result
        if self._half_s:
            await asyncio.sleep(self._half_s)
        return result

    async def evalsha(self, sha: str, numkeys: int, *keys_and_args: object) -> Any:
        kind = _kind("EVALSHA", sha, keys_and_args[numkeys:])
        target = self._connection if self._connection is not None else self._server
        sent = self._clocked(sha, keys_and_args)
        return await self._round_trip(kind, lambda: target.evalsha(sha, numkeys, *sent))

    async def eval(self, source: str, numkeys: int, *keys_and_args: object) -> Any:
        kind = "EVAL"  # after a NOSCRIPT: the first of a script on a fresh server, once per store or so
        target = self._connection if self._connection is not None else self._server
        sent = self._clocked(hashlib.sha1(source.encode()).hexdigest(), keys_and_args)
        return await self._round_trip(kind, lambda: target.eval(source, numkeys, *sent))

    async def ping(self) -> bool:
        if self._connection is not None:
            connection = self._connection
            return bool(await self._round_trip("PING", lambda: connection.ping()))
        return bool(await self._round_trip("PING", lambda: True))

    async def execute_command(self, *args: object) -> Any:
        raise NotImplementedError(f"the fleet simulation's client sends scripts only, not {args[:1]!r}")
