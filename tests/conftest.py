"""Fixtures over the shared test doubles in doubles.py: a fake clock whose sleeps only move time, and a
factory for SDK-shaped errors.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from doubles import APIStatusError, FakeClock, status_error

MakeError = Callable[..., APIStatusError]


@pytest.fixture
def fake_clock() -> FakeClock:
    # Far from zero, so that code mistaking a timestamp for a duration (or the reverse) shows up.
    return FakeClock(start_s=1_000.0)


@pytest.fixture
def make_error() -> MakeError:
    """``make_error(529)``, ``make_error(429, headers={"retry-after": "3"})``: a fresh SDK-shaped error."""
    return status_error
