"""`RedisStore` against a real Redis server (tests/redis_server.py): breakers, budgets and gates shared by
stores that do not share a process's memory (several stores in one test stand for several processes; the
fleet tests spawn real ones), and the store's failures (killed, paused, restarted, flushed, foreign values
under its keys) never reaching a caller.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import time

import pytest
import redis
import redis.asyncio
import redis_fleet
from doubles import APIStatusError, FakeClock, status_error
from llm_retry import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    RateLimitGate,
    RedisStore,
    RefusalReason,
    RetryBudget,
    StoreEvent,
    add_listener,
    async_retry_llm,
    attempts,
    remove_listener,
    retry_llm,
)
from redis_server import RedisServer, free_port, redis_server

__all__ = ["redis_server"]  # the fixture, imported for pytest

TIMEOUT_S = 0.05
MARGIN_S = 1.0
"""Generous: a loaded 2-core machine may take far longer than the store's bound to schedule a thread."""


def client(server: RedisServer) -> redis.Redis:
    return redis.Redis(host=server.host, port=server.port)


PATIENT_S = 2.0
"""The bound of the stores whose tests are about what the fleet shares, not the store's failures: a loaded
machine does not overrun it, so those tests never see a store degrade."""


def manual(server: RedisServer, **kwargs: object) -> RedisStore:
    """A store whose rounds the test makes itself (`sync`): one per simulated process."""
    return RedisStore(client(server), prefix="t", autosync=False, timeout_s=PATIENT_S, **kwargs)  # type: ignore[arg-type]


def fail_with(status: int, **headers: str) -> object:
    def fail() -> str:
        raise status_error(status, headers=headers or None)

    return fail


def calls_through(breaker: CircuitBreaker, function: object, times: int) -> list[str]:
    """``times`` calls of ``function`` through ``breaker``, one attempt each; what each ended with."""
    wrapped = retry_llm(breaker=breaker, max_attempts=1, budget=None)(function)  # type: ignore[call-overload]
    outcomes = []
    for _ in range(times):
        try:
            wrapped()
            outcomes.append("ok")
        except CircuitOpenError:
            outcomes.append("refused")
        except Exception as exc:
            outcomes.append(str(getattr(exc, "status_code", type(exc).__name__)))
    return outcomes


def until(condition: object, timeout_s: float = 5.0) -> bool:
    """Polls ``condition()`` (bounded): for what a background thread does, not a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return bool(condition())  # type: ignore[operator]


# --- the breaker ------------------------------------------------------------------------------------------


def test_failures_counted_across_processes_open_every_processs_breaker(redis_server: RedisServer) -> None:
    a, b = manual(redis_server), manual(redis_server)
    breaker_a = CircuitBreaker(name="p", failure_threshold=5, store=a)
    breaker_b = CircuitBreaker(name="p", failure_threshold=5, store=b)
    # Three failures here and two there: neither process alone has seen five in a row.
    assert calls_through(breaker_a, fail_with(503), 3) == ["503"] * 3
    assert calls_through(breaker_b, fail_with(503), 2) == ["503"] * 2
    assert (breaker_a.state, breaker_b.state) == (BreakerState.CLOSED, BreakerState.CLOSED)
    a.sync()
    b.sync()  # the fifth failure in a row, fleet-wide: the fleet's breaker opens
    assert breaker_b.state is BreakerState.OPEN
    a.sync()
    assert breaker_a.state is BreakerState.OPEN
    assert calls_through(breaker_a, lambda: "ok", 1) == ["refused"]
    assert redis_server.command("HGET", a.key("breaker", "p"), "st") == b"o"


def test_a_failure_rate_over_the_fleets_window_trips_it(redis_server: RedisServer) -> None:
    """Two answers here, three failures there: neither process alone has the minimum_calls or the rate,
    the fleet's window has 3 failures in 5 calls."""
    a, b = manual(redis_server), manual(redis_server)
    settings = {"failure_threshold": 100, "failure_rate_threshold": 0.5, "minimum_calls": 4}
    breaker_a = CircuitBreaker(name="r", store=a, **settings)  # type: ignore[arg-type]
    breaker_b = CircuitBreaker(name="r", store=b, **settings)  # type: ignore[arg-type]
    assert calls_through(breaker_a, lambda: "ok", 2) == ["ok", "ok"]
    assert calls_through(breaker_b, fail_with(503), 3) == ["503"] * 3
    a.sync()
    assert breaker_a.state is BreakerState.CLOSED
    b.sync()
    assert breaker_b.state is BreakerState.OPEN
    a.sync()
    assert breaker_a.state is BreakerState.OPEN


