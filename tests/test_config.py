"""`RetryConfig` validation (at decoration time, naming the parameter) and presets as immutable values."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import pytest
from llm_retry import (
    AnthropicPreset,
    AzureOpenAIPreset,
    BedrockPreset,
    CircuitBreaker,
    CoherePreset,
    DefaultPreset,
    GeminiPreset,
    GroqPreset,
    HTTPPreset,
    MistralPreset,
    OpenAIPreset,
    RetryConfig,
    async_retry_llm,
    classify,
    retry_llm,
)

PRESETS = [
    AnthropicPreset,
    AzureOpenAIPreset,
    BedrockPreset,
    CoherePreset,
    DefaultPreset,
    GeminiPreset,
    GroqPreset,
    HTTPPreset,
    MistralPreset,
    OpenAIPreset,
]

# (overrides, exception type, the parameter the message must name)
BAD_VALUES: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"max_attempts": 0}, ValueError, "max_attempts"),
    ({"max_attempts": -3}, ValueError, "max_attempts"),
    ({"max_attempts": 2.5}, TypeError, "max_attempts"),
    ({"max_attempts": "3"}, TypeError, "max_attempts"),
    ({"max_attempts": True}, TypeError, "max_attempts"),
    ({"max_attempts": None}, TypeError, "max_attempts"),
    ({"base_delay_s": -1.0}, ValueError, "base_delay_s"),
    ({"base_delay_s": math.nan}, ValueError, "base_delay_s"),
    ({"base_delay_s": math.inf}, ValueError, "base_delay_s"),
    ({"base_delay_s": "1"}, TypeError, "base_delay_s"),
    ({"max_delay_s": -0.5}, ValueError, "max_delay_s"),
    ({"max_delay_s": math.nan}, ValueError, "max_delay_s"),
    ({"max_delay_s": math.inf}, ValueError, "max_delay_s"),
    ({"max_delay_s": -math.inf}, ValueError, "max_delay_s"),
    ({"max_retry_after_s": -1}, ValueError, "max_retry_after_s"),
    ({"max_retry_after_s": math.nan}, ValueError, "max_retry_after_s"),
    ({"max_retry_after_s": math.inf}, ValueError, "max_retry_after_s"),
    ({"max_retry_after_s": [60]}, TypeError, "max_retry_after_s"),
    ({"base_delay_s": 10.0, "max_delay_s": 5.0}, ValueError, "base_delay_s"),
    ({"deadline_s": 0}, ValueError, "deadline_s"),
    ({"deadline_s": -5.0}, ValueError, "deadline_s"),
    ({"deadline_s": math.nan}, ValueError, "deadline_s"),
    ({"deadline_s": "30"}, TypeError, "deadline_s"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"retry_network_errors": "yes"}, TypeError, "retry_network_errors"),
    ({"retryable_status_codes": [429, 600]}, ValueError, "retryable_status_codes"),
    ({"retryable_status_codes": [99]}, ValueError, "retryable_status_codes"),
    ({"retryable_status_codes": [-429]}, ValueError, "retryable_status_codes"),
    ({"retryable_status_codes": ["429"]}, TypeError, "retryable_status_codes"),
    ({"retryable_status_codes": [429.0]}, TypeError, "retryable_status_codes"),
    ({"retryable_status_codes": [True]}, TypeError, "retryable_status_codes"),
    ({"retryable_status_codes": "429"}, TypeError, "retryable_status_codes"),
    ({"retryable_status_codes": 429}, TypeError, "retryable_status_codes"),
    ({"retryable_exception_names": "RateLimitError"}, TypeError, "retryable_exception_names"),
    ({"retryable_exception_names": [""]}, ValueError, "retryable_exception_names"),
    ({"retryable_exception_names": [RuntimeError]}, TypeError, "retryable_exception_names"),
    ({"never_retry_kinds": ["not_a_kind"]}, ValueError, "never_retry_kinds"),
    ({"name": 3}, TypeError, "name"),
]


def _id(case: tuple[dict[str, Any], type[Exception], str]) -> str:
    return ",".join(f"{k}={v!r}" for k, v in case[0].items())


def _names(parameter: str) -> str:
    return rf"\b{re.escape(parameter)}\b"


@pytest.mark.parametrize("case", BAD_VALUES, ids=[_id(c) for c in BAD_VALUES])
def test_bad_values_fail_when_the_config_is_built(case):
    overrides, error, parameter = case
    with pytest.raises(error, match=_names(parameter)):
        RetryConfig(**overrides)


@pytest.mark.parametrize("case", BAD_VALUES, ids=[_id(c) for c in BAD_VALUES])
def test_bad_overrides_fail_at_decoration_time(case):
    overrides, error, parameter = case
    calls: list[int] = []

    def fn() -> None:
        calls.append(1)

    async def afn() -> None:
        calls.append(1)

    with pytest.raises(error, match=_names(parameter)):
        retry_llm(**overrides)(fn)
    with pytest.raises(error, match=_names(parameter)):
        async_retry_llm(**overrides)(afn)
    with pytest.raises(error, match=_names(parameter)):
        retry_llm(preset=AnthropicPreset, **overrides)(fn)
    assert calls == []


def test_the_messages_name_the_value():
    with pytest.raises(ValueError, match=r"^max_attempts must be an int from 1 to 1000000, got 0$"):
        RetryConfig(max_attempts=0)
    with pytest.raises(ValueError, match=r"max_delay_s.*nan"):
        RetryConfig(max_delay_s=math.nan)
    with pytest.raises(ValueError, match=r"retryable_status_codes.*600"):
        RetryConfig(retryable_status_codes=[600])


def test_unknown_override_keyword_is_a_type_error_naming_it():
    def fn() -> None:
        pass

    with pytest.raises(TypeError, match=r"max_attempt\b"):
        retry_llm(max_attempt=3)(fn)

    async def afn() -> None:
        pass

    with pytest.raises(TypeError, match="base_delay"):
        async_retry_llm(base_delay=1.0)(afn)
    with pytest.raises(TypeError, match="jitter"):
        DefaultPreset.replace(jitter=0.5)


def test_preset_and_config_together_is_a_type_error():
    def fn() -> None:
        pass

    with pytest.raises(TypeError, match=r"preset.*config|config.*preset"):
        retry_llm(preset=AnthropicPreset, config=RetryConfig())(fn)

    async def afn() -> None:
        pass

    with pytest.raises(TypeError, match=r"preset.*config|config.*preset"):
        async_retry_llm(preset=AnthropicPreset, config=RetryConfig())(afn)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"preset": {"max_attempts": 3}}, "preset"),
        ({"config": "anthropic"}, "config"),
        ({"on_retry": 3}, "on_retry"),
        ({"on_retry": [print, "not callable"]}, "on_retry"),
        ({"breaker": "breaker"}, "breaker"),
        ({"budget": object()}, "budget"),
        ({"clock": 1.0}, "clock"),
        ({"wait_for_breaker": "yes"}, "wait_for_breaker"),
    ],
)
def test_wrong_argument_types_are_type_errors_naming_the_parameter(kwargs, parameter):
    def fn() -> None:
        pass

    with pytest.raises(TypeError, match=_names(parameter)):
        retry_llm(**kwargs)(fn)


def test_wrong_sleep_is_a_type_error():
    with pytest.raises(TypeError, match="sleep"):
        retry_llm(sleep=0.5)
    with pytest.raises(TypeError, match="sleep"):
        async_retry_llm(sleep=0.5)


def test_wait_for_breaker_needs_a_breaker_and_a_deadline():
    def fn() -> None:
        pass

    with pytest.raises(ValueError, match="wait_for_breaker"):
        retry_llm(wait_for_breaker=True)(fn)
    with pytest.raises(ValueError, match="wait_for_breaker"):
        retry_llm(wait_for_breaker=True, breaker=CircuitBreaker())(fn)


def test_valid_configs_are_normalised():
    config = RetryConfig(
        retryable_status_codes=[429, 529, 429],
        retryable_exception_names=["overloaded_error"],
        max_attempts=3,
        base_delay_s=1,
        max_delay_s=8,
        deadline_s=30,
        seed=0,
    )
    assert config.retryable_status_codes == (429, 529)
    assert config.retryable_exception_names == ("overloaded_error",)
    assert isinstance(config.base_delay_s, float)
    assert isinstance(config.deadline_s, float)
    # Zero delays are allowed: retry at once.
    assert RetryConfig(base_delay_s=0, max_delay_s=0).max_delay_s == 0.0


def test_classify_refuses_a_non_config_preset():
    with pytest.raises(TypeError, match="preset"):
        classify(ValueError(), preset="anthropic")  # type: ignore[arg-type]


# --- presets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS, ids=[p.name for p in PRESETS])
def test_presets_are_immutable(preset):
    assert isinstance(preset, RetryConfig)
    before = dataclasses.asdict(preset)
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.max_attempts = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.retryable_status_codes = (500,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        del preset.base_delay_s
    # The lists are tuples and the kinds a frozenset: nothing to mutate in place either.
    assert isinstance(preset.retryable_status_codes, tuple)
    assert isinstance(preset.retryable_exception_names, tuple)
    assert isinstance(preset.never_retry_kinds, frozenset)
    assert dataclasses.asdict(preset) == before


def test_extend_adds_without_mutating():
    before = dataclasses.asdict(DefaultPreset)
    assert 520 not in DefaultPreset.retryable_status_codes
    extended = DefaultPreset.extend(retryable_status_codes=[520], retryable_exception_names=["MyProxyError"])
    assert extended is not DefaultPreset
    assert extended.retryable_status_codes == (*DefaultPreset.retryable_status_codes, 520)
    assert extended.retryable_exception_names == (*DefaultPreset.retryable_exception_names, "MyProxyError")
    # Everything else is the preset's.
    assert extended.max_attempts == DefaultPreset.max_attempts
    assert extended.never_retry_kinds == DefaultPreset.never_retry_kinds
    assert extended.name == DefaultPreset.name
    assert dataclasses.asdict(DefaultPreset) == before
    # Extending with what is already there changes nothing.
    assert DefaultPreset.extend(retryable_status_codes=[429]) == DefaultPreset


def test_extend_validates_like_a_new_config():
    with pytest.raises(ValueError, match="retryable_status_codes"):
        DefaultPreset.extend(retryable_status_codes=[1000])
    with pytest.raises(TypeError, match="retryable_exception_names"):
        DefaultPreset.extend(retryable_exception_names="MyProxyError")


def test_extended_preset_retries_what_it_adds(make_error):
    # Local on purpose: the config matches this class by its name.
    class MyProxyError(Exception):
        pass

    plain = RetryConfig(retryable_status_codes=[429])
    extended = plain.extend(retryable_status_codes=[520], retryable_exception_names=["myproxyerror"])
    assert classify(make_error(520), plain).retryable is False
    assert classify(make_error(520), extended).retryable is True
    assert classify(MyProxyError("upstream hiccup"), plain).retryable is False
    assert classify(MyProxyError("upstream hiccup"), extended).retryable is True

    calls: list[int] = []

    @retry_llm(config=extended, sleep=lambda s: None)
    def call() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise MyProxyError("upstream hiccup") if len(calls) == 1 else make_error(520)
        return "ok"

    assert call() == "ok"
    assert calls == [1, 1, 1]


def test_a_configs_status_list_is_the_whole_list(make_error):
    config = RetryConfig(retryable_status_codes=[429, 500, 529])
    assert classify(make_error(529), config).retryable is True
    assert classify(make_error(502), config).retryable is False
    assert classify(make_error(502)).retryable is True


def test_replace_returns_a_new_validated_config():
    changed = AnthropicPreset.replace(max_attempts=2)
    assert changed.max_attempts == 2
    assert changed is not AnthropicPreset
    assert changed == dataclasses.replace(AnthropicPreset, max_attempts=2)
    with pytest.raises(ValueError, match="max_attempts"):
        AnthropicPreset.replace(max_attempts=0)
