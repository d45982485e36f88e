"""Prints the README's "SDK x error" table from the conformance suites: one row per (SDK, kind, decision),
each showing a real exception raised by that SDK and the reason `classify` gives for it.

    python3 scripts/sdk_table.py > /tmp/table.md
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import llm_retry

CONFORMANCE = Path(__file__).resolve().parent.parent / "tests" / "conformance"


def cases() -> list[object]:
    found: list[object] = []
    sys.path.insert(0, str(CONFORMANCE))  # the second ring's cases import ring2_support
    for path in sorted(CONFORMANCE.glob("sdk_cases_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        found.extend(module.build_cases())
    return found


def main() -> None:
    seen: set[tuple[str, str, bool]] = set()
    rows: list[tuple[str, str]] = []
    for case in cases():
        key = (case.sdk, case.kind, case.retryable)  # type: ignore[attr-defined]
        if key in seen:
            continue
        seen.add(key)
        exc = case.make()  # type: ignore[attr-defined]
        c = llm_retry.classify(exc)
        name = type(exc).__name__
        status = f" {c.status}" if c.status is not None else ""
        reason = c.reason.replace("|", "\\|")
        retried = "yes" if c.retryable else "no"
        rows.append((case.sdk, f"| {case.sdk} | `{name}`{status} | {c.kind.value} | {retried} | {reason} |"))  # type: ignore[attr-defined]
    print("| SDK | error raised | kind | retried | why (`classify(exc).reason`) |")
    print("|---|---|---|---|---|")
    for _, row in sorted(rows, key=lambda r: r[0]):
        print(row)


if __name__ == "__main__":
    main()
