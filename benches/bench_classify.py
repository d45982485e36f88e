"""Classification time per exception, on the real SDK exceptions of the conformance suite.

For each exception, `llm_retry.classify(exc)` is timed over many calls; the median and p99 over all
exceptions are reported, per SDK and overall, beside a pure-Python reference classifier that reads the
same attributes (status, codes, body, headers, causes) and applies table lookups, measured in the same run.

    python3 benches/bench_classify.py     # needs the SDKs: pip install -r tests/requirements.txt
    python3 benches/bench_classify.py --quick
    python3 benches/bench_classify.py --suite second   # the second ring only (frameworks, more providers)
    python3 benches/bench_classify.py --compare        # both suites; the second's median within 2x
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import llm_retry

CONFORMANCE = Path(__file__).resolve().parent.parent / "tests" / "conformance"
SUITES = {
    "first": ("sdk_cases_stainless.py", "sdk_cases_google_aws.py"),
    "second": ("sdk_cases_ring2_*.py",),
    "all": ("sdk_cases_*.py",),
}

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}
RETRYABLE_NAMES = {n.lower() for n in llm_retry.DefaultPreset.retryable_exception_names}
NETWORK_NAMES = {
    "connecterror",
    "readtimeout",
    "connecttimeout",
    "timeouterror",
    "connectionerror",
    "apiconnectionerror",
    "apitimeouterror",
    "endpointconnectionerror",
    "readtimeouterror",
}
HEADERS = ("retry-after-ms", "retry-after", "x-should-retry", "x-amz-retry-after")


def _get(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def python_reference(exc: BaseException, depth: int = 0) -> tuple[str, bool, float | None]:
    """The same attribute reads as the Rust extraction, with table lookups instead of the full rules."""
    names = [c.__name__.lower() for c in type(exc).__mro__]
    codes: list[str] = []
    status = None
    for attr in ("status_code", "status", "code"):
        value = _get(exc, attr)
        if isinstance(value, int) and not isinstance(value, bool):
            status = status or value
        elif isinstance(value, str):
            codes.append(value.lower())
    for attr in ("type", "error_code"):
        value = _get(exc, attr)
        if isinstance(value, str):
            codes.append(value.lower())
    body = _get(exc, "body")
    if isinstance(body, str) and body.lstrip().startswith("{"):
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            for key in ("type", "code", "status"):
                if isinstance(inner.get(key), str):
                    codes.append(inner[key].lower())
    response = _get(exc, "response")
    headers = None
    if isinstance(response, dict):
        error = response.get("Error") or {}
        if isinstance(error.get("Code"), str):
            codes.append(error["Code"].lower())
        meta = response.get("ResponseMetadata") or {}
        status = status or meta.get("HTTPStatusCode")
        headers = meta.get("HTTPHeaders")
    elif response is not None:
        status = status or _get(response, "status_code")
        headers = _get(response, "headers")
    headers = headers or _get(exc, "headers")
    hint = None
    if headers is not None:
        try:
            for name in HEADERS:
                value = headers.get(name)
                if value is not None and hint is None and name.startswith("retry-after"):
                    hint = float(value) / (1000 if name.endswith("ms") else 1)
        except Exception:
            pass
    if "insufficient_quota" in codes:
        return "quota_exhausted", False, hint
    if any(n in NETWORK_NAMES for n in names):
        return "network", True, hint
    retryable = status in RETRYABLE_STATUS or any(c in RETRYABLE_NAMES for c in codes + names)
    cause = exc.__cause__
    if not retryable and cause is not None and depth < 4:
        return python_reference(cause, depth + 1)
    return ("rate_limited" if status == 429 else "unknown"), retryable, hint


def load_cases(suite: str = "all") -> list[Any]:
    cases: list[Any] = []
    sys.path.insert(0, str(CONFORMANCE))
    paths = sorted({path for pattern in SUITES[suite] for path in CONFORMANCE.glob(pattern)})
    for path in paths:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
        cases.extend(module.build_cases())
    return cases


def per_call_ns(fn: Any, exc: object, n: int) -> float:
    loop = range(n)
    start = time.perf_counter_ns()
    for _ in loop:
        fn(exc)
    return (time.perf_counter_ns() - start) / n


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--suite", choices=sorted(SUITES), default="all")
    parser.add_argument("--compare", action="store_true", help="time both suites; the second within 2x")
    args = parser.parse_args()
    n, repeats = (200, 3) if args.quick else (2_000, 5)
    if args.compare:
        first = run(load_cases("first"), n, repeats)
        second = run(load_cases("second"), n, repeats)
        ratio = second / first
        print(f"\nmedian: first suite {first:.0f} ns, second {second:.0f} ns, ratio {ratio:.2f} (limit 2)")
        if ratio > 2.0:
            raise SystemExit("the second suite's median is more than twice the first's")
        return
    run(load_cases(args.suite), n, repeats)


def run(cases: list[Any], n: int, repeats: int) -> float:
    """Times every case's exception; prints the table and returns the median over all of them."""
    exceptions = []
    for case in cases:
        try:
            exceptions.append((case.sdk, case.id, case.make()))
        except Exception as exc:  # an SDK that is not installed
            print(f"skipped {case.id}: {exc!r}", file=sys.stderr)
    classify = llm_retry.classify
    rust: dict[str, list[float]] = defaultdict(list)
    python: dict[str, list[float]] = defaultdict(list)
    gc.collect()
    for sdk, _, exc in exceptions:
        classify(exc)  # warm the per-type cache, as in a long-running process
        rust[sdk].append(min(per_call_ns(classify, exc, n) for _ in range(repeats)))
        python[sdk].append(min(per_call_ns(python_reference, exc, n) for _ in range(repeats)))
    print(
        f"{len(exceptions)} real SDK exceptions; ns per classify() call (best of {repeats} x {n} calls each)"
    )
    print(f"{'sdk':<22}{'cases':>6}{'rust median':>13}{'rust p99':>10}{'py median':>11}{'py p99':>9}")
    every_rust = [v for values in rust.values() for v in values]
    every_py = [v for values in python.values() for v in values]

    def row(label: str, r: list[float], p: list[float]) -> str:
        return (
            f"{label:<22}{len(r):>6}{statistics.median(r):>13.0f}{percentile(r, 0.99):>10.0f}"
            f"{statistics.median(p):>11.0f}{percentile(p, 0.99):>9.0f}"
        )

    for sdk in sorted(rust):
        print(row(sdk, rust[sdk], python[sdk]))
    print(row("all", every_rust, every_py))
    print(f"ratio rust/python (median): {statistics.median(every_rust) / statistics.median(every_py):.2f}")
    # The floor: a call with no evidence to read still crosses into Rust, looks the type up, writes a reason
    # and builds (then frees) the result object.
    nothing = object()
    floor = min(per_call_ns(classify, nothing, n * 5) for _ in range(repeats))
    bare = min(per_call_ns(type, nothing, n * 5) for _ in range(repeats))
    print(f"floor: classify(object()) {floor:.0f} ns (no evidence to read); type(object()) {bare:.0f} ns")
    return statistics.median(every_rust)


if __name__ == "__main__":
    main()
