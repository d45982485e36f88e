//! The retry decision for one failed attempt: retry after how long, or give up and why. The classification
//! says *whether* an error may be retried; this module owns attempts, server hints, jitter and the deadline.

use rand::rngs::SmallRng;

use crate::backoff::full_jitter_s;
use crate::classify::Classification;

/// The timing half of a retry configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// The first backoff ceiling; it doubles with each failed attempt.
    pub base_delay_s: f64,
    /// The largest backoff ceiling.
    pub max_delay_s: f64,
    /// Attempts in all, the first call included.
    pub max_attempts: u32,
    /// The longest server hint honoured; a longer one ends the retries rather than being shortened.
    pub max_retry_after_s: f64,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Sleep `delay_s` (finite, >= 0), then call again. `from_hint`: the delay is the server's.
    Retry {
        delay_s: f64,
        from_hint: bool,
    },
    GiveUp(GiveUp),
}

/// Why the retries end.
#[derive(Debug, Clone, PartialEq)]
pub enum GiveUp {
    /// The classification says this error is not worth retrying.
    NotRetryable,
    /// The attempt that failed was the last one allowed.
    AttemptsExhausted { attempts: u32 },
    /// The server asked for `hint_s`, more than `max_retry_after_s` (`ceiling_s`).
    HintTooLong { hint_s: f64, ceiling_s: f64 },
    /// Waiting `delay_s` would pass the caller's deadline, `remaining_s` away.
    DeadlineTooClose { delay_s: f64, remaining_s: f64 },
}

/// Why a call gave up, as a closed set. The order is part of the Python contract: the bindings map the
/// discriminant to the members of `llm_retry.GiveUpReason` by index, so append new reasons at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum GiveUpReason {
    NotRetryable = 0,
    AttemptsExhausted = 1,
    HintTooLong = 2,
    Deadline = 3,
    /// The retry budget could not pay for the retry (decided by `budget::RetryBudget::try_spend`).
    BudgetEmpty = 4,
    /// The breaker refused the next attempt (decided by `breaker::Breaker::acquire`).
    BreakerOpen = 5,
}

impl GiveUpReason {
    pub const ALL: [GiveUpReason; 6] = [
        GiveUpReason::NotRetryable,
        GiveUpReason::AttemptsExhausted,
        GiveUpReason::HintTooLong,
        GiveUpReason::Deadline,
        GiveUpReason::BudgetEmpty,
        GiveUpReason::BreakerOpen,
    ];

    /// The value of the matching `llm_retry.GiveUpReason` member.
    pub fn as_str(self) -> &'static str {
        match self {
            GiveUpReason::NotRetryable => "not_retryable",
            GiveUpReason::AttemptsExhausted => "attempts_exhausted",
            GiveUpReason::HintTooLong => "hint_too_long",
            GiveUpReason::Deadline => "deadline",
            GiveUpReason::BudgetEmpty => "budget_empty",
            GiveUpReason::BreakerOpen => "breaker_open",
        }
    }
}

impl GiveUp {
    pub fn reason(&self) -> GiveUpReason {
        match self {
            GiveUp::NotRetryable => GiveUpReason::NotRetryable,
            GiveUp::AttemptsExhausted { .. } => GiveUpReason::AttemptsExhausted,
            GiveUp::HintTooLong { .. } => GiveUpReason::HintTooLong,
            GiveUp::DeadlineTooClose { .. } => GiveUpReason::Deadline,
        }
    }

    /// One sentence for a PEP 678 exception note, e.g.
    /// "llm-retry: gave up after 5 attempts (rate_limited, 429): attempts exhausted".
    pub fn note(&self, c: &Classification) -> String {
        let kind = match c.status {
            Some(status) => format!("{}, {status}", c.kind.as_str()),
            None => c.kind.as_str().to_string(),
        };
        match self {
            GiveUp::NotRetryable => format!("llm-retry: not retried ({kind}): {}", c.reason),
            GiveUp::AttemptsExhausted { attempts } => {
                let plural = if *attempts == 1 { "" } else { "s" };
                format!("llm-retry: gave up after {attempts} attempt{plural} ({kind}): attempts exhausted")
            }
            GiveUp::HintTooLong { hint_s, ceiling_s } => format!(
                "llm-retry: gave up ({kind}): the server asked to wait {hint_s:.1} s, \
                 more than max_retry_after_s={ceiling_s:.1} s"
            ),
            GiveUp::DeadlineTooClose { remaining_s, .. } if remaining_s.is_nan() || *remaining_s <= 0.0 => {
                format!("llm-retry: gave up ({kind}): the deadline has passed")
            }
            GiveUp::DeadlineTooClose { delay_s, remaining_s } => format!(
                "llm-retry: gave up ({kind}): the next wait ({delay_s:.2} s) would pass the deadline \
                 ({remaining_s:.2} s left)"
            ),
        }
    }
}

