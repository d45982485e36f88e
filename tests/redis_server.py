"""A real Redis server of the tests' own: Debian's `redis-server` (the test command installs it where it is
missing), started on a free loopback port without persistence, and stopped afterwards. Faults are injected on
the real process: paused (SIGSTOP, a server that stops answering), resumed, killed, restarted on the same
port, flushed.

Talks RESP over a plain socket, so that the fixture itself needs no client library.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

READY_TIMEOUT_S = 10.0
"""How long a starting server may take to answer PING; far more than it needs (milliseconds)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """One `redis-server` process on 127.0.0.1:`port`."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.host = "127.0.0.1"
        self._dir = tempfile.TemporaryDirectory(prefix="llm-retry-redis-")
        self._log = str(Path(self._dir.name) / "redis.log")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self.executable,
                "--bind", self.host,
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir.name,
                "--protected-mode", "yes",
                "--loglevel", "warning",
                "--logfile", self._log,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = Path(self._log).read_text(errors="replace") if Path(self._log).exists() else ""
                if "Address already in use" in log:  # taken since free_port(): another port
                    Path(self._log).unlink()
                    self.port = free_port()
                    self.start()
                    return
                raise RuntimeError(f"redis-server exited at start ({self._process.returncode}): {log}")
            with contextlib.suppress(OSError):
                if self.command("PING", timeout_s=0.5) == b"+PONG":
                    if self._answered_by_ours():
                        return
                    # Another test's server took the port between free_port() and ours binding it (tests
                    # running side by side): ours exits; start again on another port.
                    self.kill()
                    self.port = free_port()
                    self.start()
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {READY_TIMEOUT_S} s")

    def _answered_by_ours(self) -> bool:
        assert self._process is not None
        info = self.command("INFO", "server", timeout_s=0.5)
        return isinstance(info, bytes) and f"process_id:{self._process.pid}\r\n".encode() in info

    def command(self, *args: str, timeout_s: float = 2.0) -> object:
        """Sends one command; the reply decoded from RESP: bytes for a status or bulk string (a status keeps
        its sign: ``b"+OK"``), an int, a list, or None."""
        payload = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
        )
        with socket.create_connection((self.host, self.port), timeout=timeout_s) as s:
            s.sendall(payload)
            return _read_reply(s.makefile("rb"))

    def pause(self) -> None:
        """SIGSTOP: the server holds its connections and answers nothing, as a stalled server does."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: the server is gone, its state with it."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGCONT)  # a paused server must not linger
            self._process.kill()
            self._process.wait(timeout=READY_TIMEOUT_S)

    def restart(self) -> None:
        """A fresh, empty server on the same port."""
        self.kill()
        self.start()

    def flush(self) -> None:
        self.command("FLUSHALL")

    def stop(self) -> None:
        self.kill()
        self._dir.cleanup()


def _read_reply(stream: Any) -> object:
    line = stream.readline().rstrip(b"\r\n")
    kind, body = line[:1], line[1:]
    if kind in (b"+", b"-"):
        return line
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        return None if size < 0 else stream.read(size + 2)[:size]
    if kind == b"*":
        count = int(body)
        return None if count < 0 else [_read_reply(stream) for _ in range(count)]
    raise ValueError(f"not a RESP reply: {line!r}")


def redis_executable() -> str:
    if os.environ.get("LLM_RETRY_SKIP_REDIS") == "1":
        pytest.skip("LLM_RETRY_SKIP_REDIS=1: no redis-server on this runner (the Linux CI runs these tests)")
    found = shutil.which("redis-server")
    if found is None:
        pytest.fail(
            "redis-server is not installed: `bash scripts/test.sh` installs Debian's redis-server package; "
            "or run `apt-get install redis-server`"
        )
    return found


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh Redis server for one test (its faults cannot leak into another)."""
    server = RedisServer(redis_executable())
    server.start()
    try:
        yield server
    finally:
        server.stop()
