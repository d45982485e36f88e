"""`classify()` on hostile objects: attributes that raise, values of the wrong type or size, broken header
mappings, non-exceptions and cause cycles. It must never raise, and what it returns must stay sane.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llm_retry import Classification, ErrorKind, RetryConfig, classify, retry_llm


def assert_sane(c: Classification) -> None:
    assert isinstance(c, Classification)
    assert isinstance(c.kind, ErrorKind)
    assert isinstance(c.retryable, bool)
    assert c.status is None or (isinstance(c.status, int) and 100 <= c.status <= 599)
    assert c.retry_after_s is None or (math.isfinite(c.retry_after_s) and c.retry_after_s >= 0)
    assert isinstance(c.reason, str)
    assert c.sdk_retries is None or c.sdk_retries >= 0
    repr(c)


# Local on purpose: these probe attribute behaviour (raising, wrong types, cycles) the doubles never show.


class Boom(Exception):
    """What the hostile attributes raise."""


class RaisingProperty(Exception):
    @property
    def status_code(self) -> int:
        raise Boom("status_code")

    @property
    def response(self) -> Any:
        raise Boom("response")

    @property
    def body(self) -> Any:
        raise Boom("body")

    @property
    def headers(self) -> Any:
        raise Boom("headers")

    @property
    def code(self) -> Any:
        raise Boom("code")

    @property
    def message(self) -> Any:
        raise Boom("message")


class RaisingGetattr(Exception):
    def __getattr__(self, name: str) -> Any:
        raise Boom(name)


class RaisingGetattribute(Exception):
    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__") and name != "__cause__":
            return object.__getattribute__(self, name)
        raise Boom(name)


class SelfReturningGetattr(Exception):
    """Every attribute is the exception itself: response.response.response..."""

    def __getattr__(self, name: str) -> Any:
        return self


class RaisingStr(Exception):
    def __str__(self) -> str:
        raise Boom("str")

    def __repr__(self) -> str:
        raise Boom("repr")


class WithStatus(Exception):
    def __init__(self, status_code: Any = None, **attrs: Any) -> None:
        super().__init__("hostile")
        self.status_code = status_code
        for name, value in attrs.items():
            setattr(self, name, value)


class Response:
    def __init__(self, headers: Any = None, status_code: Any = None) -> None:
        self.headers = headers
        self.status_code = status_code


class RaisingHeaders(Mapping[str, str]):
    """A mapping whose every method raises."""

    def get(self, key: str, default: Any = None) -> Any:
        raise Boom(f"get({key})")

    def __getitem__(self, key: str) -> str:
        raise Boom(f"getitem({key})")

    def __iter__(self) -> Iterator[str]:
        raise Boom("iter")

    def __len__(self) -> int:
        raise Boom("len")

    def items(self) -> Any:
        raise Boom("items")


class WeirdValuesHeaders:
    """``.get`` answers, but with values that are not header strings."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def get(self, key: str, default: Any = None) -> Any:
        return self.value


class GetNotCallable:
    get = 42


