//! The rate-limit gate: when a provider answers a 429 or 529 with a hint (retry-after, retry-after-ms, reset
//! headers), every caller sharing the gate holds its next attempt until the hint has passed, and is released
//! spread out. Plain Rust over an injected clock; `bindings` wraps a `Gate` in a Mutex and supplies `now_s`.
//!
//! A breaker answers "is the provider up?"; the gate answers "has the provider asked us to wait?". One gate
//! per provider or API key: the server's hint is about the key's rate, so every caller on the key honours it,
//! first attempts included, not only the caller that received it.
//!
//! ## State behind a store
//!
//! All that changes is one plain value, `GateStatus`; `GateConfig` never changes and `Gate` only owns the
//! two with the RNG. The transitions are methods over `(status, config, now_s, rng)`: `record` writes the
//! hold with SET-if-greater (a later end wins, a shorter hint never shortens a hold), `admit` reads it and
//! draws one uniform number for the release jitter. In a store (the next issue: Redis, as Lua) the hold is
//! one key holding `until_s` and `spread_s` with a TTL of the hold; `record` is one script (`if until >
//! stored then SET ... PX ttl`), and `admit` needs no round trip at all while a local copy of the key is
//! fresh: the hold only ever moves later, so a stale copy can release a caller early only by the time it
//! takes another process's `record` to arrive, and the draw is the client's.

use rand::rngs::SmallRng;
use rand::Rng;

use crate::backoff::{new_rng, upward_jitter_s};
use crate::classify::ErrorKind;
use crate::policy::GiveUpReason;

/// The longest hold one hint can set. A hostile or mistaken `retry-after: 99999999` must not shut every
/// caller on a key out for a year: after this long callers try again, and a provider that still means it
/// answers with another hint, which holds again.
pub const LONGEST_HOLD_S: f64 = 600.0;
/// The spread of a release is `jitter` times the hint, but the hint counts as at least this long, so that a
/// 100 ms hint (retry-after-ms) still spreads its callers over a useful window.
pub const SHORTEST_SPREAD_BASE_S: f64 = 1.0;

#[derive(Clone, Debug, PartialEq)]
pub struct GateConfig {
    /// Callers held by a hint of h seconds are released over [end, end + jitter × max(h, 1 s)): spread, never
    /// early. In [0, 1]; 0 releases them all at the end of the hold.
    pub jitter: f64,
}

impl Default for GateConfig {
    /// 0.5: callers that arrived evenly during a hold of h seconds are released over h / 2 seconds, so the
    /// release is at most about twice the rate they arrived at (where 0 would release them all at once),
    /// for a quarter of the hold's length of extra wait on average.
    fn default() -> Self {
        GateConfig { jitter: 0.5 }
    }
}

impl GateConfig {
    /// `Err` names the offending field and its value.
    pub fn validate(&self) -> Result<(), String> {
        // Written so that NaN fails too.
        if !(self.jitter >= 0.0 && self.jitter <= 1.0) {
            return Err(format!("jitter must be in [0, 1], got {}", self.jitter));
        }
        Ok(())
    }
}

