"""`llm_retry.classify` against exceptions the real anthropic, openai, groq, mistralai and cohere SDKs raise.

The cases live in `sdk_cases_stainless.py`; expectations follow shared/research/provider-errors.md §2 and §4.
"""

from __future__ import annotations

import os
import re
import traceback
from collections import Counter
from collections.abc import Mapping
from typing import Any

import llm_retry
import pytest
from sdk_cases_stainless import Case, build_cases

CASES = build_cases()
PRESET_CASES = [case for case in CASES if case.preset is not None]

# mistralai and cohere let transport errors through unwrapped, as httpx2 / httpx exceptions.
_RAW_TRANSPORT_MODULE = {"mistralai": "httpx2", "cohere": "httpx"}

# Headers a delay can be read from. A value without a digit ("soon") carries no hint, so None is expected.
_HINT_HEADER = re.compile(
    r"retry-after(-ms)?|x-ratelimit-reset.*|anthropic-ratelimit-.*-reset", re.IGNORECASE
)


def _headers(exc: BaseException) -> Mapping[str, str]:
    # Stainless SDKs: .response.headers; mistralai: .headers (httpx2.Headers); cohere: .headers (plain dict).
    # getattr may raise on httpx errors (trap 12), so any failure means "no headers".
    for owner in (exc, _safe_getattr(exc, "response")):
        headers = _safe_getattr(owner, "headers")
        if isinstance(headers, Mapping):
            return headers
    return {}


def _safe_getattr(obj: object, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def _carries_hint(exc: BaseException) -> bool:
    return any(
        _HINT_HEADER.fullmatch(name) and any(ch.isdigit() for ch in value)
        for name, value in _headers(exc).items()
    )


def _assert_raised_by_sdk(case: Case, exc: BaseException) -> None:
    """The exception must come from the SDK's own code path, never from a hand-made object."""
    package = type(exc).__module__.split(".")[0]
    if package == case.sdk:
        return
    assert package == _RAW_TRANSPORT_MODULE.get(case.sdk), (
        f"{case.id}: {type(exc).__module__}.{type(exc).__qualname__} does not come from {case.sdk}"
    )
    frames = traceback.extract_tb(exc.__traceback__)
    assert any(f"{os.sep}{case.sdk}{os.sep}" in frame.filename for frame in frames), (
        f"{case.id}: raw {package} exception was not raised through {case.sdk}'s code"
    )


def _assert_classified(case: Case, exc: BaseException, classification: Any) -> None:
    expected: dict[str, Any] = {"kind": llm_retry.ErrorKind(case.kind), "retryable": case.retryable}
    actual: dict[str, Any] = {"kind": classification.kind, "retryable": classification.retryable}
    if case.status is not None:
        expected["status"] = case.status
        actual["status"] = classification.status
    if case.retry_after_s is not None:
        expected["retry_after_s"] = pytest.approx(case.retry_after_s, abs=1)
        actual["retry_after_s"] = classification.retry_after_s
    elif not _carries_hint(exc):
        expected["retry_after_s"] = None
        actual["retry_after_s"] = classification.retry_after_s
    assert actual == expected, f"{case.id}: {type(exc).__name__}: reason={classification.reason!r}"
    assert isinstance(classification.retryable, bool)
    assert isinstance(classification.reason, str)
    assert classification.reason


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_default_policy(case: Case) -> None:
    exc = case.make()
    _assert_raised_by_sdk(case, exc)
    _assert_classified(case, exc, llm_retry.classify(exc))


@pytest.mark.parametrize("case", PRESET_CASES, ids=[case.id for case in PRESET_CASES])
def test_provider_preset(case: Case) -> None:
    assert case.preset is not None
    exc = case.make()
    _assert_raised_by_sdk(case, exc)
    _assert_classified(case, exc, llm_retry.classify(exc, preset=getattr(llm_retry, case.preset)))


def test_cases_are_unique_and_cover_every_sdk() -> None:
    ids = Counter(case.id for case in CASES)
    assert [case_id for case_id, count in ids.items() if count > 1] == []
    assert {case.sdk for case in CASES} == {"anthropic", "openai", "groq", "mistralai", "cohere"}
    assert len(CASES) >= 90
    assert {case.kind for case in CASES} == {kind.value for kind in llm_retry.ErrorKind}
