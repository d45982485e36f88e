"""`RedisStore`: breakers, budgets and gates shared by every process that names them, through the user's own
Redis (or Valkey) client, without a round trip on a call's success path and never failing a call.

Each process keeps deciding with its local Rust core, exactly as with `InMemoryStore`; a sync round (one
script per object, every ``sync_interval_s``, in the background) sends what the process saw since the last
one (outcomes, first attempts, holds) and merges the fleet's view back into the local core: the fleet's
breaker opened or closed, a hold set by another process. Two steps wait for the fleet, bounded by
``timeout_s``: a half-open probe takes one of the fleet's ``half_open_max_calls`` leases, and a retry is
withdrawn from the fleet's budget. Whatever Redis does, a call goes on with local state.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import itertools
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from . import _core
from . import _redis_lua as lua
from . import _validate as valid
from ._kinds import BreakerState, RefusalReason
from ._redis_link import DEFAULT_TIMEOUT_S, AsyncLink, LinkHealth, SyncLink
from ._store import InMemoryStore, Settings

logger = logging.getLogger("llm_retry")

DEFAULT_SYNC_INTERVAL_S = 0.25
IDLE_SYNC_S = 2.0
"""A store whose objects saw no call since its last round (breakers closed, no hold) doubles the time to its
next round, up to this: a fleet of 1,000 quiet processes syncing every 0.25 s sent 57 commands per call in
the fleet simulation. Any activity brings the next round back to ``sync_interval_s``."""
"""How often a process sends its batch and reads the fleet's view: the staleness of that view, plus
``timeout_s`` for the round trip."""
_LONGEST_TIMEOUT_S = 10.0
_KEY_SLACK_S = 60.0
"""Every key outlives the longest state it holds (a window, an open period, a lease) by a minute."""


class _Script:
    """One Lua script: EVALSHA, and EVAL (which also loads it) when the server lost it (restarted,
    flushed)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def run(self, client: Any, keys: Sequence[str], args: Sequence[object]) -> Any:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except Exception as exc:
            if not _no_script(exc):
                raise
            return client.eval(self.source, len(keys), *keys, *args)

    async def run_async(self, client: Any, keys: Sequence[str], args: Sequence[object]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except Exception as exc:
            if not _no_script(exc):
                raise
            return await client.eval(self.source, len(keys), *keys, *args)


def _no_script(exc: Exception) -> bool:
    # redis-py's and valkey-py's NoScriptError alike, without importing either.
    return type(exc).__name__ == "NoScriptError" or str(exc).startswith("NOSCRIPT")


_BREAKER_SYNC = _Script(lua.BREAKER_SYNC)
_BREAKER_LEASE = _Script(lua.BREAKER_LEASE)
_BREAKER_PROBE_DONE = _Script(lua.BREAKER_PROBE_DONE)
_BUDGET = _Script(lua.BUDGET)
_GATE = _Script(lua.GATE)

Request = tuple[_Script, tuple[str, ...], tuple[object, ...], Callable[[Any], object]]
"""A script to run, its keys and arguments, and what to do with its reply (None when there was none)."""


def _ints(reply: object, count: int) -> list[int] | None:
    """The script's reply as ``count`` ints, or None for anything else (a client that decodes oddly, a
    wrapper that answers something else): absent state, never an error."""
    if not isinstance(reply, (list, tuple)) or len(reply) < count:
        return None
    out = []
    for item in reply[:count]:
        if isinstance(item, bool) or not isinstance(item, int):
            return None
        out.append(item)
    return out


def _is_async_client(client: object) -> bool:
    execute = getattr(client, "execute_command", None)
    evalsha = getattr(client, "evalsha", None)
    if execute is None or evalsha is None or not callable(evalsha):
        raise valid.wrong_type("client", "a redis.Redis or redis.asyncio.Redis client (or valkey's)", client)
    return inspect.iscoroutinefunction(execute)


class Pending:
    """An async store's answer to one call, asked on the caller's loop and settled before its next attempt.

    Settled within ``timeout_s`` of real time whatever the caller's sleep does: one that never yields to
    the loop (a test's fake sleep) would otherwise keep the answer from ever arriving."""

    __slots__ = ("_deadline", "_task", "_then")

    def __init__(self, task: asyncio.Task[Any], then: Callable[[Any], Any], timeout_s: float) -> None:
        self._task = task
        self._then = then
        self._deadline = time.monotonic() + timeout_s

    def verdict(self) -> Any:
        """None while the store has not answered, else what ``then`` made of the reply (of None, when the
        store did not answer in time)."""
        if not self._task.done():
            if time.monotonic() < self._deadline:
                return None
            self._task.cancel()
            return self._then(None)
        try:
            reply = self._task.result()
        except BaseException:  # cancelled with its loop, or a bug: the local state decides
            reply = None
        return self._then(reply)

    def abandon(self) -> None:
        self._task.cancel()


class RedisStore(InMemoryStore):
    """Shared state for `CircuitBreaker`, `RetryBudget` and `RateLimitGate` objects made with ``store=``,
    across every process (worker, pod, function) whose store reaches the same Redis with the same ``prefix``:
    objects of one kind and one ``name`` behave as one breaker, one budget, one gate for the whole fleet.

    ``client`` is your own ``redis.Redis`` (for functions decorated with `retry_llm`) or
    ``redis.asyncio.Redis`` (for `async_retry_llm`), or valkey-py's; TLS, auth, Sentinel and Cluster are its
    business (every key of one object carries one hash tag, so a Cluster keeps them in one slot). A sync
    client under an async function, or the reverse, is a ``TypeError`` when the function is decorated.

    Within a process the objects share one local state as on an `InMemoryStore`, and that state decides
    every call: the success path never waits for Redis. Every ``sync_interval_s`` (0.25 s) a background
    round sends, per object, one script with what the process saw since the last round (outcomes, first
    attempts) and merges the fleet's state back: the fleet's breaker opened (by failures counted across the
    fleet) or closed (by a probe anywhere), a hold another process's 429 set. That view is at most
    ``sync_interval_s + timeout_s`` old while the process is busy; a process whose objects saw no call since
    the last round (breakers closed, nothing held) doubles the time to its next round, up to 2 s, so that a
    quiet process's first call after a pause may read a view up to 2 s old. Two steps wait for Redis, at
    most ``timeout_s`` (50 ms): a half-open probe takes one of the fleet's ``half_open_max_calls`` leases
    (exactly that many probes in flight across the fleet), and a retry is withdrawn from the fleet's budget
    (exact accounting). A hinted 429 is sent at once. Windows, open periods and leases run on the server's
    clock.

    When Redis fails (down, paused, restarted, flushed, slow past ``timeout_s``), calls go on with local
    state, nothing is raised, one WARNING is logged on ``llm_retry`` when the store degrades and one when
    it answers again; a degraded store checks the server every 1 to 5 s by itself. ``stats()`` counts
    both. Values under its keys that it did not write read as absent state.

    ``autosync=False`` leaves the rounds to you (`sync`, `async_sync`): a simulation on a fake ``clock``
    drives them itself, and its scripts then run on that clock too (the default clock leaves time to
    Redis). The store connects to nothing until an object is used.

    >>> import redis
    >>> from llm_retry import CircuitBreaker, RedisStore, RetryBudget
    >>> store = RedisStore(redis.Redis(host="127.0.0.1", port=1), prefix="docs", autosync=False)
    >>> breaker = CircuitBreaker(name="anthropic", store=store)
    >>> budget = RetryBudget(name="anthropic", store=store)
    >>> store
    RedisStore(prefix='docs', 2 shared states, sync client)
    >>> store.key("breaker", "anthropic")
    'docs:{breaker:anthropic}'
    >>> RedisStore(redis.Redis(), timeout_s=0)
    Traceback (most recent call last):
    ...
    ValueError: timeout_s must be a number of seconds above 0 and at most 10, got 0
    """

    __slots__ = (
        "__weakref__",
        "_async_link",
        "_client",
        "_fleets",
        "_fleets_lock",
        "_health",
        "_is_async",
        "_next_round_s",
        "_sync_link",
        "_ticker",
        "_wake",
        "autosync",
        "prefix",
        "sync_interval_s",
        "timeout_s",
    )

    def __init__(
        self,
        client: Any,
        prefix: str = "llm-retry",
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        sync_interval_s: float = DEFAULT_SYNC_INTERVAL_S,
        autosync: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock)
        self._is_async = _is_async_client(client)
        self._client = client
        self.prefix = valid.text("prefix", prefix)
        self.timeout_s = valid.seconds("timeout_s", timeout_s, positive=True, maximum=_LONGEST_TIMEOUT_S)
        self.sync_interval_s = valid.seconds("sync_interval_s", sync_interval_s, positive=True, maximum=60.0)
        self._next_round_s = self.sync_interval_s
        self.autosync = valid.flag("autosync", autosync)
        self._health = LinkHealth(self.prefix, self.clock)
        self._sync_link: SyncLink | None = None
        self._async_link: AsyncLink | None = None
        if self._is_async:
            self._async_link = AsyncLink(self._health, client.ping, self.timeout_s)
        else:
            self._sync_link = SyncLink(self._health, client.ping, self.timeout_s)
        self._fleets: list[_Fleet] = []
        self._fleets_lock = threading.Lock()
        self._ticker: Any = None  # the sync round's thread, or the loop of the async one
        self._wake: Any = None
        if not self._is_async:
            me = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _restart_in_child(me))

    @property
    def asynchronous(self) -> bool:
        """Whether the client is an async one (``redis.asyncio.Redis``): the store then serves
        `async_retry_llm` functions only."""
        return self._is_async

    def key(self, kind: str, name: str) -> str:
        """The Redis key of the ``kind`` object ("breaker", "budget" or "gate") ``name``; a breaker also
        has ``key + ":window"`` and ``key + ":probes"``."""
        return f"{self.prefix}:{{{kind}:{name}}}"

    def stats(self) -> dict[str, Any]:
        """Whether the store is degraded now, how many times it degraded and recovered, commands that
        failed or timed out, sync rounds made, the age of the fleet view (None before the first), and the
        time to the next background round (longer while the process is quiet)."""
        health = self._health
        with self._fleets_lock:
            fleets = list(self._fleets)
        synced = [f.synced_at for f in fleets if f.synced_at is not None]
        return {
            "degraded": health.degraded,
            "degradations": health.degradations,
            "recoveries": health.recoveries,
            "failures": health.failures,
            "rounds": sum(f.rounds for f in fleets),
            "view_age_s": (self.clock() - min(synced)) if synced else None,
            "next_round_s": self._next_round_s,
        }

    def __repr__(self) -> str:
        with self._lock:
            count = len(self._entries)
        kind = "async client" if self._is_async else "sync client"
        shared = f"{count} shared {'state' if count == 1 else 'states'}"
        return f"RedisStore(prefix={self.prefix!r}, {shared}, {kind})"

    # --- rounds ---------------------------------------------------------------------------------------

    def sync(self) -> None:
        """One sync round now, on a sync client: every object sends its batch and merges the fleet's view.
        Waits at most ``timeout_s`` per object; never raises."""
        if self._is_async:
            raise TypeError(
                "sync() needs a sync client (redis.Redis); this store has an async one: use async_sync()"
            )
        fleets = self._snapshot()
        for fleet in fleets:
            for script, keys, args, then in fleet.requests():
                then(self._call(script, keys, args))
        self._pace_rounds(fleets)

    async def async_sync(self) -> None:
        """`sync`, on an async client."""
        if not self._is_async:
            raise TypeError(
                "async_sync() needs an async client (redis.asyncio.Redis); this store has a sync one"
            )
        fleets = self._snapshot()
        for fleet in fleets:
            for script, keys, args, then in fleet.requests():
                then(await self._acall(script, keys, args))
        self._pace_rounds(fleets)

    def _pace_rounds(self, fleets: list[_Fleet]) -> None:
        """The time to the next background round: ``sync_interval_s`` after a round with activity, else
        doubled, up to `IDLE_SYNC_S`."""
        if any(fleet.busy for fleet in fleets):
            self._next_round_s = self.sync_interval_s
        else:
            self._next_round_s = min(max(self._next_round_s * 2.0, self.sync_interval_s), IDLE_SYNC_S)

    def close(self) -> None:
        """Stops the background rounds (a sync client's thread, or an async client's task, at its next
        wake); the objects go on with local state, and the client stays yours to close. Never raises."""
        with self._fleets_lock:
            self.autosync = False
            wake, self._ticker = self._wake, None
        if wake is not None:
            self._kick()
            self._wake = None

    def _snapshot(self) -> list[_Fleet]:
        with self._fleets_lock:
            return list(self._fleets)

    def _now_ms(self) -> str:
        """The scripts' last argument: empty for the server's clock; a custom clock's reading in ms, so that
        a simulation on a fake clock runs its fleet's windows and leases in the same virtual time."""
        clock = self.clock
        return "" if clock is time.monotonic else str(int(clock() * 1000))

    def _call(self, script: _Script, keys: Sequence[str], args: Sequence[object]) -> Any:
        link = self._sync_link
        assert link is not None
        client, full = self._client, (*args, self._now_ms())
        return link.call(lambda: script.run(client, keys, full))

    async def _acall(self, script: _Script, keys: Sequence[str], args: Sequence[object]) -> Any:
        link = self._async_link
        assert link is not None
        client, full = self._client, (*args, self._now_ms())
        return await link.call(lambda: script.run_async(client, keys, full))

    def _ask(
        self, script: _Script, keys: Sequence[str], args: Sequence[object], then: Callable[[Any], Any]
    ) -> Any:
        """A caller's question to the fleet: on a sync client, its answer (``then(reply)``, at most
        ``timeout_s`` away); on an async one, a `Pending` to settle before the next attempt, or at once
        ``then(None)`` when the store is degraded or no asyncio loop runs."""
        if not self._is_async:
            return then(self._call(script, keys, args))
        if self._health.degraded:
            return then(None)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return then(None)
        return Pending(loop.create_task(self._acall(script, keys, args)), then, self.timeout_s)

    def _kick(self) -> None:
        """Something worth sending now (a hold, a probe's outcome): the next round starts at once."""
        wake = self._wake
        if wake is None:
            return
        if isinstance(wake, threading.Event):
            wake.set()
            return
        loop, event = wake
        with contextlib.suppress(RuntimeError):  # the loop closed
            loop.call_soon_threadsafe(event.set)

    def _forget_ticker(self) -> None:
        """In a forked child: the parent's round thread is not here; the child starts its own."""
        self._ticker, self._wake = None, None
        if self._fleets:
            self._start_thread()

    def _start_thread(self) -> None:
        if not self.autosync or self._ticker is not None:
            return
        self._wake = threading.Event()
        thread = threading.Thread(
            target=_sync_forever,
            args=(weakref.ref(self), self._wake),
            name=f"llm-retry-sync-{self.prefix}",
            daemon=True,
        )
        self._ticker = thread
        thread.start()

    def _running_here(self) -> None:
        """Called by async callers: the sync rounds of an async client run as a task on the caller's loop,
        started by the first call made on it (and again on a new loop)."""
        if not self.autosync:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on asyncio (trio): no rounds, local state decides
            return
        if self._ticker is loop:
            return
        with self._fleets_lock:
            if self._ticker is loop:
                return
            event = asyncio.Event()
            self._ticker, self._wake = loop, (loop, event)
        task = loop.create_task(_async_sync_forever(weakref.ref(self), event, loop))
        _ROUND_TASKS.add(task)
        task.add_done_callback(_ROUND_TASKS.discard)

    # --- the objects' side ---------------------------------------------------------------------------

    def _fleet(self, kind: str, name: str, core: Any, settings: Settings, owner: Any) -> _Fleet:
        """The fleet link of the ``kind`` object ``name`` (one per name, like its core); ``owner`` is the
        object just made (a breaker's hooks hear of the fleet's transitions)."""
        with self._fleets_lock:
            found = [f for f in self._fleets if f.kind == kind and f.name == name]
            fleet = found[0] if found else _FLEETS[kind](self, name, core, dict(settings))
            if not found:
                self._fleets.append(fleet)
            if kind == "breaker":  # the objects whose on_state_change hears of the fleet's transitions
                fleet.owners.add(owner)
            if found:
                return fleet
        if not self._is_async:
            self._start_thread()
        return fleet