def test_a_success_elsewhere_breaks_the_run_of_failures(redis_server: RedisServer) -> None:
    a, b = manual(redis_server), manual(redis_server)
    breaker_a = CircuitBreaker(name="p", failure_threshold=5, store=a)
    breaker_b = CircuitBreaker(name="p", failure_threshold=5, store=b)
    calls_through(breaker_a, fail_with(503), 3)
    a.sync()
    calls_through(breaker_b, lambda: "ok", 1)
    calls_through(breaker_b, fail_with(503), 1)
    b.sync()  # B answered, then failed once: the fleet's run is B's one failure
    a.sync()
    assert (breaker_a.state, breaker_b.state) == (BreakerState.CLOSED, BreakerState.CLOSED)


def test_a_probe_that_answers_anywhere_closes_the_fleet(redis_server: RedisServer) -> None:
    a, b = manual(redis_server), manual(redis_server)
    breaker_a = CircuitBreaker(name="p", cooldown_s=0.1, slow_start_s=0, store=a)
    breaker_b = CircuitBreaker(name="p", cooldown_s=0.1, slow_start_s=0, store=b)
    breaker_a.open()
    a.sync()
    b.sync()
    assert breaker_b.state is BreakerState.OPEN
    time.sleep(0.3)  # the open period passes, on the server's clock and on the local one
    assert calls_through(breaker_b, lambda: "ok", 1) == ["ok"]  # B's probe took a lease and answered
    assert breaker_b.state is BreakerState.CLOSED
    b.sync()  # sends the probe's outcome: the fleet closes
    assert redis_server.command("HGET", b.key("breaker", "p"), "st") == b"c"
    a.sync()
    assert breaker_a.state is BreakerState.CLOSED


def test_every_object_hears_of_the_fleets_transitions_and_closing_by_hand_is_the_fleets(
    redis_server: RedisServer,
) -> None:
    a, b = manual(redis_server), manual(redis_server)
    heard: list[tuple[str, str, str]] = []

    def hook(name: str) -> object:
        return lambda breaker, old, new: heard.append((name, old.value, new.value))

    breaker_a = CircuitBreaker(name="p", store=a)
    kept = [CircuitBreaker(name="p", store=b, on_state_change=hook(name)) for name in ("b1", "b2")]
    breaker_a.open()
    a.sync()
    b.sync()
    assert sorted(heard) == [("b1", "closed", "open"), ("b2", "closed", "open")]
    breaker_a.close()
    a.sync()
    b.sync()
    assert sorted(heard[2:]) == [("b1", "open", "closed"), ("b2", "open", "closed")]
    assert [k.state for k in kept] == [BreakerState.CLOSED] * 2


def test_a_failed_probe_reopens_the_fleet_for_longer(redis_server: RedisServer) -> None:
    a = manual(redis_server)
    breaker = CircuitBreaker(name="p", cooldown_s=0.1, max_cooldown_s=5.0, store=a)
    breaker.open()
    a.sync()
    time.sleep(0.3)
    assert calls_through(breaker, fail_with(503), 1) == ["503"]
    a.sync()
    assert redis_server.command("HGET", a.key("breaker", "p"), "opens") == b"2"
    left_ms = int(redis_server.command("HGET", a.key("breaker", "p"), "until")) - server_ms(redis_server)  # type: ignore[arg-type]
    assert 100 < left_ms <= 200 * 1.2 + 50  # doubled (0.2 s), jittered upward at most 20 %


