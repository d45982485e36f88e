"""A fleet of worker processes through a provider outage, with a breaker and a retry budget per process,
then shared by all of them through Redis (`RedisStore`). No API key: the provider is a small HTTP server on
127.0.0.1 that answers 503 during the outage and 200 otherwise.

Each of N workers sends a few requests a second, as a fleet of small clients does: alone, none of them
sees enough failures to notice the outage quickly, nor a probe's answer when it ends. Printed per mode:
attempts that reached the provider per request offered during the outage, and how long after the outage
the last worker got its first answer.

    python examples/fleet.py               # 8 workers
    python examples/fleet.py --workers 16

The shared mode starts its own `redis-server` on a free loopback port (without persistence) when one is
installed (`apt-get install redis-server`), and says so when it is not.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OUTAGE_S = (1.0, 5.0)
"""The provider answers 503 from 1 s to 5 s into the run."""
RUN_S = 9.0
RATE_PER_WORKER = 4.0
"""Requests a second each worker offers."""


class Provider(BaseHTTPRequestHandler):
    started = 0.0
    attempts: list[float] = []  # noqa: RUF012  (one provider per run)
    lock = threading.Lock()

    def do_POST(self) -> None:
        now = time.time() - Provider.started
        with Provider.lock:
            Provider.attempts.append(now)
        down = OUTAGE_S[0] <= now < OUTAGE_S[1]
        self.send_response(503 if down else 200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class ProviderError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"provider answered {status_code}")
        self.status_code = status_code


def worker(port: int, redis_port: int | None, started: float, results: Any) -> None:
    """Offers requests at a steady pace for the run; reports (offered at, answered) per request."""
    logging.getLogger("llm_retry").setLevel(logging.ERROR)  # each retry's WARNING line, 8 workers over

    from llm_retry import CircuitBreaker, CircuitOpenError, RedisStore, RetryBudget, retry_llm

    store = None
    if redis_port is not None:
        import redis

        store = RedisStore(redis.Redis(host="127.0.0.1", port=redis_port), prefix="fleet-example")
    breaker = CircuitBreaker(name="provider", cooldown_s=1.0, max_cooldown_s=2.0, store=store)
    budget = RetryBudget(name="provider", store=store)

    @retry_llm(breaker=breaker, budget=budget, max_attempts=3, base_delay_s=0.05, max_delay_s=0.2)
    def complete() -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/messages", data=b"{}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=2.0) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise ProviderError(exc.code) from None

    time.sleep(max(0.0, started - time.time()))
    outcomes = []
    sent = 0
    while (now := time.time() - started) < RUN_S:
        try:
            complete()
            answered = True
        except (ProviderError, CircuitOpenError):
            answered = False
        outcomes.append((now, answered))
        sent += 1
        time.sleep(max(0.0, sent / RATE_PER_WORKER - (time.time() - started)))
    results.put(outcomes)


@contextlib.contextmanager
def redis_server() -> Iterator[int | None]:
    executable = shutil.which("redis-server")
    if executable is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(500):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                    break
                time.sleep(0.01)
            yield port
        finally:
            process.kill()
            process.wait()


def run(workers: int, redis_port: int | None) -> tuple[float, float]:
    """One run of the fleet: attempts per request during the outage, and seconds after it until every
    worker had an answer again."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Provider.attempts = []
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    started = time.time() + 3.0  # every worker has started by then
    Provider.started = started
    processes = [
        ctx.Process(target=worker, args=(server.server_address[1], redis_port, started, results))
        for _ in range(workers)
    ]
    for p in processes:
        p.start()
    reports = [results.get(timeout=RUN_S + 60) for _ in processes]
    for p in processes:
        p.join()
    server.shutdown()
    begin, end = OUTAGE_S
    offered = sum(1 for report in reports for at, _ in report if begin <= at < end)
    reached = sum(1 for at in Provider.attempts if begin <= at < end)
    recovered = [next((at for at, answered in report if answered and at >= end), RUN_S) for report in reports]
    return reached / max(offered, 1), max(recovered) - end


def report(mode: str, per_request: float, recovery_s: float) -> str:
    return (
        f"  {mode:<31} {per_request:.3f} attempts per request, last worker answered {recovery_s:.2f} s "
        "after the outage"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    print(
        f"{args.workers} workers, {RATE_PER_WORKER:g} requests/s each; the provider is down "
        f"from {OUTAGE_S[0]:g} s to {OUTAGE_S[1]:g} s"
    )
    per_request, recovery_s = run(args.workers, None)
    print(report("breaker and budget per process", per_request, recovery_s))
    with redis_server() as redis_port:
        if redis_port is None:
            print("  shared through Redis: skipped, redis-server is not installed (apt-get install it)")
            return
        print(f"  (started redis-server on 127.0.0.1:{redis_port})")
        per_request, recovery_s = run(args.workers, redis_port)
        print(report("shared through a RedisStore", per_request, recovery_s))


if __name__ == "__main__":
    main()