_ROUND_TASKS: set[asyncio.Task[None]] = set()


def _restart_in_child(store_ref: weakref.ref[RedisStore]) -> None:
    store = store_ref()
    if store is not None:
        store._forget_ticker()


def _sync_forever(store_ref: weakref.ref[RedisStore], wake: threading.Event) -> None:
    """The sync rounds of a sync client, on a daemon thread; ends when the store is gone."""
    while True:
        store = store_ref()
        if store is None or store._wake is not wake:
            return
        try:
            store.sync()
        except Exception:  # a bug must not end the rounds, nor reach anyone
            logger.debug("llm-retry: a sync round failed", exc_info=True)
        interval = store._next_round_s
        del store
        wake.wait(interval)
        wake.clear()


async def _async_sync_forever(store_ref: weakref.ref[RedisStore], wake: asyncio.Event, loop: object) -> None:
    """The sync rounds of an async client, on the caller's loop; ends with the loop, or the store."""
    while True:
        store = store_ref()
        if store is None or store._ticker is not loop:
            return
        try:
            await store.async_sync()
        except Exception:
            logger.debug("llm-retry: a sync round failed", exc_info=True)
        interval = store._next_round_s
        del store
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), interval)
        wake.clear()


def check_pairing(objects: Sequence[object], asynchronous: bool, what: str) -> None:
    """A sync function needs its objects' stores to have sync clients, an async one async clients: else a
    TypeError naming both."""
    for obj in objects:
        fleet = getattr(obj, "_fleet", None)
        if fleet is None or fleet.store.asynchronous == asynchronous:
            continue
        store_kind = (
            "an async client (redis.asyncio.Redis)"
            if fleet.store.asynchronous
            else "a sync client (redis.Redis)"
        )
        need = "an async" if asynchronous else "a sync"
        raise TypeError(
            f"{what} is {'async' if asynchronous else 'sync'}, and {fleet.kind} {fleet.name!r} is on a "
            f"RedisStore with {store_kind}: {need} function needs a RedisStore of {need} client"
        )


