"""The second conformance suite: `llm_retry.classify` against exceptions raised by the frameworks
(pydantic-ai, LangChain, OpenAI Agents) and the providers beyond the first eight (Azure AI Inference,
ollama, Hugging Face, Together, Fireworks, Replicate, Voyage, xAI, Vertex, Bedrock and OpenAI-compatible
routes). Cases live in
`sdk_cases_ring2_frameworks.py` and `sdk_cases_ring2_providers.py`; every case asserts the kind, the decision
and the delay hint (None where the exception carries none that applies).
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import llm_retry
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import sdk_cases_ring2_frameworks as frameworks
import sdk_cases_ring2_providers as providers
from ring2_support import Case

CASES = [*frameworks.build_cases(), *providers.build_cases()]
BY_ID = {case.id: case for case in CASES}
WITH_PRESET = [case for case in CASES if case.preset is not None]
SDK_MODULES = {**frameworks.SDK_MODULES, **providers.SDK_MODULES}


@functools.cache
def raised(case_id: str) -> BaseException:
    """Each case's exception, made once per session; the packages' own warnings are theirs, not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BY_ID[case_id].make()


def _module_root_matches(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_exception_comes_from_the_package(case: Case) -> None:
    """Built by the package's own code path: its module (or what it lets through), and its frames."""
    exc = raised(case.id)
    module = type(exc).__module__
    assert _module_root_matches(module, SDK_MODULES[case.sdk]), (
        f"{case.id}: {module}.{type(exc).__qualname__}"
    )
    assert not isinstance(exc, AssertionError), f"{case.id} did not produce a package error: {exc!r}"


def _check(case: Case, c: Any, label: str) -> None:
    got = (
        f"{label}: got kind={c.kind!s} retryable={c.retryable} status={c.status} "
        f"retry_after_s={c.retry_after_s} reason={c.reason!r}"
    )
    assert c.kind == llm_retry.ErrorKind(case.kind), got
    assert c.retryable is case.retryable, got
    if case.status is not None:
        assert c.status == case.status, got
    if case.retry_after_s is None:
        assert c.retry_after_s is None, got
    else:
        assert c.retry_after_s == pytest.approx(case.retry_after_s, abs=1), got
    assert isinstance(c.reason, str) and c.reason, got


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_default_classification(case: Case) -> None:
    _check(case, llm_retry.classify(raised(case.id)), "default")


@pytest.mark.parametrize("case", WITH_PRESET, ids=lambda c: f"{c.id}[{c.preset}]")
def test_provider_preset_classification(case: Case) -> None:
    preset = getattr(llm_retry, str(case.preset))
    _check(case, llm_retry.classify(raised(case.id), preset=preset), str(case.preset))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_classify_emits_no_warning(case: Case) -> None:
    """Reading an error never warns (azure-core's `error.error` is deprecated, and never read)."""
    exc = raised(case.id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm_retry.classify(exc)
    assert [str(w.message) for w in caught] == []


def test_cases_are_unique_and_cover_every_package_and_kind() -> None:
    ids = Counter(case.id for case in CASES)
    assert [case_id for case_id, count in ids.items() if count > 1] == []
    assert {case.sdk for case in CASES} == set(SDK_MODULES)
    assert len(CASES) >= 150
    assert {case.kind for case in CASES} == {kind.value for kind in llm_retry.ErrorKind}
    # Every preset a case names exists.
    assert all(hasattr(llm_retry, str(case.preset)) for case in WITH_PRESET)


# The traps the cases exist for: if a package upgrade changes these shapes, the case no longer tests the trap.


def test_pydantic_ai_keeps_the_sdk_error_as_cause() -> None:
    exc = raised("pydantic-ai-openai-429-insufficient-quota")
    assert type(exc).__name__ == "ModelQuotaExceededError"
    assert type(exc.__cause__).__module__ == "openai"


def test_langchain_errors_are_the_sdk_class_too() -> None:
    exc = raised("langchain-anthropic-400-prompt-too-long")
    bases = {f"{c.__module__}.{c.__name__}" for c in type(exc).__mro__}
    assert "anthropic.BadRequestError" in bases
    assert "langchain_core.exceptions.ContextOverflowError" in bases


def test_voyageai_keeps_its_status_in_http_status() -> None:
    exc: Any = raised("voyageai-429-rate-limit-retry-after")
    assert exc.http_status == 429
    assert not hasattr(exc, "status_code")


def test_ollama_marks_stream_failures_with_a_negative_status() -> None:
    exc: Any = raised("ollama-stream-error-after-200")
    assert exc.status_code == -1
    assert llm_retry.classify(exc).status is None


def test_replicate_keeps_no_response() -> None:
    exc: Any = raised("replicate-429-throttled")
    assert exc.status == 429
    assert not hasattr(exc, "response")


def test_hugging_face_keeps_the_loading_time_only_in_the_response_body() -> None:
    exc: Any = raised("huggingface-hub-503-model-loading-estimated-time")
    assert not hasattr(exc, "body")
    assert exc.response.json()["estimated_time"] == 20.0


def test_together_403_is_a_token_limit() -> None:
    c = llm_retry.classify(raised("together-403-token-limit"))
    assert "Together" in c.reason


def test_the_suite_stays_fast() -> None:
    """Making every exception of the second ring stays well under a minute (most are in-memory)."""
    import time

    start = time.perf_counter()
    for case in CASES:
        raised(case.id)
    assert time.perf_counter() - start < 45