class RaisingDict(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        raise Boom("getitem")

    def get(self, key: Any, default: Any = None) -> Any:
        raise Boom("get")

    def items(self) -> Any:
        raise Boom("items")

    def __iter__(self) -> Any:
        raise Boom("iter")


class BadInt(int):
    def __index__(self) -> int:
        raise Boom("index")

    def __int__(self) -> int:
        raise Boom("int")


class BadStr(str):
    def lower(self) -> str:  # type: ignore[override]
        raise Boom("lower")

    def __eq__(self, other: object) -> bool:
        raise Boom("eq")

    __hash__ = str.__hash__


def self_caused() -> BaseException:
    exc = WithStatus(503)
    exc.__cause__ = exc
    return exc


def mutual_cycle() -> BaseException:
    a = WithStatus(429)
    b = ConnectionResetError("reset")
    a.__cause__ = b
    b.__cause__ = a
    a.__context__ = b
    b.__context__ = a
    return a


def deep_chain(depth: int) -> BaseException:
    exc: BaseException = ConnectionResetError("bottom")
    for i in range(depth):
        outer = RuntimeError(f"level {i}")
        outer.__cause__ = exc
        exc = outer
    return exc


def group_with_itself() -> BaseException:
    inner = WithStatus(529)
    group = ExceptionGroup("many", [inner, WithStatus(400)])
    inner.__cause__ = group
    return group


def cause_not_an_exception() -> BaseException:
    exc = WithStatus(500)
    object.__setattr__(exc, "cause", "not an exception")
    return exc


HOSTILE: dict[str, Any] = {
    "raising properties": RaisingProperty(),
    "raising __getattr__": RaisingGetattr(),
    "raising __getattribute__": RaisingGetattribute(),
    "self-returning __getattr__": SelfReturningGetattr(),
    "raising __str__ and __repr__": RaisingStr(),
    "status str": WithStatus("429"),
    "status float": WithStatus(429.0),
    "status nan": WithStatus(math.nan),
    "status bool": WithStatus(True),
    "status bytes": WithStatus(b"429"),
    "status list": WithStatus([429]),
    "status huge int": WithStatus(10**30),
    "status 2**63": WithStatus(2**63),
    "status 2**64 + 429": WithStatus(2**64 + 429),
    "status negative": WithStatus(-1),
    "status -429": WithStatus(-429),
    "status 0": WithStatus(0),
    "status 65535 + 429": WithStatus(65536 + 429),
    "status 1000": WithStatus(1000),
    "status int subclass raising": WithStatus(BadInt(429)),
    "status on response only, wrong type": WithStatus(None, response=Response({}, status_code="503")),
    "headers .get raises": WithStatus(429, response=Response(RaisingHeaders())),
    "headers dict subclass raising": WithStatus(429, response=Response(RaisingDict({"retry-after": "1"}))),
    "headers .get not callable": WithStatus(429, response=Response(GetNotCallable())),
    "headers values ints": WithStatus(429, response=Response(WeirdValuesHeaders(5))),
    "headers values objects": WithStatus(429, response=Response(WeirdValuesHeaders(object()))),
    "headers values huge str": WithStatus(429, response=Response(WeirdValuesHeaders("9" * 100_000))),
    "headers values raising str": WithStatus(429, response=Response(WeirdValuesHeaders(BadStr("3")))),
    "headers a list": WithStatus(429, response=Response([("retry-after", "1")])),
    "headers a str": WithStatus(429, response=Response("retry-after: 1")),
    "headers dict with odd keys": WithStatus(
        429, response=Response({1: "x", None: "y", b"retry-after": "1", ("a",): "z", "retry-after": None})
    ),
    "headers odd retry-after values": WithStatus(
        429, response=Response({"retry-after": "1e309", "retry-after-ms": "-5", "x-should-retry": "maybe"})
    ),
    "headers nan retry-after": WithStatus(429, response=Response({"retry-after": "nan"})),
    "headers absurd date": WithStatus(
        429, response=Response({"retry-after": "Fri, 31 Dec 99999 23:59:59 GMT"})
    ),
    "headers huge retry-after": WithStatus(429, response=Response({"retry-after": "9" * 400})),
    "response a dict of junk": WithStatus(None, response={"Error": 5, "ResponseMetadata": [1, 2]}),
    "response botocore-shaped with junk": WithStatus(
        None,
        response={
            "Error": {"Code": 5, "Message": None},
            "ResponseMetadata": {"HTTPStatusCode": 10**40, "RetryAttempts": -3, "HTTPHeaders": RaisingDict()},
        },
    ),
    "body raising dict": WithStatus(500, body=RaisingDict({"error": {"type": "overloaded_error"}})),
    "body broken json": WithStatus(500, body='{"error": {"type": '),
    "body json of a list": WithStatus(500, body="[1, 2, 3]"),
    "body deeply nested json": WithStatus(500, body='{"error": ' * 100_000 + "1" + "}" * 100_000),
    "body huge str": WithStatus(500, body="x" * 1_000_000),
    "body huge json": WithStatus(500, body='{"error": {"message": "' + "y" * 200_000 + '"}}'),
    "body bytes": WithStatus(500, body=b'{"error": {"type": "overloaded_error"}}'),
    "body error is a list": WithStatus(500, body={"error": [1, 2]}),
    "body code huge int": WithStatus(None, body={"error": {"code": 10**30, "status": 5, "details": "x"}}),
    "body code bool": WithStatus(None, body={"error": {"code": True, "type": ["x"]}}),
    "body details junk": WithStatus(None, body={"details": [None, 1, {"@type": 5}, {"@type": "RetryInfo"}]}),
    "body retry delay junk": WithStatus(
        429, details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "-5s"}]
    ),
    "body retry delay absurd": WithStatus(
        429, details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1e300s"}]
    ),
    "code is a str subclass raising": WithStatus(None, code=BadStr("rate_limit_exceeded")),
    "message huge": WithStatus(400, message="prompt is too long " * 100_000),
    "message non-utf8 surrogate": WithStatus(400, message="\ud800 prompt is too long"),
    "self cause cycle": self_caused(),
    "mutual cause cycle": mutual_cycle(),
    "deep cause chain": deep_chain(5000),
    "exception group containing its parent": group_with_itself(),
    "cause attribute not an exception": cause_not_an_exception(),
    "base exception": KeyboardInterrupt(),
    "None": None,
    "int": 429,
    "str": "429 Too Many Requests",
    "bytes": b"503",
    "object": object(),
    "exception class, not instance": ConnectionError,
    "dict shaped like an error": {"status_code": 429, "headers": {"retry-after": "1"}},
    "list": [WithStatus(429)],
    "module": math,
    "function": classify,
}


