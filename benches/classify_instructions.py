"""Instructions per classify() call for each real SDK exception, counted by valgrind's callgrind.

Instruction counts do not depend on what else the machine is doing, so they compare two builds where
timings on a busy 2-core VM cannot. Needs valgrind (Debian: valgrind) and the SDKs. Takes ~5 minutes:

    python3 benches/classify_instructions.py            # prints the median and the slowest cases
"""

from __future__ import annotations

import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

CALLS = 50


def measure() -> None:
    """Runs under callgrind: dumps the counters once per case, after CALLS classifications."""
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_classify
    import llm_retry

    cases = []
    for case in bench_classify.load_cases():
        try:
            cases.append((case.id, case.make()))
        except Exception:  # an SDK that is not installed
            continue
    classify = llm_retry.classify
    for _, exc in cases:
        classify(exc)
    pid = str(os.getpid())

    def control(*args: str) -> None:
        subprocess.run(["callgrind_control", *args, pid], stdout=subprocess.DEVNULL, check=False)

    control("-i", "on")
    for case_id, exc in [("baseline", None), *cases]:
        control("-z")
        if exc is not None:
            for _ in range(CALLS):
                classify(exc)
        control("-d", case_id)


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}/cg.out",
                sys.executable,
                __file__,
                "--measure",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        totals = read_dumps(out)
    report(totals)


def read_dumps(folder: str) -> dict[str, int]:
    """Instructions counted in each dump, by the case id it was named after."""
    totals: dict[str, int] = {}
    for path in glob.glob(f"{folder}/cg.out.*"):
        text = Path(path).read_text()
        trigger = re.search(r"^desc: Trigger: (?:Client Request: )?dump (.*)$", text, re.M)
        summary = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and summary:
            totals[trigger.group(1).strip()] = int(summary.group(1))
    return totals


def report(totals: dict[str, int]) -> None:
    baseline = totals.pop("baseline")
    per_call = sorted(((total - baseline) / CALLS, case_id) for case_id, total in totals.items())
    counts = [count for count, _ in per_call]
    print(f"{len(per_call)} exceptions; instructions per classify() call")
    print(f"median {statistics.median(counts):.0f}  mean {statistics.mean(counts):.0f}  min {counts[0]:.0f}")
    for count, case_id in per_call[-5:]:
        print(f"  {count:8.0f}  {case_id}")


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    else:
        main()
