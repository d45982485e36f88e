"""Instructions per classify() call for each real SDK exception, counted by valgrind's callgrind.

Instruction counts do not depend on what else the machine is doing, so they compare two builds where
timings on a busy 2-core VM cannot. Needs valgrind (Debian: valgrind) and the SDKs. Takes ~5 minutes:

    python3 benches/classify_instructions.py            # prints the median and the slowest cases
    python3 benches/classify_instructions.py --save a.json      # also keeps the count of every case
    python3 benches/classify_instructions.py --compare a.json   # and the cases that changed most since
"""

from __future__ import annotations

import glob
import json
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
    per_call = report(totals)
    if "--save" in sys.argv:
        Path(sys.argv[sys.argv.index("--save") + 1]).write_text(json.dumps(per_call, indent=0))
    if "--compare" in sys.argv:
        compare(json.loads(Path(sys.argv[sys.argv.index("--compare") + 1]).read_text()), per_call)


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


def report(totals: dict[str, int]) -> dict[str, float]:
    """Prints the summary; returns the instructions per call of each case."""
    baseline = totals.pop("baseline")
    per_call = sorted(((total - baseline) / CALLS, case_id) for case_id, total in totals.items())
    counts = [count for count, _ in per_call]
    print(f"{len(per_call)} exceptions; instructions per classify() call")
    print(f"median {statistics.median(counts):.0f}  mean {statistics.mean(counts):.0f}  min {counts[0]:.0f}")
    for count, case_id in per_call[-5:]:
        print(f"  {count:8.0f}  {case_id}")
    return {case_id: count for count, case_id in per_call}


def compare(before: dict[str, float], after: dict[str, float]) -> None:
    """The cases whose count changed most, as after/before."""
    common = sorted(set(before) & set(after), key=lambda c: after[c] / before[c])
    ratios = [after[c] / before[c] for c in common]
    print(f"against the saved run: median ratio {statistics.median(ratios):.3f} over {len(common)} cases")
    for case_id in common[:3] + common[-8:]:
        was, now = before[case_id], after[case_id]
        print(f"  {now / was:6.3f}  {was:8.0f} -> {now:8.0f}  {case_id}")


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    else:
        main()
