//! The retry budget: a token bucket that retries spend and successes refill, after the AWS SDK standard-mode
//! retry quota. First attempts never touch it; only retries do, so a dead provider gets a bounded retry storm.

use crate::classify::ErrorKind;

/// Token costs and the bucket size. Defaults follow AWS standard mode (botocore): 500 tokens, +1 per
/// first-try success, a throttle retry costs 5. A non-throttle retry costs 10, botocore's pre-2026 timeout
/// cost (its 2026 value is 14, which buys 35 transient retries from a full bucket instead of 50).
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetConfig {
    /// Tokens in a full bucket; the bucket starts full and never holds more.
    pub capacity: f64,
    /// Cost of retrying a server error, network error, unknown error, or any other non-throttle kind.
    pub retry_cost: f64,
    /// Cost of retrying `RateLimited` or `Overloaded`. Cheaper: throttles are retried slowly, after the server's
    /// hint, and say "busy", not "broken".
    pub throttle_retry_cost: f64,
    /// Earned by a call that succeeded on its first attempt.
    pub success_reward: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            capacity: 500.0,
            retry_cost: 10.0,
            throttle_retry_cost: 5.0,
            success_reward: 1.0,
        }
    }
}

impl BudgetConfig {
    /// `Err` names the first offending field and its value, e.g. "capacity must be a finite number > 0, got NaN".
    pub fn validate(&self) -> Result<(), String> {
        if !(self.capacity.is_finite() && self.capacity > 0.0) {
            return Err(format!(
                "capacity must be a finite number > 0, got {}",
                self.capacity
            ));
        }
        // A cost of 0 would make `on_success` unable to tell a refund from a first-try success, and a cost
        // above capacity would silently forbid every retry of that kind.
        for (field, cost) in [
            ("retry_cost", self.retry_cost),
            ("throttle_retry_cost", self.throttle_retry_cost),
        ] {
            if !(cost > 0.0 && cost <= self.capacity) {
                return Err(format!(
                    "{field} must be > 0 and <= capacity ({}), got {cost}",
                    self.capacity
                ));
            }
        }
        if !(self.success_reward.is_finite() && self.success_reward >= 0.0) {
            return Err(format!(
                "success_reward must be a finite number >= 0, got {}",
                self.success_reward
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BudgetStats {
    pub tokens: f64,
    pub capacity: f64,
    pub retries_allowed: u64,
    pub retries_denied: u64,
    pub successes: u64,
}

/// One budget, e.g. per provider. No clock: it refills by successes, not by time, so a provider that never
/// answers is never retried more than a bucketful.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    config: BudgetConfig,
    tokens: f64,
    retries_allowed: u64,
    retries_denied: u64,
    successes: u64,
}

impl RetryBudget {
    /// A full bucket.
    pub fn new(config: BudgetConfig) -> Result<RetryBudget, String> {
        config.validate()?;
        Ok(RetryBudget {
            tokens: config.capacity,
            config,
            retries_allowed: 0,
            retries_denied: 0,
            successes: 0,
        })
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// What retrying an error of this kind costs.
    pub fn cost_of(&self, kind: ErrorKind) -> f64 {
        match kind {
            ErrorKind::RateLimited | ErrorKind::Overloaded => self.config.throttle_retry_cost,
            // Everything else a policy chooses to retry pays full price, including kinds appended later.
            _ => self.config.retry_cost,
        }
    }

    /// Before a retry (never before a first attempt): `Some(cost)`, deducted, when the bucket holds at least
    /// the cost; `None`, counted as a denial, otherwise. Keep the cost: `on_success` refunds the last one.
    pub fn try_spend(&mut self, kind: ErrorKind) -> Option<f64> {
        let cost = self.cost_of(kind);
        if self.tokens >= cost {
            self.tokens = (self.tokens - cost).max(0.0);
            self.retries_allowed = self.retries_allowed.saturating_add(1);
            Some(cost)
        } else {
            self.retries_denied = self.retries_denied.saturating_add(1);
            None
        }
    }

    /// A call succeeded. As in AWS standard mode: a first-try success (`last_retry_cost` 0) earns
    /// `success_reward`; a success after retries refunds the cost of the last retry only, so a call that needed
    /// three retries still pays for two. Anything but a positive finite cost counts as a first-try success.
    /// The bucket never exceeds capacity.
    pub fn on_success(&mut self, last_retry_cost: f64) {
        let earned = if last_retry_cost.is_finite() && last_retry_cost > 0.0 {
            last_retry_cost
        } else {
            self.config.success_reward
        };
        self.tokens = (self.tokens + earned).min(self.config.capacity);
        self.successes = self.successes.saturating_add(1);
    }

    pub fn tokens(&self) -> f64 {
        self.tokens
    }

    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            tokens: self.tokens,
            capacity: self.config.capacity,
            retries_allowed: self.retries_allowed,
            retries_denied: self.retries_denied,
            successes: self.successes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(config: BudgetConfig) -> RetryBudget {
        match RetryBudget::new(config) {
            Ok(b) => b,
            Err(e) => panic!("config rejected: {e}"),
        }
    }

    fn drain(b: &mut RetryBudget, kind: ErrorKind) -> u32 {
        let mut retries = 0;
        while b.try_spend(kind).is_some() {
            retries += 1;
            assert!(retries <= 1_000_000, "never drained");
        }
        retries
    }

    #[test]
    fn default_config_is_valid_and_starts_full() {
        assert_eq!(BudgetConfig::default().validate(), Ok(()));
        let b = budget(BudgetConfig::default());
        assert_eq!(b.tokens(), 500.0);
        assert_eq!(
            b.stats(),
            BudgetStats {
                tokens: 500.0,
                capacity: 500.0,
                retries_allowed: 0,
                retries_denied: 0,
                successes: 0
            }
        );
    }

    #[test]
    fn full_bucket_pays_for_100_throttle_retries() {
        for kind in [ErrorKind::RateLimited, ErrorKind::Overloaded] {
            let mut b = budget(BudgetConfig::default());
            assert_eq!(drain(&mut b, kind), 100);
            assert_eq!(b.tokens(), 0.0);
            let stats = b.stats();
            assert_eq!((stats.retries_allowed, stats.retries_denied), (100, 1));
        }
    }

    #[test]
    fn full_bucket_pays_for_50_other_retries() {
        for kind in [
            ErrorKind::ServerError,
            ErrorKind::Network,
            ErrorKind::Unknown,
        ] {
            let mut b = budget(BudgetConfig::default());
            assert_eq!(drain(&mut b, kind), 50);
        }
    }

    #[test]
    fn cost_by_kind() {
        let b = budget(BudgetConfig {
            retry_cost: 14.0,
            throttle_retry_cost: 5.0,
            ..BudgetConfig::default()
        });
        for kind in ErrorKind::ALL {
            let expected = match kind {
                ErrorKind::RateLimited | ErrorKind::Overloaded => 5.0,
                _ => 14.0,
            };
            assert_eq!(b.cost_of(kind), expected, "{kind:?}");
        }
    }

    #[test]
    fn denial_leaves_tokens_untouched() {
        let mut b = budget(BudgetConfig::default());
        for _ in 0..49 {
            b.try_spend(ErrorKind::ServerError);
        }
        assert_eq!(b.tokens(), 10.0);
        b.try_spend(ErrorKind::RateLimited);
        assert_eq!(b.tokens(), 5.0);
        // Too little for a 10-token retry, enough for a 5-token one.
        assert_eq!(b.try_spend(ErrorKind::ServerError), None);
        assert_eq!(b.tokens(), 5.0);
        assert_eq!(b.try_spend(ErrorKind::Overloaded), Some(5.0));
        assert_eq!(b.stats().retries_denied, 1);
    }

    #[test]
    fn first_try_successes_refill_by_reward() {
        let mut b = budget(BudgetConfig::default());
        drain(&mut b, ErrorKind::RateLimited);
        for _ in 0..4 {
            b.on_success(0.0);
        }
        assert_eq!(b.try_spend(ErrorKind::RateLimited), None);
        b.on_success(0.0);
        assert_eq!(b.tokens(), 5.0);
        assert_eq!(b.try_spend(ErrorKind::RateLimited), Some(5.0));
        assert_eq!(b.stats().successes, 5);
    }

    #[test]
    fn success_after_retries_refunds_last_retry_only() {
        let mut b = budget(BudgetConfig::default());
        // A call retried twice (a 429, then a 503) and then succeeded.
        let first = b.try_spend(ErrorKind::RateLimited);
        let last = b.try_spend(ErrorKind::ServerError);
        assert_eq!((first, last), (Some(5.0), Some(10.0)));
        assert_eq!(b.tokens(), 485.0);
        b.on_success(last.unwrap_or(0.0));
        // The refund is the last retry's cost, not the call's total, and there is no reward on top.
        assert_eq!(b.tokens(), 495.0);
    }

    #[test]
    fn refills_never_exceed_capacity() {
        let mut b = budget(BudgetConfig::default());
        for _ in 0..1000 {
            b.on_success(0.0);
        }
        assert_eq!(b.tokens(), 500.0);
        b.try_spend(ErrorKind::ServerError);
        b.on_success(1e6);
        assert_eq!(b.tokens(), 500.0);
        assert_eq!(b.stats().successes, 1001);
    }

    #[test]
    fn nonsense_refund_counts_as_first_try_success() {
        for cost in [0.0, -10.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut b = budget(BudgetConfig::default());
            drain(&mut b, ErrorKind::ServerError);
            b.on_success(cost);
            assert_eq!(b.tokens(), 1.0, "{cost}");
        }
    }

    #[test]
    fn zero_reward_only_refunds() {
        let mut b = budget(BudgetConfig {
            success_reward: 0.0,
            ..BudgetConfig::default()
        });
        drain(&mut b, ErrorKind::Network);
        b.on_success(0.0);
        assert_eq!(b.tokens(), 0.0);
        b.on_success(10.0);
        assert_eq!(b.tokens(), 10.0);
    }

    #[test]
    fn fractional_costs_drain_without_going_negative() {
        let mut b = budget(BudgetConfig {
            capacity: 1.0,
            retry_cost: 0.1,
            throttle_retry_cost: 0.1,
            success_reward: 0.01,
        });
        let retries = drain(&mut b, ErrorKind::ServerError);
        // 0.1 is not exact in binary: 9 or 10, but never more, and never below zero.
        assert!((9..=10).contains(&retries), "{retries}");
        assert!(b.tokens() >= 0.0 && b.tokens() < 0.1);
    }

    #[test]
    fn counters_saturate() {
        let mut b = budget(BudgetConfig::default());
        b.retries_allowed = u64::MAX;
        b.retries_denied = u64::MAX;
        b.successes = u64::MAX;
        b.try_spend(ErrorKind::ServerError);
        b.tokens = 0.0;
        b.try_spend(ErrorKind::ServerError);
        b.on_success(0.0);
        let stats = b.stats();
        assert_eq!(
            (stats.retries_allowed, stats.retries_denied, stats.successes),
            (u64::MAX, u64::MAX, u64::MAX)
        );
    }

    #[test]
    fn validation_names_field_and_value() {
        let base = BudgetConfig::default();
        let cases: Vec<(BudgetConfig, &str)> = vec![
            (
                BudgetConfig {
                    capacity: 0.0,
                    ..base.clone()
                },
                "capacity must be a finite number > 0, got 0",
            ),
            (
                BudgetConfig {
                    capacity: -5.0,
                    ..base.clone()
                },
                "capacity must be a finite number > 0, got -5",
            ),
            (
                BudgetConfig {
                    capacity: f64::NAN,
                    ..base.clone()
                },
                "capacity must be a finite number > 0, got NaN",
            ),
            (
                BudgetConfig {
                    capacity: f64::INFINITY,
                    ..base.clone()
                },
                "capacity must be a finite number > 0, got inf",
            ),
            (
                BudgetConfig {
                    retry_cost: f64::NAN,
                    ..base.clone()
                },
                "retry_cost must be > 0 and <= capacity (500), got NaN",
            ),
            (
                BudgetConfig {
                    retry_cost: 0.0,
                    ..base.clone()
                },
                "retry_cost must be > 0 and <= capacity (500), got 0",
            ),
            (
                BudgetConfig {
                    retry_cost: 501.0,
                    ..base.clone()
                },
                "retry_cost must be > 0 and <= capacity (500), got 501",
            ),
            (
                BudgetConfig {
                    throttle_retry_cost: -1.0,
                    ..base.clone()
                },
                "throttle_retry_cost must be > 0 and <= capacity (500), got -1",
            ),
            (
                BudgetConfig {
                    throttle_retry_cost: f64::INFINITY,
                    ..base.clone()
                },
                "throttle_retry_cost must be > 0 and <= capacity (500), got inf",
            ),
            (
                BudgetConfig {
                    success_reward: f64::NAN,
                    ..base.clone()
                },
                "success_reward must be a finite number >= 0, got NaN",
            ),
            (
                BudgetConfig {
                    success_reward: -1.0,
                    ..base.clone()
                },
                "success_reward must be a finite number >= 0, got -1",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(config.validate(), Err(message.to_string()));
            assert_eq!(RetryBudget::new(config).err(), Some(message.to_string()));
        }
    }

    #[test]
    fn cost_equal_to_capacity_allows_one_retry() {
        let mut b = budget(BudgetConfig {
            capacity: 10.0,
            retry_cost: 10.0,
            ..BudgetConfig::default()
        });
        assert_eq!(drain(&mut b, ErrorKind::ServerError), 1);
    }
}
