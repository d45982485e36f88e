"""`provider_error`: exceptions shaped like the ones the provider SDKs raise (class names and modules,
attributes, headers, bodies), made without importing any SDK, for tests of code that handles them.

The shapes are the ones tests/conformance makes each real SDK raise; tests/conformance/test_provider_error.py
classifies each fake beside the real SDK's exception for the same fault and requires the same decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .. import _validate as valid

__all__ = ["PROVIDERS", "ProviderFaults", "provider_error"]


# --- fake classes --------------------------------------------------------------------------------------

Chain = tuple[tuple[str, str], ...]
"""A class and its bases under `Exception`, as ``(module, name)`` pairs, base first."""

_CLASSES: dict[Chain, type[Exception]] = {}


def _fake_init(self: Exception, text: str, attrs: Mapping[str, object]) -> None:
    Exception.__init__(self, *((text,) if text else ()))
    for name, value in attrs.items():
        setattr(self, name, value)


def _exception_class(chain: Chain) -> type[Exception]:
    """The class whose MRO is ``chain`` (``(module, name)`` pairs, base first) over `Exception`; the same
    class for the same chain, so that ``type(provider_error(...))`` can be caught twice."""
    found = _CLASSES.get(chain)
    if found is not None:
        return found
    module, name = chain[-1]
    base = _exception_class(chain[:-1]) if len(chain) > 1 else Exception
    namespace: dict[str, Any] = {"__module__": module, "__qualname__": name}
    if len(chain) == 1:
        namespace["__init__"] = _fake_init
        namespace["__doc__"] = f"A fake of {module}.{name}, made by llm_retry.testing.provider_error."
    made = type(name, (base,), namespace)
    _CLASSES[chain] = made
    return made


def _raise_ready(chain: Chain, text: str, /, **attrs: object) -> Exception:
    """An instance of the class of ``chain``, whose ``str()`` is ``text``, with ``attrs`` set on it."""
    cls = _exception_class(chain)
    exc = cls.__new__(cls)
    _fake_init(exc, text, attrs)
    return exc


@dataclass(frozen=True, slots=True)
class FakeResponse:
    """The parts of an HTTP response the fakes carry: ``status_code``, ``headers`` (lower-cased names) and
    ``text``."""

    status_code: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def _chain(module: str, *names: str) -> Chain:
    return tuple((module, name) for name in names)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return {529: "Overloaded", 498: "Invalid Token", 499: "Client Closed Request"}.get(status, "Error")


def _text(body: object) -> str:
    return body if isinstance(body, str) else json.dumps(body)


# --- transport failures, shared ---------------------------------------------------------------------

_NETWORK = ("connection", "timeout")


def _httpx_cause(module: str, fault: str) -> Exception:
    base = ("HTTPError", "RequestError", "TransportError")
    if fault == "timeout":
        return _raise_ready(_chain(module, *base, "TimeoutException", "ReadTimeout"), "timed out")
    return _raise_ready(
        _chain(module, *base, "NetworkError", "ConnectError"), "[Errno 111] Connection refused"
    )


def _stainless_network(module: str, root: str, transport: str, fault: str) -> Exception:
    connection = _chain(module, root, "APIError", "APIConnectionError")
    if fault == "timeout":
        exc = _raise_ready((*connection, (module, "APITimeoutError")), "Request timed out.", body=None)
    else:
        exc = _raise_ready(connection, "Connection error.", body=None)
    exc.__cause__ = _httpx_cause(transport, fault)
    return exc


# --- Stainless SDKs: anthropic, openai, groq -------------------------------------------------------

_ANTHROPIC_STATUS_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    402: "PaymentRequiredError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "RequestTimeoutError",
    409: "ConflictError",
    412: "PreconditionFailedError",
    413: "ContentTooLargeError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    431: "RequestHeaderFieldsTooLargeError",
    499: "ClientClosedRequestError",
}
_ANTHROPIC_5XX_CLASSES = {
    501: "HTTPNotImplementedError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
    529: "OverloadedError",
}
# Classes the SDK generates per (status, error.details.error_code), a subclass of the status's class.
_ANTHROPIC_CODE_CLASSES = {
    (429, "enforced_spend_limit_reached"): "EnforcedSpendLimitReachedError",
    (429, "contract_spend_limit_reached"): "ContractSpendLimitReachedError",
    (429, "ramp_limit_exceeded"): "RampLimitExceededError",
    (503, "cmek_key_unreachable"): "CMEKKeyUnreachableError",
    (529, "compaction_unavailable"): "CompactionUnavailableError",
}
ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ANTHROPIC_STREAM_TYPES = (
    "overloaded_error",
    "api_error",
    "rate_limit_error",
    "timeout_error",
    "invalid_request_error",
)


def _anthropic_chain(status: int, code: str | None) -> Chain:
    chain = _chain("anthropic", "AnthropicError", "APIError", "APIStatusError")
    if status >= 500:
        chain = (*chain, ("anthropic", "InternalServerError"))
        if status in _ANTHROPIC_5XX_CLASSES:
            chain = (*chain, ("anthropic", _ANTHROPIC_5XX_CLASSES[status]))
    elif status in _ANTHROPIC_STATUS_CLASSES:
        chain = (*chain, ("anthropic", _ANTHROPIC_STATUS_CLASSES[status]))
    by_code = _ANTHROPIC_CODE_CLASSES.get((status, code or ""))
    return (*chain, ("anthropic", by_code)) if by_code else chain


def _anthropic(fault: _Fault) -> Exception:
    if fault.what in _NETWORK:
        return _stainless_network("anthropic", "AnthropicError", "httpx2", str(fault.what))
    if isinstance(fault.what, str):
        # An `event: error` inside a stream that began with HTTP 200: only `.type` says what happened.
        status, error_type = 200, fault.what
    else:
        status = fault.what
        error_type = ANTHROPIC_ERROR_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
    error: dict[str, Any] = {"type": error_type, "message": fault.message or _phrase(status)}
    if fault.code is not None:
        error["details"] = {"error_code": fault.code}
    body = (
        fault.body if fault.body is not None else {"type": "error", "error": error, "request_id": "req_fake"}
    )
    headers = {"content-type": "application/json", "request-id": "req_fake", **fault.headers}
    envelope = body.get("error") if isinstance(body, dict) else None
    inner = envelope if isinstance(envelope, dict) else {}
    details = inner.get("details")
    return _raise_ready(
        _anthropic_chain(status, fault.code),
        f"Error code: {status} - {body}" if status != 200 else str(body),
        body=body,
        response=FakeResponse(status, headers, _text(body)),
        status_code=status,
        request_id=headers.get("request-id"),
        type=inner.get("type"),
        api_message=inner.get("message"),
        error_code=details.get("error_code") if isinstance(details, dict) else None,
    )


_OPENAI_STATUS_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}
# (`type`, `code`) as OpenAI's API sends them for each status.
OPENAI_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
# A spent quota is typed as its code: {"type": "insufficient_quota", "code": "insufficient_quota"}.
_OPENAI_TYPED_AS_CODE = ("insufficient_quota",)
_OPENAI_STREAM_TYPES = ("server_error", "rate_limit_exceeded", "invalid_request_error")
_GROQ_STREAM_TYPES = ("internal_server_error", *_OPENAI_STREAM_TYPES)


def _openai_error(status: int, fault: _Fault, module: str) -> dict[str, Any]:
    default_type, default_code = OPENAI_ERROR_TYPES.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    if module == "groq" and status >= 500:
        default_type = "internal_server_error"
    if module in ("together", "fireworks"):
        # Their APIs send few codes; OpenAI's (a 403's `unsupported_country_region_territory`) would mislead.
        default_code = None
    code = fault.code if fault.code is not None else default_code
    error_type = code if code in _OPENAI_TYPED_AS_CODE else default_type
    return {"message": fault.message or _phrase(status), "type": error_type, "param": None, "code": code}


def _openai_like(fault: _Fault, module: str, root: str, transport: str, *, groq: bool) -> Exception:
    if fault.what in _NETWORK:
        return _stainless_network(module, root, transport, str(fault.what))
    base = _chain(module, root, "APIError")
    if isinstance(fault.what, str):
        # Inside a stream that began with HTTP 200: a bare APIError, no status, no response.
        error = {
            "message": fault.message or "An error occurred during streaming",
            "type": fault.what,
            "code": fault.code,
        }
        inner = fault.body if isinstance(fault.body, dict) else error
        return _raise_ready(
            base,
            str(inner.get("message", "")),
            body=inner if groq is False else {"error": inner},
            **({} if groq else {"code": inner.get("code"), "type": inner.get("type"), "param": None}),
        )
    status = fault.what
    envelope = fault.body if fault.body is not None else {"error": _openai_error(status, fault, module)}
    inner = envelope.get("error", envelope) if isinstance(envelope, dict) else envelope
    chain = (*base, (module, "APIStatusError"))
    name = "InternalServerError" if status >= 500 else _OPENAI_STATUS_CLASSES.get(status)
    if name is not None:
        chain = (*chain, (module, name))
    request_id = "x-request-id"
    headers = {"content-type": "application/json", request_id: "req_fake", **fault.headers}
    attrs: dict[str, object] = {
        "response": FakeResponse(status, headers, _text(envelope)),
        "status_code": status,
        "request_id": headers.get(request_id),
    }
    if groq:
        # groq keeps the whole envelope as `.body` and has no `.code`/`.type`.
        attrs["body"] = envelope
    else:
        attrs["body"] = inner
        if isinstance(inner, dict):
            code = inner.get("code")
            attrs |= {
                "code": None if code is None else str(code),
                "param": inner.get("param"),
                "type": inner.get("type"),
            }
        else:
            attrs |= {"code": None, "param": None, "type": None}
    return _raise_ready(chain, f"Error code: {status} - {envelope}", **attrs)


def _openai(fault: _Fault) -> Exception:
    return _openai_like(fault, "openai", "OpenAIError", "httpx2", groq=False)


def _groq(fault: _Fault) -> Exception:
    return _openai_like(fault, "groq", "GroqError", "httpx", groq=True)


# together and fireworks-ai are Stainless SDKs of groq's generation: the whole envelope as `.body`.
def _together(fault: _Fault) -> Exception:
    return _openai_like(fault, "together", "TogetherError", "httpx", groq=True)


def _fireworks(fault: _Fault) -> Exception:
    return _openai_like(fault, "fireworks", "FireworksError", "httpx", groq=True)


# --- mistralai (Speakeasy) -------------------------------------------------------------------------

_MISTRAL_ERRORS = "mistralai.client.errors"
MISTRAL_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("unauthorized", None),
    403: ("forbidden", None),
    404: ("not_found", None),
    429: ("rate_limited", "1300"),
}


def _mistral(fault: _Fault) -> Exception:
    if fault.what in _NETWORK:
        # mistralai lets transport errors through unwrapped.
        return _httpx_cause("httpx2", str(fault.what))
    status = int(fault.what)
    default_type, default_code = MISTRAL_ERROR_TYPES.get(
        status, ("internal_server_error" if status >= 500 else "invalid_request_error", None)
    )
    body = (
        fault.body
        if fault.body is not None
        else {
            "object": "error",
            "message": fault.message or _phrase(status),
            "type": default_type,
            "param": None,
            "code": fault.code if fault.code is not None else default_code,
        }
    )
    name, module = (
        ("HTTPValidationError", "httpvalidationerror") if status == 422 else ("SDKError", "sdkerror")
    )
    chain = ((f"{_MISTRAL_ERRORS}.mistralerror", "MistralError"), (f"{_MISTRAL_ERRORS}.{module}", name))
    text = _text(body)
    headers = {"content-type": "application/json", **fault.headers}
    return _raise_ready(
        chain,
        f"API error occurred: Status {status}. Body: {text}",
        message=f"API error occurred: Status {status}. Body: {text}",
        status_code=status,
        body=text,
        headers=headers,
        raw_response=FakeResponse(status, headers, text),
    )


# --- cohere (Fern) ---------------------------------------------------------------------------------

_COHERE_STATUS_CLASSES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    422: "UnprocessableEntityError",
    429: "TooManyRequestsError",
    498: "InvalidTokenError",
    499: "ClientClosedRequestError",
    500: "InternalServerError",
    501: "NotImplementedError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _cohere(fault: _Fault) -> Exception:
    if fault.what in _NETWORK:
        return _httpx_cause("httpx", str(fault.what))
    status = int(fault.what)
    chain: Chain = (("cohere.core.api_error", "ApiError"),)
    name = _COHERE_STATUS_CLASSES.get(status)
    if name is not None:
        chain = (*chain, (f"cohere.errors.{_snake(name)}", name))
    body = fault.body if fault.body is not None else {"message": fault.message or _phrase(status).lower()}
    # cohere's ApiError never calls Exception.__init__: its args are empty.
    return _raise_ready(
        chain,
        "",
        status_code=status,
        headers={"content-type": "application/json", **fault.headers},
        body=body,
    )


# --- google-genai (Gemini) -------------------------------------------------------------------------

GOOGLE_CANONICAL_STATUSES = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
# The canonical status Google's APIs send with each HTTP status.
GOOGLE_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _gemini(fault: _Fault) -> Exception:
    if fault.what in _NETWORK:
        # google-genai lets transport errors through unwrapped.
        return _httpx_cause("httpx2", str(fault.what))
    if isinstance(fault.what, str):
        canonical, status = fault.what, GOOGLE_CANONICAL_STATUSES[fault.what]
    else:
        status = fault.what
        canonical = GOOGLE_STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
    body = (
        fault.body
        if fault.body is not None
        else {"error": {"code": status, "message": fault.message or _phrase(status), "status": canonical}}
    )
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    module = "google.genai.errors"
    chain: Chain = ((module, "APIError"),)
    if 400 <= status < 500:
        chain = (*chain, (module, "ClientError"))
    elif 500 <= status < 600:
        chain = (*chain, (module, "ServerError"))
    message = error.get("message", "")
    return _raise_ready(
        chain,
        f"{status} {error.get('status', canonical)}. {body}",
        code=status,
        status=error.get("status", canonical),
        message=message,
        details=body,
        response=FakeResponse(status, {"content-type": "application/json", **fault.headers}, _text(body)),
    )


# --- botocore (Bedrock) ----------------------------------------------------------------------------

BEDROCK_CODES = {
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceUnavailableException": 503,
    "InternalServerException": 500,
    "ModelTimeoutException": 408,
    "ValidationException": 400,
    "ConflictException": 400,
    "ServiceQuotaExceededException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
}
# The code Bedrock sends with each HTTP status (the first modeled one; 401 is not modeled).
BEDROCK_ERROR_CODES = {
    **{status: code for code, status in reversed(BEDROCK_CODES.items())},
    401: "UnrecognizedClientException",  # a bad key; not modeled, so a plain ClientError
}
# Errors inside a ConverseStream / InvokeModelWithResponseStream event stream: lowerCamel, no status.
BEDROCK_STREAM_CODES = (
    "throttlingException",
    "serviceUnavailableException",
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
)
_BOTOCORE = "botocore.exceptions"


def _bedrock(fault: _Fault) -> Exception:
    if fault.what == "timeout":
        return _raise_ready(
            ((_BOTOCORE, "BotoCoreError"), (_BOTOCORE, "HTTPClientError"), (_BOTOCORE, "ReadTimeoutError")),
            'Read timeout on endpoint URL: "https://bedrock-runtime.us-east-1.amazonaws.com/model/converse"',
        )
    if fault.what == "connection":
        return _raise_ready(
            (
                (_BOTOCORE, "BotoCoreError"),
                (_BOTOCORE, "ConnectionError"),
                (_BOTOCORE, "EndpointConnectionError"),
            ),
            'Could not connect to the endpoint URL: "https://bedrock-runtime.us-east-1.amazonaws.com/"',
        )
    operation = "Converse"
    message = fault.message or "Fake error from llm_retry.testing.provider_error"
    if isinstance(fault.what, str) and fault.what in BEDROCK_STREAM_CODES:
        code = fault.what
        response: dict[str, Any] = {"Error": {"Code": code, "Message": message}}
        chain: Chain = ((_BOTOCORE, "ClientError"), (_BOTOCORE, "EventStreamError"))
        operation = "ConverseStream"
    else:
        if isinstance(fault.what, str):
            code = fault.code or fault.what
            status = BEDROCK_CODES[fault.what]
        else:
            status = fault.what
            code = (
                fault.code
                or BEDROCK_ERROR_CODES.get(status)
                or ("InternalServerException" if status >= 500 else "ValidationException")
            )
        headers = {
            "content-type": "application/json",
            "x-amzn-requestid": "0c7f4a2e-0000-4000-8000-000000000000",
            "x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            **fault.headers,
        }
        response = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": headers["x-amzn-requestid"],
                "HTTPStatusCode": status,
                "HTTPHeaders": headers,
                "RetryAttempts": 0,
            },
        }
        if code in BEDROCK_CODES:
            # Modeled errors: a class generated per code, and the parser's `message` member.
            response["message"] = message
            chain = ((_BOTOCORE, "ClientError"), ("botocore.errorfactory", code))
        else:
            chain = ((_BOTOCORE, "ClientError"),)
    if isinstance(fault.body, dict):
        response |= fault.body
    return _raise_ready(
        chain,
        f"An error occurred ({code}) when calling the {operation} operation: {message}",
        response=response,
        operation_name=operation,
    )


# --- the public function ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fault:
    what: int | str
    code: str | None
    headers: dict[str, str]
    body: Any
    message: str | None


@dataclass(frozen=True, slots=True)
class ProviderFaults:
    """What `provider_error` can make for one provider: any HTTP status from 400 to 599, and ``faults``, its
    own names for the rest ("connection", "timeout", error codes, errors inside a stream)."""

    make: Callable[[_Fault], Exception]
    faults: tuple[str, ...]


PROVIDERS: dict[str, ProviderFaults] = {
    # Each name is proven against its SDK in tests/conformance/test_provider_error.py.
    "anthropic": ProviderFaults(_anthropic, (*_NETWORK, *_ANTHROPIC_STREAM_TYPES)),
    "openai": ProviderFaults(_openai, (*_NETWORK, *_OPENAI_STREAM_TYPES)),
    "groq": ProviderFaults(_groq, (*_NETWORK, *_GROQ_STREAM_TYPES)),
    "together": ProviderFaults(_together, _NETWORK),
    "fireworks": ProviderFaults(_fireworks, _NETWORK),
    "mistral": ProviderFaults(_mistral, _NETWORK),
    "cohere": ProviderFaults(_cohere, _NETWORK),
    "gemini": ProviderFaults(_gemini, (*_NETWORK, *GOOGLE_CANONICAL_STATUSES)),
    "bedrock": ProviderFaults(_bedrock, (*_NETWORK, *BEDROCK_CODES, *BEDROCK_STREAM_CODES)),
}
_ALIASES = {
    "google-genai": "gemini",
    "google": "gemini",
    "mistralai": "mistral",
    "botocore": "bedrock",
    "fireworks-ai": "fireworks",
    # Reached through the openai SDK (`openai.AzureOpenAI`; DeepSeek's and xAI's OpenAI-compatible APIs
    # with `base_url`), which raises its own classes for them.
    "azure-openai": "openai",
    "azure": "openai",
    "deepseek": "openai",
    "xai": "openai",
}


def _headers(headers: object) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise valid.wrong_type("headers", "None or a mapping of str to str", headers)
    return {k.lower(): v for k, v in headers.items()}


def provider_error(
    provider: str,
    status_or_code: int | str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    body: object = None,
    message: str | None = None,
) -> Exception:
    """An exception shaped like the one ``provider``'s SDK raises for a fault, without the SDK.

    ``provider`` is one of ``PROVIDERS`` (anthropic, openai, groq, together, fireworks, mistral, cohere,
    gemini, bedrock), or a provider reached through one of those SDKs: ``"azure-openai"``, ``"deepseek"``
    and ``"xai"`` give the openai SDK's exceptions, as its clients raise for them.
    ``status_or_code`` is an HTTP status (``529``, ``429``), ``"connection"`` or ``"timeout"`` (a transport
    failure, wrapped as the SDK wraps it), or a provider's own name for a fault: Bedrock's error codes
    (``"ThrottlingException"``; lowerCamel ones are errors inside an event stream), Gemini's canonical
    statuses (``"RESOURCE_EXHAUSTED"``), and for anthropic, openai and groq the error types they raise inside
    a stream that began with HTTP 200 (``"overloaded_error"``). ``code`` is the provider's error code
    (openai ``"insufficient_quota"``, anthropic's ``error.details.error_code``, a Bedrock code sent with
    another status); ``headers`` go on the response (``{"retry-after": "3"}``); ``body`` replaces the body the
    SDK would have parsed; ``message`` replaces the error message. The class has the SDK's name and module
    (it is not the SDK's class: ``except anthropic.RateLimitError`` does not catch it), and llm-retry
    classifies it exactly as it classifies the real one.

    >>> from llm_retry import classify
    >>> exc = provider_error("anthropic", 429, headers={"retry-after": "3"})
    >>> type(exc).__name__, exc.status_code
    ('RateLimitError', 429)
    >>> c = classify(exc)
    >>> c.kind.value, c.retryable, c.retry_after_s
    ('rate_limited', True, 3.0)
    >>> classify(provider_error("openai", 429, code="insufficient_quota")).kind.value
    'quota_exhausted'
    >>> type(provider_error("bedrock", "ThrottlingException")).__name__
    'ThrottlingException'
    """
    if not isinstance(provider, str):
        raise valid.wrong_type("provider", f"one of {', '.join(PROVIDERS)}", provider)
    spec = PROVIDERS.get(_ALIASES.get(provider.lower(), provider.lower()))
    if spec is None:
        raise valid.out_of_range("provider", f"one of {', '.join(PROVIDERS)}", provider)
    what: int | str
    if type(status_or_code) is int:
        if not 400 <= status_or_code <= 599:
            raise valid.out_of_range("status_or_code", "an HTTP error status from 400 to 599", status_or_code)
        what = status_or_code
    elif isinstance(status_or_code, str):
        if status_or_code not in spec.faults:
            allowed = f"an HTTP status from 400 to 599 or one of {', '.join(spec.faults)}"
            raise valid.out_of_range(f"status_or_code for {provider}", allowed, status_or_code)
        what = status_or_code
    else:
        raise valid.wrong_type("status_or_code", "an int HTTP status or a str fault name", status_or_code)
    if code is not None and not isinstance(code, str):
        raise valid.wrong_type("code", "None or a str", code)
    if message is not None and not isinstance(message, str):
        raise valid.wrong_type("message", "None or a str", message)
    if body is not None and not isinstance(body, dict | str):
        raise valid.wrong_type("body", "None, a dict or a str", body)
    return spec.make(_Fault(what, code, _headers(headers), body, message))
