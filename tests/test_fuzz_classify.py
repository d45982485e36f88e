"""Property-based fuzzing of `llm_retry.classify`: whatever is thrown at it, it answers and never raises.

Exceptions are built dynamically with arbitrary class names and arbitrary, often hostile, attribute values
(properties that raise, huge ints, NaN, wrong-typed botocore dicts, cause cycles, non-exceptions).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

llm_retry = pytest.importorskip("llm_retry")
if not hasattr(llm_retry, "classify"):
    pytest.skip("llm_retry.classify is not built yet", allow_module_level=True)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PRESET_NAMES = (
    "DefaultPreset",
    "AnthropicPreset",
    "OpenAIPreset",
    "BedrockPreset",
    "GeminiPreset",
    "HTTPPreset",
)
ATTRIBUTES = (
    "status_code",
    "status",
    "code",
    "type",
    "error_code",
    "message",
    "body",
    "headers",
    "response",
    "details",
    "request",
    "errors",
    "reason",
    "grpc_status_code",
    "retry_after",
    "cause",
    "last_attempt",
    "raw_response",
    "http_status",
)
PROVIDER_CLASS_NAMES = (
    "RateLimitError",
    "ThrottlingException",
    "throttlingException",
    "OverloadedError",
    "APIStatusError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "ServiceUnavailableError",
    "ServiceUnavailable",
    "InternalServerError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ClientError",
    "ServerError",
    "EventStreamError",
    "ModelError",
    "ModelNotReadyException",
    "ValidationException",
    "ExpiredTokenException",
    "NoCredentialsError",
    "HTTPStatusError",
    "HTTPError",
    "ConnectError",
    "ReadTimeout",
    "ConnectTimeoutError",
    "RemoteProtocolError",
    "ClientResponseError",
    "ServerDisconnectedError",
    "TooManyRequests",
    "ResourceExhausted",
    "RetryError",
    "DeadlineExceeded",
    "_InactiveRpcError",
    "TimeoutError",
    "ConnectionError",
    "InvalidTokenError",
    "EnforcedSpendLimitReachedError",
    "ContentFilterFinishReasonError",
    "LengthFinishReasonError",
)
HINT_STRINGS = (
    "429",
    " 503 ",
    "529",
    "0",
    "-1",
    "4294967725",
    "99999999999999999999999999",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "1.5",
    "20s",
    "6m0s",
    "2m59.56s",
    "120ms",
    "soon",
    "",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "2026-11-23T01:02:03Z",
    "RESOURCE_EXHAUSTED",
    "UNAVAILABLE",
    "rate_limit_error",
    "overloaded_error",
    "insufficient_quota",
    "context_length_exceeded",
    "ThrottlingException",
    "throttlingException",
    "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    "prompt is too long: 300000 tokens > 200000 maximum",
    "Input is too long for requested model.",
    "limit: 0",
    "true",
    "false",
    "\x00\udcff\u202e",
)
HEADER_NAMES = (
    "retry-after",
    "Retry-After",
    "retry-after-ms",
    "x-amz-retry-after",
    "x-should-retry",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "x-ratelimit-remaining-requests",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-remaining",
    "x-ratelimit-reset",
    "x-amzn-errortype",
    "content-type",
)


# --- hostile objects --------------------------------------------------------------------------------


# Local on purpose: a class of its own, so that nothing but a hostile object raises it.
class Boom(Exception):
    """What the hostile objects raise."""


def _boom(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise Boom("hostile object")


class Printable:
    """Lets Hypothesis print a falsifying example without touching the hostile parts (it prefers
    `_repr_pretty_`, found on the class before any `__getattr__`, over `repr`)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"<{type(self).__name__}>")


def _pretty(self: object, printer: Any, cycle: bool) -> None:
    printer.text(f"<{type(self).__name__}>")


class RaisingProperties(Printable):
    """Every attribute the classifier might read is a property that raises."""

    status_code = property(_boom)
    status = property(_boom)
    code = property(_boom)
    headers = property(_boom)
    text = property(_boom)
    content = property(_boom)
    request = property(_boom)
    message = property(_boom)


