"""Presets: one `RetryConfig` per provider, written as data, and `DefaultPreset`, which understands them all.

A preset lists the HTTP statuses that are safe to retry and the error codes and class names that are safe
to retry where no status decides: errors inside a stream that began with HTTP 200 (anthropic
``overloaded_error``, openai ``server_error``), errors with no status at all (gRPC ``UNAVAILABLE``, Bedrock
event-stream ``throttlingException``) and codes that outrank their status (AWS ``ThrottlingException`` on
an HTTP 400). Where the status decided the kind, only the status list counts, so classes that merely
restate a status (``InternalServerError``, ``RateLimitError``) are not listed: naming them would retry
anthropic's 501 ``HTTPNotImplementedError``, a subclass of ``InternalServerError``. Network failures are
retried by ``retry_network_errors``, not by name. Spent quotas, auth failures, context overflows and
content filters are never retried, whatever a list says.

>>> from llm_retry.presets import AnthropicPreset, BedrockPreset, DefaultPreset
>>> AnthropicPreset.name, 529 in AnthropicPreset.retryable_status_codes
('anthropic', True)
>>> "overloaded_error" in AnthropicPreset.retryable_exception_names
True
>>> "ThrottlingException" in BedrockPreset.retryable_exception_names
True
>>> every_name = {n for p in PROVIDER_PRESETS for n in p.retryable_exception_names}
>>> every_name <= set(DefaultPreset.retryable_exception_names)
True
>>> from llm_retry.presets import TogetherPreset
>>> 524 in TogetherPreset.retryable_status_codes
True
"""

from __future__ import annotations

from ._config import RetryConfig

__all__ = [
    "PROVIDER_PRESETS",
    "AnthropicPreset",
    "AzureAIPreset",
    "AzureOpenAIPreset",
    "BedrockPreset",
    "CoherePreset",
    "DeepSeekPreset",
    "DefaultPreset",
    "FireworksPreset",
    "GeminiPreset",
    "GroqPreset",
    "HTTPPreset",
    "HuggingFacePreset",
    "MistralPreset",
    "OllamaPreset",
    "OpenAIPreset",
    "TogetherPreset",
    "XAIPreset",
]

# --- Names: error types/codes and class names safe to retry where the status does not decide -------------

_ANTHROPIC_NAMES = (
    # `.type` of errors raised mid-stream, after HTTP 200.
    "overloaded_error",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "conflict_error",
    # The SDK's opt-in marker: user code raises it to ask for a retry.
    "RetryableError",
    # AnthropicBedrock: the AWS code arrives in the x-amzn-errortype header.
    "ThrottlingException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
)

_OPENAI_NAMES = (
    # A bare APIError raised mid-stream has no status; only `.type`/`.code` say what it was.
    "server_error",
    "rate_limit_exceeded",
)

_GROQ_NAMES = (
    # 498 flex-tier capacity, and the `type` of errors raised mid-stream after HTTP 200.
    "capacity_exceeded",
    "internal_server_error",
    "server_error",
    "rate_limit_exceeded",
)

_MISTRAL_NAMES = ("rate_limited",)

_GEMINI_NAMES = (
    # Google canonical codes: gRPC errors carry no HTTP status, only these.
    "RESOURCE_EXHAUSTED",
    "RATE_LIMIT_EXCEEDED",  # ErrorInfo.reason
    "UNAVAILABLE",
    "INTERNAL",
    "UNKNOWN",
    "DATA_LOSS",
    "ABORTED",
    "DEADLINE_EXCEEDED",
)

_AWS_THROTTLING_NAMES = (
    # botocore's throttling codes, retried whatever the status: the query and JSON protocols send them with
    # HTTP 400, and event streams with no status at all (lowerCamel, compared case-insensitively).
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
)

_BEDROCK_NAMES = (
    *_AWS_THROTTLING_NAMES,
    "ModelNotReadyException",  # 429, "the SDK will automatically retry"
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "InternalServerException",
    "InternalFailure",
    "modelStreamErrorException",  # event stream; HTTP 424 when there is a status
    # 408: the model timed out. botocore does not retry it; a second try usually succeeds.
    "ModelTimeoutException",
    "RequestTimeout",
    "RequestTimeoutException",
)

# The frameworks' own codes for errors that came without a status of the provider's.
_FRAMEWORK_NAMES = (
    "throttling_error",  # LiteLLM RateLimitError `.type`
    "all_deployments_in_cooldown",  # LiteLLM Router: every deployment is cooling down
)

# xAI's API is gRPC: its errors carry a canonical code and no HTTP status. The channel already retried
# UNAVAILABLE up to five times before the error arrives.
_XAI_NAMES = ("RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED")

# Text Generation Inference reports capacity inside a stream that began with HTTP 200, as `error_type`
# "overloaded" (huggingface_hub raises OverloadedError with no status).
_HUGGING_FACE_NAMES = ("OverloadedError",)

