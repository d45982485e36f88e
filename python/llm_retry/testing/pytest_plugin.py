"""llm-retry's pytest plugin, registered through the ``pytest11`` entry point: the ``llm_retry_waits``
fixture, `llm_retry.testing.record_waits` for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .._switches import Wait
from ._waits import record_waits


@pytest.fixture
def llm_retry_waits() -> Iterator[list[Wait]]:
    """Every wait llm-retry would sleep during the test, recorded and not slept (see
    `llm_retry.testing.record_waits`): a list of `llm_retry.testing.Wait`."""
    with record_waits() as waits:
        yield waits
