//! The retry budget: retries allowed in proportion to traffic, after Finagle's `RetryBudget` and the SRE book.
//! Over a sliding window a retry goes while `retries + 1 <= min_retries + retry_ratio * first_attempts`.

/// Buckets the window is cut into: events expire a bucket at a time, so a window of 60 s forgets in 1 s steps.
pub const WINDOW_BUCKETS: u32 = 60;

/// A window shorter than a second holds no traffic worth a ratio (Finagle's lower bound for its ttl too).
pub const SHORTEST_WINDOW_S: f64 = 1.0;

/// A year, like every other duration of the crate (`backoff::LONGEST_DELAY_S`).
pub const LONGEST_WINDOW_S: f64 = 31_536_000.0;

/// The largest `retry_ratio`: 1,000 retries per first attempt, more than any `max_attempts` a policy allows
/// in practice, and Finagle's bound on `percentCanRetry` too.
pub const LARGEST_RETRY_RATIO: f64 = 1000.0;

/// The largest `min_retries` (the bindings' count bound).
pub const LARGEST_MIN_RETRIES: u32 = 1_000_000;

/// The most first attempts a caller may count on its own before reporting them (`deposit_many`).
pub const LARGEST_BATCH: u32 = 16;

/// A product such as `0.7 * 10` may land a hair below the whole number it stands for; within this of a whole
/// retry, the retry is allowed.
const ROUNDING_SLACK: f64 = 1e-9;

/// The defaults come from the arithmetic in the README's "Retry budgets" section. In a quiet process, one call
/// of any preset gets all its retries: at most 4, for the presets with `max_attempts=5`. A client at 0.14
/// req/s sees about 8.5 first attempts a window, which earn `floor(4 + 0.05 * 8.5) = 4` retries, so through a
/// one-minute outage it sends 1 + 4 / 8.4 = 1.48 attempts per request. A ratio of 0.1 would allow a fifth
/// retry whenever a window held 10 first attempts, a third of the time at that rate, which gives about 1.52.
/// A busy process may retry 5 % of its traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetConfig {
    /// The sliding window, in seconds; an event counts for `window_s` plus at most one bucket.
    pub window_s: f64,
    /// Retries allowed per window whatever the traffic: what lets a quiet process retry at all.
    pub min_retries: u32,
    /// Retries allowed per first attempt in the window, on top of `min_retries`.
    pub retry_ratio: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            window_s: 60.0,
            min_retries: 4,
            retry_ratio: 0.05,
        }
    }
}

impl BudgetConfig {
    /// `Err` names the first offending field and its value, e.g. "window_s must be ... , got NaN".
    pub fn validate(&self) -> Result<(), String> {
        if !(self.window_s >= SHORTEST_WINDOW_S && self.window_s <= LONGEST_WINDOW_S) {
            return Err(format!(
                "window_s must be from {SHORTEST_WINDOW_S} to {LONGEST_WINDOW_S} s, got {}",
                self.window_s
            ));
        }
        if self.min_retries > LARGEST_MIN_RETRIES {
            return Err(format!(
                "min_retries must be at most {LARGEST_MIN_RETRIES}, got {}",
                self.min_retries
            ));
        }
        if !(self.retry_ratio >= 0.0 && self.retry_ratio <= LARGEST_RETRY_RATIO) {
            return Err(format!(
                "retry_ratio must be from 0 to {LARGEST_RETRY_RATIO}, got {}",
                self.retry_ratio
            ));
        }
        Ok(())
    }

    /// Width of one bucket of the window.
    pub fn bucket_s(&self) -> f64 {
        self.window_s / f64::from(WINDOW_BUCKETS)
    }
}

/// What a budget has seen: lifetime totals, the same over the window, and what it would allow now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetStats {
    pub first_attempts: u64,
    pub retries_allowed: u64,
    pub retries_refused: u64,
    pub first_attempts_in_window: u64,
    pub retries_allowed_in_window: u64,
    pub retries_refused_in_window: u64,
    /// Retries that would be allowed now, before any new first attempt.
    pub retries_available: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bucket {
    /// `floor(time / bucket_s)`; a slot holding an older index is stale and reused.
    index: i64,
    first_attempts: u64,
    retries_allowed: u64,
    retries_refused: u64,
}

