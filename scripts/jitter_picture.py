"""Draws docs/full-jitter.png: a burst of 1,000 calls that fail together (say, a 529 from an overloaded
provider), retried with exponential backoff and no jitter against llm-retry's full jitter.

The waits are llm-retry's own, recorded with `llm_retry.testing.record_waits`: each call is a decorated
function with a seed of its own that fails three times, then answers. Without jitter every call waits its
ceiling (1 s, 2 s, 4 s: the recorded ``ceiling_s``), so the 1,000 retries land on the provider in the same
instant three times over; with full jitter each wait is drawn from [0, ceiling] and they spread out.

    pip install -r benches/requirements.txt    # matplotlib
    python scripts/jitter_picture.py [--out docs/full-jitter.png]
"""

from __future__ import annotations

import argparse
import itertools
import logging
from collections.abc import Iterator, Sequence

import llm_retry
from llm_retry.testing import Wait, record_waits

CALLS = 1000
FAILURES = 3
BIN_S = 0.1


class Overloaded(Exception):
    status_code = 529


def burst() -> list[list[Wait]]:
    """The waits of each of the ``CALLS`` calls, in order."""
    logging.getLogger("llm_retry").setLevel(logging.ERROR)  # 3,000 retry lines say nothing here
    per_call: list[list[Wait]] = []
    for seed in range(CALLS):
        failures = iter(range(FAILURES))

        @llm_retry.retry_llm(max_attempts=FAILURES + 1, base_delay_s=1.0, seed=seed, budget=None)
        def call(failures: Iterator[int] = failures) -> str:
            if next(failures, None) is not None:
                raise Overloaded()
            return "answer"

        with record_waits() as waits:
            call()
        per_call.append(waits)
    return per_call


def retry_times(per_call: Sequence[Sequence[Wait]], *, jitter: bool) -> list[float]:
    """When each retry reaches the provider, in seconds after the burst (attempts take no time)."""
    times: list[float] = []
    for waits in per_call:
        steps = [w.delay_s if jitter else w.ceiling_s for w in waits]
        times.extend(itertools.accumulate(steps))
    return times


def peak(times: Sequence[float]) -> int:
    """The most retries in one ``BIN_S`` bin."""
    counts: dict[int, int] = {}
    for t in times:
        key = int(t / BIN_S)
        counts[key] = counts.get(key, 0) + 1
    return max(counts.values())


def draw(path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_call = burst()
    plain, jittered = retry_times(per_call, jitter=False), retry_times(per_call, jitter=True)
    end_s = max(plain + jittered) + 0.5
    bins = [i * BIN_S for i in range(int(end_s / BIN_S) + 2)]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, sharey=True)
    top.hist(plain, bins=bins, color="tab:red")
    top.set_title(f"exponential backoff, no jitter: peaks of {peak(plain)} retries in {BIN_S * 1000:.0f} ms")
    bottom.hist(jittered, bins=bins, color="tab:blue")
    bottom.set_title(
        f"llm-retry's full jitter: at most {peak(jittered)} retries in {BIN_S * 1000:.0f} ms",
        fontsize="medium",
    )
    top.title.set_fontsize("medium")
    for ax in (top, bottom):
        ax.set_yscale("symlog", linthresh=10.0)
        ax.set_ylabel(f"retries per {BIN_S * 1000:.0f} ms")
    bottom.set_xlabel("seconds after 1,000 calls failed together (3 retries each, base_delay_s=1)")
    fig.suptitle("A burst of 1,000 retries: no jitter against full jitter")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    print(f"{path}: no jitter peaks at {peak(plain)} retries per 100 ms, full jitter at {peak(jittered)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/full-jitter.png", help="where to write the PNG")
    draw(parser.parse_args(argv).out)


if __name__ == "__main__":
    main()