# --- Statuses ----------------------------------------------------------------------------------------------

# What the Stainless SDKs (anthropic, openai, groq) and cohere retry, minus the 5xx that say "never":
# 501 is not implemented however often it is asked.
_STAINLESS_STATUSES = (408, 409, 429, 500, 502, 503, 504)

AnthropicPreset = RetryConfig(
    name="anthropic",
    retryable_status_codes=(*_STAINLESS_STATUSES, 529),  # 529: overloaded
    retryable_exception_names=_ANTHROPIC_NAMES,
    # The SDK has already tried three times (0.5-8 s apart) before we see the error, so start above its
    # last wait; overload episodes last minutes, not seconds.
    base_delay_s=2.0,
    max_delay_s=60.0,
    max_attempts=4,
    max_retry_after_s=60.0,
)

OpenAIPreset = RetryConfig(
    name="openai",
    retryable_status_codes=_STAINLESS_STATUSES,
    retryable_exception_names=_OPENAI_NAMES,
    base_delay_s=1.0,
    # Per-minute buckets refill within 60 s; waiting longer than that between attempts buys nothing.
    max_delay_s=30.0,
    max_attempts=4,  # the SDK already made 3 requests per attempt
    # A longer hint is a per-day limit (RPD): give up at once rather than sleep for hours.
    max_retry_after_s=60.0,
)

AzureOpenAIPreset = RetryConfig(
    name="azure-openai",
    retryable_status_codes=_STAINLESS_STATUSES,
    retryable_exception_names=(*_OPENAI_NAMES, "ServiceUnavailable"),
    base_delay_s=1.0,
    max_delay_s=60.0,
    max_attempts=5,
    # Azure's per-deployment TPM limits ask for "retry after N seconds" with N often 30-60 on busy
    # deployments; 90 s honours those and still gives up on hour-long waits.
    max_retry_after_s=90.0,
)

BedrockPreset = RetryConfig(
    name="bedrock",
    retryable_status_codes=(408, 429, 500, 502, 503, 504),
    retryable_exception_names=_BEDROCK_NAMES,
    # botocore's standard mode has already made 3 attempts with up to 20 s of jitter between them.
    base_delay_s=2.0,
    max_delay_s=30.0,
    max_attempts=4,
    # x-amz-retry-after is rare; botocore itself never waits more than 5 s beyond its own backoff.
    max_retry_after_s=30.0,
)

GeminiPreset = RetryConfig(
    name="gemini",
    # google-genai's own list, plus 409 (api-core ABORTED, a concurrency conflict).
    retryable_status_codes=(408, 409, 429, 500, 502, 503, 504),
    retryable_exception_names=_GEMINI_NAMES,
    # Neither google-genai nor api-core retries by default: this is the first failure.
    base_delay_s=1.0,
    max_delay_s=60.0,
    max_attempts=5,
    # RetryInfo asks for 20-59 s on per-minute quotas; per-day quotas are classified as spent.
    max_retry_after_s=60.0,
)

MistralPreset = RetryConfig(
    name="mistral",
    retryable_status_codes=(408, 429, 500, 502, 503, 504),
    retryable_exception_names=_MISTRAL_NAMES,
    # mistralai does not retry unless configured to: this is the first failure.
    base_delay_s=1.0,
    max_delay_s=30.0,
    max_attempts=5,
    max_retry_after_s=60.0,
)

CoherePreset = RetryConfig(
    name="cohere",
    # Not 498: cohere's 498 is an invalid token (auth), unlike Groq's.
    retryable_status_codes=_STAINLESS_STATUSES,
    # cohere raises one class per status and nothing mid-stream; the statuses say it all.
    retryable_exception_names=(),
    base_delay_s=1.0,
    max_delay_s=60.0,
    max_attempts=4,  # the SDK already retried twice (but never a timeout)
    max_retry_after_s=60.0,
)

GroqPreset = RetryConfig(
    name="groq",
    retryable_status_codes=(*_STAINLESS_STATUSES, 498),  # 498: flex-tier capacity
    retryable_exception_names=_GROQ_NAMES,
    base_delay_s=1.0,
    max_delay_s=30.0,
    max_attempts=4,  # the SDK already made 3 requests per attempt
    # The SDK honours hints up to 60 s; longer ones are daily limits ("2m59.56s" and up).
    max_retry_after_s=60.0,
)

AzureAIPreset = RetryConfig(
    name="azure-ai",
    # azure-core's RetryPolicy list; it retries a POST only on 500, 503 and 504, up to 10 times by default
    # (`retry_total=0` on the client turns it off).
    retryable_status_codes=(408, 429, 500, 502, 503, 504),
    # A content filter is a 400 with code `content_filter`, never retried; nothing else needs a name.
    retryable_exception_names=(),
    base_delay_s=1.0,
    max_delay_s=60.0,
    max_attempts=5,
    # Per-deployment token limits ask for 30-60 s (x-ms-retry-after-ms, retry-after), as Azure OpenAI's do.
    max_retry_after_s=90.0,
)