const EMPTY_BUCKET: Bucket = Bucket {
    index: i64::MIN,
    first_attempts: 0,
    retries_allowed: 0,
    retries_refused: 0,
};

/// The ring holds the bucket now being filled and the `WINDOW_BUCKETS` before it, so that an event counts for
/// at least a whole `window_s`: no span of `window_s` seconds ever holds more retries than the rule allows.
const RING: usize = WINDOW_BUCKETS as usize + 1;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    first_attempts: u64,
    retries_allowed: u64,
    retries_refused: u64,
}

/// One budget, e.g. per provider within a process. Every method takes `now_s`, a monotonic time in seconds;
/// time never runs backwards for it, and a NaN or infinite reading counts as no time passing.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    config: BudgetConfig,
    /// `1 / bucket_s`: a first attempt is counted on every call, and a product is cheaper than a quotient.
    buckets_per_s: f64,
    ring: [Bucket; RING],
    last_now_s: f64,
    lifetime: Totals,
}

impl RetryBudget {
    /// An empty window: `min_retries` retries available.
    pub fn new(config: BudgetConfig, now_s: f64) -> Result<RetryBudget, String> {
        config.validate()?;
        Ok(RetryBudget {
            buckets_per_s: 1.0 / config.bucket_s(),
            config,
            ring: [EMPTY_BUCKET; RING],
            last_now_s: if now_s.is_finite() { now_s } else { 0.0 },
            lifetime: Totals::default(),
        })
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// A first attempt is being made: it earns the window `retry_ratio` of a retry.
    pub fn deposit(&mut self, now_s: f64) {
        self.deposit_many(now_s, 1);
    }

    /// `count` first attempts, made since the caller last reported; returns how many the caller may count
    /// on its own before the next report (a decorator's success path then costs no call into the budget).
    /// One at a time while the current bucket holds fewer than 32, so that a quiet process's first attempts
    /// are counted when they are made; above, a sixteenth of the bucket's count, at most `LARGEST_BATCH`:
    /// a batch then spans a small part of a bucket, and is counted at most that late.
    pub fn deposit_many(&mut self, now_s: f64, count: u32) -> u32 {
        let bucket = self.bucket(now_s);
        bucket.first_attempts = bucket.first_attempts.saturating_add(u64::from(count));
        let in_bucket = bucket.first_attempts;
        self.lifetime.first_attempts = self
            .lifetime
            .first_attempts
            .saturating_add(u64::from(count));
        u32::try_from(in_bucket / 16)
            .unwrap_or(LARGEST_BATCH)
            .clamp(1, LARGEST_BATCH)
    }

    /// Before a retry (never before a first attempt): true, and counted, when the window's retries leave room
    /// for one more; false, and counted as a refusal, otherwise.
    pub fn try_withdraw(&mut self, now_s: f64) -> bool {
        let t = self.tick(now_s);
        let allowed = self.available(&self.window(t)) > 0;
        let bucket = self.bucket(t);
        if allowed {
            bucket.retries_allowed = bucket.retries_allowed.saturating_add(1);
            self.lifetime.retries_allowed = self.lifetime.retries_allowed.saturating_add(1);
        } else {
            bucket.retries_refused = bucket.retries_refused.saturating_add(1);
            self.lifetime.retries_refused = self.lifetime.retries_refused.saturating_add(1);
        }
        allowed
    }

    /// Retries that would be allowed now.
    pub fn retries_available(&self, now_s: f64) -> u64 {
        self.available(&self.window(self.clock(now_s)))
    }

    pub fn stats(&self, now_s: f64) -> BudgetStats {
        let window = self.window(self.clock(now_s));
        BudgetStats {
            first_attempts: self.lifetime.first_attempts,
            retries_allowed: self.lifetime.retries_allowed,
            retries_refused: self.lifetime.retries_refused,
            first_attempts_in_window: window.first_attempts,
            retries_allowed_in_window: window.retries_allowed,
            retries_refused_in_window: window.retries_refused,
            retries_available: self.available(&window),
        }
    }

    /// Forgets everything, as a new budget would.
    pub fn clear(&mut self) {
        self.ring = [EMPTY_BUCKET; RING];
        self.lifetime = Totals::default();
    }

    /// `floor(min_retries + retry_ratio * first_attempts) - retries`, at least 0.
    fn available(&self, window: &Totals) -> u64 {
        let allowance = f64::from(self.config.min_retries)
            + self.config.retry_ratio * window.first_attempts as f64
            + ROUNDING_SLACK;
        // `as` saturates: an allowance beyond u64 (it cannot be, with the bounds) stays the largest count.
        (allowance.floor() as u64).saturating_sub(window.retries_allowed)
    }

    /// Totals over the buckets that cover `t` and the `RING - 1` before it.
    fn window(&self, t: f64) -> Totals {
        let newest = self.index(t);
        let oldest = newest.saturating_sub(RING as i64 - 1);
        self.ring
            .iter()
            .filter(|b| b.index >= oldest && b.index <= newest)
            .fold(Totals::default(), |sum, b| Totals {
                first_attempts: sum.first_attempts.saturating_add(b.first_attempts),
                retries_allowed: sum.retries_allowed.saturating_add(b.retries_allowed),
                retries_refused: sum.retries_refused.saturating_add(b.retries_refused),
            })
    }

    /// The bucket of `now_s` (after the clock rule), emptied first if its slot held an older one.
    fn bucket(&mut self, now_s: f64) -> &mut Bucket {
        let t = self.tick(now_s);
        let index = self.index(t);
        // `rem_euclid` of a positive length is in 0..RING, whatever the index.
        let slot = index.rem_euclid(RING as i64) as usize;
        let bucket = &mut self.ring[slot];
        if bucket.index != index {
            *bucket = Bucket {
                index,
                ..EMPTY_BUCKET
            };
        }
        bucket
    }

    /// `as` saturates (and maps NaN to 0), so any time has an index; `clock` has already refused NaN.
    fn index(&self, t: f64) -> i64 {
        (t * self.buckets_per_s).floor() as i64
    }

    fn clock(&self, now_s: f64) -> f64 {
        if now_s.is_finite() && now_s > self.last_now_s {
            now_s
        } else {
            self.last_now_s
        }
    }

    fn tick(&mut self, now_s: f64) -> f64 {
        let t = self.clock(now_s);
        self.last_now_s = t;
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START_S: f64 = 1_000.0;

    fn budget(config: BudgetConfig) -> RetryBudget {
        match RetryBudget::new(config, START_S) {
            Ok(b) => b,
            Err(e) => panic!("config rejected: {e}"),
        }
    }

    fn defaults() -> RetryBudget {
        budget(BudgetConfig::default())
    }

    /// Retries allowed at `now_s` until the first refusal.
    fn drain(b: &mut RetryBudget, now_s: f64) -> u64 {
        let mut retries = 0;
        while b.try_withdraw(now_s) {
            retries += 1;
            assert!(retries <= 10_000_000, "never drained");
        }
        retries
    }

    #[test]
    fn default_config_is_valid_and_a_new_budget_holds_the_floor() {
        assert_eq!(BudgetConfig::default().validate(), Ok(()));
        assert_eq!(BudgetConfig::default().bucket_s(), 1.0);
        let b = defaults();
        assert_eq!(
            b.stats(START_S),
            BudgetStats {
                first_attempts: 0,
                retries_allowed: 0,
                retries_refused: 0,
                first_attempts_in_window: 0,
                retries_allowed_in_window: 0,
                retries_refused_in_window: 0,
                retries_available: 4,
            }
        );
    }

    #[test]
    fn a_quiet_process_gets_the_floor_for_its_one_call() {
        let mut b = defaults();
        b.deposit(START_S);
        // 4 + 0.05 * 1 = 4.05: four retries, spread over the call's backoff (DefaultPreset's five attempts).
        assert!(b.try_withdraw(START_S + 0.5));
        assert!(b.try_withdraw(START_S + 2.0));
        assert!(b.try_withdraw(START_S + 5.5));
        assert!(b.try_withdraw(START_S + 13.0));
        assert!(!b.try_withdraw(START_S + 29.0));
        let s = b.stats(START_S + 29.0);
        assert_eq!(
            (s.first_attempts, s.retries_allowed, s.retries_refused),
            (1, 4, 1)
        );
        assert_eq!(s.retries_available, 0);
    }

    #[test]
    fn each_twentieth_first_attempt_earns_a_retry() {
        let mut b = defaults();
        for first in 1..=45u64 {
            b.deposit(START_S);
            // floor(4 + first / 20) retries in all.
            assert_eq!(b.retries_available(START_S), 4 + first / 20, "{first}");
        }
        assert_eq!(drain(&mut b, START_S), 6);
    }

    /// Checks the rule over every span of `window_s` that ends at a retry: its retries are at most
    /// `min_retries + retry_ratio * first attempts` (first attempts may count for one bucket more). Both lists
    /// are in time order.
    fn assert_rule_holds(config: &BudgetConfig, firsts: &[f64], retries: &[f64]) {
        let (mut oldest_retry, mut oldest_first, mut newest_first) = (0, 0, 0);
        for (i, &end) in retries.iter().enumerate() {
            let start = end - config.window_s;
            while retries[oldest_retry] <= start {
                oldest_retry += 1;
            }
            while newest_first < firsts.len() && firsts[newest_first] <= end {
                newest_first += 1;
            }
            while oldest_first < newest_first && firsts[oldest_first] <= start - config.bucket_s() {
                oldest_first += 1;
            }
            let in_span = (i + 1 - oldest_retry) as f64;
            let earned = (newest_first - oldest_first) as f64;
            assert!(
                in_span <= f64::from(config.min_retries) + config.retry_ratio * earned + 1e-9,
                "{in_span} retries in ({start}, {end}] against {earned} first attempts"
            );
        }
    }

    /// A client whose every attempt fails: a first attempt every `1 / rate` s, and in between a retry asked
    /// for every `ask_every_s`, for `seconds`. Returns the times of the first attempts and of the retries
    /// allowed.
    fn failing_client(
        b: &mut RetryBudget,
        rate: f64,
        ask_every_s: f64,
        seconds: f64,
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut firsts, mut retries) = (Vec::new(), Vec::new());
        let steps = (seconds / ask_every_s).round() as u64;
        let mut next_first = START_S;
        for step in 0..steps {
            let t = START_S + step as f64 * ask_every_s;
            if t >= next_first {
                b.deposit(t);
                firsts.push(t);
                next_first += 1.0 / rate;
            } else if b.try_withdraw(t) {
                retries.push(t);
            }
        }
        (firsts, retries)
    }

    #[test]
    fn at_a_tenth_of_a_request_a_second_the_floor_does_the_work() {
        let config = BudgetConfig::default();
        let mut b = budget(config.clone());
        let (firsts, retries) = failing_client(&mut b, 0.1, 0.5, 600.0);
        assert_eq!(firsts.len(), 60);
        assert_rule_holds(&config, &firsts, &retries);
        // 6 first attempts a window earn 0.3 of a retry: the floor's 4 a window, about 40 in ten windows.
        assert!((38..=44).contains(&retries.len()), "{}", retries.len());
    }

    #[test]
    fn at_1000_requests_a_second_the_ratio_does_the_work() {
        let config = BudgetConfig::default();
        let mut b = budget(config.clone());
        let (firsts, retries) = failing_client(&mut b, 1000.0, 0.0005, 120.0);
        assert!(
            (119_990..=120_000).contains(&firsts.len()),
            "{}",
            firsts.len()
        );
        assert_rule_holds(&config, &firsts, &retries);
        // A twentieth of the traffic, plus the floor once a window.
        let share = retries.len() as f64 / firsts.len() as f64;
        assert!((0.0495..=0.0511).contains(&share), "{share}");
        let s = b.stats(START_S + 120.0);
        assert_eq!(s.first_attempts, firsts.len() as u64);
        assert_eq!(s.retries_allowed, retries.len() as u64);
    }

    #[test]
    fn retries_and_first_attempts_expire_after_the_window() {
        let mut b = defaults();
        for _ in 0..20 {
            b.deposit(START_S);
        }
        assert_eq!(drain(&mut b, START_S), 5);
        // Still inside the window (the bucket of START_S is counted until 61 buckets later).
        assert_eq!(b.retries_available(START_S + 60.0), 0);
        let s = b.stats(START_S + 60.5);
        assert_eq!(
            (s.first_attempts_in_window, s.retries_allowed_in_window),
            (20, 5)
        );
        assert_eq!(s.retries_refused_in_window, 1);
        // A window and a bucket later, all of it has gone: back to the floor.
        let s = b.stats(START_S + 61.0);
        assert_eq!(
            (
                s.first_attempts_in_window,
                s.retries_allowed_in_window,
                s.retries_refused_in_window,
                s.retries_available
            ),
            (0, 0, 0, 4)
        );
        // Lifetime counts stay.
        assert_eq!(
            (s.first_attempts, s.retries_allowed, s.retries_refused),
            (20, 5, 1)
        );
        assert_eq!(drain(&mut b, START_S + 61.0), 4);
    }

    #[test]
    fn a_long_silence_empties_the_ring() {
        let mut b = defaults();
        b.deposit(START_S);
        drain(&mut b, START_S);
        for later in [1e4, 1e9, 1e15] {
            let s = b.stats(START_S + later);
            assert_eq!(s.retries_available, 4, "{later}");
            assert_eq!(s.first_attempts_in_window, 0);
        }
    }

    #[test]
    fn a_refusal_uses_nothing() {
        let mut b = defaults();
        assert_eq!(drain(&mut b, START_S), 4);
        for _ in 0..10 {
            assert!(!b.try_withdraw(START_S));
        }
        b.deposit(START_S);
        // Refusals spend nothing, and one first attempt is still short of a fifth retry (4.05).
        assert_eq!(b.retries_available(START_S), 0);
        let s = b.stats(START_S);
        assert_eq!((s.retries_refused, s.retries_refused_in_window), (11, 11));
    }

    #[test]
    fn time_never_runs_backwards_and_nonsense_readings_change_nothing() {
        let mut b = defaults();
        b.deposit(START_S + 100.0);
        for nonsense in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            START_S,
            0.0,
            -1e300,
        ] {
            b.deposit(nonsense);
        }
        // All seven counted in the bucket of START_S + 100, and they expire with it.
        assert_eq!(b.stats(START_S + 100.0).first_attempts_in_window, 7);
        assert_eq!(b.stats(START_S + 161.0).first_attempts_in_window, 0);
        // A stats reading of an earlier time sees the latest.
        assert_eq!(b.stats(START_S).first_attempts_in_window, 7);
    }

