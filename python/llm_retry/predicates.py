"""``llm-retry-py`` 0.1.0's predicates: the error codes each provider documents as transient, matched as
case-sensitive substrings of an error's text (``should_retry=lambda e: is_openai_retryable(str(e))``), and
`is_retryable`, which asks llm-retry's own classifier instead.

>>> is_anthropic_retryable("rate_limit_error"), is_anthropic_retryable("authentication_error")
(True, False)
>>> is_http_status_retryable(503)
True
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ANTHROPIC_RETRYABLE",
    "BEDROCK_RETRYABLE",
    "GEMINI_RETRYABLE",
    "HTTP_RETRYABLE_STATUSES",
    "OPENAI_RETRYABLE",
    "contains_any",
    "is_anthropic_retryable",
    "is_bedrock_retryable",
    "is_gemini_retryable",
    "is_http_status_retryable",
    "is_openai_retryable",
    "is_retryable",
]

# The lists are 0.1.0's, entry for entry, so that code extending them keeps its meaning. Substring matching
# is crude ("timeout" matches "timeout_error" and any message that mentions one); `is_retryable` is not.

# https://docs.anthropic.com/en/api/errors
ANTHROPIC_RETRYABLE: tuple[str, ...] = ("rate_limit_error", "overloaded_error", "api_error", "timeout")

# https://platform.openai.com/docs/guides/error-codes
OPENAI_RETRYABLE: tuple[str, ...] = (
    "rate_limit_exceeded",
    "server_error",
    "engine_overloaded",
    "tokens_exhausted",
    "timeout",
)

# https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshoot.html
BEDROCK_RETRYABLE: tuple[str, ...] = (
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "ProvisionedThroughputExceededException",
    "ModelTimeoutException",
)

# https://ai.google.dev/api/rest/v1/HttpStatusCode
GEMINI_RETRYABLE: tuple[str, ...] = ("RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL")

HTTP_RETRYABLE_STATUSES: tuple[int, ...] = (408, 425, 429, 500, 502, 503, 504)


def contains_any(s: str, patterns: Iterable[str]) -> bool:
    """Whether ``s`` contains any of ``patterns`` (case-sensitive)."""
    return any(pattern in s for pattern in patterns)


def is_anthropic_retryable(s: str) -> bool:
    """Whether ``s`` (an error code or message) names one of `ANTHROPIC_RETRYABLE`."""
    return contains_any(s, ANTHROPIC_RETRYABLE)


def is_openai_retryable(s: str) -> bool:
    """Whether ``s`` (an error code or message) names one of `OPENAI_RETRYABLE`."""
    return contains_any(s, OPENAI_RETRYABLE)


def is_bedrock_retryable(s: str) -> bool:
    """Whether ``s`` (an error code or message) names one of `BEDROCK_RETRYABLE`."""
    return contains_any(s, BEDROCK_RETRYABLE)


def is_gemini_retryable(s: str) -> bool:
    """Whether ``s`` (an error code or message) names one of `GEMINI_RETRYABLE`."""
    return contains_any(s, GEMINI_RETRYABLE)


def is_http_status_retryable(code: int) -> bool:
    """Whether the HTTP status ``code`` is one of `HTTP_RETRYABLE_STATUSES`."""
    return code in HTTP_RETRYABLE_STATUSES


def is_retryable(exc: BaseException) -> bool:
    """llm-retry's own verdict on ``exc`` (`classify` with the default preset): reads the status, codes,
    headers and body of any SDK's exception, so a spent quota on a 429 is not retried, nor anything that is
    not an `Exception`. Pass it as ``should_retry=predicates.is_retryable``.

    >>> class Overloaded(Exception):
    ...     status_code = 529
    >>> is_retryable(Overloaded()), is_retryable(ValueError("bad input")), is_retryable(KeyboardInterrupt())
    (True, False, False)
    """
    if not isinstance(exc, Exception):
        return False
    from ._decorators import classify

    return classify(exc).retryable