def _open_periods_after_failed_probes(server: RedisServer, successes: int) -> list[float]:
    """A fleet (one store on a fake clock) that answered ``successes`` calls over ten seconds, then tripped
    on 5 failures: the open periods after each of three failed probes, in seconds."""
    clock = FakeClock(start_s=1_000.0)
    store = manual(server, clock=clock)
    name = f"grows-{successes}"
    breaker = CircuitBreaker(name=name, store=store)  # cooldown 2 s, max_cooldown 10 s
    for _ in range(10):
        calls_through(breaker, lambda: "ok", successes // 10)
        store.sync()
        clock.advance(1.0)
    assert calls_through(breaker, fail_with(503), 5) == ["503"] * 5
    store.sync()
    key = store.key("breaker", name)
    periods = []
    for _ in range(3):
        until_ms = int(server.command("HGET", key, "until"))  # type: ignore[arg-type]
        # Past the fleet's open period and the local breaker's own, whichever ends later.
        clock.advance(max(until_ms / 1000 - clock(), breaker.retry_in_s()) + 0.01)
        assert calls_through(breaker, fail_with(503), 1) == ["503"]  # the fleet's one probe, failed
        store.sync()
        periods.append((int(server.command("HGET", key, "until")) - clock() * 1000) / 1000)  # type: ignore[arg-type]
    return periods


def test_a_busy_fleet_probes_every_cooldown_and_a_quiet_one_backs_off(redis_server: RedisServer) -> None:
    # About 200 calls a second before the trip: a probe every 2-2.4 s is less than the probe share (1 call
    # in 200) of that, so the period does not grow and the fleet finds the provider back within a cooldown.
    busy = _open_periods_after_failed_probes(redis_server, successes=2_000)
    assert all(2.0 <= p <= 2.4 + 0.01 for p in busy), busy
    # 1 call a second: doubling, with up to 20 % jitter, to the 10 s cap.
    quiet = _open_periods_after_failed_probes(redis_server, successes=10)
    low, high = [4.0, 8.0, 10.0], [4.8, 9.6, 12.0]
    assert all(lo <= p <= hi + 0.01 for lo, p, hi in zip(low, quiet, high, strict=True)), quiet


def test_stores_on_a_fake_clock_run_the_fleet_in_virtual_time(redis_server: RedisServer) -> None:
    clock = FakeClock(start_s=1_000.0)
    a, b = manual(redis_server, clock=clock), manual(redis_server, clock=clock)
    breaker_a = CircuitBreaker(name="p", cooldown_s=30.0, slow_start_s=5.0, store=a)
    breaker_b = CircuitBreaker(name="p", cooldown_s=30.0, slow_start_s=5.0, store=b)
    breaker_a.open()
    a.sync()
    b.sync()
    assert breaker_b.state is BreakerState.OPEN
    clock.advance(40.0)  # the open period passes in virtual time, for the scripts as for the local breakers
    assert calls_through(breaker_b, lambda: "ok", 1) == ["ok"]
    b.sync()
    a.sync()
    assert breaker_a.state is BreakerState.CLOSED
    # Closed as by a probe of its own: A's backlog, too, is let back in at a rate.
    assert breaker_a.stats["slow_start_left_s"] > 0


def server_ms(server: RedisServer) -> int:
    seconds, micros = server.command("TIME")  # type: ignore[misc]
    return int(seconds) * 1000 + int(micros) // 1000


def test_exactly_half_open_max_calls_probes_are_in_flight_across_a_fleet_of_processes(
    redis_server: RedisServer,
) -> None:
    opener = RedisStore(client(redis_server), prefix=redis_fleet.PREFIX, autosync=False, timeout_s=PATIENT_S)
    CircuitBreaker(name="provider", cooldown_s=0.2, half_open_max_calls=2, store=opener).open()
    opener.sync()
    ctx = multiprocessing.get_context("spawn")
    entered = ctx.Value("i", 0)
    release = ctx.Event()
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=redis_fleet.probing_worker,
            args=(redis_server.port, entered, release, results, 3, 2),
            name=f"prober-{i}",
        )
        for i in range(4)
    ]
    for p in processes:
        p.start()
    try:
        # The 10 callers that get no probe in report after their 2 s of trying; the 2 probes hang meanwhile.
        reports = [results.get(timeout=60) for _ in range(4 * 3 - 2)]
        probes_in_flight = entered.value
        release.set()
        reports += [results.get(timeout=60) for _ in range(2)]
    finally:
        release.set()
        redis_fleet.join_all(processes)
    # 12 callers in 4 processes kept trying for 2 s while the fleet was half-open: 2 probes got in.
    assert probes_in_flight == 2
    assert entered.value == 2
    assert sum(made for made, _, _ in reports) == 2
    assert sum(refused for _, refused, _ in reports) > 0
    assert [others for _, _, others in reports if others] == []


