"""A fleet of LLM clients against one provider, in virtual time: what each retry policy does to the provider
during an incident and how fast the fleet recovers (issue 10's measuring instrument).

The real library runs inside an asyncio event loop whose clock jumps to the next timer, so 300 s of a
1,000-client fleet take seconds, and everything follows from ``--seed``. The model is the one of
``shared/research/breakers-and-budgets.md`` section 5, whose numbers are the anchors:

- N clients (default 1,000), each an open-loop Poisson source; together they offer 70 % of the provider's
  capacity C = 200 req/s. The arrivals are the same for every policy (common random numbers).
- The provider is a token bucket of C req/s with a burst of C. An admitted attempt answers after a lognormal
  service time (median 1.5 s, sigma 0.5, which puts p95 at 3.4 s as in the research); one over capacity is
  answered 429 after 50 ms, without ``retry-after`` (as in the research) except in ``brownout``.
- Every attempt has a 30 s client timeout (the SDK's), every request a 60 s deadline: the harness cancels a
  request still running then and counts it as ``deadline``; llm-retry policies are also told
  ``deadline_s=60``.
- 300 s of arrivals, incident from 60 to 120 s, then the requests still running finish (or hit their
  deadline). Scenarios: ``hard`` (every attempt started in the incident gets 503 or 529 after 100 ms),
  ``hang`` (it hangs until its 30 s timeout, then raises ``APITimeoutError``), ``brownout`` (capacity and
  burst down to 0.3 C, 429 with ``retry-after: 1``), ``fallback`` (model A is out as in ``hard``;
  ``llm_retry.fallback`` moves on to model B, a provider of its own with 0.5 C, whose 429s carry no hint).
- Errors are objects shaped like the SDKs' (``RateLimitError``, ``InternalServerError``,
  ``OverloadedError`` with an ``overloaded_error`` body, ``APITimeoutError``; ``status_code``,
  ``response.headers``), so llm-retry classifies them by name and attributes as in production.

Limits, as in the research: shared objects are zero-latency (one object in the process, or the in-memory
store); rejections cost the provider nothing; no network delay, no provider-side queue. The ``-redis``
policies are the exception: each client has its own `RedisStore` (one per process, as in production) on
one fake Redis whose clock is the virtual one, every command counted and costing ``--store-latency-ms``
(`benches/fleet_store.py`; needs ``lupa``, and ``fakeredis`` for ``--fake-redis fakeredis``).

    python3 benches/fleet_sim.py --scenario hard --clients 1000 --seed 1 [--policies a,b]
        [--markdown FILE] [--png FILE] [--jobs 2] [--store-latency-ms 1] [--fake-redis lupa|fakeredis]
    python3 benches/fleet_sim.py --smoke        # 50 clients, 60 s, every policy, seconds of wall time

Policies are the dict `POLICIES` (name -> factory); targets are `TARGETS`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import dataclasses
import hashlib
import importlib.util
import inspect
import logging
import math
import random
import selectors
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import llm_retry

SCENARIOS = ("hard", "hang", "brownout", "fallback")
FAKE_REDIS = ("lupa", "fakeredis")


# --- virtual time ------------------------------------------------------------------------------------


class _JumpingSelector(selectors.SelectSelector):
    """Never waits: asked to wait ``timeout`` seconds for I/O (there is none), it moves the loop's clock on
    by ``timeout`` instead, which is exactly the time to the next timer."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            # Nothing ready and no timer: every task waits for something no one will do.
            raise RuntimeError("fleet simulation deadlocked: no task is ready and no timer is set")
        if timeout > 0:
            self._loop.now_s += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on a virtual clock: ``asyncio.sleep``, ``asyncio.timeout`` and ``loop.time`` all run
    on it, and it jumps to the next timer whenever no task is ready."""

    def __init__(self) -> None:
        self.now_s = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self.now_s


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """What `asyncio.run` does before closing: nothing is left pending to be destroyed."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from the run's seed and names (never `hash()`, which changes per process)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


# --- the provider's errors, shaped like the SDKs' ----------------------------------------------------


class _Response:
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


class APIError(Exception):
    """The SDKs' common base (openai, anthropic)."""


class APIStatusError(APIError):
    def __init__(self, status_code: int, headers: dict[str, str] | None = None, body: Any = None) -> None:
        self.message = f"Error code: {status_code}"
        super().__init__(self.message)
        self.status_code = status_code
        self.response = _Response(status_code, headers or {})
        self.body = body


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


class OverloadedError(APIStatusError):
    pass


class APIConnectionError(APIError):
    pass


class APITimeoutError(APIConnectionError):
    def __init__(self) -> None:
        super().__init__("Request timed out.")


_OVERLOADED_BODY = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def _outage_error(rng: random.Random) -> APIStatusError:
    if rng.random() < 0.5:
        return InternalServerError(503)
    return OverloadedError(529, body=_OVERLOADED_BODY)


