"""Helpers for testing code that uses llm-retry: provider faults made without the SDKs, and a flaky provider
on 127.0.0.1 that real SDKs can be pointed at.

>>> from llm_retry import classify
>>> from llm_retry.testing import provider_error
>>> classify(provider_error("anthropic", 529)).kind.value
'overloaded'
"""

# provider_error, FlakyProvider
from ._faults import PROVIDERS, ProviderFaults, provider_error
from ._flaky import REPLY_TEXT, FlakyProvider, ReceivedRequest, ScriptItem, StreamError

__all__ = [
    "PROVIDERS",
    "REPLY_TEXT",
    "FlakyProvider",
    "ProviderFaults",
    "ReceivedRequest",
    "ScriptItem",
    "StreamError",
    "provider_error",
]
