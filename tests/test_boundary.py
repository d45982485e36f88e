"""The Rust/Python boundary: values cross as typed objects, the core decides, and Python reads the core's
constants instead of restating them."""

from __future__ import annotations

import copy
import inspect
import pickle

import llm_retry
import pytest
from doubles import status_error, told_wait
from llm_retry import (
    AnthropicPreset,
    BreakerState,
    CircuitBreaker,
    ErrorKind,
    RefusalReason,
    RetryBudget,
    RetryConfig,
    _core,
    classify,
)
from llm_retry._kinds import GiveUpReason


def test_the_core_decides_what_a_budget_allows() -> None:
    core = _core.BudgetCore(now_s=0.0, min_retries=1, retry_ratio=0.5)
    assert core.try_withdraw(0.0)
    assert not core.try_withdraw(0.0)
    core.deposit_at(1.0)
    core.deposit_at(1.0)
    # 1 + 0.5 x 2 first attempts: room for a second retry.
    assert core.try_withdraw(1.0)
    stats = core.stats(1.0)
    assert isinstance(stats, _core.BudgetStats)
    assert (stats.first_attempts, stats.retries_allowed, stats.retries_refused) == (2, 2, 1)
    # A frozen value: equal to another reading of the same moment, and hashable.
    assert stats == core.stats(1.0)
    assert hash(stats) == hash(core.stats(1.0))
    with pytest.raises(AttributeError):
        stats.retries_allowed = 0  # type: ignore[misc]


def test_budget_defaults_are_the_cores() -> None:
    defaults = _core.BudgetSettings.defaults()
    params = inspect.signature(RetryBudget).parameters
    budget = RetryBudget()
    for name in ("window_s", "min_retries", "retry_ratio"):
        assert params[name].default == getattr(defaults, name) == getattr(budget, name), name
    assert budget.stats.retries_available == defaults.min_retries


def test_the_core_decides_what_a_breaker_counts() -> None:
    core = _core.BreakerCore(now_s=0.0, failure_threshold=1, cooldown_s=30.0)
    # Client errors, and a 429: a rate signal, not a health failure.
    for status in (400, 401, 404, 413, 429):
        permit = core.acquire(0.0)
        assert isinstance(permit, _core.Permit)
        assert core.record(permit, classify(status_error(status)), 0.0) is None
        assert core.state(0.0) is BreakerState.CLOSED
    permit = core.acquire(0.0)
    assert isinstance(permit, _core.Permit)
    transition = core.record(permit, classify(status_error(529)), 0.0)
    assert isinstance(transition, _core.Transition)
    assert (transition.old, transition.new) == (BreakerState.CLOSED, BreakerState.OPEN)
    refusal = core.acquire(1.0)
    assert isinstance(refusal, _core.Refusal)
    assert told_wait(refusal.retry_in_s, 29.0)
    assert core.retry_in_s(1.0) == 29.0
    assert refusal.reason is RefusalReason.OPEN
    assert refusal.transition is None
    stats = core.stats(1.0)
    assert (stats["neutral"], stats["failures"], stats["rejected"]) == (5, 1, 1)
    assert stats["state"] is BreakerState.OPEN


def test_the_first_probe_carries_the_transition_it_made() -> None:
    core = _core.BreakerCore(now_s=0.0, failure_threshold=1, cooldown_s=10.0)
    permit = core.acquire(0.0)
    assert isinstance(permit, _core.Permit) and not permit.probe and permit.transition is None
    core.record(permit, classify(status_error(503)), 0.0)
    probe = core.acquire(10.0)
    assert isinstance(probe, _core.Permit) and probe.probe
    assert probe.transition is not None
    assert (probe.transition.old, probe.transition.new) == (BreakerState.OPEN, BreakerState.HALF_OPEN)
    closed = core.record(probe, None, 10.5)
    assert closed is not None and closed.new is BreakerState.CLOSED


def test_a_permit_is_handed_back_without_counting() -> None:
    core = _core.BreakerCore(now_s=0.0, failure_threshold=1)
    permit = core.acquire(0.0)
    assert isinstance(permit, _core.Permit)
    assert core.release(permit, 0.0) is None
    assert core.stats(0.0)["neutral"] == 1
    with pytest.raises(TypeError):
        core.record(("not", "a", "permit"), None, 0.0)  # type: ignore[arg-type]