/// The decision after attempt number `attempt` (1-based) failed with `c`. `remaining_s` is the time left
/// before the caller's deadline, if it set one.
///
/// In order: not retryable → attempts exhausted → a server hint longer than `max_retry_after_s` → the wait
/// (the hint exactly, else full jitter) passing the deadline → retry. NaN limits fail closed: a NaN
/// `max_retry_after_s` refuses every hint and a NaN `remaining_s` is a passed deadline.
pub fn decide(
    c: &Classification,
    attempt: u32,
    timing: &Timing,
    remaining_s: Option<f64>,
    rng: &mut SmallRng,
) -> Action {
    if !c.retryable {
        return Action::GiveUp(GiveUp::NotRetryable);
    }
    if attempt >= timing.max_attempts {
        return Action::GiveUp(GiveUp::AttemptsExhausted { attempts: attempt });
    }
    // `hints` never produces NaN or a negative hint; should one arrive anyway, NaN is no hint and a negative
    // one means now.
    let hint_s = c.retry_after_s.filter(|h| !h.is_nan()).map(|h| h.max(0.0));
    let (delay_s, from_hint) = match hint_s {
        Some(hint_s) => {
            // An infinite hint cannot be slept even under an infinite limit.
            if hint_s.is_infinite()
                || timing.max_retry_after_s.is_nan()
                || hint_s > timing.max_retry_after_s
            {
                return Action::GiveUp(GiveUp::HintTooLong {
                    hint_s,
                    ceiling_s: timing.max_retry_after_s,
                });
            }
            // The hint is used as is, never jittered downward: waking before the server's window reopens only
            // earns another 429.
            (hint_s, true)
        }
        None => (
            full_jitter_s(attempt, timing.base_delay_s, timing.max_delay_s, rng),
            false,
        ),
    };
    if let Some(remaining_s) = remaining_s {
        // Never sleep past the deadline, and give up outright once it has passed (even for a zero wait).
        if remaining_s.is_nan() || remaining_s <= 0.0 || delay_s > remaining_s {
            return Action::GiveUp(GiveUp::DeadlineTooClose {
                delay_s,
                remaining_s,
            });
        }
    }
    Action::Retry { delay_s, from_hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn give_up_reasons_are_listed_in_discriminant_order() {
        for (i, reason) in GiveUpReason::ALL.into_iter().enumerate() {
            assert_eq!(reason as usize, i);
        }
    }
    use crate::backoff::new_rng;
    use crate::classify::ErrorKind;

    const TIMING: Timing = Timing {
        base_delay_s: 0.5,
        max_delay_s: 8.0,
        max_attempts: 5,
        max_retry_after_s: 60.0,
    };

    fn rate_limited(retry_after_s: Option<f64>) -> Classification {
        Classification {
            kind: ErrorKind::RateLimited,
            retryable: true,
            status: Some(429),
            retry_after_s,
            reason: "429 from status_code: rate limited".to_string(),
            sdk_retries: None,
        }
    }

    fn decide_with(
        c: &Classification,
        attempt: u32,
        timing: &Timing,
        remaining_s: Option<f64>,
    ) -> Action {
        decide(c, attempt, timing, remaining_s, &mut new_rng(Some(1)))
    }

    #[test]
    fn a_retryable_error_without_a_hint_gets_jitter_within_the_ceiling() {
        for attempt in 1..5 {
            let ceiling = crate::backoff::ceiling_s(attempt, 0.5, 8.0);
            for seed in 0..50 {
                match decide(
                    &rate_limited(None),
                    attempt,
                    &TIMING,
                    None,
                    &mut new_rng(Some(seed)),
                ) {
                    Action::Retry {
                        delay_s,
                        from_hint: false,
                    } => assert!((0.0..=ceiling).contains(&delay_s)),
                    other => panic!("attempt {attempt}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn the_jitter_is_the_backoff_draw() {
        let expected = full_jitter_s(3, 0.5, 8.0, &mut new_rng(Some(11)));
        let action = decide(
            &rate_limited(None),
            3,
            &TIMING,
            None,
            &mut new_rng(Some(11)),
        );
        assert_eq!(
            action,
            Action::Retry {
                delay_s: expected,
                from_hint: false
            }
        );
    }

    #[test]
    fn not_retryable_comes_first() {
        let c = Classification {
            retryable: false,
            ..rate_limited(Some(1.0))
        };
        assert_eq!(
            decide_with(&c, 99, &TIMING, Some(-1.0)),
            Action::GiveUp(GiveUp::NotRetryable)
        );
    }

    #[test]
    fn the_last_attempt_exhausts() {
        assert_eq!(
            decide_with(&rate_limited(Some(1.0)), 5, &TIMING, None),
            Action::GiveUp(GiveUp::AttemptsExhausted { attempts: 5 })
        );
        assert_eq!(
            decide_with(&rate_limited(None), u32::MAX, &TIMING, None),
            Action::GiveUp(GiveUp::AttemptsExhausted { attempts: u32::MAX })
        );
        let once = Timing {
            max_attempts: 1,
            ..TIMING
        };
        assert_eq!(
            decide_with(&rate_limited(None), 1, &once, None),
            Action::GiveUp(GiveUp::AttemptsExhausted { attempts: 1 })
        );
        assert!(matches!(
            decide_with(&rate_limited(None), 4, &TIMING, None),
            Action::Retry { .. }
        ));
    }

    #[test]
    fn a_hint_is_used_exactly() {
        assert_eq!(
            decide_with(&rate_limited(Some(20.0)), 1, &TIMING, None),
            Action::Retry {
                delay_s: 20.0,
                from_hint: true
            }
        );
        // Above max_delay_s but within max_retry_after_s: still the hint, not the backoff ceiling.
        assert_eq!(
            decide_with(&rate_limited(Some(60.0)), 1, &TIMING, None),
            Action::Retry {
                delay_s: 60.0,
                from_hint: true
            }
        );
        assert_eq!(
            decide_with(&rate_limited(Some(0.0)), 1, &TIMING, None),
            Action::Retry {
                delay_s: 0.0,
                from_hint: true
            }
        );
    }

    #[test]
    fn a_hint_above_the_limit_gives_up() {
        assert_eq!(
            decide_with(&rate_limited(Some(120.0)), 2, &TIMING, None),
            Action::GiveUp(GiveUp::HintTooLong {
                hint_s: 120.0,
                ceiling_s: 60.0
            })
        );
    }

    #[test]
    fn a_wait_past_the_deadline_gives_up() {
        assert_eq!(
            decide_with(&rate_limited(Some(4.2)), 3, &TIMING, Some(1.1)),
            Action::GiveUp(GiveUp::DeadlineTooClose {
                delay_s: 4.2,
                remaining_s: 1.1
            })
        );
        assert_eq!(
            decide_with(&rate_limited(Some(1.0)), 3, &TIMING, Some(1.0)),
            Action::Retry {
                delay_s: 1.0,
                from_hint: true
            }
        );
        // Jitter is checked against the deadline too.
        let jittered = decide_with(&rate_limited(None), 4, &TIMING, Some(1e-9));
        assert!(
            matches!(jittered, Action::GiveUp(GiveUp::DeadlineTooClose { .. })),
            "{jittered:?}"
        );
    }

    #[test]
    fn a_passed_deadline_gives_up_even_for_no_wait() {
        for remaining_s in [0.0, -0.0, -5.0, f64::NEG_INFINITY, f64::NAN] {
            let action = decide_with(&rate_limited(Some(0.0)), 1, &TIMING, Some(remaining_s));
            assert!(
                matches!(action, Action::GiveUp(GiveUp::DeadlineTooClose { .. })),
                "{remaining_s}: {action:?}"
            );
        }
        assert_eq!(
            decide_with(&rate_limited(Some(30.0)), 1, &TIMING, Some(f64::INFINITY)),
            Action::Retry {
                delay_s: 30.0,
                from_hint: true
            }
        );
    }

    #[test]
    fn odd_hints_are_handled() {
        assert_eq!(
            decide_with(&rate_limited(Some(f64::NAN)), 1, &TIMING, None),
            decide_with(&rate_limited(None), 1, &TIMING, None)
        );
        assert_eq!(
            decide_with(&rate_limited(Some(-3.0)), 1, &TIMING, None),
            Action::Retry {
                delay_s: 0.0,
                from_hint: true
            }
        );
        assert_eq!(
            decide_with(&rate_limited(Some(f64::INFINITY)), 1, &TIMING, None),
            Action::GiveUp(GiveUp::HintTooLong {
                hint_s: f64::INFINITY,
                ceiling_s: 60.0
            })
        );
        let unlimited = Timing {
            max_retry_after_s: f64::INFINITY,
            ..TIMING
        };
        assert_eq!(
            decide_with(&rate_limited(Some(f64::INFINITY)), 1, &unlimited, None),
            Action::GiveUp(GiveUp::HintTooLong {
                hint_s: f64::INFINITY,
                ceiling_s: f64::INFINITY
            })
        );
        assert_eq!(
            decide_with(&rate_limited(Some(1e6)), 1, &unlimited, None),
            Action::Retry {
                delay_s: 1e6,
                from_hint: true
            }
        );
    }

    #[test]
    fn odd_timings_never_panic_or_produce_unsleepable_waits() {
        let odd = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            0.0,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for base in odd {
            for max in odd {
                for limit in odd {
                    for hint in [
                        None,
                        Some(f64::NAN),
                        Some(f64::INFINITY),
                        Some(-1.0),
                        Some(5.0),
                    ] {
                        for remaining in [
                            None,
                            Some(f64::NAN),
                            Some(f64::INFINITY),
                            Some(-1.0),
                            Some(1e9),
                        ] {
                            for attempt in [0, 1, 2, 1100, u32::MAX - 1] {
                                let timing = Timing {
                                    base_delay_s: base,
                                    max_delay_s: max,
                                    max_attempts: u32::MAX,
                                    max_retry_after_s: limit,
                                };
                                let action =
                                    decide_with(&rate_limited(hint), attempt, &timing, remaining);
                                if let Action::Retry { delay_s, .. } = action {
                                    assert!(
                                        delay_s.is_finite() && delay_s >= 0.0,
                                        "{timing:?} {hint:?}: {delay_s}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_nan_hint_limit_refuses_every_hint() {
        let timing = Timing {
            max_retry_after_s: f64::NAN,
            ..TIMING
        };
        assert!(matches!(
            decide_with(&rate_limited(Some(1.0)), 1, &timing, None),
            Action::GiveUp(GiveUp::HintTooLong { .. })
        ));
    }

    #[test]
    fn notes_name_the_kind_status_and_numbers() {
        let c = rate_limited(None);
        assert_eq!(
            GiveUp::AttemptsExhausted { attempts: 5 }.note(&c),
            "llm-retry: gave up after 5 attempts (rate_limited, 429): attempts exhausted"
        );
        assert_eq!(
            GiveUp::AttemptsExhausted { attempts: 1 }.note(&c),
            "llm-retry: gave up after 1 attempt (rate_limited, 429): attempts exhausted"
        );
        assert_eq!(
            GiveUp::HintTooLong { hint_s: 120.0, ceiling_s: 60.0 }.note(&c),
            "llm-retry: gave up (rate_limited, 429): the server asked to wait 120.0 s, more than max_retry_after_s=60.0 s"
        );
        assert_eq!(
            GiveUp::DeadlineTooClose { delay_s: 4.2, remaining_s: 1.1 }.note(&c),
            "llm-retry: gave up (rate_limited, 429): the next wait (4.20 s) would pass the deadline (1.10 s left)"
        );
        assert_eq!(
            GiveUp::DeadlineTooClose {
                delay_s: 0.0,
                remaining_s: -2.0
            }
            .note(&c),
            "llm-retry: gave up (rate_limited, 429): the deadline has passed"
        );
        let quota = Classification {
            kind: ErrorKind::QuotaExhausted,
            retryable: false,
            reason: "429 from status_code with error code 'insufficient_quota' (.code): quota exhausted, never retried"
                .to_string(),
            ..rate_limited(None)
        };
        assert_eq!(
            GiveUp::NotRetryable.note(&quota),
            "llm-retry: not retried (quota_exhausted, 429): 429 from status_code with error code \
             'insufficient_quota' (.code): quota exhausted, never retried"
        );
        let network = Classification {
            kind: ErrorKind::Network,
            status: None,
            ..rate_limited(None)
        };
        assert_eq!(
            GiveUp::AttemptsExhausted { attempts: 3 }.note(&network),
            "llm-retry: gave up after 3 attempts (network): attempts exhausted"
        );
        // Odd numbers still render.
        let note = GiveUp::HintTooLong {
            hint_s: f64::INFINITY,
            ceiling_s: f64::NAN,
        }
        .note(&c);
        assert!(note.contains("inf s") && note.contains("NaN s"), "{note}");
    }
}