def test_a_caller_refused_a_lease_another_process_holds_asks_again_within_a_round(
    redis_server: RedisServer,
) -> None:
    """The fleet's one probe hangs in process A (its lease lasts probe_lease_s, 300 s): B's caller is told
    to come back within about a sync round, not at the end of A's lease, so a caller that waits within its
    deadline gets in once the probe has answered."""
    import threading

    a, b = manual(redis_server), manual(redis_server)
    breaker_a = CircuitBreaker(name="p", cooldown_s=0.1, store=a)
    breaker_b = CircuitBreaker(name="p", cooldown_s=0.1, store=b)
    breaker_a.open()
    a.sync()
    b.sync()
    time.sleep(0.3)  # past the open period, on the server's clock and the local ones
    entered, release = threading.Event(), threading.Event()

    def hang() -> str:
        entered.set()
        release.wait(10)
        return "ok"

    probe = threading.Thread(target=calls_through, args=(breaker_a, hang, 1))
    probe.start()
    try:
        assert entered.wait(10)
        with pytest.raises(CircuitOpenError) as refused:
            retry_llm(breaker=breaker_b, max_attempts=1, budget=None)(lambda: "ok")()
    finally:
        release.set()
        probe.join(10)
    assert refused.value.reason is RefusalReason.HALF_OPEN_FULL
    assert refused.value.retry_in_s <= 2 * b.sync_interval_s, refused.value.retry_in_s


def test_a_quiet_store_syncs_less_often_and_a_call_brings_its_rounds_back(redis_server: RedisServer) -> None:
    store = manual(redis_server)
    breaker = CircuitBreaker(name="q", store=store)
    gate = RateLimitGate("q", store=store)
    call = retry_llm(breaker=breaker, gate=gate, max_attempts=1, budget=None)(lambda: "ok")
    call()
    store.sync()
    assert store.stats()["next_round_s"] == store.sync_interval_s  # it had an answer to send
    quiet = []
    for _ in range(5):
        store.sync()
        quiet.append(store.stats()["next_round_s"])
    assert quiet == [0.5, 1.0, 2.0, 2.0, 2.0]
    call()
    store.sync()
    assert store.stats()["next_round_s"] == store.sync_interval_s


# --- the budget -------------------------------------------------------------------------------------------


def test_a_fleet_of_processes_shares_one_budget_exactly(redis_server: RedisServer) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers, first_attempts = 4, 20
    ready = ctx.Barrier(workers)
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=redis_fleet.budget_worker,
            args=(redis_server.port, first_attempts, ready, results),
            name=f"budget-{i}",
        )
        for i in range(workers)
    ]
    for p in processes:
        p.start()
    try:
        reports = [results.get(timeout=60) for _ in range(workers)]
    finally:
        redis_fleet.join_all(processes)
    assert [others for _, others in reports if others] == []
    key = RedisStore(client(redis_server), prefix=redis_fleet.PREFIX, autosync=False).key(
        "budget", "provider"
    )
    fields = redis_server.command("HGETALL", key)
    assert isinstance(fields, list)
    counted = dict(zip(fields[::2], (int(v) for v in fields[1::2]), strict=True))
    firsts = sum(n for f, n in counted.items() if f.startswith(b"f:"))
    retries = sum(n for f, n in counted.items() if f.startswith(b"r:"))
    # Every first attempt was counted (each worker's 20, and the failing call's own), every retry made was
    # withdrawn, and the fleet made exactly as many as min_retries + retry_ratio x first attempts allow.
    assert firsts == workers * (first_attempts + 1)
    assert sum(made for made, _ in reports) == retries
    assert retries == math.floor(3 + 0.1 * firsts)