def running_rounds(objects: Sequence[object]) -> Callable[[], None] | None:
    """What an async caller calls first: starts its objects' async stores' rounds on its loop (None when no
    object is on an async `RedisStore`, the common case, checked fast: `attempts()` asks at every block)."""
    stores: list[RedisStore] | None = None
    for obj in objects:
        fleet = getattr(obj, "_fleet", None)
        if fleet is not None and fleet.store._is_async:
            if stores is None:
                stores = [fleet.store]
            elif fleet.store not in stores:
                stores.append(fleet.store)
    if stores is None:
        return None
    if len(stores) == 1:
        only: Callable[[], None] = stores[0]._running_here
        return only
    found = stores

    def start_all() -> None:
        for store in found:
            store._running_here()

    return start_all


# --- one object's link to its fleet ------------------------------------------------------------------


class _Fleet:
    """What one process tells the fleet about one object, and what it merges back."""

    kind = ""

    def __init__(self, store: RedisStore, name: str, core: Any, settings: dict[str, Any]) -> None:
        self.store = store
        self.name = name
        self.core = core
        self.settings = settings
        self.key = store.key(self.kind, name)
        self.owners: weakref.WeakSet[Any] = weakref.WeakSet()
        self.lock = threading.Lock()
        self.rounds = 0
        self.synced_at: float | None = None
        self.busy = True  # whether the last round had something to say, or something to watch

    def now(self) -> float | None:
        clock = self.store.clock
        return None if clock is time.monotonic else clock()

    def requests(self) -> list[Request]:
        raise NotImplementedError

    def answered(self) -> None:
        self.rounds += 1
        self.synced_at = self.store.clock()