# --- settings and the world ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    scenario: str = "hard"
    clients: int = 1000
    seed: int = 1
    capacity: float = 200.0  # C, requests per second
    load: float = 0.7  # offered load, a share of C
    duration_s: float = 300.0  # arrivals stop here; running requests then finish
    incident_start_s: float = 60.0
    incident_end_s: float = 120.0
    deadline_s: float = 60.0
    client_timeout_s: float = 30.0
    median_service_s: float = 1.5
    service_sigma: float = 0.5
    outage_answer_s: float = 0.1  # 503/529 during a hard outage
    throttle_answer_s: float = 0.05  # 429 over capacity
    brownout_share: float = 0.3  # capacity during a brownout, a share of C
    fallback_share: float = 0.5  # model B's capacity, a share of C
    store_latency_ms: float = 1.0  # each Redis command's round trip, -redis policies
    fake_redis: str = "lupa"  # the server of the -redis policies: FAKE_REDIS
    script_clock: str = "server"  # whose clock the store's scripts read: fleet_store.SCRIPT_CLOCKS

    @property
    def incident(self) -> tuple[float, float]:
        return self.incident_start_s, self.incident_end_s


SMOKE = {
    "clients": 50,
    "capacity": 20.0,
    "duration_s": 60.0,
    "incident_start_s": 20.0,
    "incident_end_s": 40.0,
}


class PerSecond:
    """Counts by whole virtual second."""

    def __init__(self, seconds: int) -> None:
        self.counts = [0] * seconds

    def add(self, t: float) -> None:
        self.counts[min(int(t), len(self.counts) - 1)] += 1

    def between(self, start_s: float, end_s: float) -> int:
        return sum(self.counts[int(start_s) : int(end_s)])


# The index of the request whose task is running: each attempt is counted against it.
current_request: contextvars.ContextVar[int] = contextvars.ContextVar("current_request")


class Provider:
    """One model behind a token bucket. `attempt` is the call a client makes; it counts every attempt, by
    second and by request (``per_request``, sized by the run)."""

    def __init__(
        self, name: str, s: Settings, capacity: float, *, out: str | None, throttle_hint: bool
    ) -> None:
        self.name = name
        self.s = s
        self.base_capacity = capacity
        self.out = out  # None, "hard" or "hang": what an attempt started in the incident gets
        self.brownout = s.scenario == "brownout" and out is None
        self.throttle_headers = {"retry-after": "1"} if throttle_hint else {}
        self.rng = random.Random(derive_seed(s.seed, "provider", name))
        self.tokens = capacity
        self.refilled_s = 0.0
        seconds = int(s.duration_s + s.deadline_s) + 2
        self.attempts = PerSecond(seconds)
        self.throttled = PerSecond(seconds)
        self.per_request: list[int] = []

    def in_incident(self, t: float) -> bool:
        return self.s.incident_start_s <= t < self.s.incident_end_s

    def _admit(self, now: float) -> bool:
        rate = self.base_capacity
        if self.brownout and self.in_incident(now):
            rate *= self.s.brownout_share
        self.tokens = min(rate, self.tokens + (now - self.refilled_s) * rate)  # burst = one second's worth
        self.refilled_s = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    async def attempt(self) -> str:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.attempts.add(now)
        self.per_request[current_request.get()] += 1
        if self.out is not None and self.in_incident(now):
            if self.out == "hang":
                await asyncio.sleep(self.s.client_timeout_s)
                raise APITimeoutError()
            await asyncio.sleep(self.s.outage_answer_s)
            raise _outage_error(self.rng)
        if not self._admit(now):
            self.throttled.add(now)
            await asyncio.sleep(self.s.throttle_answer_s)
            raise RateLimitError(429, headers=self.throttle_headers)
        service_s = self.rng.lognormvariate(math.log(self.s.median_service_s), self.s.service_sigma)
        if service_s > self.s.client_timeout_s:
            await asyncio.sleep(self.s.client_timeout_s)
            raise APITimeoutError()
        await asyncio.sleep(service_s)
        return "ok"


def make_providers(s: Settings) -> list[Provider]:
    """The primary first."""
    if s.scenario == "fallback":
        return [
            Provider("model-a", s, s.capacity, out="hard", throttle_hint=False),
            Provider("model-b", s, s.capacity * s.fallback_share, out=None, throttle_hint=False),
        ]
    out = s.scenario if s.scenario in ("hard", "hang") else None
    return [Provider("provider", s, s.capacity, out=out, throttle_hint=s.scenario == "brownout")]


@dataclasses.dataclass
class World:
    """What a policy factory may use: the settings, the virtual clock and sleep, the providers."""

    s: Settings
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    providers: list[Provider]
    # What lasts as long as the run (fakeredis on the virtual clock), closed after it.
    resources: contextlib.ExitStack = dataclasses.field(default_factory=contextlib.ExitStack)
    store_traffic: Any = None  # fleet_store.StoreTraffic, for a policy on a fake Redis

    def seed(self, *parts: object) -> int:
        return derive_seed(self.s.seed, *parts)


