"""Helpers for testing code that uses llm-retry: provider faults made without the SDKs, a flaky provider
on 127.0.0.1 that real SDKs can be pointed at, waits recorded instead of slept, retries switched off.

>>> from llm_retry import classify
>>> from llm_retry.testing import provider_error
>>> classify(provider_error("anthropic", 529)).kind.value
'overloaded'

>>> from llm_retry import retry_llm
>>> from llm_retry.testing import record_waits
>>> @retry_llm(max_attempts=3, budget=None)
... def flaky() -> str:
...     raise ConnectionResetError("peer reset")
>>> with record_waits() as waits:
...     try:
...         flaky()
...     except ConnectionResetError:
...         pass
>>> [(w.attempt, w.ceiling_s) for w in waits]
[(1, 1.0), (2, 2.0)]
"""

# provider_error, FlakyProvider
# record_waits, disable_retries
from .._switches import Wait
from ._faults import PROVIDERS, ProviderFaults, provider_error
from ._flaky import REPLY_TEXT, FlakyProvider, ReceivedRequest, ScriptItem, Stall, StreamError
from ._waits import disable_retries, record_waits

__all__ = [
    "PROVIDERS",
    "REPLY_TEXT",
    "FlakyProvider",
    "ProviderFaults",
    "ReceivedRequest",
    "ScriptItem",
    "Stall",
    "StreamError",
    "Wait",
    "disable_retries",
    "provider_error",
    "record_waits",
]
