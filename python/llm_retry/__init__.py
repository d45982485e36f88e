"""llm-retry keeps LLM API calls alive through rate limits, overloads, server errors and network blips,
and stops them fast when retrying cannot help (bad key, bad request, spent quota, context too long).

>>> from llm_retry import retry_llm, AnthropicPreset
>>> @retry_llm(preset=AnthropicPreset, max_attempts=5)
... def call_claude(prompt: str) -> str:
...     return "..."
"""

from . import (
    _one_interpreter,  # noqa: F401  (first: refuses a second interpreter)
    predicates,  # llm-retry-py 0.1.0
)
from ._attempts import Attempts, attempts
from ._breaker import CircuitBreaker, CircuitOpenError
from ._budget import BudgetStats, RetryBudget
from ._compat import Jitter, RetryError, RetryExhausted, RetryPolicy, retry, retry_async  # llm-retry-py 0.1.0
from ._config import RetryConfig
from ._core import VERSION as __version__
from ._core import Classification
from ._decorators import async_retry_llm, classify, retry_llm
from ._engine import Attempt
from ._events import (
    BreakerEvent,
    Event,
    GateWaitEvent,
    GiveUpEvent,
    RefusalEvent,
    RetryEvent,
    StoreEvent,
    SuccessEvent,
    add_listener,
    give_up_reason,
    remove_listener,
)
from ._fallback import DEFAULT_FALLBACK_KINDS, AllProvidersFailed, FallbackEvent, fallback
from ._gate import GateStats, RateLimitedError, RateLimitGate
from ._kinds import BreakerState, ErrorKind, GiveUpReason, RefusalReason
from ._redis_store import RedisStore
from ._store import InMemoryStore
from .presets import (
    AnthropicPreset,
    AzureAIPreset,
    AzureOpenAIPreset,
    BedrockPreset,
    CoherePreset,
    DeepSeekPreset,
    DefaultPreset,
    FireworksPreset,
    GeminiPreset,
    GroqPreset,
    HTTPPreset,
    HuggingFacePreset,
    MistralPreset,
    OllamaPreset,
    OpenAIPreset,
    TogetherPreset,
    XAIPreset,
)

__all__ = [
    "DEFAULT_FALLBACK_KINDS",
    "AllProvidersFailed",
    "AnthropicPreset",
    "Attempt",
    "Attempts",
    "AzureAIPreset",
    "AzureOpenAIPreset",
    "BedrockPreset",
    "BreakerEvent",
    "BreakerState",
    "BudgetStats",
    "CircuitBreaker",
    "CircuitOpenError",
    "Classification",
    "CoherePreset",
    "DeepSeekPreset",
    "DefaultPreset",
    "ErrorKind",
    "Event",
    "FallbackEvent",
    "FireworksPreset",
    "GateStats",
    "GateWaitEvent",
    "GeminiPreset",
    "GiveUpEvent",
    "GiveUpReason",
    "GroqPreset",
    "HTTPPreset",
    "HuggingFacePreset",
    "InMemoryStore",
    "Jitter",
    "MistralPreset",
    "OllamaPreset",
    "OpenAIPreset",
    "RateLimitGate",
    "RateLimitedError",
    "RedisStore",
    "RefusalEvent",
    "RefusalReason",
    "RetryBudget",
    "RetryConfig",
    "RetryError",
    "RetryEvent",
    "RetryExhausted",
    "RetryPolicy",
    "StoreEvent",
    "SuccessEvent",
    "TogetherPreset",
    "XAIPreset",
    "__version__",
    "add_listener",
    "async_retry_llm",
    "attempts",
    "classify",
    "fallback",
    "give_up_reason",
    "predicates",
    "remove_listener",
    "retry",
    "retry_async",
    "retry_llm",
]