/// What a caller about to make an attempt is to do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GateAdmission {
    /// No hold in force: make the attempt.
    Go,
    /// Sleep `wait_s` (at least the hold left, jittered upward within the caller's limits), then ask again.
    Wait { wait_s: f64 },
    /// The hold lasts longer than this caller can wait: fail fast. `hold_s` is the hold left, exactly;
    /// `retry_in_s` the same jittered upward, for a caller that schedules its own retry; `reason` is
    /// `HintTooLong` (past the caller's `max_retry_after_s`) or `Deadline`.
    TooLong {
        hold_s: f64,
        retry_in_s: f64,
        reason: GiveUpReason,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateStats {
    /// Hints that set a hold or moved its end later.
    pub holds_set: u64,
    /// Admissions told to wait (a caller held twice, by two holds, counts twice).
    pub callers_held: u64,
    /// Admissions refused because the hold was longer than the caller could wait.
    pub callers_failed_fast: u64,
    /// Seconds left of the hold in force; 0 when there is none.
    pub retry_in_s: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Hold {
    until_s: f64,
    /// The width of the release window after `until_s`.
    spread_s: f64,
}

/// Everything about one gate that changes, as plain data: what a store would hold (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct GateStatus {
    /// `None` once an admission has seen the hold end: the state in which no clock need be read.
    hold: Option<Hold>,
    /// The latest time seen; the clock never runs backwards from here.
    last_now_s: f64,
    holds_set: u64,
    callers_held: u64,
    callers_failed_fast: u64,
}

/// One gate, e.g. per provider or API key: its config, its status and the RNG its jitter comes from.
#[derive(Clone, Debug)]
pub struct Gate {
    config: GateConfig,
    rng: SmallRng,
    status: GateStatus,
}

impl Gate {
    /// An open gate (no hold). `seed` makes the jitter reproducible (tests); `None` seeds from the OS.
    pub fn new(config: GateConfig, seed: Option<u64>, now_s: f64) -> Result<Gate, String> {
        config.validate()?;
        Ok(Gate {
            config,
            rng: new_rng(seed),
            status: GateStatus::new(now_s),
        })
    }

    pub fn config(&self) -> &GateConfig {
        &self.config
    }

    pub fn status(&self) -> &GateStatus {
        &self.status
    }

    /// Reports a failed attempt's kind and server hint. A 429 or an overload with a hint holds every caller
    /// until the hint has passed; returns whether it set a hold or moved its end later.
    pub fn record(&mut self, kind: ErrorKind, retry_after_s: Option<f64>, now_s: f64) -> bool {
        self.status.record(&self.config, kind, retry_after_s, now_s)
    }

    /// Before an attempt. `remaining_s` is the caller's time left before its deadline (`None` without one),
    /// `max_hold_s` the longest server-requested wait its config honours (`max_retry_after_s`).
    pub fn admit(
        &mut self,
        now_s: f64,
        remaining_s: Option<f64>,
        max_hold_s: f64,
    ) -> GateAdmission {
        self.status
            .admit(now_s, remaining_s, max_hold_s, &mut self.rng)
    }

    /// Whether a hold may be in force, without reading a clock: `false` means every caller may go. A hold
    /// that has ended reads `true` until the next `admit` sees it ended.
    pub fn holding(&self) -> bool {
        self.status.hold.is_some()
    }

    /// Seconds left of the hold in force, exactly; 0 when there is none.
    pub fn retry_in_s(&self, now_s: f64) -> f64 {
        self.status.retry_in_s(now_s)
    }

    pub fn stats(&self, now_s: f64) -> GateStats {
        self.status.stats(now_s)
    }
}

impl GateStatus {
    /// A gate with no hold, at `now_s` (a non-finite start counts as 0).
    pub fn new(now_s: f64) -> GateStatus {
        GateStatus {
            hold: None,
            last_now_s: if now_s.is_finite() { now_s } else { 0.0 },
            holds_set: 0,
            callers_held: 0,
            callers_failed_fast: 0,
        }
    }

    /// See `Gate::record`.
    pub fn record(
        &mut self,
        config: &GateConfig,
        kind: ErrorKind,
        retry_after_s: Option<f64>,
        now_s: f64,
    ) -> bool {
        // A spent quota (also a 429) is not a rate: only throttling and overload hints hold the key.
        if !matches!(kind, ErrorKind::RateLimited | ErrorKind::Overloaded) {
            return false;
        }
        // NaN is no hint; zero or negative means "now", which holds nobody.
        let Some(hint_s) = retry_after_s.filter(|h| *h > 0.0) else {
            return false;
        };
        let hint_s = hint_s.min(LONGEST_HOLD_S);
        let t = self.tick(now_s);
        let until_s = t + hint_s;
        if self.hold.is_some_and(|h| h.until_s >= until_s) {
            return false;
        }
        self.hold = Some(Hold {
            until_s,
            spread_s: config.jitter * hint_s.max(SHORTEST_SPREAD_BASE_S),
        });
        self.holds_set = self.holds_set.saturating_add(1);
        true
    }

    /// See `Gate::admit`. Checked in the order a retry decision checks a hint: the caller's ceiling on server
    /// waits, then its deadline. NaN limits fail closed.
    pub fn admit<R: Rng + ?Sized>(
        &mut self,
        now_s: f64,
        remaining_s: Option<f64>,
        max_hold_s: f64,
        rng: &mut R,
    ) -> GateAdmission {
        let t = self.tick(now_s);
        let Some(hold) = self.hold else {
            return GateAdmission::Go;
        };
        if t >= hold.until_s {
            self.hold = None;
            return GateAdmission::Go;
        }
        let hold_s = hold.until_s - t;
        let too_long = if max_hold_s.is_nan() || hold_s > max_hold_s {
            Some(GiveUpReason::HintTooLong)
        } else {
            match remaining_s {
                Some(r) if r.is_nan() || r <= 0.0 || hold_s > r => Some(GiveUpReason::Deadline),
                _ => None,
            }
        };
        if let Some(reason) = too_long {
            self.callers_failed_fast = self.callers_failed_fast.saturating_add(1);
            return GateAdmission::TooLong {
                hold_s,
                retry_in_s: upward_jitter_s(hold_s, hold.spread_s, rng),
                reason,
            };
        }
        // Never early, and never past the deadline: the spread shrinks to what the caller has left.
        let room_s = remaining_s.map_or(f64::INFINITY, |r| r - hold_s);
        self.callers_held = self.callers_held.saturating_add(1);
        GateAdmission::Wait {
            wait_s: upward_jitter_s(hold_s, hold.spread_s.min(room_s), rng),
        }
    }

    /// See `Gate::retry_in_s`.
    pub fn retry_in_s(&self, now_s: f64) -> f64 {
        let t = self.clock(now_s);
        self.hold
            .map_or(0.0, |h| if h.until_s > t { h.until_s - t } else { 0.0 })
    }

    /// See `Gate::stats`.
    pub fn stats(&self, now_s: f64) -> GateStats {
        GateStats {
            holds_set: self.holds_set,
            callers_held: self.callers_held,
            callers_failed_fast: self.callers_failed_fast,
            retry_in_s: self.retry_in_s(now_s),
        }
    }

    /// Never earlier than the latest time seen; NaN or infinite readings count as no time passing.
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

    fn gate(jitter: f64) -> Gate {
        match Gate::new(GateConfig { jitter }, Some(7), 0.0) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    fn wait(admission: GateAdmission) -> f64 {
        match admission {
            GateAdmission::Wait { wait_s } => wait_s,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    fn too_long(admission: GateAdmission) -> (f64, f64, GiveUpReason) {
        match admission {
            GateAdmission::TooLong {
                hold_s,
                retry_in_s,
                reason,
            } => (hold_s, retry_in_s, reason),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn no_hold_lets_everyone_go() {
        let mut g = gate(0.5);
        assert!(!g.holding());
        for i in 0..10 {
            assert_eq!(g.admit(f64::from(i), None, 60.0), GateAdmission::Go);
        }
        assert_eq!(
            g.stats(10.0),
            GateStats {
                holds_set: 0,
                callers_held: 0,
                callers_failed_fast: 0,
                retry_in_s: 0.0
            }
        );
    }

    #[test]
    fn a_hinted_429_or_529_holds_every_caller_until_the_hint() {
        for kind in [ErrorKind::RateLimited, ErrorKind::Overloaded] {
            let mut g = gate(0.5);
            assert!(g.record(kind, Some(10.0), 100.0));
            assert!(g.holding());
            assert_eq!(g.retry_in_s(104.0), 6.0);
            // Held from 104 s: released between 110 s and 110 + 0.5 × 10 s.
            let wait_s = wait(g.admit(104.0, None, 60.0));
            assert!((6.0..11.0).contains(&wait_s), "{wait_s}");
            assert_eq!(g.admit(110.0, None, 60.0), GateAdmission::Go);
            assert!(!g.holding());
        }
    }

    #[test]
    fn other_failures_and_absent_hints_hold_nobody() {
        let mut g = gate(0.5);
        for kind in ErrorKind::ALL {
            if !matches!(kind, ErrorKind::RateLimited | ErrorKind::Overloaded) {
                assert!(!g.record(kind, Some(30.0), 0.0), "{kind:?}");
            }
        }
        for hint in [
            None,
            Some(0.0),
            Some(-1.0),
            Some(f64::NAN),
            Some(f64::NEG_INFINITY),
        ] {
            assert!(!g.record(ErrorKind::RateLimited, hint, 0.0), "{hint:?}");
        }
        assert!(!g.holding());
        assert_eq!(g.admit(0.0, Some(1.0), 60.0), GateAdmission::Go);
    }

    #[test]
    fn held_callers_are_released_spread_out_never_early() {
        let mut g = gate(0.5);
        g.record(ErrorKind::RateLimited, Some(4.0), 0.0);
        // 1,000 callers arrive over the hold; each is told when to come back.
        let wake_at: Vec<f64> = (0..1000)
            .map(|i| {
                let now_s = 4.0 * f64::from(i) / 1000.0;
                now_s + wait(g.admit(now_s, None, 60.0))
            })
            .collect();
        assert!(
            wake_at.iter().all(|&w| (4.0..6.0).contains(&w)),
            "never early, within 4 + 0.5 × 4"
        );
        let mut distinct = wake_at.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            wake_at.len(),
            "two callers released at the same instant"
        );
        // Spread over the window: no quarter of it takes more than a third of the callers.
        for quarter in 0..4 {
            let start = 4.0 + 0.5 * f64::from(quarter);
            let n = wake_at
                .iter()
                .filter(|&&w| w >= start && w < start + 0.5)
                .count();
            assert!((150..340).contains(&n), "quarter {quarter}: {n}");
        }
        assert_eq!(g.stats(5.0).callers_held, 1000);
        assert_eq!(g.admit(6.0, None, 60.0), GateAdmission::Go);
    }

    #[test]
    fn zero_jitter_releases_exactly_at_the_end() {
        let mut g = gate(0.0);
        g.record(ErrorKind::RateLimited, Some(3.0), 1.0);
        assert_eq!(wait(g.admit(2.0, None, 60.0)), 2.0);
    }

    #[test]
    fn a_short_hint_still_spreads_over_a_useful_window() {
        let mut g = gate(0.5);
        g.record(ErrorKind::RateLimited, Some(0.1), 0.0);
        let waits: Vec<f64> = (0..200).map(|_| wait(g.admit(0.0, None, 60.0))).collect();
        assert!(waits.iter().all(|&w| (0.1..0.6).contains(&w)));
        assert!(
            waits.iter().any(|&w| w > 0.4),
            "spread over 0.5 s, not 0.05 s"
        );
    }

    #[test]
    fn a_later_hint_extends_the_hold_and_a_shorter_one_never_shortens_it() {
        let mut g = gate(0.5);
        assert!(g.record(ErrorKind::RateLimited, Some(10.0), 0.0));
        assert!(!g.record(ErrorKind::RateLimited, Some(2.0), 1.0));
        assert_eq!(g.retry_in_s(1.0), 9.0);
        assert!(g.record(ErrorKind::Overloaded, Some(20.0), 2.0));
        assert_eq!(g.retry_in_s(2.0), 20.0);
        assert_eq!(g.stats(2.0).holds_set, 2);
    }

    #[test]
    fn a_hold_past_the_callers_ceiling_fails_it_fast() {
        let mut g = gate(0.5);
        g.record(ErrorKind::RateLimited, Some(120.0), 0.0);
        let (hold_s, retry_in_s, reason) = too_long(g.admit(10.0, None, 60.0));
        assert_eq!((hold_s, reason), (110.0, GiveUpReason::HintTooLong));
        assert!((110.0..170.0).contains(&retry_in_s), "{retry_in_s}");
        // A caller whose ceiling is higher waits.
        assert!(wait(g.admit(10.0, None, 300.0)) >= 110.0);
        // And later in the hold, when what is left fits, the first caller would wait too.
        assert!(wait(g.admit(70.0, None, 60.0)) >= 50.0);
        let stats = g.stats(70.0);
        assert_eq!((stats.callers_held, stats.callers_failed_fast), (2, 1));
    }

    #[test]
    fn a_hold_past_the_deadline_fails_fast_and_a_wait_never_passes_it() {
        let mut g = gate(0.5);
        g.record(ErrorKind::RateLimited, Some(10.0), 0.0);
        let (hold_s, _, reason) = too_long(g.admit(0.0, Some(9.0), 60.0));
        assert_eq!((hold_s, reason), (10.0, GiveUpReason::Deadline));
        for remaining_s in [0.0, -1.0, f64::NAN] {
            assert_eq!(
                too_long(g.admit(0.0, Some(remaining_s), 60.0)).2,
                GiveUpReason::Deadline
            );
        }
        // 10.5 s left: released between 10 and 10.5 s, the spread cut to fit.
        for _ in 0..100 {
            let wait_s = wait(g.admit(0.0, Some(10.5), 60.0));
            assert!((10.0..=10.5).contains(&wait_s), "{wait_s}");
        }
        // The ceiling is checked first, as a retry decision checks a hint.
        assert_eq!(
            too_long(g.admit(0.0, Some(1.0), 5.0)).2,
            GiveUpReason::HintTooLong
        );
        assert_eq!(
            too_long(g.admit(0.0, None, f64::NAN)).2,
            GiveUpReason::HintTooLong
        );
    }

    #[test]
    fn a_huge_hint_holds_for_ten_minutes_at_most() {
        let mut g = gate(0.5);
        g.record(ErrorKind::RateLimited, Some(1e9), 0.0);
        assert_eq!(g.retry_in_s(0.0), LONGEST_HOLD_S);
        g.record(ErrorKind::RateLimited, Some(f64::INFINITY), 0.0);
        assert_eq!(g.retry_in_s(0.0), LONGEST_HOLD_S);
        assert_eq!(g.admit(LONGEST_HOLD_S, None, 60.0), GateAdmission::Go);
    }

    #[test]
    fn hostile_clocks_never_release_early_or_panic() {
        let mut g = gate(0.5);
        g.record(ErrorKind::RateLimited, Some(10.0), 100.0);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1e300] {
            let wait_s = wait(g.admit(bad, None, 60.0));
            assert!((10.0..15.0).contains(&wait_s), "{bad}: {wait_s}");
            assert_eq!(g.retry_in_s(bad), 10.0);
        }
        let mut g = match Gate::new(GateConfig::default(), Some(1), f64::NAN) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        };
        g.record(ErrorKind::RateLimited, Some(1.0), f64::NAN);
        assert_eq!(g.admit(1.0, None, 60.0), GateAdmission::Go);
        for start in [1e300, f64::MAX] {
            let mut g = gate(1.0);
            g.record(ErrorKind::RateLimited, Some(5.0), start);
            match g.admit(start, None, 60.0) {
                GateAdmission::Go => {}
                GateAdmission::Wait { wait_s } => assert!(wait_s.is_finite(), "{wait_s}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn jitter_must_be_a_fraction() {
        for (bad, shown) in [(-0.1, "-0.1"), (1.5, "1.5"), (f64::NAN, "NaN")] {
            assert_eq!(
                GateConfig { jitter: bad }.validate(),
                Err(format!("jitter must be in [0, 1], got {shown}"))
            );
            assert!(Gate::new(GateConfig { jitter: bad }, None, 0.0).is_err());
        }
        assert_eq!(GateConfig::default().validate(), Ok(()));
        assert_eq!(GateConfig { jitter: 1.0 }.validate(), Ok(()));
    }

    #[test]
    fn a_seed_makes_the_releases_repeatable() {
        let run = |seed| {
            let mut g = match Gate::new(GateConfig::default(), Some(seed), 0.0) {
                Ok(g) => g,
                Err(e) => panic!("{e}"),
            };
            g.record(ErrorKind::RateLimited, Some(2.0), 0.0);
            (0..20)
                .map(|_| wait(g.admit(0.5, None, 60.0)))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn transitions_run_on_a_status_alone() {
        let config = GateConfig::default();
        let mut status = GateStatus::new(0.0);
        let mut rng = new_rng(Some(2));
        assert!(status.record(&config, ErrorKind::RateLimited, Some(3.0), 0.0));
        let copy = status.clone();
        assert!(matches!(
            status.admit(1.0, None, 60.0, &mut rng),
            GateAdmission::Wait { .. }
        ));
        assert_ne!(copy, status);
        assert_eq!(status.admit(3.0, None, 60.0, &mut rng), GateAdmission::Go);
    }
}