    #[test]
    fn a_budget_made_with_a_nonsense_clock_starts_at_zero() {
        let mut b = match RetryBudget::new(BudgetConfig::default(), f64::NAN) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        b.deposit(f64::NAN);
        assert_eq!(b.stats(0.0).first_attempts_in_window, 1);
        assert_eq!(b.stats(61.0).first_attempts_in_window, 0);
    }

    #[test]
    fn negative_times_have_buckets_too() {
        let mut b = match RetryBudget::new(BudgetConfig::default(), -500.0) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        b.deposit(-500.0);
        assert_eq!(drain(&mut b, -499.5), 4);
        assert_eq!(b.retries_available(-440.0), 0);
        assert_eq!(b.retries_available(-439.0), 4);
    }

    #[test]
    fn zero_floor_and_zero_ratio() {
        let mut none = budget(BudgetConfig {
            min_retries: 0,
            retry_ratio: 0.0,
            ..BudgetConfig::default()
        });
        for _ in 0..1000 {
            none.deposit(START_S);
        }
        assert_eq!(drain(&mut none, START_S), 0);

        let mut ratio_only = budget(BudgetConfig {
            min_retries: 0,
            retry_ratio: 0.5,
            ..BudgetConfig::default()
        });
        ratio_only.deposit(START_S);
        assert_eq!(drain(&mut ratio_only, START_S), 0);
        ratio_only.deposit(START_S);
        assert_eq!(drain(&mut ratio_only, START_S), 1);
    }