class _FleetBreaker(_Fleet):
    kind = "breaker"

    def __init__(self, store: RedisStore, name: str, core: Any, settings: dict[str, Any]) -> None:
        super().__init__(store, name, core, settings)
        self.keys = (self.key, self.key + ":window", self.key + ":probes")
        cooldown_s = settings["cooldown_s"]
        max_cooldown_s = settings["max_cooldown_s"] or max(10.0, cooldown_s)
        self.cooldown_ms = int(cooldown_s * 1000)
        self.max_cooldown_ms = int(max_cooldown_s * 1000)
        self.lease_ms = int(settings["probe_lease_s"] * 1000)
        longest_s = max(settings["window_s"], max_cooldown_s, settings["probe_lease_s"])
        self.ttl_ms = int((longest_s + _KEY_SLACK_S) * 1000)
        rate = settings["failure_rate_threshold"]
        self.rate = -1.0 if rate is None else rate
        stats = core.stats(self.now())
        self.sent_ok, self.sent_failed = stats["successes"], stats["failures"]
        self.sent_limited = stats["paced_rate_limits"]
        self.heard_limited: int | None = None  # the fleet's last slow-start 429 (server ms), as last seen
        self.force = 0  # 1: opened by hand, 2: closed by hand, to send
        self.generation: int | None = None  # the fleet's, as last seen
        self.refused_until = 0.0  # no lease to ask for before then (store clock)
        self.refused_reason = RefusalReason.OPEN
        self.leases: dict[int, tuple[Any, str, int]] = {}  # id(permit) -> (permit, lease id, generation)
        self.reports: list[tuple[str, int, int]] = []  # (lease id, outcome, generation), to send
        self.lease_ids = itertools.count()
        self.lease_prefix = f"{os.getpid()}-{random.getrandbits(32):08x}"

    def requests(self) -> list[Request]:
        out: list[Request] = []
        with self.lock:
            reports, self.reports = self.reports, []
        for lease_id, outcome, generation in reports:
            jitter = f"{random.uniform(1.0, 1.2):.4f}"
            done_args: tuple[object, ...] = (
                lease_id,
                outcome,
                generation,
                self.cooldown_ms,
                self.max_cooldown_ms,
                jitter,
                self.ttl_ms,
                repr(_core.PROBE_SHARE),
            )
            out.append(
                (_BREAKER_PROBE_DONE, self.keys, done_args, self._reported(lease_id, outcome, generation))
            )
        stats = self.core.stats(self.now())
        opened = stats["opened_count"]
        with self.lock:
            ok, self.sent_ok = stats["successes"] - self.sent_ok, stats["successes"]
            failed, self.sent_failed = stats["failures"] - self.sent_failed, stats["failures"]
            limited = stats["paced_rate_limits"] - self.sent_limited
            self.sent_limited = stats["paced_rate_limits"]
            force, self.force = self.force, 0
        self.busy = (
            bool(ok or failed or force or reports)
            or stats["state"] is not BreakerState.CLOSED
            or stats["paced_rate"] is not None
        )
        s = self.settings
        args = (
            ok,
            failed,
            stats["consecutive_failures"],
            force,
            s["failure_threshold"],
            self.rate,
            s["minimum_calls"],
            s["window_s"],
            int(self.cooldown_ms * random.uniform(1.0, 1.2)),
            self.ttl_ms,
            limited,
        )
        out.append((_BREAKER_SYNC, self.keys, args, self._synced(ok, failed, opened, force)))
        return out

    def _reported(self, lease_id: str, outcome: int, generation: int) -> Callable[[Any], None]:
        def then(reply: Any) -> None:
            if reply is None:  # not sent: next round
                with self.lock:
                    self.reports.append((lease_id, outcome, generation))

        return then

    def _synced(self, ok: int, failed: int, opened: int, force: int) -> Callable[[Any], None]:
        def then(reply: Any) -> None:
            answer = _ints(reply, 4)
            if answer is None:
                # Not counted, and not sent later either: outcomes from before an outage of the store would
                # trip the fleet's breaker on stale failures (and a timeout may have been counted after all).
                with self.lock:
                    self.force = self.force or force
                return
            self.answered()
            self._merge(*answer[:3], opened_before=opened)
            self._hear_rate_limit(answer[3])

        return then

    def _merge(self, state: int, open_left_ms: int, generation: int, *, opened_before: int) -> None:
        """The fleet's breaker into the local one: a transition of the fleet (a new generation) is made
        locally; between transitions the local breaker decides on its own outcomes."""
        seen, self.generation = self.generation, generation
        now = self.now()
        if state == 1:
            self.refused_until = self.store.clock() + open_left_ms / 1000
            self.refused_reason = RefusalReason.OPEN
        if seen == generation:
            return
        local = self.core.state(now)
        if state == 0 and local is not BreakerState.CLOSED:
            if self.core.stats(now)["opened_count"] != opened_before:
                return  # it tripped here while the round was on its way: that trip stands
            # As a probe here would have: the slow start lets this process's backlog in at a rate.
            self._fire(self.core.close_after_probe(now))
        elif state != 0 and local is BreakerState.CLOSED:
            self._fire(self.core.force_open(now))

    def _hear_rate_limit(self, at_ms: int) -> None:
        """A 429 met by a slow start anywhere in the fleet (this process's own included) cuts this
        process's pace too: a fleet's paces are one pace in many pieces, and a cut heard only by the
        process that met the 429 let the others grow on to twice the provider's capacity."""
        heard, self.heard_limited = self.heard_limited, at_ms
        if heard is not None and at_ms > heard:
            self.core.throttled_elsewhere(self.now())

    def _fire(self, transition: _core.Transition | None) -> None:
        if transition is None:
            return
        # Logged and emitted once, as one transition; every object of this name hears of it.
        owners = list(self.owners)
        if owners:
            owners[0]._fire(transition, from_fleet=True)
        for owner in owners[1:]:
            owner._hear(transition)

    # The caller's side.

    def lease(self, permit: _core.Permit) -> Any:
        """A local probe permit, checked with the fleet: the permit (go), a refusal (the fleet is open or
        its leases are taken; the permit is handed back), or, on an async client, a `Pending` of either."""
        clock = self.store.clock
        if clock() < self.refused_until:
            return self._refuse(permit, self.refused_until - clock(), self.refused_reason)
        lease_id = f"{self.lease_prefix}-{next(self.lease_ids)}"
        s = self.settings
        args = (s["half_open_max_calls"], self.lease_ms, lease_id, self.ttl_ms)
        return self.store._ask(
            _BREAKER_LEASE, (self.keys[0], self.keys[2]), args, self._leased(permit, lease_id)
        )

    def _leased(self, permit: _core.Permit, lease_id: str) -> Callable[[Any], Any]:
        def then(reply: Any) -> Any:
            answer = _ints(reply, 3)
            if answer is None:
                # The store is away, or its answer came too late: the local breaker decides. A lease the
                # server may have granted all the same is given back with the next round, else it would
                # hold one of the fleet's probe slots for probe_lease_s (minutes) with no probe behind it.
                with self.lock:
                    self.reports.append((lease_id, -1, -1))
                self.store._kick()
                return permit
            verdict, wait_ms, generation = answer
            if verdict == 2:
                with self.lock:
                    self.leases[id(permit)] = (permit, lease_id, generation)
                return permit
            if verdict == 0:
                # The fleet is closed: a probe elsewhere found the provider back. Close here as the fleet
                # did, with the slow start paced from this process's share (a probe of its own would have
                # paced from 2 a second, and 1,000 processes from 2,000), and ask again as a paced call.
                now = self.now()
                self.core.release(permit, now)
                self._fire(self.core.close_after_probe(now))
                grant = self.core.acquire(now)
                if isinstance(grant, _core.Permit):
                    return grant
                return FleetRefusal(grant.retry_in_s, grant.reason)
            wait_s = wait_ms / 1000
            reason = RefusalReason.OPEN if verdict == 1 else RefusalReason.HALF_OPEN_FULL
            if verdict == 3:
                # The fleet's leases are taken until a probe reports or its lease ends (up to
                # probe_lease_s, minutes): ask again after a round, as a local half-open breaker would
                # tell its waiters, not at the end of another process's lease.
                wait_s = min(wait_s, self.store.sync_interval_s)
            self.refused_until = self.store.clock() + wait_s
            self.refused_reason = reason
            return self._refuse(permit, wait_s, reason)

        return then

    def _refuse(self, permit: _core.Permit, wait_s: float, reason: RefusalReason) -> FleetRefusal:
        self.core.release(permit, self.now())
        return FleetRefusal(max(wait_s, 0.001) * random.uniform(1.0, 1.2), reason)

    def probe_done(self, permit: _core.Permit, transition: _core.Transition | None, answered: bool) -> None:
        """A probe's outcome, sent with the next round (which starts at once)."""
        with self.lock:
            found = self.leases.pop(id(permit), None)
        if found is None:
            return
        _, lease_id, generation = found
        outcome = -1
        if transition is not None and transition.new is BreakerState.CLOSED:
            outcome = 1
        elif transition is not None and transition.new is BreakerState.OPEN:
            outcome = 0
        elif answered:
            outcome = 1
        with self.lock:
            self.reports.append((lease_id, outcome, generation))
        self.store._kick()

    def by_hand(self, opened: bool) -> None:
        self.force = 1 if opened else 2
        self.store._kick()


