"""Conformance of `llm_retry.classify` against exceptions raised by the real google-genai, google-api-core,
gRPC, botocore, httpx, httpx2, requests, aiohttp and urllib3 code paths (cases in `sdk_cases_google_aws.py`).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sdk_cases_google_aws import SDK_MODULES, Case, build_cases

CASES = build_cases()
BY_ID = {case.id: case for case in CASES}
WITH_PRESET = [case for case in CASES if case.preset is not None]


@functools.cache
def raised(case_id: str) -> BaseException:
    """Each case's exception, made once per session (the loopback cases cost a short timeout each).

    Warnings the libraries emit while importing or failing (e.g. api-core's ImportWarning without
    grpcio-status) are theirs, not the classifier's: they must not turn into the exception under test.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BY_ID[case_id].make()


@pytest.fixture(scope="module")
def llm_retry() -> ModuleType:
    module: ModuleType = pytest.importorskip("llm_retry")
    if not hasattr(module, "classify"):
        pytest.skip("llm_retry.classify is not built yet")
    return module


def _module_root_matches(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_exception_comes_from_the_library(case: Case) -> None:
    exc = raised(case.id)
    module = type(exc).__module__
    assert _module_root_matches(module, SDK_MODULES[case.sdk]), (
        f"{case.id}: {module}.{type(exc).__qualname__}"
    )
    assert not isinstance(exc, AssertionError), f"{case.id} did not produce a library error: {exc!r}"


def _check(case: Case, c: Any, llm_retry: ModuleType, label: str) -> None:
    got = (
        f"{label}: got kind={c.kind!s} retryable={c.retryable} status={c.status} "
        f"retry_after_s={c.retry_after_s} sdk_retries={c.sdk_retries} reason={c.reason!r}"
    )
    assert c.kind == llm_retry.ErrorKind(case.kind), got
    assert c.retryable is case.retryable, got
    if case.status is not None:
        assert c.status == case.status, got
    if case.retry_after_s is not None:
        assert c.retry_after_s == pytest.approx(case.retry_after_s, abs=1), got
    if case.sdk_retries is not None:
        assert c.sdk_retries == case.sdk_retries, got
    assert isinstance(c.reason, str) and c.reason, got


# Cases whose exception carries no usable delay hint: a classifier that invents one is wrong.
NO_RETRY_AFTER = (
    "genai_429_bare",
    "httpx_429_retry_after_unparseable",
    "httpx2_429_retry_after_unparseable",
    "requests_500",
    "bedrock_throttling_429_modeled",
)


@pytest.mark.parametrize("case_id", NO_RETRY_AFTER)
def test_no_hint_means_no_retry_after(case_id: str, llm_retry: ModuleType) -> None:
    c = llm_retry.classify(raised(case_id))
    assert c.retry_after_s is None, c


def fresh_if_dated(case: Case) -> BaseException:
    """An HTTP-date hint shrinks as the clock runs, so such cases are made again right before classifying."""
    if "http_date" not in case.id:
        return raised(case.id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return case.make()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_default_classification(case: Case, llm_retry: ModuleType) -> None:
    _check(case, llm_retry.classify(fresh_if_dated(case)), llm_retry, "default")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_classify_emits_no_warning(case: Case, llm_retry: ModuleType) -> None:
    """Reading an error never warns at the user's line (aiohttp's `.code` is a deprecated alias of `.status`).

    Warnings are recorded, not raised: a warning raised as an error inside a property reads as an absent
    attribute, and the test would see nothing.
    """
    exc = fresh_if_dated(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm_retry.classify(exc)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("case", WITH_PRESET, ids=lambda c: f"{c.id}[{c.preset}]")
def test_provider_preset_classification(case: Case, llm_retry: ModuleType) -> None:
    preset = getattr(llm_retry, str(case.preset))
    _check(case, llm_retry.classify(fresh_if_dated(case), preset=preset), llm_retry, str(case.preset))


# The traps the cases exist for: if an SDK upgrade changes these shapes, the case no longer tests the trap.
def _cls(exc: BaseException) -> str:
    return type(exc).__name__


def _headers(exc: Any) -> dict[str, str]:
    return dict(exc.response["ResponseMetadata"]["HTTPHeaders"])


def _request_raises(exc: Any) -> bool:
    try:
        exc.request  # noqa: B018 - the property itself is under test
    except RuntimeError:
        return True
    return False


def _status_code(exc: Any) -> Any:
    return exc.response.status_code


def _mod(name: str) -> Any:
    return importlib.import_module(name)


TRAP_SHAPES: dict[str, Callable[[Any], bool]] = {
    "genai_429_retry_info_20s": lambda e: (
        e.code == 429
        and e.status == "RESOURCE_EXHAUSTED"
        and e.details["error"]["details"][-1]["retryDelay"] == "20s"
    ),
    "genai_502_html_bad_gateway": lambda e: _cls(e) == "ServerError" and e.status == "Bad Gateway",
    "genai_stream_error_chunk_503_after_200": lambda e: e.code == 503 and e.response.status_code == 200,
    "genai_httpx2_connect_refused": lambda e: type(e).__module__ == "httpx2" and _cls(e) == "ConnectError",
    "genai_continuation_interrupted_wraps_503": lambda e: _cls(e.__cause__) == "ServerError",
    "genai_aiohttp_503_loopback": lambda e: (
        type(e.response).__module__.startswith("aiohttp")
        or type(getattr(e.response, "_response", None)).__module__.startswith("aiohttp")
    ),
    "gapi_rest_429_too_many_requests_retry_info": lambda e: (
        _cls(e) == "TooManyRequests" and e.grpc_status_code is None
    ),
    "gapi_rest_400_bad_request": lambda e: _cls(e) == "BadRequest",
    "gapi_grpc_unknown_code_none": lambda e: _cls(e) == "Unknown" and e.code is None,
    "gapi_grpc_data_loss_code_none": lambda e: _cls(e) == "DataLoss" and e.code is None,
    "gapi_retry_error_wrapping_unavailable": lambda e: (
        _cls(e) == "RetryError" and _cls(e.cause) == "ServiceUnavailable" and e.__cause__ is e.cause
    ),
    "grpc_raw_unavailable": lambda e: (
        _cls(e) == "_InactiveRpcError" and callable(e.code) and e.code().name == "UNAVAILABLE"
    ),
    "bedrock_throttling_429_modeled": lambda e: (
        type(e).__module__ == "botocore.errorfactory" and _cls(e) == "ThrottlingException"
    ),
    "bedrock_throttling_400_plain_client_error": lambda e: (
        type(e).__module__ == "botocore.exceptions"
        and _cls(e) == "ClientError"
        and e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    ),
    "bedrock_expired_token_400": lambda e: (
        _cls(e) == "ClientError" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    ),
    "bedrock_throttling_x_amz_retry_after_ms": lambda e: _headers(e)["x-amz-retry-after"] == "7000",
    "bedrock_loopback_429_throttling_parsed": lambda e: (
        _headers(e)["x-amz-retry-after"] == "4000"
        and _headers(e)["retry-after"] == "4"
        and e.response["ResponseMetadata"]["RetryAttempts"] == 0
    ),
    "bedrock_stubbed_retry_attempts": lambda e: e.response["ResponseMetadata"]["RetryAttempts"] == 2,
    "sagemaker_model_error_original_429_loopback": lambda e: (
        _cls(e) == "ModelError"
        and e.response["OriginalStatusCode"] == 429
        and e.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    ),
    "sts_query_throttling_400": lambda e: (
        _cls(e) == "ClientError" and e.response["Error"]["Code"] == "Throttling"
    ),
    "kinesis_json_throttling_400": lambda e: (
        _cls(e) == "ClientError" and e.response["Error"]["Code"] == "ThrottlingException"
    ),
    "bedrock_stream_throttling": lambda e: (
        _cls(e) == "EventStreamError"
        and e.response["Error"]["Code"] == "throttlingException"
        and "ResponseMetadata" not in e.response
    ),
    "botocore_connect_timeout": lambda e: (
        _cls(e) == "ConnectTimeoutError" and not isinstance(e, ConnectionError)
    ),
    "botocore_read_timeout": lambda e: _cls(e) == "ReadTimeoutError",
    "botocore_endpoint_connection_error": lambda e: (
        _cls(e) == "EndpointConnectionError" and not isinstance(e, ConnectionError)
    ),
    "httpx_request_property_raises": _request_raises,
    "httpx2_request_property_raises": _request_raises,
    "httpx2_connect_error_refused": lambda e: not isinstance(e, _mod("httpx").ConnectError),
    "requests_401_is_oserror_but_auth": lambda e: isinstance(e, OSError) and _status_code(e) == 401,
    "aiohttp_429_retry_after": lambda e: isinstance(e.status, int) and e.headers["Retry-After"] == "3",
    "aiohttp_total_timeout_bare_timeout_error": lambda e: (
        type(e) is asyncio.TimeoutError and isinstance(e.__cause__, asyncio.CancelledError)
    ),
    "builtin_wait_for_timeout_cause_cancelled": lambda e: (
        type(e) is asyncio.TimeoutError and isinstance(e.__cause__, asyncio.CancelledError)
    ),
    "builtin_oserror_enospc_not_network": lambda e: type(e) is OSError and e.errno == 28,
    "builtin_explicit_cause_followed": lambda e: _cls(e.__cause__) == "ConnectError",
    "builtin_implicit_context_only": lambda e: (
        e.__cause__ is None and _cls(e.__context__) == "ConnectError" and not e.__suppress_context__
    ),
    "builtin_exception_group_connect": lambda e: (
        _cls(e) == "ExceptionGroup" and [_cls(x) for x in e.exceptions] == ["ConnectError"]
    ),
}


@pytest.mark.parametrize("case_id", sorted(TRAP_SHAPES))
def test_case_still_exercises_its_trap(case_id: str) -> None:
    exc = raised(case_id)
    assert TRAP_SHAPES[case_id](exc), (
        f"{case_id}: {type(exc).__module__}.{type(exc).__qualname__} {exc!r:.300}"
    )


def test_enough_cases_and_kinds() -> None:
    assert len(CASES) >= 70
    kinds = {case.kind for case in CASES}
    expected = {
        "rate_limited",
        "overloaded",
        "server_error",
        "network",
        "auth",
        "bad_request",
        "not_found",
        "context_overflow",
        "quota_exhausted",
        "unknown",
    }
    assert expected <= kinds, expected - kinds