    #[test]
    fn products_a_hair_below_a_whole_number_still_count() {
        // 0.7 * 10 and 0.1 * 3 * 10 are not exact in binary.
        for (ratio, firsts, expected) in [
            (0.7, 10u64, 7u64),
            (0.1, 30, 3),
            (0.3, 10, 3),
            (0.29, 100, 29),
        ] {
            let mut b = budget(BudgetConfig {
                min_retries: 0,
                retry_ratio: ratio,
                ..BudgetConfig::default()
            });
            for _ in 0..firsts {
                b.deposit(START_S);
            }
            assert_eq!(drain(&mut b, START_S), expected, "{ratio} x {firsts}");
        }
    }

    #[test]
    fn the_largest_settings_do_not_overflow() {
        let mut b = budget(BudgetConfig {
            window_s: LONGEST_WINDOW_S,
            min_retries: LARGEST_MIN_RETRIES,
            retry_ratio: LARGEST_RETRY_RATIO,
        });
        b.deposit(START_S);
        assert_eq!(b.retries_available(START_S), 1_001_000);
        b.lifetime.first_attempts = u64::MAX;
        b.lifetime.retries_refused = u64::MAX;
        b.deposit(START_S);
        b.ring.iter_mut().for_each(|bucket| {
            if bucket.index != i64::MIN {
                bucket.retries_allowed = u64::MAX;
            }
        });
        assert!(!b.try_withdraw(START_S));
        let s = b.stats(START_S);
        assert_eq!((s.first_attempts, s.retries_refused), (u64::MAX, u64::MAX));
        assert_eq!(s.retries_available, 0);
    }

