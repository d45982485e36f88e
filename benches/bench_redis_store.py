"""What sharing a breaker, a budget and a gate through Redis costs a process whose calls succeed: Redis
commands per call at a steady rate (target: at most 0.05), and the success path of a function whose breaker
(and budget and gate) are on a `RedisStore` against the same on an `InMemoryStore` (target: within 2x).

Starts its own `redis-server` (Debian's package; `apt-get install redis-server`) on a free loopback port,
without persistence, and stops it afterwards. Commands are counted as sent by the client (a counting
`redis.Redis`: every command the store sends, its background rounds included, each one round trip), and as
run by the server (INFO commandstats, which also counts the commands a script runs inside it).

    python3 benches/bench_redis_store.py            # 1000 calls/s for 5 s, 200,000 calls per timing repeat
    python3 benches/bench_redis_store.py --quick    # shorter, for a smoke test
"""

from __future__ import annotations

import argparse
import gc
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from llm_retry import CircuitBreaker, InMemoryStore, RateLimitGate, RedisStore, RetryBudget, retry_llm


@contextmanager
def redis_server() -> Iterator[redis.Redis]:
    executable = shutil.which("redis-server")
    if executable is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=port)
        try:
            for _ in range(500):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.01)
            yield client
        finally:
            process.kill()
            process.wait()


class CountingRedis(redis.Redis):
    """A `redis.Redis` that counts the commands it sends."""

    sent = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        CountingRedis.sent += 1
        return super().execute_command(*args, **options)


def commands(client: redis.Redis) -> int:
    """Commands the server has run (INFO commandstats), not counting the INFO calls themselves."""
    stats = client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


def decorated(store: InMemoryStore, name: str) -> Callable[[], str]:
    breaker = CircuitBreaker(name=name, store=store)
    budget = RetryBudget(name=name, store=store)
    gate = RateLimitGate(name, store=store)

    @retry_llm(breaker=breaker, budget=budget, gate=gate)
    def call() -> str:
        return "ok"

    return call


def commands_per_call(client: redis.Redis, rate: float, seconds: float) -> tuple[float, float, int]:
    """Calls at ``rate`` a second for ``seconds`` on a `RedisStore`: commands sent per call, and commands
    the server ran per call."""
    port = client.connection_pool.connection_kwargs["port"]
    store = RedisStore(CountingRedis(host="127.0.0.1", port=port), prefix="bench-rate")
    call = decorated(store, "steady")
    call()
    time.sleep(0.5)  # the first rounds
    before, sent_before = commands(client), CountingRedis.sent
    made, started = 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate) + 1
        while made < due:
            call()
            made += 1
        time.sleep(0.001)
    sent = CountingRedis.sent - sent_before
    return sent / made, (commands(client) - before) / made, made


def timing(call: Callable[[], Any], calls: int) -> float:
    """ns per call over ``calls`` calls."""
    gc.disable()
    try:
        started = time.perf_counter_ns()
        for _ in range(calls):
            call()
        return (time.perf_counter_ns() - started) / calls
    finally:
        gc.enable()


def success_path(client: redis.Redis, calls: int, repeats: int) -> dict[str, float]:
    """Median ns per call of each variant, repeats interleaved round-robin."""

    def bare() -> str:
        return "ok"

    breaker_only_mem = retry_llm(breaker=CircuitBreaker(name="m1", store=InMemoryStore()), budget=None)(bare)
    breaker_only_redis = retry_llm(
        breaker=CircuitBreaker(name="r1", store=RedisStore(client, prefix="bench-path")), budget=None
    )(bare)
    variants = {
        "bare function": bare,
        "breaker, InMemoryStore": breaker_only_mem,
        "breaker, RedisStore": breaker_only_redis,
        "breaker+budget+gate, InMemoryStore": decorated(InMemoryStore(), "m3"),
        "breaker+budget+gate, RedisStore": decorated(RedisStore(client, prefix="bench-path3"), "r3"),
    }
    for call in variants.values():
        timing(call, calls // 10)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, call in variants.items():
            samples[name].append(timing(call, calls))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rate", type=float, default=1000.0, help="calls a second for the command count")
    args = parser.parse_args()
    seconds, calls, repeats = (2.0, 20_000, 3) if args.quick else (5.0, 200_000, 7)
    with redis_server() as client:
        sent, run, made = commands_per_call(client, args.rate, seconds)
        steady = f"steady success at {args.rate:.0f} calls/s for {seconds:.0f} s ({made} calls)"
        print(f"{steady}, breaker + budget + gate:")
        print(f"  Redis commands sent per call: {sent:.4f} (target <= 0.05)")
        print(f"  commands the server ran per call, inside scripts included: {run:.4f}")
        medians = success_path(client, calls, repeats)
        print(f"success path, median of {repeats} x {calls} calls:")
        for name, ns in medians.items():
            print(f"  {name:<38} {ns:8.0f} ns")
        bare = medians["bare function"]
        for what in ("breaker", "breaker+budget+gate"):
            mem, red = medians[f"{what}, InMemoryStore"], medians[f"{what}, RedisStore"]
            print(
                f"  {what}: RedisStore / InMemoryStore = {red / mem:.2f} (target <= 2); "
                f"overhead over the bare call {red - bare:.0f} ns against {mem - bare:.0f} ns"
            )


if __name__ == "__main__":
    main()