@pytest.mark.parametrize("obj", list(HOSTILE.values()), ids=list(HOSTILE))
def test_classify_never_raises(obj):
    assert_sane(classify(obj))


@pytest.mark.parametrize("obj", list(HOSTILE.values()), ids=list(HOSTILE))
def test_classify_never_raises_under_any_preset(obj):
    strict = RetryConfig(retryable_status_codes=[], retry_network_errors=False, never_retry_kinds=[])
    relaxed = RetryConfig(retryable_exception_names=["Boom", "WithStatus", "hostile"])
    assert_sane(classify(obj, strict))
    assert_sane(classify(obj, relaxed))


@pytest.mark.parametrize(
    "obj",
    [
        None,
        429,
        "503",
        object(),
        ConnectionError,
        {"status_code": 529},
        KeyboardInterrupt(),
        SystemExit(1),
        GeneratorExit(),
    ],
    ids=repr,
)
def test_non_exceptions_are_never_retryable(obj):
    assert classify(obj).retryable is False


@pytest.mark.parametrize(
    "status",
    [
        "429",
        429.0,
        True,
        10**30,
        2**64 + 429,
        -1,
        -429,
        0,
        1000,
        65536 + 429,
    ],
    ids=repr,
)
def test_a_status_of_the_wrong_type_or_range_is_no_status(status):
    c = classify(WithStatus(status))
    assert c.status is None


def test_a_raising_attribute_is_absent_and_other_evidence_still_counts():
    class StatusRaises(Exception):
        @property
        def status_code(self) -> int:
            raise Boom("status_code")

        response = Response({"retry-after": "2"}, status_code=503)

    c = classify(StatusRaises())
    assert c.status == 503
    assert c.kind is ErrorKind.OVERLOADED
    assert c.retryable is True
    assert c.retry_after_s == 2.0


def test_raising_headers_do_not_hide_the_status():
    c = classify(WithStatus(503, response=Response(RaisingHeaders())))
    assert c.status == 503
    assert c.kind is ErrorKind.OVERLOADED
    assert c.retry_after_s is None


def test_self_cause_cycle_is_classified_by_its_own_evidence():
    c = classify(self_caused())
    assert c.status == 503
    assert c.retryable is True


@pytest.mark.parametrize(
    "name", ["raising properties", "raising __getattr__", "raising __str__ and __repr__", "self cause cycle"]
)
def test_hostile_exceptions_raised_by_a_decorated_function_come_out_as_themselves(name):
    error = HOSTILE[name]
    calls: list[int] = []

    @retry_llm(max_attempts=2, sleep=lambda s: None)
    def call() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)) as excinfo:
        call()
    assert excinfo.value is error
    assert len(calls) in (1, 2)


# Local on purpose: each refuses `add_note` in its own way, which no shared double does.


class RefusesNotes(Exception):
    """A retryable error that Python cannot add a note to: ``__getattr__`` raises for ``__notes__``."""

    status_code = 503

    def __getattr__(self, name: str) -> Any:
        raise Boom(name)


class TupleNotes(Exception):
    """A retryable error whose ``__notes__`` is not a list, so ``add_note`` raises TypeError."""

    status_code = 503
    __notes__ = ("frozen",)


@pytest.mark.parametrize("error_type", [RefusesNotes, TupleNotes])
def test_an_error_that_refuses_notes_is_still_the_one_reraised(error_type):
    errors = [error_type("overloaded"), error_type("overloaded")]
    assert classify(errors[0]).retryable is True

    @retry_llm(max_attempts=2, sleep=lambda s: None)
    def call() -> None:
        raise errors.pop(0)

    last = errors[-1]
    with pytest.raises(error_type) as excinfo:
        call()
    assert excinfo.value is last


# --- property ----------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_header_names = st.sampled_from(
    [
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "x-ratelimit-reset-requests",
        "x-ratelimit-reset",
        "anthropic-ratelimit-requests-reset",
        "x-amz-retry-after",
        "x-amzn-errortype",
    ]
) | st.text(max_size=20)
_header_values = st.text(max_size=40) | st.binary(max_size=20) | st.integers() | st.none() | st.floats()
_anything = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.binary(max_size=30)
    | _json
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status_code=_anything,
    status=_anything,
    code=_anything,
    body=_anything,
    headers=st.dictionaries(_header_names, _header_values, max_size=6) | _anything,
    response_status=_anything,
    message=_anything,
)
def test_classify_never_raises_on_arbitrary_attributes(
    status_code, status, code, body, headers, response_status, message
):
    error = WithStatus(
        status_code,
        status=status,
        code=code,
        body=body,
        message=message,
        response=Response(headers, status_code=response_status),
    )
    assert_sane(classify(error))
    error.__cause__ = error
    assert_sane(classify(error))