class RaisingGetattr(Printable):
    def __getattr__(self, name: str) -> Any:
        raise Boom(name)


class RecursingGetattr(Printable):
    def __getattr__(self, name: str) -> Any:
        return getattr(self, "again_" + name)


class RaisingDunders(Printable):
    """Conversion, comparison, iteration and printing all raise."""

    __str__ = __repr__ = __format__ = _boom
    __bool__ = __int__ = __index__ = __float__ = __len__ = __iter__ = __hash__ = _boom
    __eq__ = __lt__ = __gt__ = __contains__ = __getitem__ = _boom


class RaisingHeaders(Printable, Mapping[str, str]):
    """A mapping whose every access raises."""

    def __getitem__(self, key: str) -> str:
        raise Boom(key)

    def get(self, key: str, default: Any = None) -> Any:
        raise Boom(key)

    def __iter__(self) -> Iterator[str]:
        raise Boom("iter")

    def __len__(self) -> int:
        raise Boom("len")


class OddHeaders(Printable, Mapping[str, Any]):
    """A mapping whose `.get` answers every key with the same non-str (or str) value."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getitem__(self, key: str) -> Any:
        return self.value

    def get(self, key: str, default: Any = None) -> Any:
        return self.value

    def __iter__(self) -> Iterator[str]:
        return iter(HEADER_NAMES)

    def __len__(self) -> int:
        return len(HEADER_NAMES)


class RaisingCallable(Printable):
    """gRPC-style `.code()` / `.details()` methods, raising."""

    def __call__(self) -> Any:
        raise Boom("call")


def _response_class(attrs: dict[str, Any]) -> type:
    return type("Response", (), {"_repr_pretty_": _pretty, **attrs})


# Factories, not instances: Hypothesis hashes `sampled_from` elements, and RaisingDunders cannot be hashed.
HOSTILE_FACTORIES: tuple[Callable[[], Any], ...] = (
    RaisingProperties,
    RaisingGetattr,
    RecursingGetattr,
    RaisingDunders,
    RaisingHeaders,
    RaisingCallable,
    lambda: _response_class({"headers": property(_boom), "status_code": property(_boom)})(),
    object,
    lambda: Boom,
    lambda: ValueError,
    lambda: type,
    lambda: len,
    lambda: math.nan,
    lambda: math.inf,
    lambda: -math.inf,
    lambda: 2**64,
    lambda: -(2**63) - 1,
    lambda: 10**400,
    lambda: True,
    lambda: b"\xff\xfe",
    lambda: bytearray(b"429"),
    lambda: memoryview(b"429"),
    lambda: 1 + 2j,
    lambda: ...,
    lambda: NotImplemented,
)
hostile_objects: st.SearchStrategy[Any] = st.sampled_from(HOSTILE_FACTORIES).map(lambda make: make())

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.sampled_from(
        [0, 100, 199, 200, 400, 408, 409, 413, 429, 498, 499, 500, 503, 529, 599, 600, 65535, 65536]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(HINT_STRINGS),
    st.binary(max_size=20),
    hostile_objects,
)

values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(
            st.one_of(st.text(max_size=12), st.sampled_from(HEADER_NAMES), st.integers()),
            children,
            max_size=4,
        ),
    ),
    max_leaves=8,
)

headers: st.SearchStrategy[Any] = st.one_of(
    st.dictionaries(
        st.sampled_from(HEADER_NAMES), st.one_of(st.sampled_from(HINT_STRINGS), values), max_size=4
    ),
    st.builds(OddHeaders, values),
    st.just(RaisingHeaders()),
    values,
)


@st.composite
def response_objects(draw: st.DrawFn) -> Any:
    """An httpx/requests-shaped response whose attributes are arbitrary or raise."""
    attrs: dict[str, Any] = {}
    for name in ("status_code", "status", "headers", "text", "reason_phrase", "request"):
        choice = draw(st.sampled_from(["absent", "value", "raises"]))
        if choice == "value":
            attrs[name] = draw(headers if name == "headers" else values)
        elif choice == "raises":
            attrs[name] = property(_boom)
    return _response_class(attrs)()


botocore_responses: st.SearchStrategy[Any] = st.fixed_dictionaries(
    {},
    optional={
        "Error": st.one_of(
            st.fixed_dictionaries({}, optional={"Code": values, "Message": values, "Type": values}), values
        ),
        "ResponseMetadata": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "HTTPStatusCode": values,
                    "HTTPHeaders": headers,
                    "RetryAttempts": values,
                    "MaxAttemptsReached": values,
                    "RequestId": values,
                },
            ),
            values,
        ),
        "OriginalStatusCode": values,
        "message": values,
    },
)

attribute_values: st.SearchStrategy[Any] = st.one_of(
    values, headers, response_objects(), botocore_responses, st.just(RaisingCallable())
)
class_names: st.SearchStrategy[str] = st.one_of(st.sampled_from(PROVIDER_CLASS_NAMES), st.text(max_size=30))
exception_bases: st.SearchStrategy[type[BaseException]] = st.sampled_from(
    [Exception, ValueError, OSError, TimeoutError, ConnectionError, RuntimeError, KeyError, ArithmeticError]
)


def _new_class(name: str, base: type[BaseException], attrs: dict[str, Any]) -> type[BaseException]:
    try:
        return type(name, (base,), attrs)
    except ValueError:  # type() refuses NUL characters in names
        return type("Fuzzed", (base,), attrs)


@st.composite
def fuzzed_exceptions(
    draw: st.DrawFn, bases: st.SearchStrategy[type[BaseException]] = exception_bases
) -> Any:
    """An instance of a freshly made exception class with arbitrary name, attributes and links."""
    base = draw(bases)
    class_attrs: dict[str, Any] = {}
    if draw(st.booleans()):
        class_attrs["__module__"] = draw(
            st.sampled_from(
                ["anthropic", "openai", "httpx2", "botocore.errorfactory", "google.genai.errors", "x"]
            )
        )
    for name in draw(st.lists(st.sampled_from(ATTRIBUTES), unique=True, max_size=5)):
        kind = draw(st.sampled_from(["class", "instance", "property_raises", "method_raises"]))
        if kind == "class":
            class_attrs[name] = draw(attribute_values)
        elif kind == "property_raises":
            class_attrs[name] = property(_boom)
        elif kind == "method_raises":
            class_attrs[name] = _boom
    class_attrs["_repr_pretty_"] = _pretty
    if draw(st.booleans()):
        class_attrs["__getattr__"] = lambda self, name: _boom()
    if draw(st.booleans()):
        class_attrs["__str__"] = class_attrs["__repr__"] = _boom
    cls = _new_class(draw(class_names), base, class_attrs)
    try:
        exc = cls(*draw(st.lists(values, max_size=2)))
    except Exception:  # e.g. a base class whose __init__ rejects the drawn args
        exc = cls()
    for name in draw(st.lists(st.sampled_from(ATTRIBUTES), unique=True, max_size=4)):
        with contextlib.suppress(Exception):  # a property refused it: the class attribute stays
            object.__setattr__(exc, name, draw(attribute_values))
    return exc


def _link(exc: BaseException, how: str, other: BaseException) -> None:
    try:
        if how == "cause":
            exc.__cause__ = other
        elif how == "context":
            exc.__context__ = other
    except Exception:
        pass


@st.composite
def chained_exceptions(draw: st.DrawFn) -> BaseException:
    """A few fuzzed exceptions linked by `__cause__`/`__context__`, cycles included."""
    nodes = draw(st.lists(fuzzed_exceptions(), min_size=1, max_size=3))
    for exc in nodes:
        for how in ("cause", "context"):
            target = draw(st.one_of(st.none(), st.sampled_from(nodes)))
            if target is not None:
                _link(exc, how, target)
    root: BaseException = nodes[0]
    if draw(st.booleans()):
        _link(root, "cause", root)  # the simplest cycle
    return root


@st.composite
def exception_groups(draw: st.DrawFn) -> BaseException:
    members = draw(st.lists(st.one_of(fuzzed_exceptions(), chained_exceptions()), min_size=1, max_size=3))
    group_type: Any = getattr(builtins, "ExceptionGroup", None)  # Python 3.11+
    if group_type is None:
        return members[0]
    group: BaseException = group_type(draw(st.text(max_size=10)), members)
    if draw(st.booleans()):
        group = group_type("outer", [group, *members])
    if draw(st.booleans()):
        _link(group, "cause", group)
    return group


anything: st.SearchStrategy[Any] = st.one_of(
    fuzzed_exceptions(),
    chained_exceptions(),
    exception_groups(),
    values,
    st.sampled_from([42, None, "x", "", b"", object(), ValueError, KeyboardInterrupt, [], {}]),
)


# --- properties ------------------------------------------------------------------------------------


def _assert_sane(c: Any) -> None:
    assert isinstance(c.retryable, bool), c
    assert isinstance(c.kind, llm_retry.ErrorKind), c
    assert c.status is None or (type(c.status) is int and 100 <= c.status <= 599), c
    assert c.retry_after_s is None or (
        isinstance(c.retry_after_s, float | int) and math.isfinite(c.retry_after_s) and c.retry_after_s >= 0
    ), c
    assert isinstance(c.reason, str), c
    assert c.sdk_retries is None or (type(c.sdk_retries) is int and c.sdk_retries >= 0), c


def _classify_all_ways(obj: Any, preset_name: str) -> list[Any]:
    preset = getattr(llm_retry, preset_name)
    return [llm_retry.classify(obj), llm_retry.classify(obj, preset=preset)]


@FUZZ
@given(obj=anything, preset_name=st.sampled_from(PRESET_NAMES))
def test_classify_never_raises_and_answers_in_range(obj: Any, preset_name: str) -> None:
    for c in _classify_all_ways(obj, preset_name):
        _assert_sane(c)


@FUZZ
@given(exc=fuzzed_exceptions(), preset_name=st.sampled_from(PRESET_NAMES))
def test_classify_is_deterministic(exc: BaseException, preset_name: str) -> None:
    first, second = _classify_all_ways(exc, preset_name), _classify_all_ways(exc, preset_name)
    for a, b in zip(first, second, strict=True):
        assert (a.kind, a.retryable, a.status) == (b.kind, b.retryable, b.status)


@FUZZ
@given(exc=chained_exceptions(), preset_name=st.sampled_from(PRESET_NAMES))
def test_cause_cycles_terminate(exc: BaseException, preset_name: str) -> None:
    for c in _classify_all_ways(exc, preset_name):
        _assert_sane(c)


@FUZZ
@given(
    status_code=values,
    retry_after=st.one_of(st.sampled_from(HINT_STRINGS), values),
    preset_name=st.sampled_from(PRESET_NAMES),
)
def test_hint_headers_of_any_type(status_code: Any, retry_after: Any, preset_name: str) -> None:
    """A RateLimitError-shaped exception with an httpx-like response whose header values are anything."""
    response = _response_class(
        {
            "status_code": status_code,
            "headers": {
                "retry-after": retry_after,
                "retry-after-ms": retry_after,
                "x-amz-retry-after": retry_after,
            },
        }
    )()
    exc = type("RateLimitError", (Exception,), {"status_code": status_code, "response": response})("x")
    for c in _classify_all_ways(exc, preset_name):
        _assert_sane(c)


@FUZZ
@given(
    status=st.one_of(
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=0, max_value=5).map(lambda k: k * 65536 + 429),  # wraps to 429 as a u16
        st.integers(min_value=100, max_value=599),
    ),
    attribute=st.sampled_from(["status_code", "status"]),
)
def test_status_is_never_wrapped_or_truncated(status: int, attribute: str) -> None:
    """An int status out of 100..599 is no status at all; one in range is reported as it is."""
    exc = type("Fuzzed", (Exception,), {attribute: status})("x")
    expected = status if 100 <= status <= 599 else None
    assert llm_retry.classify(exc).status == expected


@FUZZ
@given(
    response=botocore_responses,
    name=st.sampled_from(["ClientError", "ThrottlingException", "EventStreamError", "ModelError"]),
    preset_name=st.sampled_from(PRESET_NAMES),
)
def test_botocore_shaped_responses_with_wrong_types(response: Any, name: str, preset_name: str) -> None:
    exc = type(name, (Exception,), {"__module__": "botocore.exceptions"})("An error occurred")
    exc.response = response
    exc.operation_name = "Converse"
    for c in _classify_all_ways(exc, preset_name):
        _assert_sane(c)


# --- BaseException-only failures are never retried -------------------------------------------------

NOT_ERRORS: tuple[type[BaseException], ...] = (
    KeyboardInterrupt,
    SystemExit,
    GeneratorExit,
    asyncio.CancelledError,
)


def _retryable_cause() -> BaseException:
    """Something the classifier would retry on its own: a connection refused with a 503-ish look."""
    cause: BaseException = type("ConnectError", (ConnectionRefusedError,), {"status_code": 503})("refused")
    return cause


@FUZZ
@given(
    base=st.sampled_from(NOT_ERRORS),
    name=class_names,
    attrs=st.dictionaries(st.sampled_from(ATTRIBUTES), attribute_values, max_size=4),
    with_cause=st.booleans(),
    preset_name=st.sampled_from(PRESET_NAMES),
)
def test_base_exceptions_are_never_retryable(
    base: type[BaseException], name: str, attrs: dict[str, Any], with_cause: bool, preset_name: str
) -> None:
    """KeyboardInterrupt, SystemExit, GeneratorExit and CancelledError, even dressed as a 429 with a
    retryable cause, must be re-raised rather than retried."""
    plain = base()
    dressed = _new_class(name, base, {"status_code": 429, "_repr_pretty_": _pretty, **attrs})()
    for exc in (plain, dressed):
        if with_cause:
            _link(exc, "cause", _retryable_cause())
        for c in _classify_all_ways(exc, preset_name):
            _assert_sane(c)
            assert c.retryable is False, (type(exc).__mro__, c)


@pytest.mark.parametrize("base", NOT_ERRORS, ids=lambda b: b.__name__)
def test_real_base_exceptions_are_never_retryable(base: type[BaseException]) -> None:
    for preset_name in PRESET_NAMES:
        for c in _classify_all_ways(base(), preset_name):
            assert c.retryable is False, (base, preset_name, c)


def test_really_cancelled_task_is_not_retryable() -> None:
    async def cancelled() -> BaseException:
        task = asyncio.ensure_future(asyncio.sleep(10))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as exc:
            return exc
        raise AssertionError("the task was not cancelled")

    exc = asyncio.run(cancelled())
    assert llm_retry.classify(exc).retryable is False


# --- big and unencodable texts -------------------------------------------------------------------------

_piece = st.sampled_from(["x", "é", "\ud800", "{", '"error"', "overloaded", "\x00", "😀"])
big_texts: st.SearchStrategy[str] = st.builds(
    lambda head, repeat, tail: head * repeat + tail,
    _piece,
    st.integers(min_value=0, max_value=300_000),
    st.text(max_size=20),
)


@FUZZ
@given(
    text=big_texts,
    where=st.sampled_from(["message", "body", "args", "many args", "header", "body.error.message"]),
    status=st.sampled_from([None, 429, 503, 400]),
    preset_name=st.sampled_from(PRESET_NAMES),
)
def test_big_and_unencodable_texts_anywhere(
    text: str, where: str, status: int | None, preset_name: str
) -> None:
    """Texts of up to 300 000 characters, with lone surrogates, NULs and emoji, wherever the classifier
    reads text: it answers, sanely, and reads only their head."""
    args: tuple[Any, ...] = (text,) if where == "args" else (text, text, 7) if where == "many args" else ()
    exc: Any = Exception(*args)
    if status is not None:
        exc.status_code = status
    if where == "message":
        exc.message = text
    elif where == "body":
        exc.body = text
    elif where == "body.error.message":
        exc.body = {"error": {"message": text, "type": text}}
    elif where == "header":
        exc.headers = {"retry-after": text, "x-amzn-errortype": text}
    for c in _classify_all_ways(exc, preset_name):
        _assert_sane(c)
        assert len(c.reason) < 10_000
