"""Fixtures over the shared test doubles in doubles.py: a fake clock whose sleeps only move time, and a
factory for SDK-shaped errors; and, for every test, fresh per-provider retry budgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from doubles import APIStatusError, FakeClock, status_error
from llm_retry._budget import _reset_default_budgets

MakeError = Callable[..., APIStatusError]


@pytest.fixture
def fake_clock() -> FakeClock:
    # Far from zero, so that code mistaking a timestamp for a duration (or the reverse) shows up.
    return FakeClock(start_s=1_000.0)


@pytest.fixture
def make_error() -> MakeError:
    """``make_error(529)``, ``make_error(429, headers={"retry-after": "3"})``: a fresh SDK-shaped error."""
    return status_error


@pytest.fixture(autouse=True)
def fresh_default_budgets() -> Iterator[None]:
    """The process-wide default budgets (one per provider, on the real clock) start empty in every test, so
    that no test spends another's retries and none depends on the order they run in."""
    _reset_default_budgets()
    yield
    _reset_default_budgets()