    #[test]
    fn batches_grow_with_the_traffic_of_the_bucket_and_stay_small() {
        let mut b = defaults();
        // A quiet process reports each first attempt as it is made.
        for _ in 0..31 {
            assert_eq!(b.deposit_many(START_S, 1), 1);
        }
        assert_eq!(b.deposit_many(START_S, 1), 2);
        assert_eq!(b.deposit_many(START_S, 16), 3);
        assert_eq!(b.deposit_many(START_S, 1000), LARGEST_BATCH);
        let s = b.stats(START_S);
        assert_eq!((s.first_attempts, s.first_attempts_in_window), (1048, 1048));
        // A new bucket starts small again.
        assert_eq!(b.deposit_many(START_S + 1.0, 1), 1);
        assert_eq!(b.deposit_many(START_S + 1.0, u32::MAX), LARGEST_BATCH);
        assert_eq!(
            b.stats(START_S + 1.0).first_attempts,
            1049 + u64::from(u32::MAX)
        );
    }

    #[test]
    fn a_batch_earns_what_its_first_attempts_would_have() {
        let mut one_by_one = defaults();
        let mut batched = defaults();
        for _ in 0..40 {
            one_by_one.deposit(START_S);
        }
        batched.deposit_many(START_S, 40);
        assert_eq!(one_by_one.stats(START_S), batched.stats(START_S));
        assert_eq!(drain(&mut batched, START_S), 6);
    }