def test_a_quiet_process_retries_on_the_fleets_traffic(redis_server: RedisServer) -> None:
    busy, quiet = manual(redis_server), manual(redis_server)
    busy_budget = RetryBudget(name="p", min_retries=0, retry_ratio=0.5, store=busy)
    quiet_budget = RetryBudget(name="p", min_retries=0, retry_ratio=0.5, store=quiet)
    answered = retry_llm(budget=busy_budget, max_attempts=1)(lambda: "ok")
    for _ in range(4):
        answered()
    busy.sync()
    # The quiet process made no call yet: alone it could not retry at all (min_retries=0).
    assert [quiet_budget._withdraw() for _ in range(3)] == [True, True, False]


# --- the gate ---------------------------------------------------------------------------------------------


def test_a_429_in_one_process_holds_the_others(redis_server: RedisServer) -> None:
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    results = ctx.Queue()
    roles = ["hinted", "held", "held"]
    processes = [
        ctx.Process(target=redis_fleet.gate_worker, args=(redis_server.port, role, go, results), name=role)
        for role in roles
    ]
    for p in processes:
        p.start()
    try:
        reports = [results.get(timeout=60) for _ in roles]
    finally:
        redis_fleet.join_all(processes)
    assert [r for r in reports if r[0] == "hinted"] == [("hinted", 429, 1)]
    held = [r for r in reports if r[0] == "held"]
    assert len(held) == 2
    for _, seen_after_s, outcome, calls in held:
        # Seen within the staleness bound (sync_interval_s + timeout_s), with a generous margin.
        assert seen_after_s < redis_fleet.SYNC_INTERVAL_S + TIMEOUT_S + MARGIN_S
        assert (outcome, calls) == ("held", 0)  # failed fast (5 s is over max_retry_after_s), never called


def test_a_shorter_hint_elsewhere_never_shortens_a_hold(redis_server: RedisServer) -> None:
    a, b = manual(redis_server), manual(redis_server)
    gate_a, gate_b = RateLimitGate("g", store=a), RateLimitGate("g", store=b)
    with pytest.raises(APIStatusError):
        retry_llm(gate=gate_a, max_attempts=1, budget=None)(fail_with(429, **{"retry-after": "30"}))()
    a.sync()
    with pytest.raises(APIStatusError):
        retry_llm(gate=gate_b, max_attempts=1, budget=None)(fail_with(429, **{"retry-after": "2"}))()
    b.sync()
    assert gate_b.retry_in_s() > 20
    left_ms = redis_server.command("PTTL", a.key("gate", "g"))
    assert isinstance(left_ms, int) and left_ms > 20_000


# --- the store's failures ---------------------------------------------------------------------------------


def traffic(store: RedisStore) -> tuple[CircuitBreaker, RetryBudget, object]:
    """A breaker, a budget and a function through both whose first attempt fails (503) and second answers:
    every call makes a retry, so it asks the store for one."""
    breaker = CircuitBreaker(name="p", failure_threshold=1000, store=store)
    budget = RetryBudget(name="p", min_retries=1000, store=store)
    state = {"n": 0}

    @retry_llm(breaker=breaker, budget=budget, max_attempts=3, base_delay_s=0.0, sleep=lambda s: None)
    def call() -> str:
        state["n"] += 1
        if state["n"] % 2:
            raise status_error(503)
        return "ok"

    return breaker, budget, call


def timed(function: object) -> float:
    started = time.monotonic()
    assert function() == "ok"  # type: ignore[operator]
    return time.monotonic() - started


def test_a_paused_server_adds_at_most_the_timeout_once_and_recovers_by_itself(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A bound a loaded machine does not overrun by itself: the only degradation is the pause's.
    timeout_s = 0.2
    store = RedisStore(client(redis_server), prefix="t", timeout_s=timeout_s, sync_interval_s=0.05)
    _, _, call = traffic(store)
    baseline_s = max(timed(call) for _ in range(20))
    assert until(lambda: not store.stats()["degraded"], timeout_s=15.0)
    before = store.stats()
    events: list[StoreEvent] = []

    def listener(event: object) -> None:
        if isinstance(event, StoreEvent):
            events.append(event)

    add_listener(listener)
    try:
        with caplog.at_level(logging.WARNING, logger="llm_retry"):
            redis_server.pause()
            try:
                paused = [timed(call) for _ in range(50)]
            finally:
                redis_server.resume()
            assert store.stats()["degradations"] == before["degradations"] + 1
            assert until(lambda: not store.stats()["degraded"] and timed(call) >= 0, timeout_s=15.0)
            assert until(lambda: len(events) >= 2)  # logged, then emitted, on the thread that saw it
    finally:
        remove_listener(listener)
    # Once degraded nothing waits for the store: the slowest call paid the bound once.
    print(f"paused: slowest call {max(paused) * 1000:.1f} ms, baseline {baseline_s * 1000:.1f} ms")
    assert max(paused) < timeout_s + MARGIN_S
    assert [(e.store, e.degraded) for e in events] == [("t", True), ("t", False)]
    assert events[1].degraded_s is not None and events[1].degraded_s > 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "llm_retry" and "store" in r.getMessage()]
    assert len([w for w in warnings if "is not answering" in w]) == 1
    assert len([w for w in warnings if "answers again" in w]) == 1
    assert store.stats()["recoveries"] == before["recoveries"] + 1


