"""The one way the library talks to a user's Redis (or Valkey) client: every command bounded in time, every
failure absent state, never the caller's error. After a failure the link degrades (callers use local state
and wait for nothing) and a background check brings it back by itself.

A sync client is used from one worker thread of the link's own, so that a caller waits at most
``timeout_s`` for an answer however the server behaves (down, paused, slow): the client's own timeouts and
retries are never on a caller's path. An async client is awaited on the caller's event loop, under the same
bound. The link logs one WARNING when it degrades and one when it recovers, and emits a `StoreEvent` for each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import random
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from . import _events

logger = logging.getLogger("llm_retry")

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 0.05
"""The most a call waits for the store: 50 ms, then it goes on with local state."""
RECHECK_S = (1.0, 5.0)
"""A degraded link checks the server again after a random time in this range (no lockstep across a fleet)."""


class LinkHealth:
    """Whether the store answers, shared by the sync and async sides of one link. Thread-safe."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._degraded_since: float | None = None
        self._recheck_at = 0.0
        self.degradations = 0
        self.recoveries = 0
        self.failures = 0

    @property
    def degraded(self) -> bool:
        return self._degraded_since is not None

    def failed(self, why: BaseException | str) -> None:
        with self._lock:
            self.failures += 1
            now = self._clock()
            self._recheck_at = now + random.uniform(*RECHECK_S)
            if self._degraded_since is not None:
                return
            self._degraded_since = now
            self.degradations += 1
        said = why if isinstance(why, str) else f"{type(why).__name__}: {why}"
        logger.warning(
            "llm-retry: store %r is not answering (%s); breakers, budgets and gates use local state until "
            "it does",
            self.name,
            said,
            extra={"store": self.name, "store_state": "degraded"},
        )
        if _events._listeners:
            _events.emit(_events.StoreEvent(self.name, True, said, None))

    def answered(self) -> None:
        if self._degraded_since is None:
            return
        with self._lock:
            since, self._degraded_since = self._degraded_since, None
            if since is None:
                return
            self.recoveries += 1
            down_s = self._clock() - since
        logger.warning(
            "llm-retry: store %r answers again after %.1f s; shared state is back",
            self.name,
            down_s,
            extra={"store": self.name, "store_state": "recovered", "degraded_s": down_s},
        )
        if _events._listeners:
            _events.emit(_events.StoreEvent(self.name, False, "answers again", down_s))

    def due_for_recheck(self) -> bool:
        """While degraded: True once in a while (the caller then checks the server in the background)."""
        with self._lock:
            if self._degraded_since is None or self._clock() < self._recheck_at:
                return False
            self._recheck_at = self._clock() + random.uniform(*RECHECK_S)
            return True


class SyncLink:
    """Runs a sync client's commands on the link's own worker thread, waiting at most ``timeout_s``.

    The worker is a daemon thread: one stuck on a server that never answers must not keep the process from
    exiting (a `ThreadPoolExecutor`'s threads are joined at exit)."""

    def __init__(self, health: LinkHealth, ping: Callable[[], object], timeout_s: float) -> None:
        self.health = health
        self.timeout_s = timeout_s
        self._ping = ping
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] | None = None
        self._pending: concurrent.futures.Future[Any] | None = None
        os.register_at_fork(after_in_child=self._forget_worker)

    def _forget_worker(self) -> None:
        # A forked child has no worker thread: it makes its own on first use.
        self._queue, self._pending = None, None

    def _submit(self, command: Callable[[], T]) -> concurrent.futures.Future[T]:
        with self._lock:
            if self._queue is None:
                self._queue = queue.SimpleQueue()
                threading.Thread(
                    target=_work, args=(self._queue,), name=f"llm-retry-store-{self.health.name}", daemon=True
                ).start()
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            self._queue.put((command, future))
            return future

    def call(self, command: Callable[[], T]) -> T | None:
        """``command()``'s result, or None when the store failed, is degraded, or took longer than the bound.
        Never raises an `Exception`."""
        if self.health.degraded:
            self._recheck_in_background()
            return None
        # Queued behind any earlier command (a sync round from another thread): the wait counts from here,
        # so a worker stuck on a server that stopped answering fails this call within the bound too.
        future = self._submit(command)
        self._pending = future
        try:
            result = future.result(timeout=self.timeout_s)
        except concurrent.futures.TimeoutError:
            self.health.failed(f"no answer within {self.timeout_s * 1000:.0f} ms")
            return None
        except Exception as exc:
            self.health.failed(exc)
            return None
        self.health.answered()
        return result

    def send(self, command: Callable[[], object]) -> bool:
        """Runs ``command()`` in the background, for a write whose answer nobody waits for (a batch of
        outcomes). False when it was not sent (degraded, or the worker still busy): the caller keeps what it
        wanted to send for the next time."""
        if self.health.degraded:
            self._recheck_in_background()
            return False
        if self._pending is not None and not self._pending.done():
            return False
        self._pending = self._submit(self._reporting(command))
        return True

    def _reporting(self, command: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                command()
            except Exception as exc:
                self.health.failed(exc)
            else:
                self.health.answered()

        return run

    def _recheck_in_background(self) -> None:
        if not self.health.due_for_recheck():
            return
        if self._pending is not None and not self._pending.done():
            return  # still stuck: the check would only queue behind it
        self._pending = self._submit(self._reporting(self._ping))


def _work(jobs: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]]) -> None:
    """The worker thread: runs each command and settles its future, forever."""
    while True:
        command, future = jobs.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(command())
        except BaseException as exc:  # handed to the waiting caller, who decides (never raised here)
            future.set_exception(exc)


class AsyncLink:
    """Awaits an async client's commands on the caller's event loop, at most ``timeout_s`` each."""

    def __init__(self, health: LinkHealth, ping: Callable[[], Awaitable[object]], timeout_s: float) -> None:
        self.health = health
        self.timeout_s = timeout_s
        self._ping = ping
        self._rechecks: set[asyncio.Task[None]] = set()

    async def call(self, command: Callable[[], Awaitable[T]]) -> T | None:
        """``await command()``, or None when the store failed, is degraded, or took longer than the bound.
        Never raises an `Exception`; a cancellation of the caller is raised as always."""
        if self.health.degraded:
            self._recheck_in_background()
            return None
        try:
            result = await asyncio.wait_for(command(), self.timeout_s)
        except TimeoutError:
            self.health.failed(f"no answer within {self.timeout_s * 1000:.0f} ms")
            return None
        except Exception as exc:
            self.health.failed(exc)
            return None
        self.health.answered()
        return result

    def _recheck_in_background(self) -> None:
        if not self.health.due_for_recheck():
            return
        task = asyncio.get_running_loop().create_task(self._recheck())
        self._rechecks.add(task)
        task.add_done_callback(self._rechecks.discard)

    async def _recheck(self) -> None:
        try:
            await asyncio.wait_for(self._ping(), max(self.timeout_s, 1.0))
        except Exception as exc:
            self.health.failed(exc)
        else:
            self.health.answered()