class FleetRefusal:
    """The fleet refused a probe: what `CircuitBreaker._rejection` and the engine read of a
    `_core.Refusal`."""

    __slots__ = ("reason", "retry_in_s", "transition")

    def __init__(self, retry_in_s: float, reason: RefusalReason) -> None:
        self.retry_in_s = retry_in_s
        self.reason = reason
        self.transition = None


class _FleetBudget(_Fleet):
    kind = "budget"

    def __init__(self, store: RedisStore, name: str, core: Any, settings: dict[str, Any]) -> None:
        super().__init__(store, name, core, settings)
        self.keys = (self.key,)
        self.sent_firsts: int = core.stats(self.now()).first_attempts
        self.ttl_ms = int((settings["window_s"] + _KEY_SLACK_S) * 1000)
        self.fleet_first_attempts = 0
        self.fleet_retries = 0
        self.retries_allowed = 0
        self.retries_refused = 0

    def _take(self) -> int:
        """The first attempts made since the last batch, taken for one request, so that two requests never
        send the same ones; not sent again when it is not answered (a timeout may have been counted)."""
        firsts: int = self.core.stats(self.now()).first_attempts
        with self.lock:
            delta, self.sent_firsts = firsts - self.sent_firsts, firsts
        return delta

    def _args(self, delta: int, withdraw: int) -> tuple[object, ...]:
        s = self.settings
        return (delta, withdraw, s["min_retries"], repr(s["retry_ratio"]), s["window_s"], self.ttl_ms)

    def requests(self) -> list[Request]:
        delta = self._take()
        self.busy = bool(delta)
        if not delta:
            return []  # nothing to send; the fleet's counts are read with a withdrawal
        return [(_BUDGET, self.keys, self._args(delta, 0), self._counted())]

    def _counted(self) -> Callable[[Any], bool | None]:
        def then(reply: Any) -> bool | None:
            answer = _ints(reply, 3)
            if answer is None:
                return None
            allowed, self.fleet_first_attempts, self.fleet_retries = answer
            self.answered()
            return bool(allowed)

        return then

    def withdraw(self) -> Any:
        """A retry from the fleet's budget: True or False, at most ``timeout_s`` away (on an async client a
        `Pending` of it); when the store does not answer, the local budget decides."""
        delta = self._take()
        counted = self._counted()

        def then(reply: Any) -> bool:
            allowed = counted(reply)
            if allowed is None:
                return bool(self.core.try_withdraw(self.now()))
            if allowed:
                self.retries_allowed += 1
            else:
                self.retries_refused += 1
            return allowed

        return self.store._ask(_BUDGET, self.keys, self._args(delta, 1), then)