def test_a_killed_and_restarted_server_is_absent_state_then_used_again(redis_server: RedisServer) -> None:
    # The store's bound, not the client's: redis-py retries a refused connection, for longer than this.
    store = RedisStore(client(redis_server), prefix="t", sync_interval_s=0.05, timeout_s=TIMEOUT_S)
    breaker, _, call = traffic(store)
    for _ in range(10):
        assert call() == "ok"
    redis_server.kill()
    # Mid-run: every call still answers, on local state.
    durations = [timed(call) for _ in range(50)]
    assert max(durations) < TIMEOUT_S + MARGIN_S
    assert until(lambda: store.stats()["degraded"])
    redis_server.start()  # a fresh, empty server on the same port: no scripts, no keys
    assert until(lambda: not store.stats()["degraded"], timeout_s=15.0)
    for _ in range(10):
        assert call() == "ok"
    assert until(lambda: redis_server.command("EXISTS", store.key("breaker", "p")) == 1, timeout_s=15.0)
    breaker.open()  # the shared state works again, through scripts loaded anew
    assert until(
        lambda: redis_server.command("HGET", store.key("breaker", "p"), "st") == b"o", timeout_s=15.0
    )


def test_a_closed_store_makes_no_more_rounds(redis_server: RedisServer) -> None:
    store = RedisStore(client(redis_server), prefix="t", sync_interval_s=0.02)
    breaker = CircuitBreaker(name="p", store=store)
    assert until(lambda: store.stats()["rounds"] > 2)
    store.close()
    time.sleep(0.1)  # a round already under way ends
    rounds = store.stats()["rounds"]
    time.sleep(0.3)
    assert store.stats()["rounds"] == rounds
    assert calls_through(breaker, lambda: "ok", 2) == ["ok", "ok"]  # local state goes on


def test_a_flushed_server_is_a_fresh_start(redis_server: RedisServer) -> None:
    a, b = manual(redis_server), manual(redis_server)
    breaker_a = CircuitBreaker(name="p", store=a)
    breaker_b = CircuitBreaker(name="p", store=b)
    breaker_a.open()
    a.sync()
    redis_server.flush()
    redis_server.command("SCRIPT", "FLUSH")
    b.sync()  # the open breaker is gone with the flush: B has nothing to merge
    assert breaker_b.state is BreakerState.CLOSED
    assert b.stats()["degraded"] is False and b.stats()["failures"] == 0


@pytest.mark.parametrize(
    ("command", "suffix"),
    [
        (("SET", "garbage"), ""),
        (("HSET", "st", "o", "until", "not-a-number", "gen", "NaN"), ""),
        (("LPUSH", "x"), ":window"),
        (("SET", "x"), ":probes"),
    ],
)
def test_foreign_values_under_the_breakers_keys_are_absent_state(
    redis_server: RedisServer, command: tuple[str, ...], suffix: str
) -> None:
    store = manual(redis_server)
    breaker = CircuitBreaker(name="p", failure_rate_threshold=0.5, minimum_calls=2, store=store)
    verb, *args = command
    redis_server.command(verb, store.key("breaker", "p") + suffix, *args)
    assert calls_through(breaker, lambda: "ok", 3) == ["ok"] * 3
    store.sync()
    assert breaker.state is BreakerState.CLOSED
    assert set(calls_through(breaker, fail_with(503), 5)) <= {"503", "refused"}  # it may trip here first
    store.sync()  # the foreign values did not stop the fleet from counting and tripping
    assert redis_server.command("HGET", store.key("breaker", "p"), "st") == b"o"
    assert store.stats()["failures"] == 0