    #[test]
    fn clear_forgets_everything() {
        let mut b = defaults();
        b.deposit(START_S);
        drain(&mut b, START_S);
        b.clear();
        assert_eq!(b.stats(START_S), defaults().stats(START_S));
    }

    #[test]
    fn validation_names_field_and_value() {
        let base = BudgetConfig::default();
        let cases: Vec<(BudgetConfig, &str)> = vec![
            (
                BudgetConfig {
                    window_s: 0.5,
                    ..base.clone()
                },
                "window_s must be from 1 to 31536000 s, got 0.5",
            ),
            (
                BudgetConfig {
                    window_s: f64::NAN,
                    ..base.clone()
                },
                "window_s must be from 1 to 31536000 s, got NaN",
            ),
            (
                BudgetConfig {
                    window_s: f64::INFINITY,
                    ..base.clone()
                },
                "window_s must be from 1 to 31536000 s, got inf",
            ),
            (
                BudgetConfig {
                    min_retries: 1_000_001,
                    ..base.clone()
                },
                "min_retries must be at most 1000000, got 1000001",
            ),
            (
                BudgetConfig {
                    retry_ratio: -0.1,
                    ..base.clone()
                },
                "retry_ratio must be from 0 to 1000, got -0.1",
            ),
            (
                BudgetConfig {
                    retry_ratio: f64::NAN,
                    ..base.clone()
                },
                "retry_ratio must be from 0 to 1000, got NaN",
            ),
            (
                BudgetConfig {
                    retry_ratio: 1000.5,
                    ..base.clone()
                },
                "retry_ratio must be from 0 to 1000, got 1000.5",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(config.validate(), Err(message.to_string()));
            assert_eq!(
                RetryBudget::new(config, START_S).err(),
                Some(message.to_string())
            );
        }
    }
}