class _FleetGate(_Fleet):
    kind = "gate"

    def __init__(self, store: RedisStore, name: str, core: Any, settings: dict[str, Any]) -> None:
        super().__init__(store, name, core, settings)
        self.keys = (self.key,)
        self.unsent = False  # a hold set here that the fleet has not heard of yet

    def requests(self) -> list[Request]:
        with self.lock:
            unsent, self.unsent = self.unsent, False
        # What is left of this process's hold when it is sent: one kept through an outage of the store
        # goes out shorter, or not at all.
        hold_ms = int(self.core.retry_in_s(self.now()) * 1000) if unsent else 0
        self.busy = unsent or self.core.retry_in_s(self.now()) > 0
        return [(_GATE, self.keys, (hold_ms,), self._held(unsent))]

    def _held(self, unsent: bool) -> Callable[[Any], None]:
        def then(reply: Any) -> None:
            answer = _ints(reply, 1)
            if answer is None:
                with self.lock:
                    self.unsent = self.unsent or unsent
                return
            self.answered()
            left_s = answer[0] / 1000
            now = self.now()
            # Merged only when the fleet's hold ends later than this process's (its own comes back as it was).
            if left_s > self.core.retry_in_s(now) + 0.01:
                self.core.hold_for(left_s, now)

        return then

    def held(self) -> None:
        """A hint here set or extended this gate's hold: it goes to the fleet now."""
        with self.lock:
            self.unsent = True
        self.store._kick()


_FLEETS: dict[str, type[_Fleet]] = {"breaker": _FleetBreaker, "budget": _FleetBudget, "gate": _FleetGate}