@pytest.mark.parametrize(
    "command",
    [("SET", "llm-retry-hold:not-a-time"), ("SET", "9999999999999"), ("HSET", "a", "b"), ("SET", "\xff")],
)
def test_foreign_values_under_the_gates_and_budgets_keys_are_absent_state(
    redis_server: RedisServer, command: tuple[str, ...]
) -> None:
    store = manual(redis_server)
    gate = RateLimitGate("p", store=store)
    budget = RetryBudget(name="p", min_retries=2, store=store)
    verb, *args = command
    redis_server.command(verb, store.key("gate", "p"), *args)
    redis_server.command(verb, store.key("budget", "p"), *args)
    store.sync()
    assert gate.retry_in_s() == 0
    assert [budget._withdraw() for _ in range(3)] == [True, True, False]
    assert store.stats()["failures"] == 0


def test_a_store_that_never_answered_costs_nothing_and_raises_nothing() -> None:
    dead = RedisStore(redis.Redis(host="127.0.0.1", port=free_port()), prefix="t")
    _, _, call = traffic(dead)
    assert [call() for _ in range(20)] == ["ok"] * 20
    assert until(lambda: dead.stats()["degraded"])


def test_an_async_store_paused_or_killed_costs_a_call_at_most_the_timeout(redis_server: RedisServer) -> None:
    async def scenario() -> list[float]:
        aclient = redis.asyncio.Redis(host=redis_server.host, port=redis_server.port)
        store = RedisStore(aclient, prefix="t", timeout_s=TIMEOUT_S, sync_interval_s=0.05)
        budget = RetryBudget(name="p", min_retries=1000, store=store)
        state = {"n": 0}

        @async_retry_llm(budget=budget, max_attempts=3, base_delay_s=0.0)
        async def call() -> str:
            state["n"] += 1
            if state["n"] % 2:
                raise status_error(503)
            return "ok"

        async def timed_call() -> float:
            started = time.monotonic()
            assert await call() == "ok"  # each call retries once: it asks the store for the retry
            return time.monotonic() - started

        for _ in range(5):
            await timed_call()
        durations = []
        redis_server.pause()
        try:
            durations += [await timed_call() for _ in range(20)]
        finally:
            redis_server.resume()
        redis_server.kill()
        durations += [await timed_call() for _ in range(20)]
        assert store.stats()["degraded"]
        store.close()  # its rounds end, and nothing is left on the connection when the client closes
        await asyncio.sleep(0.2)
        await aclient.aclose()
        return durations

    durations = asyncio.run(scenario())
    print(f"async, paused then killed: slowest call {max(durations) * 1000:.1f} ms")
    assert max(durations) < TIMEOUT_S + MARGIN_S


def test_an_async_sleep_that_never_yields_still_gets_an_answer_in_time(redis_server: RedisServer) -> None:
    """A fake sleep that never lets the loop run keeps the store's answer from arriving: the call goes on
    with local state after ``timeout_s`` instead of polling forever."""

    async def never_yields(_: float) -> None:
        pass

    async def scenario() -> tuple[str, int]:
        aclient = redis.asyncio.Redis(host=redis_server.host, port=redis_server.port)
        store = RedisStore(aclient, prefix="t", autosync=False, timeout_s=PATIENT_S)
        budget = RetryBudget(name="p", min_retries=5, store=store)
        failures = 0

        @async_retry_llm(budget=budget, max_attempts=3, base_delay_s=0.0, sleep=never_yields)
        async def call() -> str:
            nonlocal failures
            failures += 1
            if failures == 1:
                raise status_error(503)
            return "ok"

        answer = await call()
        await aclient.aclose()
        return answer, failures

    assert asyncio.run(asyncio.wait_for(scenario(), 30)) == ("ok", 2)