# --- policies ------------------------------------------------------------------------------------------

Attempt = Callable[[], Awaitable[str]]
Call = Callable[[], Awaitable[str]]
# A factory sees the world once per run and returns how client ``i`` calls a provider's ``attempt``.
Wrap = Callable[[int, Provider], Call]


@dataclasses.dataclass(frozen=True)
class Policy:
    factory: Callable[[World], Wrap]
    needs: tuple[str, ...] = ()  # llm_retry names this policy cannot run without
    modules: tuple[str, ...] = ()  # and the importable modules (lupa for a fake Redis)


def _accepted(target: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """The keyword arguments ``target`` takes: ``clock=``, ``name=`` and ``seed=`` go wherever they exist
    in this build (a `RetryBudget` has no clock today)."""
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def no_retry(world: World) -> Wrap:
    """One attempt."""
    return lambda i, provider: provider.attempt


_SDK_RETRIED_STATUSES = {408, 409, 429}


def _sdk_should_retry(exc: Exception) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    status = getattr(exc, "status_code", None)
    return status is not None and (status in _SDK_RETRIED_STATUSES or status >= 500)


def _retry_after_s(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def sdk_retries(world: World) -> Wrap:
    """openai/anthropic-python's built-in loop: 2 retries of 408/409/429/5xx and connection errors,
    ``min(0.5 * 2**n, 8) * (1 - 0.25 * U)`` after the n-th retry (n from 0), or the server's
    ``retry-after`` when 0 < it <= 60 s."""

    def wrap(i: int, provider: Provider) -> Call:
        rng = random.Random(world.seed("sdk", i, provider.name))

        async def call() -> str:
            for retries_done in range(3):
                try:
                    return await provider.attempt()
                except APIError as exc:
                    if retries_done == 2 or not _sdk_should_retry(exc):
                        raise
                    hint = _retry_after_s(exc)
                    if hint is not None and 0 < hint <= 60:
                        delay = hint
                    else:
                        delay = min(0.5 * 2**retries_done, 8.0) * (1 - 0.25 * rng.random())
                    await world.sleep(delay)
            raise AssertionError("unreachable")

        return call

    return wrap


def tenacity_full_jitter(world: World) -> Wrap:
    """tenacity as usually configured: 4 attempts, ``wait_random_exponential(multiplier=1, max=20)``, every
    exception retried (hand-written: tenacity's jitter reads the global `random`)."""

    def wrap(i: int, provider: Provider) -> Call:
        rng = random.Random(world.seed("tenacity", i, provider.name))

        async def call() -> str:
            for attempt in range(1, 5):
                try:
                    return await provider.attempt()
                except APIError:
                    if attempt == 4:
                        raise
                    await world.sleep(rng.uniform(0, min(20.0, 1.0 * 2 ** (attempt - 1))))
            raise AssertionError("unreachable")

        return call

    return wrap


def _decorate(world: World, i: int, provider: Provider, **extra: Any) -> Call:
    """``async_retry_llm`` on the virtual clock and sleep, told the request's deadline, seeded per client."""
    return llm_retry.async_retry_llm(
        sleep=world.sleep,
        clock=world.clock,
        deadline_s=world.s.deadline_s,
        seed=world.seed("jitter", i, provider.name),
        **extra,
    )(provider.attempt)


def ours_default(world: World) -> Wrap:
    """``async_retry_llm()`` with the library's defaults, one per client."""
    return lambda i, provider: _decorate(world, i, provider)


def _guards(world: World, name: str, owner: object, *, gate: bool, store: Any = None) -> dict[str, Any]:
    """A breaker, a budget and (when asked) a gate named ``name``, with the library's defaults, on the
    virtual clock; on ``store`` when given."""
    on_store = {} if store is None else {"store": store}
    breaker = llm_retry.CircuitBreaker(
        name=name, clock=world.clock, seed=world.seed("breaker", owner, name), **on_store
    )
    budget_kwargs = _accepted(llm_retry.RetryBudget, name=name, clock=world.clock)
    guards: dict[str, Any] = {
        "breaker": breaker,
        "budget": llm_retry.RetryBudget(**budget_kwargs, **on_store),
    }
    if gate:
        gate_class = llm_retry.RateLimitGate  # type: ignore[attr-defined]
        guards["gate"] = gate_class(**_accepted(gate_class, name=name, clock=world.clock), **on_store)
    return guards


def per_process(*, gate: bool) -> Callable[[World], Wrap]:
    """Each client its own breaker, budget (and gate), as N processes would have."""

    def factory(world: World) -> Wrap:
        def wrap(i: int, provider: Provider) -> Call:
            return _decorate(world, i, provider, **_guards(world, provider.name, i, gate=gate))

        return wrap

    return factory


def shared(*, wait: bool, gate: bool, store: bool) -> Callable[[World], Wrap]:
    """One breaker, budget (and gate) per provider for the whole fleet: one object that every client
    holds (a gateway), or with ``store`` each client's own objects of the same names on one shared
    `InMemoryStore`. ``wait``: calls wait for the breaker within their deadline instead of failing fast."""

    def factory(world: World) -> Wrap:
        flag = {"wait_for_breaker": True} if wait else {}
        if store:
            store_class = llm_retry.InMemoryStore  # type: ignore[attr-defined]
            the_store = store_class(**_accepted(store_class, clock=world.clock))

            def on_store(i: int, provider: Provider) -> Call:
                guards = _guards(world, provider.name, i, gate=gate, store=the_store)
                return _decorate(world, i, provider, **guards, **flag)

            return on_store
        fleet = {p.name: _guards(world, p.name, "fleet", gate=gate) for p in world.providers}
        return lambda i, provider: _decorate(world, i, provider, **fleet[provider.name], **flag)

    return factory


def _fleet_store() -> Any:
    """benches/fleet_store.py, beside this file: imported by the ``-redis`` policies only."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import fleet_store

    return fleet_store


def shared_redis(*, wait: bool) -> Callable[[World], Wrap]:
    """As the ``-store`` policies, with a `RedisStore` per client (one per process, as in production, each
    with its own local state) on one fake Redis: what one client learns reaches the others only through the
    store's background rounds and scripts, every command counted and taking ``store_latency_ms``."""

    def factory(world: World) -> Wrap:
        fleet_store = _fleet_store()
        server: Any
        if world.s.fake_redis == "fakeredis":
            world.resources.enter_context(fleet_store.fakeredis_on(world.clock))
            server = fleet_store.FakeRedisServer(world.clock)
        else:
            server = fleet_store.LuaServer(world.clock)
        traffic = world.store_traffic = fleet_store.StoreTraffic()
        latency_s = world.s.store_latency_ms / 1000
        flag = {"wait_for_breaker": True} if wait else {}
        stores: dict[int, Any] = {}

        def on_redis(i: int, provider: Provider) -> Call:
            store = stores.get(i)
            if store is None:  # one per client, shared by its providers (fallback) as in one process
                client = fleet_store.CountingClient(server, traffic, latency_s, world.s.script_clock)
                store_class = llm_retry.RedisStore  # type: ignore[attr-defined]
                store = stores[i] = store_class(client, prefix="fleet", clock=world.clock)
            guards = _guards(world, provider.name, i, gate=True, store=store)
            return _decorate(world, i, provider, **guards, **flag)

        return on_redis

    return factory


GATE, STORE, REDIS = "RateLimitGate", "InMemoryStore", "RedisStore"

POLICIES: dict[str, Policy] = {
    "none": Policy(no_retry),
    "sdk": Policy(sdk_retries),
    "tenacity4": Policy(tenacity_full_jitter),
    "ours-default": Policy(ours_default),
    "per-process": Policy(per_process(gate=True), needs=(GATE,)),
    "shared-fast": Policy(shared(wait=False, gate=True, store=False), needs=(GATE,)),
    "shared-fast-store": Policy(shared(wait=False, gate=True, store=True), needs=(GATE, STORE)),
    "shared-wait": Policy(shared(wait=True, gate=True, store=False), needs=(GATE,)),
    "shared-wait-store": Policy(shared(wait=True, gate=True, store=True), needs=(GATE, STORE)),
    "shared-fast-redis": Policy(shared_redis(wait=False), needs=(GATE, REDIS), modules=("lupa",)),
    "shared-wait-redis": Policy(shared_redis(wait=True), needs=(GATE, REDIS), modules=("lupa",)),
    # This build's breaker and budget without the gate, so that they are measured before the gate lands.
    "per-process-nogate": Policy(per_process(gate=False)),
    "shared-fast-nogate": Policy(shared(wait=False, gate=False, store=False)),
    "shared-wait-nogate": Policy(shared(wait=True, gate=False, store=False)),
}


def missing(policy: Policy, s: Settings | None = None) -> list[str]:
    """What this build or this Python lacks for ``policy``: llm_retry names, then modules."""
    modules = list(policy.modules)
    if modules and s is not None and s.fake_redis == "fakeredis":
        modules.append("fakeredis")
    absent = [name for name in policy.needs if not hasattr(llm_retry, name)]
    return absent + [m for m in modules if importlib.util.find_spec(m) is None]


# --- one run -----------------------------------------------------------------------------------------


SUCCESS, FAILURE, DEADLINE = "success", "failure", "deadline"


@dataclasses.dataclass
class Run:
    """The raw record of one policy's run; `summarize` turns it into the metrics."""

    policy: str
    s: Settings
    arrivals_s: list[float]
    outcomes: list[str | None]
    latencies_s: list[float]
    ends: int  # outcomes recorded, counting any second end of one request (which would be a bug)
    attempts_by_request: list[int]  # all providers
    offered: PerSecond
    succeeded: PerSecond  # by the second the answer came
    attempts: dict[str, list[int]]  # provider -> attempts started per second
    throttled: dict[str, list[int]]
    capacities: dict[str, float]
    end_s: float
    wall_s: float
    failure_types: dict[str, int]
    store_commands: dict[str, int] | None = None  # by kind, -redis policies: every command the stores sent


def arrivals(s: Settings) -> list[tuple[float, int]]:
    """(time, client) of every request, sorted: each client a Poisson source of load * C / N req/s."""
    rate = s.load * s.capacity / s.clients
    out: list[tuple[float, int]] = []
    for client in range(s.clients):
        rng = random.Random(derive_seed(s.seed, "arrivals", client))
        t = rng.expovariate(rate)
        while t < s.duration_s:
            out.append((t, client))
            t += rng.expovariate(rate)
    out.sort()
    return out


def _expected_failure(exc: Exception) -> bool:
    """A provider's error, or one of llm-retry's own (an open breaker, every provider failed): anything
    else is a bug in the simulation and is raised."""
    if isinstance(exc, APIError):
        return True
    if isinstance(exc, ExceptionGroup):
        return all(_expected_failure(e) for e in exc.exceptions if isinstance(e, Exception))
    return type(exc).__module__.split(".")[0] == "llm_retry"


@contextlib.contextmanager
def _quiet_library() -> Iterator[None]:
    """llm-retry logs a WARNING per retry: hundreds of thousands of lines here."""
    logger = logging.getLogger("llm_retry")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def run_policy(s: Settings, name: str) -> Run:
    policy = POLICIES[name]
    started = time.perf_counter()
    # RedisStore jitters its cooldowns and names its leases from the global generator: seeded per run, so
    # that the same seed gives the same table.
    random.seed(derive_seed(s.seed, "global random", name))
    loop = VirtualTimeLoop()
    try:
        with _quiet_library():
            run = loop.run_until_complete(_simulate(s, name, policy, loop))
        _cancel_all(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    run.wall_s = time.perf_counter() - started
    return run


async def _simulate(s: Settings, name: str, policy: Policy, loop: VirtualTimeLoop) -> Run:
    providers = make_providers(s)
    world = World(s, loop.time, asyncio.sleep, providers)
    with world.resources:
        run = await _run_world(s, name, policy, loop, world)
    if world.store_traffic is not None:
        run.store_commands = dict(world.store_traffic.by_kind)
    return run


async def _run_world(s: Settings, name: str, policy: Policy, loop: VirtualTimeLoop, world: World) -> Run:
    providers = world.providers
    wrap = policy.factory(world)
    calls: list[Call] = []
    for i in range(s.clients):
        per_provider = [wrap(i, p) for p in providers]
        calls.append(per_provider[0] if len(per_provider) == 1 else llm_retry.fallback(*per_provider))

    schedule = arrivals(s)
    for p in providers:
        p.per_request = [0] * len(schedule)
    seconds = int(s.duration_s + s.deadline_s) + 2
    run = Run(
        policy=name,
        s=s,
        arrivals_s=[t for t, _ in schedule],
        outcomes=[None] * len(schedule),
        latencies_s=[],
        ends=0,
        attempts_by_request=[],
        offered=PerSecond(seconds),
        succeeded=PerSecond(seconds),
        attempts={},
        throttled={},
        capacities={p.name: p.base_capacity for p in providers},
        end_s=0.0,
        wall_s=0.0,
        failure_types={},
    )

    def end(index: int, outcome: str) -> None:
        run.ends += 1
        if run.outcomes[index] is None:
            run.outcomes[index] = outcome

    async def request(index: int, call: Call) -> None:
        offered_s = loop.time()
        run.offered.add(offered_s)
        current_request.set(index)
        try:
            async with asyncio.timeout_at(offered_s + s.deadline_s) as deadline:
                await call()
        except TimeoutError:
            if not deadline.expired():
                raise
            end(index, DEADLINE)
        except Exception as exc:
            if not _expected_failure(exc):
                raise
            kind = type(exc).__name__
            run.failure_types[kind] = run.failure_types.get(kind, 0) + 1
            end(index, FAILURE)
        else:
            now = loop.time()
            run.succeeded.add(now)
            run.latencies_s.append(now - offered_s)
            end(index, SUCCESS)

    tasks: list[asyncio.Task[None]] = []

    def start(index: int, client: int) -> None:
        tasks.append(loop.create_task(request(index, calls[client])))

    for index, (t, client) in enumerate(schedule):
        loop.call_at(t, start, index, client)
    await asyncio.sleep(s.duration_s)
    await asyncio.gather(*tasks)
    run.end_s = loop.time()
    run.attempts = {p.name: p.attempts.counts for p in providers}
    run.throttled = {p.name: p.throttled.counts for p in providers}
    run.attempts_by_request = [sum(n) for n in zip(*(p.per_request for p in providers), strict=True)]
    return run


# --- metrics -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Summary:
    policy: str
    offered: int
    attempts: int
    attempts_per_offered: float
    incident_attempts_per_offered: float
    success: float
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    recovery_s: int | None  # None: not within the run
    peak_after: float  # attempts in the busiest second after the incident, x the primary's capacity
    throttled: int  # 429s answered, all providers
    failures: int
    deadlines: int
    secondary_peak: float | None  # fallback: model B's busiest second, x its capacity
    wall_s: float
    store_commands: dict[str, int] | None = None  # by kind, -redis policies


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def recovery_s(run: Run) -> int | None:
    """The first second after the incident whose next 5 s answered >= 95 % of the requests offered in them,
    in seconds after the incident's end."""
    s = run.s
    end = int(s.incident_end_s)
    for t in range(end, int(s.duration_s) - 4):
        offered = run.offered.between(t, t + 5)
        if offered and run.succeeded.between(t, t + 5) >= 0.95 * offered:
            return t - end
    return None


def summarize(run: Run) -> Summary:
    s = run.s
    start, end = int(s.incident_start_s), int(s.incident_end_s)
    total = [sum(per_s) for per_s in zip(*run.attempts.values(), strict=True)]
    offered = len(run.outcomes)
    offered_in_incident = run.offered.between(start, end)
    primary, *others = run.attempts
    after = run.attempts[primary][end : int(s.duration_s)]
    latencies = sorted(run.latencies_s)
    secondary_peak = None
    if others:
        secondary_peak = max(run.attempts[others[0]]) / run.capacities[others[0]]
    return Summary(
        policy=run.policy,
        offered=offered,
        attempts=sum(total),
        attempts_per_offered=sum(total) / max(1, offered),
        incident_attempts_per_offered=sum(total[start:end]) / max(1, offered_in_incident),
        success=run.outcomes.count(SUCCESS) / max(1, offered),
        p50_s=_quantile(latencies, 0.50),
        p95_s=_quantile(latencies, 0.95),
        p99_s=_quantile(latencies, 0.99),
        recovery_s=recovery_s(run),
        peak_after=max(after, default=0) / run.capacities[primary],
        throttled=sum(sum(per_s) for per_s in run.throttled.values()),
        failures=run.outcomes.count(FAILURE),
        deadlines=run.outcomes.count(DEADLINE),
        secondary_peak=secondary_peak,
        wall_s=run.wall_s,
        store_commands=run.store_commands,
    )


# --- targets -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Target:
    incident_attempts_max: float | None = None
    success_min: float | str | None = None  # a share, or the name of the policy to match or beat
    recovery_max_s: int | None = None
    peak_after_max: float | None = None
    attempts_max: float | None = None  # over the whole run
    fewer_429_than: str | None = None


_HARD = {
    "ours-default": Target(1.5, "none", 5, 1.2),
    "per-process": Target(1.0, 0.80, 15, 1.2),
    "shared-fast": Target(0.10, 0.80, 5, 1.2),
    "shared-wait": Target(0.10, 0.88, 5, 1.2),
}
_OURS = ("ours-default", "per-process", "shared-fast", "shared-wait")


def _variants(targets: dict[str, Target]) -> dict[str, Target]:
    """The same targets for a policy's store (in-memory, Redis) and no-gate variants."""
    out = dict(targets)
    for name, target in targets.items():
        for suffix in ("-store", "-redis", "-nogate"):
            if name + suffix in POLICIES:
                out[name + suffix] = target
    return out


TARGETS: dict[str, dict[str, Target]] = {
    "hard": _variants(_HARD),
    "brownout": _variants({name: Target(attempts_max=1.2, fewer_429_than="sdk") for name in _OURS}),
}


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def target_rows(scenario: str, summaries: dict[str, Summary]) -> list[list[str]]:
    """One row per policy with targets in this scenario: each measured value, its bound and a mark."""
    rows = []
    targets = TARGETS.get(scenario, {})
    for name, m in summaries.items():
        t = targets.get(name)
        if t is None:
            continue
        cells = [name]
        if t.incident_attempts_max is not None:
            v = m.incident_attempts_per_offered
            cells.append(f"{v:.2f} ≤ {t.incident_attempts_max:g} {_mark(v <= t.incident_attempts_max)}")
        if t.success_min is not None:
            if isinstance(t.success_min, str):
                ref = summaries.get(t.success_min)
                bound, label = (ref.success if ref else None), t.success_min
            else:
                bound, label = t.success_min, f"{t.success_min:.0%}"
            if bound is None:
                cells.append(f"{m.success:.1%} (no {label} row)")
            else:
                cells.append(f"{m.success:.1%} ≥ {label} {_mark(m.success >= bound)}")
        if t.recovery_max_s is not None:
            r = m.recovery_s
            shown = "none" if r is None else f"{r} s"
            cells.append(f"{shown} ≤ {t.recovery_max_s} s {_mark(r is not None and r <= t.recovery_max_s)}")
        if t.peak_after_max is not None:
            cells.append(
                f"{m.peak_after:.2f} ≤ {t.peak_after_max:g} {_mark(m.peak_after <= t.peak_after_max)}"
            )
        if t.attempts_max is not None:
            v = m.attempts_per_offered
            cells.append(f"{v:.2f} ≤ {t.attempts_max:g} {_mark(v <= t.attempts_max)}")
        if t.fewer_429_than is not None:
            ref = summaries.get(t.fewer_429_than)
            if ref is None:
                cells.append(f"{m.throttled} (no {t.fewer_429_than} row)")
            else:
                ok = m.throttled < ref.throttled
                cells.append(f"{m.throttled} < {ref.throttled} ({t.fewer_429_than}) {_mark(ok)}")
        rows.append(cells)
    return rows


# --- output ------------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _seconds(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def results_table(summaries: Sequence[Summary]) -> str:
    """The results, without wall times: the same seed gives the same table."""
    fallback = any(m.secondary_peak is not None for m in summaries)
    header = [
        "policy",
        "attempts / offered",
        "in incident",
        "success",
        "p50 s",
        "p95 s",
        "p99 s",
        "recovery s",
        "peak after (x C)",
        "429s",
        "failed / deadline",
    ]
    if fallback:
        header.append("B peak (x C_B)")
    rows = []
    for m in summaries:
        row = [
            m.policy,
            f"{m.attempts_per_offered:.2f}",
            f"{m.incident_attempts_per_offered:.2f}",
            f"{m.success:.1%}",
            _seconds(m.p50_s),
            _seconds(m.p95_s),
            _seconds(m.p99_s),
            "none" if m.recovery_s is None else str(m.recovery_s),
            f"{m.peak_after:.2f}",
            str(m.throttled),
            f"{m.failures} / {m.deadlines}",
        ]
        if fallback:
            row.append("-" if m.secondary_peak is None else f"{m.secondary_peak:.2f}")
        rows.append(row)
    return _table(header, rows)


def report(s: Settings, summaries: Sequence[Summary], skipped: dict[str, list[str]]) -> str:
    by_name = {m.policy: m for m in summaries}
    parts = [
        f"### Fleet simulation: `{s.scenario}`, {s.clients} clients, seed {s.seed}",
        "",
        f"C = {s.capacity:g} req/s, offered {s.load:.0%} of C for {s.duration_s:g} s, incident "
        f"{s.incident_start_s:g}-{s.incident_end_s:g} s, deadline {s.deadline_s:g} s, "
        f"llm-retry {llm_retry.__version__}. Latency: requests that succeeded, waits included. 'in incident':"
        " attempts started in the incident per request offered in it.",
        "",
        results_table(summaries),
    ]
    lines = store_lines(s, summaries)
    if lines:
        parts += ["", *lines]
    if skipped:
        parts.append("")
    for name, names in skipped.items():
        parts.append(f"- `{name}`: not available in this build ({_lacking(name, names)})")
    rows = target_rows(s.scenario, by_name)
    if rows:
        header = ["policy", *_target_header(s.scenario)]
        parts += ["", "Targets (issue 10):", "", _table(header, rows)]
    return "\n".join(parts) + "\n"


def _lacking(policy: str, names: Sequence[str]) -> str:
    ours = [n for n in names if n in POLICIES[policy].needs]
    modules = [n for n in names if n not in ours]
    said = [f"llm_retry has no {', '.join(ours)}"] if ours else []
    if modules:
        said.append(f"no module {', '.join(modules)}: pip install -r benches/requirements.txt")
    return "; ".join(said)


def store_lines(s: Settings, summaries: Sequence[Summary]) -> list[str]:
    """Per ``-redis`` policy: the store commands per call (per request offered) over the run, by kind, and
    how many of them a call waited for."""
    lines = []
    for m in summaries:
        if m.store_commands is None:
            continue
        total = sum(m.store_commands.values())
        per_call = total / max(1, m.offered)
        waited = sum(m.store_commands.get(k, 0) for k in ("probe lease", "budget withdrawal"))
        kinds = ", ".join(
            f"{kind} {n / max(1, m.offered):.2f}"
            for kind, n in sorted(m.store_commands.items(), key=lambda item: -item[1])
        )
        lines.append(
            f"- `{m.policy}`: {per_call:.2f} store commands per call ({total} in all, {kinds}); a call"
            f" waited for {waited / max(1, m.offered):.3f} of them; {s.store_latency_ms:g} ms each, on"
            f" {s.fake_redis}, scripts on the {s.script_clock}'s clock"
        )
    return lines


def _target_header(scenario: str) -> list[str]:
    if scenario == "brownout":
        return ["attempts / request over the run", "429s"]
    return ["attempts / offered in incident", "success", "recovery", "peak after (x C)"]


def wall_times(summaries: Sequence[Summary]) -> str:
    return "wall time per policy: " + ", ".join(f"{m.policy} {m.wall_s:.1f} s" for m in summaries)


def plot(s: Settings, runs: Sequence[Run], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5.5))
    seconds = int(s.duration_s + s.deadline_s)
    for run in runs:
        total = [sum(per_s) for per_s in zip(*run.attempts.values(), strict=True)][:seconds]
        ax.plot(range(len(total)), [a / s.capacity for a in total], label=run.policy, linewidth=1)
    ax.axvspan(s.incident_start_s, s.incident_end_s, color="0.85", label="incident")
    ax.axhline(1.0, color="0.4", linestyle="--", linewidth=0.8)
    ax.set_xlabel("virtual time (s)")
    # Linear up to C, logarithmic above: normal load stays readable beside a herd at 40 x C.
    ax.set_yscale("symlog", linthresh=1.0, linscale=2.0)
    ax.set_ylim(bottom=0)
    ticks = [0, 0.25, 0.5, 0.75, 1, 2, 5, 10, 20, 50, 100]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_ylabel("attempts per second (x C; log above 1)")
    ax.set_title(f"{s.scenario}: attempts on the provider(s), {s.clients} clients, seed {s.seed}")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- CLI ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    settings: Settings
    runs: list[Run]
    summaries: list[Summary]
    skipped: dict[str, list[str]]

    @property
    def table(self) -> str:
        return report(self.settings, self.summaries, self.skipped)


def simulate(s: Settings, names: Sequence[str], jobs: int = 1) -> Outcome:
    """Every policy of ``names`` on the same arrivals, one virtual-time loop each (``jobs`` processes)."""
    skipped = {n: m for n in names if (m := missing(POLICIES[n], s))}
    runnable = [n for n in names if n not in skipped]
    if jobs > 1 and len(runnable) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            runs = list(pool.map(run_policy, [s] * len(runnable), runnable))
    else:
        runs = [run_policy(s, n) for n in runnable]
    return Outcome(s, runs, [summarize(r) for r in runs], skipped)


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, list[str], argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=SCENARIOS, default="hard")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, help="seconds of arrivals (default 300)")
    parser.add_argument("--policies", help=f"comma-separated, from: {', '.join(POLICIES)}")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report here")
    parser.add_argument("--png", metavar="FILE", help="plot attempts per second per policy (matplotlib)")
    parser.add_argument("--jobs", type=int, default=1, help="policies run in this many processes")
    parser.add_argument("--smoke", action="store_true", help="50 clients, C = 20, 60 s, incident 20-40 s")
    parser.add_argument(
        "--store-latency-ms",
        type=float,
        default=1.0,
        help="each Redis command's round trip in virtual time, -redis policies (default 1)",
    )
    parser.add_argument(
        "--fake-redis",
        choices=FAKE_REDIS,
        default="lupa",
        help="the -redis policies' server: the store's commands on lupa (fast), or fakeredis (a cross-check)",
    )
    parser.add_argument(
        "--script-clock",
        choices=("server", "store"),
        default="server",
        help="the store's scripts read the server's TIME (as in production; the default) or the store's",
    )
    args = parser.parse_args(argv)
    changes: dict[str, Any] = dict(SMOKE) if args.smoke else {}
    changes.update(scenario=args.scenario, seed=args.seed)
    changes.update(store_latency_ms=args.store_latency_ms, fake_redis=args.fake_redis)
    changes.update(script_clock=args.script_clock)
    if args.clients is not None:
        changes["clients"] = args.clients
    if args.duration is not None:
        changes["duration_s"] = args.duration
    names = list(POLICIES) if args.policies is None else [n.strip() for n in args.policies.split(",") if n]
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        parser.error(f"unknown policies {', '.join(unknown)}; known: {', '.join(POLICIES)}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if not 0 <= args.store_latency_ms <= 40:
        latency = args.store_latency_ms
        parser.error(
            f"--store-latency-ms must be between 0 and 40 (the store waits 50 ms at most), got {latency}"
        )
    return Settings(**changes), names, args


def main(argv: Sequence[str] | None = None) -> int:
    settings, names, args = parse_args(argv)
    started = time.perf_counter()
    outcome = simulate(settings, names, args.jobs)
    text = outcome.table
    print(text)
    print(wall_times(outcome.summaries) + f"; total {time.perf_counter() - started:.1f} s")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text)
    if args.png:
        plot(settings, outcome.runs, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
