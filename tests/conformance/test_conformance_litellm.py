"""LiteLLM's own exceptions (cases in optional_cases_litellm.py), classified: kind, decision and hint. Skipped
where LiteLLM is not installed, which is the default (it does not co-install with the first suite's pins; see
requirements-litellm.txt)."""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("litellm")

import llm_retry

sys.path.insert(0, str(Path(__file__).parent))

from optional_cases_litellm import build_cases
from ring2_support import Case

CASES = build_cases()
BY_ID = {case.id: case for case in CASES}


@functools.cache
def raised(case_id: str) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BY_ID[case_id].make()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_litellm_classification(case: Case) -> None:
    exc = raised(case.id)
    assert type(exc).__module__.startswith("litellm"), f"{case.id}: {type(exc).__module__}"
    c = llm_retry.classify(exc)
    got = f"got kind={c.kind!s} retryable={c.retryable} status={c.status} hint={c.retry_after_s} {c.reason!r}"
    assert c.kind == llm_retry.ErrorKind(case.kind), got
    assert c.retryable is case.retryable, got
    if case.status is not None:
        assert c.status == case.status, got
    if case.retry_after_s is None:
        assert c.retry_after_s is None, got
    else:
        assert c.retry_after_s == pytest.approx(case.retry_after_s, abs=1), got
