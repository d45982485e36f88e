"""Helpers for testing code that uses llm-retry: waits recorded instead of slept, retries switched off.

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

# record_waits, disable_retries
from .._switches import Wait as Wait
from ._waits import disable_retries as disable_retries
from ._waits import record_waits as record_waits
