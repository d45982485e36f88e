"""The worst case of classify() on hostile input: its cost must not follow the size of an exception's text.

Each shape carries about 10 MB (a message that cannot be encoded as UTF-8, a many-megabyte args tuple, a
huge str body, a huge JSON body, a huge header value, a deep and wide cause tree); each is classified many
times and its median reported beside the same shape at 100 bytes. The run fails (exit 1) when any shape's
median is over the bound, or more than `RATIO_BOUND` times its small twin:

    python3 benches/bench_hostile.py            # full run
    python3 benches/bench_hostile.py --quick    # fewer calls, for a smoke test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import llm_retry

MB = 10 * 1024 * 1024
# A few milliseconds is what the hostile probe allows; a classification of a normal error takes about 1 us.
BOUND_S = 0.002
RATIO_BOUND = 20.0


def status_error(**attrs: object) -> BaseException:
    class HostileError(Exception):
        status_code = 429

    exc = HostileError()
    for name, value in attrs.items():
        setattr(exc, name, value)
    return exc


def args_error(size: int) -> BaseException:
    class ArgsError(Exception):
        status_code = 503

    return ArgsError("x" * size, "y" * size, 42)


def args_error_1(text: str) -> BaseException:
    class ArgsError(Exception):
        status_code = 503

    return ArgsError(text)


def cause_tree(size: int) -> BaseException:
    top = status_error(message="m" * size)
    members = [status_error(message="c" * size) for _ in range(50)]
    top.__cause__ = ExceptionGroup("many", members)
    return top


SHAPES: dict[str, Callable[[int], BaseException]] = {
    # The surrogate at the end: encoding the whole text fails only after it has been read.
    "unencodable message": lambda n: status_error(message="é" * n + "\ud800"),
    "unencodable args": lambda n: args_error_1("é" * n + "\ud800"),
    "long non-ASCII message": lambda n: status_error(message="é" * n),
    "many-megabyte args": args_error,
    "str body": lambda n: status_error(body="overloaded " * (n // 11)),
    "unencodable str body": lambda n: status_error(body="{" + "x" * n + "\ud800"),
    "JSON body": lambda n: status_error(body='{"error": {"message": "' + "x" * n + '"}}'),
    "header value": lambda n: status_error(headers={"retry-after": "1" * n}),
    "bytes header value": lambda n: status_error(headers={b"retry-after": b"2" * n}),
    "cause tree": lambda n: cause_tree(n // 50),
}


def median_s(exc: BaseException, calls: int) -> float:
    llm_retry.classify(exc)  # warm the per-type cache
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        llm_retry.classify(exc)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke test")
    calls = 20 if parser.parse_args().quick else 200
    bound_ms = BOUND_S * 1e3
    print(f"llm-retry {llm_retry.__version__}; median of {calls} calls per shape; bound {bound_ms:.0f} ms")
    print(f"{'shape':<24} {'~10 MB':>10} {'100 B':>10} {'ratio':>7}")
    failed = []
    for name, make in SHAPES.items():
        big, small = median_s(make(MB), calls), median_s(make(100), calls)
        ratio = big / small if small > 0 else float("inf")
        mark = ""
        if big > BOUND_S or ratio > RATIO_BOUND:
            failed.append(name)
            mark = "  OVER"
        print(f"{name:<24} {big * 1e6:>8.1f}us {small * 1e6:>8.1f}us {ratio:>7.1f}{mark}")
    if failed:
        print(f"over the bound: {', '.join(failed)}")
        return 1
    print("all shapes within the bound")
    return 0


if __name__ == "__main__":
    sys.exit(main())