TogetherPreset = RetryConfig(
    name="together",
    # Cloudflare fronts the API: 520 (unknown origin error), 522 and 524 (the origin timed out) come from it.
    # Its 403 is a token limit, never retried.
    retryable_status_codes=(*_STAINLESS_STATUSES, 520, 522, 524),
    retryable_exception_names=_OPENAI_NAMES,
    base_delay_s=1.0,
    max_delay_s=30.0,
    max_attempts=4,  # the SDK already made 3 requests per attempt (1-10 s apart)
    max_retry_after_s=60.0,
)

FireworksPreset = RetryConfig(
    name="fireworks",
    retryable_status_codes=_STAINLESS_STATUSES,
    retryable_exception_names=_OPENAI_NAMES,
    base_delay_s=1.0,
    max_delay_s=30.0,
    max_attempts=4,  # the SDK already made 3 requests per attempt (0.5-8 s apart)
    max_retry_after_s=60.0,
)

HuggingFacePreset = RetryConfig(
    name="huggingface",
    retryable_status_codes=(408, 429, 500, 502, 503, 504),
    retryable_exception_names=_HUGGING_FACE_NAMES,
    # huggingface_hub does not retry inference calls. A model still loading answers 503 with its estimated
    # time, often tens of seconds, and scaled-to-zero endpoints take minutes to wake: wait for it.
    base_delay_s=2.0,
    max_delay_s=60.0,
    # 5, not more: the provider's default retry budget lets a quiet process make 4 retries a minute
    # (`RetryBudget`'s min_retries); a longer wake-up is the deadline's business.
    max_attempts=5,
    max_retry_after_s=180.0,
)

OllamaPreset = RetryConfig(
    name="ollama",
    # A local server: 503 when its queue is full (OLLAMA_MAX_QUEUE), 500 when a model runner crashed.
    retryable_status_codes=(408, 429, 500, 502, 503, 504),
    retryable_exception_names=(),
    # The ollama client does not retry; a local server recovers in seconds or not at all.
    base_delay_s=0.5,
    max_delay_s=10.0,
    max_attempts=4,
    max_retry_after_s=30.0,
)

XAIPreset = RetryConfig(
    name="xai",
    # xai-sdk speaks gRPC (codes, no statuses); xAI's OpenAI-compatible REST API sends the usual statuses.
    retryable_status_codes=_STAINLESS_STATUSES,
    retryable_exception_names=(*_XAI_NAMES, *_OPENAI_NAMES),
    base_delay_s=1.0,
    max_delay_s=30.0,
    max_attempts=4,
    max_retry_after_s=60.0,
)

DeepSeekPreset = RetryConfig(
    name="deepseek",
    # OpenAI-compatible (the openai SDK with base_url): 429 rate limit, 500 server error, 503 overloaded;
    # 402 is an empty balance, never retried.
    retryable_status_codes=(408, 429, 500, 502, 503, 504),
    retryable_exception_names=_OPENAI_NAMES,
    base_delay_s=2.0,  # the SDK already made 3 requests per attempt
    max_delay_s=60.0,
    max_attempts=4,
    max_retry_after_s=60.0,
)

HTTPPreset = RetryConfig(
    name="http",
    retryable_status_codes=(408, 409, 429, 500, 502, 503, 504, 529),
    retryable_exception_names=(),
    base_delay_s=1.0,
    max_delay_s=60.0,
    max_attempts=5,
    max_retry_after_s=60.0,
)

PROVIDER_PRESETS: tuple[RetryConfig, ...] = (
    AnthropicPreset,
    OpenAIPreset,
    AzureOpenAIPreset,
    BedrockPreset,
    GeminiPreset,
    MistralPreset,
    CoherePreset,
    GroqPreset,
    AzureAIPreset,
    TogetherPreset,
    FireworksPreset,
    HuggingFacePreset,
    OllamaPreset,
    XAIPreset,
    DeepSeekPreset,
    HTTPPreset,
)
"""Every preset but `DefaultPreset`, which is their union."""


def _union(*lists: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for names in lists:
        seen.update(dict.fromkeys(names))
    return tuple(seen)


DefaultPreset = RetryConfig(
    name="default",
    # Every provider's statuses except Groq's 498: without Groq's `capacity_exceeded` code (a name below)
    # a 498 may as well be cohere's invalid token.
    retryable_status_codes=(408, 409, 429, 500, 502, 503, 504, 529),
    retryable_exception_names=_union(
        *(p.retryable_exception_names for p in PROVIDER_PRESETS), _FRAMEWORK_NAMES
    ),
    base_delay_s=1.0,
    max_delay_s=60.0,
    max_attempts=5,
    max_retry_after_s=60.0,
)