def test_the_prometheus_adapter_shows_a_degraded_store() -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    import llm_retry.prometheus

    registry = prometheus_client.CollectorRegistry()
    listener = llm_retry.prometheus.instrument(registry)
    try:
        dead = RedisStore(redis.Redis(host="127.0.0.1", port=free_port()), prefix="metrics")
        CircuitBreaker(name="p", store=dead)
        labels = {"store": "metrics"}
        # The event follows the degradation on the store's own thread.
        assert until(lambda: registry.get_sample_value("llm_retry_store_degraded", labels) == 1)
    finally:
        remove_listener(listener)
    assert dead.stats()["degraded"]
    assert registry.get_sample_value("llm_retry_store_degradations_total", labels) == 1


# --- pairing and async ------------------------------------------------------------------------------------


def test_a_sync_function_with_an_async_client_is_a_type_error_naming_both(redis_server: RedisServer) -> None:
    async_store = RedisStore(
        redis.asyncio.Redis(host=redis_server.host, port=redis_server.port), autosync=False
    )
    breaker = CircuitBreaker(name="p", store=async_store)
    with pytest.raises(
        TypeError, match=r"'.*' is sync, and breaker 'p' is on a RedisStore with an async client"
    ):
        retry_llm(breaker=breaker)(lambda: "ok")
    with pytest.raises(TypeError, match="async client"):
        for attempt in attempts(breaker=breaker):
            with attempt:
                pass
    sync_store = manual(redis_server)
    budget = RetryBudget(name="p", store=sync_store)

    async def answer() -> str:
        return "ok"

    with pytest.raises(TypeError, match=r"is async, and budget 'p' is on a RedisStore with a sync client"):
        async_retry_llm(budget=budget)(answer)


def test_a_client_that_is_not_one_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"client must be a redis\.Redis or redis\.asyncio\.Redis client"):
        RedisStore("redis://localhost")


def test_an_async_fleet_shares_its_breaker_and_budget(redis_server: RedisServer) -> None:
    clients: list[redis.asyncio.Redis] = []
    stores: list[RedisStore] = []

    async def scenario() -> None:
        def new_store() -> RedisStore:
            clients.append(redis.asyncio.Redis(host=redis_server.host, port=redis_server.port))
            stores.append(RedisStore(clients[-1], prefix="t", sync_interval_s=0.05, timeout_s=PATIENT_S))
            return stores[-1]

        a, b = new_store(), new_store()
        breaker_a = CircuitBreaker(name="p", cooldown_s=0.2, half_open_max_calls=1, slow_start_s=0, store=a)
        breaker_b = CircuitBreaker(name="p", cooldown_s=0.2, half_open_max_calls=1, slow_start_s=0, store=b)
        budget_b = RetryBudget(name="p", min_retries=1, retry_ratio=0.0, store=b)
        answered = 0

        @async_retry_llm(breaker=breaker_b, budget=budget_b, max_attempts=5, base_delay_s=0.0)
        async def call_b() -> str:
            nonlocal answered
            answered += 1
            if answered == 1:
                raise status_error(503)
            return "ok"

        @async_retry_llm(breaker=breaker_a, max_attempts=1, budget=None)
        async def call_a() -> str:
            return "ok"

        assert await call_a() == "ok"  # starts A's rounds on this loop
        breaker_a.open()
        await a.async_sync()
        await b.async_sync()
        assert breaker_b.state is BreakerState.OPEN
        await asyncio.sleep(0.4)
        # B's first attempt is the probe (a lease, answered on this loop) and fails; the fleet's one retry
        # (min_retries=1) is withdrawn from Redis; the probe's failure reopens the breaker, so the retry is
        # refused by it: the call ends with the 503.
        with pytest.raises(Exception) as failure:
            await call_b()
        assert getattr(failure.value, "status_code", None) == 503
        assert budget_b._fleet.retries_allowed == 1  # type: ignore[union-attr]
        for _ in range(500):  # the probe's outcome goes with B's next round, on this loop (bounded poll)
            if redis_server.command("HGET", b.key("breaker", "p"), "opens") == b"2":
                break
            await asyncio.sleep(0.01)
        assert redis_server.command("HGET", b.key("breaker", "p"), "opens") == b"2"

    async def closed() -> None:
        await scenario()
        for store in stores:
            store.close()
        await asyncio.sleep(0.2)  # the rounds end at their next wake
        for aclient in clients:
            await aclient.aclose()

    asyncio.run(closed())