def test_the_provider_failure_set_is_the_cores() -> None:
    core_set = set(_core.provider_failure_kinds())
    assert core_set == {"rate_limited", "overloaded", "server_error", "network"}
    assert {k.value for k in ErrorKind if k.is_provider_failure} == core_set


def test_breaker_defaults_are_the_cores() -> None:
    defaults = _core.BreakerSettings.defaults()
    params = inspect.signature(CircuitBreaker).parameters
    for name in (
        "failure_threshold",
        "cooldown_s",
        "half_open_max_calls",
        "failure_rate_threshold",
        "window_s",
        "minimum_calls",
        "probe_lease_s",
        "slow_start_s",
    ):
        assert params[name].default == getattr(defaults, name), name
    # Left out, the cap is the core's for the cooldown given: 10 s, or the cooldown when it is longer.
    assert params["max_cooldown_s"].default is None
    assert defaults.max_cooldown_s == 10.0
    stats = CircuitBreaker().stats
    assert stats["current_cooldown_s"] == defaults.cooldown_s


def test_the_default_clock_is_read_by_the_core() -> None:
    breaker = CircuitBreaker(cooldown_s=30.0)
    assert breaker._custom_clock is None
    breaker.open()
    assert breaker.state is BreakerState.OPEN
    assert 0.0 < breaker.retry_in_s() <= 30.0


def test_a_decision_says_why_it_gives_up_as_an_enum() -> None:
    policy = AnthropicPreset.replace(max_attempts=2)._policy  # type: ignore[attr-defined]
    decision = policy.decide(status_error(400), 1)
    assert decision.give_up is GiveUpReason.NOT_RETRYABLE
    decision = policy.decide(status_error(529), 2)
    assert decision.give_up is GiveUpReason.ATTEMPTS_EXHAUSTED
    assert policy.decide(status_error(529), 1).give_up is None
    assert [r.value for r in GiveUpReason][:4] == [
        "not_retryable",
        "attempts_exhausted",
        "hint_too_long",
        "deadline",
    ]


def test_a_config_compiles_its_policy_once_when_made() -> None:
    config = RetryConfig(max_attempts=3, retryable_status_codes=[418])
    policy = config._policy  # type: ignore[attr-defined]
    assert isinstance(policy, _core.Policy) and policy.max_attempts == 3
    assert classify(status_error(418), config).retryable
    assert not classify(status_error(418)).retryable
    for clone in (copy.copy(config), copy.deepcopy(config), pickle.loads(pickle.dumps(config))):
        assert clone == config
        assert isinstance(clone._policy, _core.Policy)  # type: ignore[attr-defined]
        assert classify(status_error(418), clone).retryable


def test_classify_refuses_a_preset_that_is_not_a_config() -> None:
    class Impostor:
        _policy = AnthropicPreset._policy  # type: ignore[attr-defined]

    for preset in (object(), "anthropic", Impostor()):
        with pytest.raises(TypeError, match="preset must be a RetryConfig"):
            classify(status_error(529), preset)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("preset", "shown"),
    [
        (5, r"got 5 \(int\)$"),
        ("x" * 100, r"got 'x{36}\.\.\. \(str\)$"),
        (10**5000, r"got <int object> \(int\)$"),
    ],
    ids=["int", "long str", "huge int"],
)
def test_a_bad_preset_is_named_with_its_value(preset: object, shown: str) -> None:
    with pytest.raises(TypeError, match=shown):
        classify(status_error(529), preset)  # type: ignore[arg-type]


def test_a_ctrl_c_in_a_bad_preset_s_repr_is_raised() -> None:
    class Loud:
        def __repr__(self) -> str:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        classify(status_error(529), Loud())  # type: ignore[arg-type]


def test_the_public_names_do_not_expose_the_bindings_internals() -> None:
    assert not {"Policy", "BreakerCore", "Permit", "Refusal"} & set(llm_retry.__all__)
