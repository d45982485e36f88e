//! The circuit breaker: a closed → open → half-open → closed state machine over an injected monotonic clock,
//! with a slow start after closing. Plain Rust with no locking and no Python; `bindings` wraps a `Breaker` in
//! a Mutex and supplies `now_s`.
//!
//! What counts against the provider is decided here (`Breaker::record`): server errors, overloads and
//! network failures do; a 429 is a rate signal, not a health failure, and never opens a breaker (a
//! `RateLimitGate` is what honours it); client errors say nothing about the provider.
//!
//! ## State behind a store
//!
//! All that changes is one plain value, `BreakerStatus`; `BreakerConfig` never changes and `Breaker` only
//! owns the two with the RNG. Every transition is a method over `(status, config, now_s, rng)` that reads the
//! status, decides, and writes it back, and draws at most two uniform numbers. That is the shape of an
//! atomic store script (the next issue puts breakers on Redis as Lua): the status becomes one hash per
//! breaker, each method one script run with `EVALSHA` (KEYS: the hash; ARGV: `now_s`, the config and the
//! uniform draws, made by the client because a script must be deterministic), and the reply the `Admission`
//! or `Transition` the method returns here. The probe leases are entries of that hash with their expiry, the
//! window its bucket fields, and `generation` the counter a local cache compares to know its copy is stale.

use rand::rngs::SmallRng;
use rand::{Rng, RngExt};

use crate::backoff::{new_rng, upward_jitter_s};
use crate::classify::ErrorKind;

/// A caller rejected while half-open is told to look again within this long: a probe may report at any moment,
/// so the soonest lease expiry (minutes away) would be far too pessimistic a hint.
const HALF_OPEN_RETRY_MAX_S: f64 = 1.0;
/// ...and never "now", which would invite a busy loop against a breaker that is about to reject again.
const HALF_OPEN_RETRY_MIN_S: f64 = 0.01;
/// Every wait a refusal names is stretched by up to this share of itself (upward only, never early), so that
/// callers refused at the same moment do not come back at the same moment: a shared breaker with exact
/// waits had its waiters poll together every second and arrive as one herd when it closed.
pub const WAIT_SPREAD: f64 = 0.25;
/// ...and by up to at least this much, so that short waits are spread too.
pub const MIN_WAIT_SPREAD_S: f64 = 0.1;
/// A slow start paces admissions at a rate, not a share of calls: it begins at this share of the traffic the
/// breaker carried before it tripped. A share of calls let a backlog of waiters that polled twice a second
/// through at 18 times the provider's capacity; a rate is a rate however many ask.
pub const SLOW_START_FLOOR: f64 = 0.5;
/// The paced rate doubles this often up to the traffic before the trip (known to be safe), then grows by
/// `PACE_ADDITIVE` of it a second until a 429 says the provider is full (then it is cut, `PACE_CUT`). Doubling
/// past the old traffic met the provider's burst allowance first and its 429s a second too late, at twice
/// its capacity.
pub const PACE_DOUBLING_S: f64 = 1.0;
/// No breaker is paced below this many admissions a second: a quiet process is never held back by its own
/// slow start, only a crowd is.
pub const MIN_PACE_RATE: f64 = 2.0;
/// The floor of a slow start that a probe elsewhere started (`close_after_probe`: another process sharing a
/// store found the provider back). A fleet's processes each pace their own share of its traffic, and a
/// floor of `MIN_PACE_RATE` each let 1,000 of them admit ten times a provider's capacity at once; from this
/// floor, their ceilings also rise in proportion to their own traffic.
pub const FLEET_PACE_FLOOR: f64 = 0.05;
/// Past `slow_start_s`, a fleet's share raises its ceiling by this share of its own traffic a second: the
/// fleet's ceiling then rises by 2 % of the fleet's traffic a second, about what `PACE_LIFT` is to one
/// breaker carrying a provider's whole traffic. A fifth of it a second (the congested growth, `PACE_ADDITIVE`)
/// took 1,000 processes to 1.8 times a provider's capacity before their 429s came back.
pub const FLEET_PACE_LIFT: f64 = 0.02;
/// A fleet's share paces up to this multiple of its own traffic for `slow_start_s`, where one breaker goes
/// to `PACE_CEILING`: a share counts its admissions over the minute before the trip, and those include
/// the retries it made in the second or two before it heard of the fleet's trip, so 1,000 shares summed to
/// 1.14 times the fleet's traffic and 1.6 times that sum was 1.3 times the provider's capacity (1.4: 1.2).
pub const FLEET_PACE_CEILING: f64 = 1.4;
/// An admission may come this much earlier than its paced slot (the burst a rate lets through at once).
pub const PACE_TOLERANCE_S: f64 = 0.1;
/// The pace's rate is integrated over steps of at most this long...
pub const PACE_STEP_S: f64 = 0.05;
/// ...and at most this many of them (longer gaps take longer steps).
pub const PACE_MAX_STEPS: u32 = 400;
/// A 429 during a slow start multiplies the paced rate by this...
pub const PACE_CUT: f64 = 0.7;
/// ...at most once in this long (the 429s of one overshoot arrive together and are one signal)...
pub const PACE_CUT_EVERY_S: f64 = 0.5;
/// Above the pre-trip traffic, and after a 429, the rate grows by this share of that traffic a second...
pub const PACE_ADDITIVE: f64 = 0.2;
/// ...up to this multiple of it, for `slow_start_s`. A backlog drains at up to 60 % above the traffic the
/// provider carried before the incident, not at whatever a provider's burst allowance lets through before its
/// first 429 (in the fleet simulation that was 1.45 times capacity).
pub const PACE_CEILING: f64 = 1.6;
/// Past `slow_start_s`, with callers still refused, the ceiling rises by this many admissions a second,
/// each second. The traffic before the trip can be far below what waits (a breaker that tripped on its first
/// call knew of one call a second, then 300 callers queued behind it, and a fixed ceiling starved them), but
/// a lift in proportion to that traffic drained the fleet simulation's backlog at 1.4 times capacity, the
/// provider's burst allowance hiding the overshoot until its 429s came too late. An absolute lift drains a
/// small backlog in seconds and moves a large one's pace by a percent a second.
pub const PACE_LIFT: f64 = 2.0;
/// An upper bound on any paced rate, which keeps the compounding finite.
pub const MAX_PACE_RATE: f64 = 1e9;
/// The slow start ends once it has lasted `slow_start_s`, nobody has been refused for this long, and every
/// refused caller's time to come back has passed.
pub const PACE_QUIET_S: f64 = 1.0;
/// The span of the admissions a fleet share paces from (`SlowStart::FleetShare`): long enough that a
/// process making a call every few seconds has counted a few.
pub const SHARE_SPAN_S: f64 = 60.0;
/// Callers refused by the pacing are told to come back spread over a mean interval that is steered so that
/// they ask about twice as often as the pace admits: often enough that no slot goes unused, seldom enough
/// that thousands of waiters do not poll together. It starts here and stays within the bounds below. A
/// refusal costs the provider nothing (the pace alone sets what reaches it), so the bound is short: a
/// waiter never sleeps past a slot by more than a couple of seconds.
pub const PACE_FIRST_POLL_S: f64 = 0.25;
pub const PACE_MIN_POLL_S: f64 = 0.05;
pub const PACE_MAX_POLL_S: f64 = 2.0;
/// Growth of the open period stops where probes would be more than this share of the traffic the breaker
/// carried before it tripped: a breaker that carried 100 calls a second probes every `cooldown_s` (2 s), so
/// it finds the provider's return within seconds at a cost of one call in 200; a quiet one grows to
/// `max_cooldown_s` as before. The fleet's own traffic is what finds recovery.
pub const PROBE_SHARE: f64 = 0.005;
/// Bound on `window_s / bucket_s`, so that a config cannot make the breaker allocate an unbounded ring.
pub const MAX_WINDOW_BUCKETS: f64 = 10_000.0;
/// The default cap on grown open periods. A breaker probes at least this often during an outage, so it
/// closes within about this long (plus one probe) of the provider's return: the research's fixed 60 s reset
/// added 31-36 s of self-inflicted outage, and a per-client breaker doubling without a low cap stretched a
/// 60 s outage to two minutes. 10 s is the low end of the 10-30 s the research suggests: with one breaker
/// per provider (or per process) a probe every 10 s costs nothing next to the traffic it holds back.
pub const DEFAULT_MAX_COOLDOWN_S: f64 = 10.0;

/// How a breaker trips, waits and recovers. `validate` rejects anything that could make it misbehave.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive provider failures (while closed) that open the breaker.
    pub failure_threshold: u32,
    /// The first open period after tripping from closed, exactly (no jitter).
    pub cooldown_s: f64,
    /// Probes in flight at once while half-open.
    pub half_open_max_calls: u32,
    /// `Some(r)`, r in (0, 1]: also trip when failures / calls over the sliding window reach r.
    pub failure_rate_threshold: Option<f64>,
    /// Length of the sliding window for the failure rate, rounded up to a whole number of buckets.
    pub window_s: f64,
    /// Width of one bucket of that window; outcomes expire a bucket at a time.
    pub bucket_s: f64,
    /// Calls the window must hold before the failure rate may trip the breaker.
    pub minimum_calls: u32,
    /// A probe that never reports back frees its slot after this long. Comfortably longer than a slow LLM call,
    /// so a healthy but slow probe is not replaced; short enough that a hung or cancelled probe cannot keep
    /// the breaker half-open forever (an LLM router without leases sat half-open for 6 days).
    pub probe_lease_s: f64,
    /// Cap on the open period as failed probes grow it.
    pub max_cooldown_s: f64,
    /// Growth of the open period per failed probe.
    pub cooldown_multiplier: f64,
    /// Open periods stop growing where probes would exceed this share of the pre-trip traffic
    /// (`PROBE_SHARE`); 0 turns the bound off.
    pub probe_share: f64,
    /// ± fraction of jitter on grown open periods, so that breakers which opened together do not probe together.
    pub cooldown_jitter: f64,
    /// After a probe closes the breaker, admissions are paced for at least this long: from `SLOW_START_FLOOR`
    /// of the traffic before the trip, doubling until 429s say the provider is full, so that the backlog which
    /// waited out the outage does not arrive
    /// as one herd. 0 turns the slow start off.
    pub slow_start_s: f64,
}

impl Default for BreakerConfig {
    /// Short breaks that double, capped low (`DEFAULT_MAX_COOLDOWN_S`): 2, 4, 8, 10, 10... s, so that a breaker
    /// notices the provider's return within about 10 s, where the old 30 s doubling to 300 s took minutes.
    /// 2 s is inside the research's 1-5 s: long enough that a trip is not undone by a probe into the same
    /// burst of errors, short enough that a blip costs seconds. The slow start lasts 5 s, a few LLM calls'
    /// latency, so the first wave's answers come back (and can re-trip the breaker) before the full load does.
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cooldown_s: 2.0,
            half_open_max_calls: 1,
            failure_rate_threshold: None,
            window_s: 10.0,
            bucket_s: 1.0,
            minimum_calls: 20,
            probe_lease_s: 300.0,
            max_cooldown_s: DEFAULT_MAX_COOLDOWN_S,
            cooldown_multiplier: 2.0,
            probe_share: PROBE_SHARE,
            cooldown_jitter: 0.2,
            slow_start_s: 5.0,
        }
    }
}

impl BreakerConfig {
    /// The cap a breaker gets when none is given: `DEFAULT_MAX_COOLDOWN_S`, or `cooldown_s` when that is
    /// longer (a breaker asked for 30 s breaks gets 30 s breaks, not an error about a cap it never set).
    pub fn default_max_cooldown_s(cooldown_s: f64) -> f64 {
        if cooldown_s > DEFAULT_MAX_COOLDOWN_S {
            cooldown_s
        } else {
            DEFAULT_MAX_COOLDOWN_S
        }
    }

    /// `Err` names the first offending field and its value, e.g. "failure_threshold must be >= 1, got 0".
    pub fn validate(&self) -> Result<(), String> {
        if self.failure_threshold < 1 {
            return Err(format!(
                "failure_threshold must be >= 1, got {}",
                self.failure_threshold
            ));
        }
        positive_finite("cooldown_s", self.cooldown_s)?;
        if self.half_open_max_calls < 1 {
            return Err(format!(
                "half_open_max_calls must be >= 1, got {}",
                self.half_open_max_calls
            ));
        }
        if let Some(rate) = self.failure_rate_threshold {
            // Written so that NaN fails too.
            if !(rate > 0.0 && rate <= 1.0) {
                return Err(format!(
                    "failure_rate_threshold must be in (0, 1], got {rate}"
                ));
            }
        }
        positive_finite("window_s", self.window_s)?;
        positive_finite("bucket_s", self.bucket_s)?;
        if self.bucket_s > self.window_s {
            return Err(format!(
                "bucket_s must be <= window_s ({}), got {}",
                self.window_s, self.bucket_s
            ));
        }
        let buckets = self.window_s / self.bucket_s;
        if buckets > MAX_WINDOW_BUCKETS {
            return Err(format!(
                "window_s / bucket_s must be <= {MAX_WINDOW_BUCKETS} buckets, got {} / {} = {buckets}",
                self.window_s, self.bucket_s
            ));
        }
        if self.minimum_calls < 1 {
            return Err(format!(
                "minimum_calls must be >= 1, got {}",
                self.minimum_calls
            ));
        }
        positive_finite("probe_lease_s", self.probe_lease_s)?;
        positive_finite("max_cooldown_s", self.max_cooldown_s)?;
        if self.max_cooldown_s < self.cooldown_s {
            return Err(format!(
                "max_cooldown_s must be >= cooldown_s ({}), got {}",
                self.cooldown_s, self.max_cooldown_s
            ));
        }
        if !(self.cooldown_multiplier.is_finite() && self.cooldown_multiplier >= 1.0) {
            return Err(format!(
                "cooldown_multiplier must be a finite number >= 1, got {}",
                self.cooldown_multiplier
            ));
        }
        // Below 1, so a jittered open period is never zero or negative.
        if !(self.cooldown_jitter >= 0.0 && self.cooldown_jitter < 1.0) {
            return Err(format!(
                "cooldown_jitter must be in [0, 1), got {}",
                self.cooldown_jitter
            ));
        }
        if !(self.probe_share.is_finite() && (0.0..=1.0).contains(&self.probe_share)) {
            return Err(format!(
                "probe_share must be a number from 0 to 1, got {}",
                self.probe_share
            ));
        }
        if !(self.slow_start_s.is_finite() && self.slow_start_s >= 0.0) {
            return Err(format!(
                "slow_start_s must be a finite number >= 0, got {}",
                self.slow_start_s
            ));
        }
        Ok(())
    }
}

fn positive_finite(field: &str, value: f64) -> Result<(), String> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(format!("{field} must be a finite number > 0, got {value}"))
    }
}

/// The order is part of the Python contract: the bindings map the discriminant to the members of
/// `llm_retry.BreakerState` by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}

impl State {
    pub const ALL: [State; 3] = [State::Closed, State::Open, State::HalfOpen];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

/// Why a call was not admitted. The order is part of the Python contract: the bindings map the discriminant
/// to the members of `llm_retry.RefusalReason` by index, so append new reasons at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RefusalReason {
    /// The breaker is open: the provider failed and the open period has not passed.
    Open = 0,
    /// The breaker is half-open and every probe slot is taken.
    HalfOpenFull = 1,
    /// The breaker closed moments ago and is letting calls back in gradually; this one was not let in yet.
    SlowStart = 2,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 3] = [
        RefusalReason::Open,
        RefusalReason::HalfOpenFull,
        RefusalReason::SlowStart,
    ];

    /// The value of the matching `llm_retry.RefusalReason` member.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Open => "open",
            RefusalReason::HalfOpenFull => "half_open_full",
            RefusalReason::SlowStart => "slow_start",
        }
    }
}

/// Leave to make one call. Hand it back through exactly one of `on_success`, `on_failure` or `on_neutral`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    /// A half-open probe: its result decides whether the breaker closes or reopens.
    pub probe: bool,
    /// Unique per breaker.
    pub id: u64,
    /// The breaker's generation when the permit was granted; a result from another generation is stale.
    pub generation: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Admission {
    Allowed(Permit),
    /// `retry_in_s`: when to ask again, never sooner than a call could be admitted, and jittered upward so
    /// that callers refused together do not ask again together.
    Rejected {
        retry_in_s: f64,
        reason: RefusalReason,
    },
}

/// A change of state. `from` is always the `to` of the previous transition: a breaker whose open period has
/// passed reports `HalfOpen` from `state()`, but the `Open → HalfOpen` transition is made (and returned) by
/// the `acquire` that grants the first probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub to: State,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BreakerStats {
    /// The effective state, as `Breaker::state` reports it.
    pub state: State,
    /// Permits granted (probes included); rejected calls are counted in `rejected` instead.
    pub total_calls: u64,
    /// Outcomes reported, stale ones included.
    pub successes: u64,
    /// Provider-health failures reported, stale ones included.
    pub failures: u64,
    /// Outcomes that say nothing about the provider's health: client errors, rate limits, released permits.
    pub neutral: u64,
    pub rejected: u64,
    pub consecutive_failures: u32,
    /// Successes and failures of the current generation over the sliding window (neutral outcomes are not in it).
    pub window_calls: u64,
    pub window_failures: u64,
    /// `window_failures / window_calls`, `None` while the window is empty.
    pub failure_rate: Option<f64>,
    /// Times the breaker entered `Open` (trips, failed probes and `force_open`).
    pub opened_count: u64,
    pub time_in_state_s: f64,
    /// The open period in force (or just ended, while half-open); `cooldown_s` while closed.
    pub current_cooldown_s: f64,
    pub probes_in_flight: u32,
    /// Seconds left of the slow start's minimum length after the last close; 0 when calls are admitted in
    /// full or the minimum has passed (the pacing then ends once nobody is refused for `PACE_QUIET_S` and every refused caller
    /// has come back).
    pub slow_start_left_s: f64,
    /// The paced rate as a share of the traffic before the trip, at most 1: 1 outside a slow start, 0 while
    /// open or half-open.
    pub admit_fraction: f64,
    /// Admissions a second the slow start allows now; `None` outside a slow start.
    pub paced_rate: Option<f64>,
    /// Calls a second (answered or failed) the breaker carried over its window before it last tripped.
    pub rate_before_trip: f64,
    /// Rate limits (429s) reported while a slow start paced: what a fleet's processes tell each other, so
    /// that one process's 429 slows every process's pace (`throttled_elsewhere`).
    pub paced_rate_limits: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    Neutral,
    /// Neutral for the breaker's health, but the signal that a slow start's pace is above capacity.
    RateLimited,
}

impl Outcome {
    /// The rule of what counts: provider-health failures count, except a 429, which says the provider is
    /// up and busy. Counting 429s is what reopened a shared breaker as its backlog arrived and collapsed a
    /// fleet to 24 % success. Every other kind (a bad request, a spent quota) is neutral.
    fn of(failure: Option<ErrorKind>) -> Outcome {
        match failure {
            None => Outcome::Success,
            Some(ErrorKind::RateLimited) => Outcome::RateLimited,
            Some(kind) if kind.is_provider_failure() => Outcome::Failure,
            Some(_) => Outcome::Neutral,
        }
    }
}

/// Whether a failure of `kind` counts against the provider's health in a breaker (`Breaker::record`).
pub fn counts_against_health(kind: ErrorKind) -> bool {
    Outcome::of(Some(kind)) == Outcome::Failure
}

/// What a slow start paces from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlowStart {
    /// The breaker's own traffic before the trip, which it measured over its window (or the admissions
    /// of the last window or two, whichever is more), and at least `MIN_PACE_RATE`.
    Alone,
    /// One process's piece of a fleet's pace: its admissions a second over the minute or two before the
    /// trip (`SHARE_SPAN_S`), at least `FLEET_PACE_FLOOR`. The larger of two estimates over ten seconds,
    /// which a breaker alone takes, is an estimate too high for a process making 0.14 calls a second: a
    /// fleet of 1,000 summed 219 a second for its 140 and came back at 1.5 times the provider's capacity.
    FleetShare,
}

/// A slow start's pacing: a slot earned every `1 / rate` (the rate integrated over virtual time into
/// `credit`, at most one slot banked), the rate doubling every `PACE_DOUBLING_S` from `SLOW_START_FLOOR` of
/// the pre-trip traffic until a 429 cuts it, then growing additively. Refused callers are spread over a
/// poll interval steered by how often they ask.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pace {
    since_s: f64,
    /// The end of `slow_start_s`: from here the ceiling lifts (`PACE_CEILING`).
    lift_at_s: f64,
    /// Admissions a second as of `grown_at_s`.
    rate: f64,
    grown_at_s: f64,
    /// A 429 was seen: growth is additive (`step` a second) from here.
    congested: bool,
    step: f64,
    /// Doubling stops here (the traffic before the trip); additive growth beyond, up to `ceiling`.
    threshold: f64,
    ceiling: f64,
    cut_at_s: f64,
    /// Slots earned and not yet used: at most 1, below 0 by at most the tolerance's worth after an early
    /// admission. Earned by integrating the rate, so that a slot waited for while the rate doubles comes
    /// as soon as the doubled rate has earned it: a fleet share's first slot, a share of 0.07 a second
    /// fixed 14 s ahead, held a fleet's return to half its pace for seconds.
    credit: f64,
    refused_at_s: f64,
    /// The latest time a refused caller was told to come back: the slow start lasts at least until then.
    told_until_s: f64,
    /// Refusals, decayed with a time constant of `PACE_QUIET_S`, and when they were last decayed.
    refusals: f64,
    counted_at_s: f64,
    /// The mean poll interval refused callers are told, and when it was last steered.
    poll_s: f64,
    steered_at_s: f64,
    /// No pace below this (`MIN_PACE_RATE`, or `FLEET_PACE_FLOOR`), and the ceiling's rise a second.
    floor: f64,
    lift: f64,
}

impl Pace {
    /// `phase` (in [0, 1)) places the first slot that share of one interval ahead: 0 admits at once.
    fn new(rate_before_trip: f64, slow_start_s: f64, t: f64, floor: f64, phase: f64) -> Pace {
        let base = rate_before_trip.max(floor);
        let rate = (SLOW_START_FLOOR * base).max(floor);
        let (lift, ceiling) = if floor >= MIN_PACE_RATE {
            (PACE_LIFT, PACE_CEILING)
        } else {
            (FLEET_PACE_LIFT * base, FLEET_PACE_CEILING)
        };
        Pace {
            floor,
            lift,
            since_s: t,
            lift_at_s: t + slow_start_s,
            rate,
            grown_at_s: t,
            congested: false,
            step: (PACE_ADDITIVE * base).max(lift),
            threshold: base,
            ceiling: ceiling * base,
            cut_at_s: f64::NEG_INFINITY,
            credit: 1.0 - phase,
            refused_at_s: t,
            told_until_s: t,
            refusals: 0.0,
            counted_at_s: t,
            poll_s: PACE_FIRST_POLL_S,
            steered_at_s: t,
        }
    }

    /// The paced rate at `t` (growth since `grown_at_s` included).
    fn rate_at(&self, t: f64) -> f64 {
        let elapsed_s = non_negative(t - self.grown_at_s);
        let rate = if self.congested {
            self.rate + self.step * elapsed_s
        } else {
            self.curve(elapsed_s)
        };
        rate.min(self.ceiling_at(t)).max(self.floor)
    }

    /// Doubling up to the pre-trip traffic, then `step` more a second, `elapsed_s` after `grown_at_s`.
    fn curve(&self, elapsed_s: f64) -> f64 {
        if self.rate >= self.threshold {
            return self.rate + self.step * elapsed_s;
        }
        let doubling_for_s = PACE_DOUBLING_S * (self.threshold / self.rate).log2();
        if elapsed_s <= doubling_for_s {
            self.rate * (elapsed_s / PACE_DOUBLING_S).exp2()
        } else {
            self.threshold + self.step * (elapsed_s - doubling_for_s)
        }
    }

    /// `PACE_CEILING` of the pre-trip traffic for `slow_start_s`, then rising by `PACE_LIFT` a second.
    fn ceiling_at(&self, t: f64) -> f64 {
        (self.ceiling + self.lift * non_negative(t - self.lift_at_s)).min(MAX_PACE_RATE)
    }

    /// Earns the slots of the time since `grown_at_s` (the midpoint rule over steps of at most
    /// `PACE_STEP_S`), then moves the curve's origin to `t`.
    fn grow(&mut self, t: f64) {
        let elapsed_s = non_negative(t - self.grown_at_s);
        if elapsed_s > 0.0 && self.credit < 1.0 {
            // The clamp bounds the count and `as` saturates (NaN to 0: nothing earned), so nothing wraps.
            let steps = (elapsed_s / PACE_STEP_S)
                .ceil()
                .clamp(1.0, f64::from(PACE_MAX_STEPS)) as u32;
            let step_s = elapsed_s / f64::from(steps);
            for k in 0..steps {
                if self.credit >= 1.0 {
                    break;
                }
                let mid_s = self.grown_at_s + (f64::from(k) + 0.5) * step_s;
                self.credit += self.rate_at(mid_s) * step_s;
            }
            self.credit = self.credit.min(1.0);
        }
        self.rate = self.rate_at(t);
        self.grown_at_s = t;
    }

    /// `Ok(true)`: admitted and still pacing; `Ok(false)`: admitted, and the slow start is over; `Err(s)`:
    /// refused, a slot could be free in `s` seconds.
    fn admit(&mut self, config: &BreakerConfig, t: f64) -> Result<bool, f64> {
        if t - self.since_s >= config.slow_start_s
            && t - self.refused_at_s >= PACE_QUIET_S
            && t >= self.told_until_s
        {
            return Ok(false);
        }
        self.grow(t);
        // A slot may be taken `PACE_TOLERANCE_S` early.
        let needed = 1.0 - PACE_TOLERANCE_S * self.rate;
        if self.credit < needed {
            return Err(self.time_to_earn(needed - self.credit));
        }
        self.credit -= 1.0;
        Ok(true)
    }

    /// Seconds from `grown_at_s` until the growing rate has earned `missing` more credit: integrated as
    /// `grow` does, over at most `PACE_MAX_STEPS` steps, the rest at the rate reached. At the rate of the
    /// moment, a share's first slot (0.07 a second doubling) was told up to 14 s ahead where the growth
    /// earns it within about 5 s, and its waiters came back to slots long free.
    fn time_to_earn(&self, missing: f64) -> f64 {
        let mut earned = 0.0;
        let mut elapsed_s = 0.0;
        for k in 0..PACE_MAX_STEPS {
            let rate = self.rate_at(self.grown_at_s + (f64::from(k) + 0.5) * PACE_STEP_S);
            let step = rate * PACE_STEP_S;
            if earned + step >= missing {
                return elapsed_s + (missing - earned) / rate;
            }
            earned += step;
            elapsed_s += PACE_STEP_S;
        }
        let rate = self.rate_at(self.grown_at_s + elapsed_s);
        elapsed_s + (missing - earned) / rate
    }

    /// A refusal: counted, and the poll interval steered so that callers ask about twice as often as the
    /// pace admits. Returns the mean poll interval to tell this caller.
    fn refused(&mut self, t: f64) -> f64 {
        self.refused_at_s = t;
        let decay = (-(non_negative(t - self.counted_at_s)) / PACE_QUIET_S).exp();
        self.refusals = self.refusals * decay + 1.0;
        self.counted_at_s = t;
        if t - self.steered_at_s >= PACE_QUIET_S / 4.0 {
            // Callers waiting ≈ (refusals + admissions) a second × the interval they were told.
            let asking = self.refusals / PACE_QUIET_S + self.rate;
            let wanted_s = self.poll_s * asking / (2.0 * self.rate);
            self.poll_s = wanted_s.clamp(PACE_MIN_POLL_S, PACE_MAX_POLL_S);
            self.steered_at_s = t;
        }
        self.poll_s
    }

    /// A 429 while pacing: the rate is cut (once per `PACE_CUT_EVERY_S`) and grows additively from here.
    fn throttled(&mut self, t: f64) {
        if t - self.cut_at_s < PACE_CUT_EVERY_S {
            return;
        }
        self.grow(t);
        self.rate = (self.rate * PACE_CUT).max(self.floor);
        self.congested = true;
        self.step = (PACE_ADDITIVE * self.threshold).max(self.lift);
        self.cut_at_s = t;
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Probe {
    id: u64,
    lease_until_s: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    /// `floor(time / bucket_s)`; a slot holding an older index is reused.
    index: i64,
    calls: u64,
    failures: u64,
}

const EMPTY_BUCKET: Bucket = Bucket {
    index: i64::MIN,
    calls: 0,
    failures: 0,
};

/// Calls and failures over the last `window_s`, in a ring of `bucket_s`-wide buckets pruned by time.
#[derive(Clone, Debug, PartialEq)]
struct Window {
    bucket_s: f64,
    buckets: Vec<Bucket>,
}

impl Window {
    fn new(window_s: f64, bucket_s: f64) -> Window {
        // `validate` bounds the ratio; the clamp keeps the allocation bounded even if it did not.
        let count = (window_s / bucket_s).ceil().clamp(1.0, MAX_WINDOW_BUCKETS) as usize;
        Window {
            bucket_s,
            buckets: vec![EMPTY_BUCKET; count],
        }
    }

    /// `as` saturates (and maps NaN to 0), so any time has an index.
    fn index(&self, now_s: f64) -> i64 {
        (now_s / self.bucket_s).floor() as i64
    }

    fn len(&self) -> i64 {
        i64::try_from(self.buckets.len()).unwrap_or(i64::MAX).max(1)
    }

    fn record(&mut self, now_s: f64, failed: bool) {
        let index = self.index(now_s);
        let slot = usize::try_from(index.checked_rem_euclid(self.len()).unwrap_or(0)).unwrap_or(0);
        if let Some(bucket) = self.buckets.get_mut(slot) {
            if bucket.index != index {
                *bucket = Bucket {
                    index,
                    calls: 0,
                    failures: 0,
                };
            }
            bucket.calls = bucket.calls.saturating_add(1);
            if failed {
                bucket.failures = bucket.failures.saturating_add(1);
            }
        }
    }

    /// (calls, failures) in the buckets that cover `now_s` and the `len - 1` before it.
    fn totals(&self, now_s: f64) -> (u64, u64) {
        let newest = self.index(now_s);
        let oldest = newest.saturating_sub(self.len() - 1);
        self.buckets
            .iter()
            .filter(|b| b.index >= oldest && b.index <= newest)
            .fold((0u64, 0u64), |(calls, failures), b| {
                (
                    calls.saturating_add(b.calls),
                    failures.saturating_add(b.failures),
                )
            })
    }

    fn clear(&mut self) {
        self.buckets.fill(EMPTY_BUCKET);
    }
}

/// Everything about one breaker that changes, as plain data: what a store would hold (see the module doc).
/// Its methods are the transitions; each takes the config, `now_s` (a monotonic time in seconds) and, where
/// it draws, the RNG.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerStatus {
    state: State,
    /// Bumped by every transition and by every `force_*`, so results of permits from before are stale.
    generation: u64,
    next_permit_id: u64,
    /// The latest time seen; the clock never runs backwards from here.
    last_now_s: f64,
    entered_at_s: f64,
    open_until_s: f64,
    /// The open period in force (jittered, capped); `cooldown_s` while closed.
    open_period_s: f64,
    /// The un-jittered open period that failed probes grow. Jitter is applied to it, not compounded into it,
    /// so the period stays within ±jitter of `cooldown_s × multiplier^k` instead of drifting as a random walk.
    nominal_cooldown_s: f64,
    /// While closed after a probe: the slow start's pacing. `None` once calls are admitted in full.
    pace: Option<Pace>,
    /// Calls a second over the window when the breaker last tripped: what a slow start paces from and what
    /// bounds the growth of open periods (`PROBE_SHARE`).
    rate_before_trip: f64,
    /// (time, `total_calls`) marks at least `window_s` apart, the older one over a window old: admissions
    /// over the last window or two, which `trip` also reads. Outcomes alone undercount the traffic when calls
    /// hang: a breaker tripped by the first timeouts of an outage had seen almost no outcome for 30 s while
    /// admitting 140 calls a second, and paced the fleet's return from 2 a second.
    admitted_mark: (f64, u64),
    admitted_mark_before: (f64, u64),
    /// The same marks `SHARE_SPAN_S` apart, and the admissions a second over them when the breaker last
    /// tripped: the process's share of a fleet's traffic that a fleet-paced slow start paces from.
    share_mark: (f64, u64),
    share_mark_before: (f64, u64),
    share_before_trip: f64,
    /// The latest time a refused caller said it would ask again (`waiting`): while one may, a close by a
    /// probe elsewhere paces the fleet's share from a random first slot, else as a close of its own.
    waiters_until_s: f64,
    consecutive_failures: u32,
    window: Window,
    probes: Vec<Probe>,
    total_calls: u64,
    successes: u64,
    failures: u64,
    neutral: u64,
    paced_rate_limits: u64,
    rejected: u64,
    opened_count: u64,
}

/// One breaker, e.g. per (provider, model): its config, its status and the RNG its jitter comes from.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    rng: SmallRng,
    status: BreakerStatus,
}

impl Breaker {
    /// A closed breaker. `seed` makes the jitter reproducible (tests); `None` seeds from the OS.
    pub fn new(config: BreakerConfig, seed: Option<u64>, now_s: f64) -> Result<Breaker, String> {
        config.validate()?;
        Ok(Breaker {
            status: BreakerStatus::new(&config, now_s),
            rng: new_rng(seed),
            config,
        })
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    pub fn status(&self) -> &BreakerStatus {
        &self.status
    }

    pub fn generation(&self) -> u64 {
        self.status.generation
    }

    /// Asks to make a call. Closed: allowed (during a slow start, with the ramp's probability). Open: rejected
    /// until the open period has passed; then this call moves the breaker to half-open (returning that
    /// transition) and is granted a probe. Half-open: up to `half_open_max_calls` probes in flight, the rest
    /// rejected with a short `retry_in_s`. Every rejection's `retry_in_s` is jittered upward.
    pub fn acquire(&mut self, now_s: f64) -> (Admission, Option<Transition>) {
        self.status.acquire(&self.config, now_s, &mut self.rng)
    }

    /// The admission that needs no clock: a permit when the breaker is closed and admitting in full, else
    /// `None` and nothing happened (ask `acquire` with the time).
    pub fn acquire_closed(&mut self) -> Option<Permit> {
        self.status.acquire_closed()
    }

    /// Reports how the call made under `permit` ended: `None` for an answer, else the kind of its failure.
    /// What counts against the provider is decided here: provider failures (`ErrorKind::is_provider_failure`)
    /// count, except a rate limit (`ErrorKind::RateLimited`), which is a rate signal and neutral, as is any
    /// other kind (a bad request, a spent quota).
    pub fn record(
        &mut self,
        permit: Permit,
        failure: Option<ErrorKind>,
        now_s: f64,
    ) -> Option<Transition> {
        let outcome = Outcome::of(failure);
        self.status
            .on_outcome(&self.config, permit, outcome, now_s, &mut self.rng)
    }

    pub fn on_success(&mut self, permit: Permit, now_s: f64) -> Option<Transition> {
        self.status
            .on_outcome(&self.config, permit, Outcome::Success, now_s, &mut self.rng)
    }

    /// A failure that says the provider is unhealthy (5xx, overload, network, timeout).
    pub fn on_failure(&mut self, permit: Permit, now_s: f64) -> Option<Transition> {
        self.status
            .on_outcome(&self.config, permit, Outcome::Failure, now_s, &mut self.rng)
    }

    /// An outcome that says nothing about the provider's health (400, 401, 429, a released permit): frees a
    /// probe slot and changes nothing that trips or closes the breaker.
    pub fn on_neutral(&mut self, permit: Permit, now_s: f64) -> Option<Transition> {
        self.status
            .on_outcome(&self.config, permit, Outcome::Neutral, now_s, &mut self.rng)
    }

    /// The effective state: an `Open` breaker whose open period has passed reports `HalfOpen`.
    pub fn state(&self, now_s: f64) -> State {
        self.status.state(now_s)
    }

    /// Seconds until `acquire` could admit a call: 0 when it could admit one now, else the exact time left
    /// (what a rejection's `retry_in_s` is jittered up from).
    pub fn retry_in_s(&self, now_s: f64) -> f64 {
        self.status.retry_in_s(&self.config, now_s)
    }

    /// Opens the breaker for exactly `cooldown_s` from any state (restarting the period if already open), and
    /// restarts cooldown growth from there. Returns `None` when it was already open.
    pub fn force_open(&mut self, now_s: f64) -> Option<Transition> {
        self.status.force_open(&self.config, now_s)
    }

    /// Closes the breaker from any state, resetting the consecutive count, the window and cooldown growth,
    /// and admitting in full at once (no slow start: closing by hand says the provider is known to be fine).
    /// Lifetime totals are kept. Returns `None` when it was already closed (counters are reset all the same).
    pub fn force_close(&mut self, now_s: f64) -> Option<Transition> {
        self.status.force_close(&self.config, now_s)
    }

    /// Closes an open or half-open breaker as a probe's answer would, slow start included: a probe
    /// elsewhere (another process sharing a store) found the provider back. With callers waiting
    /// (`waiting`), the slow start paces this process's share of the fleet's traffic; with none, it is the
    /// slow start of a close of its own. `None`, and nothing changed, when it was already closed.
    pub fn close_after_probe(&mut self, now_s: f64) -> Option<Transition> {
        self.status
            .close_after_probe(&self.config, now_s, &mut self.rng)
    }

    /// A 429 that another process sharing a store met during its slow start: the provider is full, so this
    /// pace is cut as by a 429 of its own (at most once per `PACE_CUT_EVERY_S`). Nothing happens outside a
    /// slow start. Paces that each heard only their own 429s let a fleet of 1,000 run at twice a provider's
    /// capacity: each process met one 429 every few seconds while the others kept growing.
    pub fn throttled_elsewhere(&mut self, now_s: f64) {
        self.status.throttled_elsewhere(now_s);
    }

    /// A refused caller waits `for_s` and then asks again (a call that fails fast says nothing). What a
    /// fleet's share reads when another process's probe closes it (`close_after_probe`): callers who will
    /// come back are a backlog, paced as the fleet's share from a random first slot; without them, the next
    /// callers are fresh arrivals at times of their own, paced as by a close of its own (from at least
    /// `MIN_PACE_RATE`, first slot free). A non-finite or negative wait is ignored.
    pub fn waiting(&mut self, now_s: f64, for_s: f64) {
        self.status.waiting(now_s, for_s);
    }

    pub fn stats(&self, now_s: f64) -> BreakerStats {
        self.status.stats(&self.config, now_s)
    }
}

impl BreakerStatus {
    /// A closed breaker's status at `now_s` (a non-finite start counts as 0).
    pub fn new(config: &BreakerConfig, now_s: f64) -> BreakerStatus {
        let start_s = if now_s.is_finite() { now_s } else { 0.0 };
        BreakerStatus {
            window: Window::new(config.window_s, config.bucket_s),
            state: State::Closed,
            generation: 0,
            next_permit_id: 0,
            last_now_s: start_s,
            entered_at_s: start_s,
            open_until_s: start_s,
            open_period_s: config.cooldown_s,
            nominal_cooldown_s: config.cooldown_s,
            pace: None,
            rate_before_trip: 0.0,
            admitted_mark: (start_s, 0),
            admitted_mark_before: (start_s, 0),
            share_mark: (start_s, 0),
            share_mark_before: (start_s, 0),
            share_before_trip: 0.0,
            waiters_until_s: f64::NEG_INFINITY,
            consecutive_failures: 0,
            probes: Vec::new(),
            total_calls: 0,
            successes: 0,
            failures: 0,
            neutral: 0,
            paced_rate_limits: 0,
            rejected: 0,
            opened_count: 0,
        }
    }

    /// See `Breaker::acquire`.
    pub fn acquire<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        now_s: f64,
        rng: &mut R,
    ) -> (Admission, Option<Transition>) {
        let t = self.tick(now_s);
        self.mark_admissions(config, t);
        match self.state {
            State::Closed => (self.admit_closed(config, t, rng), None),
            State::Open if t < self.open_until_s => {
                let left_s = self.open_time_left_s(t);
                (self.reject(RefusalReason::Open, left_s, rng), None)
            }
            State::Open => {
                let half_opened_at_s = self.open_until_s.min(t);
                let transition = self.enter(State::HalfOpen, t);
                // Half-open since the open period ended, not since someone happened to ask.
                self.entered_at_s = half_opened_at_s;
                (self.admit_probe(config, t, rng), transition)
            }
            State::HalfOpen => (self.admit_probe(config, t, rng), None),
        }
    }

    /// See `Breaker::acquire_closed`.
    pub fn acquire_closed(&mut self) -> Option<Permit> {
        (self.state == State::Closed && self.pace.is_none()).then(|| self.grant(false))
    }

    /// See `Breaker::state`.
    pub fn state(&self, now_s: f64) -> State {
        let t = self.clock(now_s);
        match self.state {
            State::Open if t >= self.open_until_s => State::HalfOpen,
            state => state,
        }
    }

    /// See `Breaker::retry_in_s`.
    pub fn retry_in_s(&self, config: &BreakerConfig, now_s: f64) -> f64 {
        let t = self.clock(now_s);
        match self.state {
            State::Closed => 0.0,
            State::Open if t < self.open_until_s => self.open_time_left_s(t),
            State::Open => 0.0,
            State::HalfOpen => {
                if self.live_probes(t) < max_probes(config) {
                    0.0
                } else {
                    self.half_open_retry_in_s(t)
                }
            }
        }
    }

    /// See `Breaker::force_open`.
    pub fn force_open(&mut self, config: &BreakerConfig, now_s: f64) -> Option<Transition> {
        let t = self.tick(now_s);
        if self.state == State::Closed {
            self.note_traffic(config, t);
        }
        self.nominal_cooldown_s = config.cooldown_s;
        self.open_for(config.cooldown_s, t)
    }

    /// See `Breaker::force_close`.
    pub fn force_close(&mut self, config: &BreakerConfig, now_s: f64) -> Option<Transition> {
        let t = self.tick(now_s);
        self.close(config, t, None, 0.0)
    }

    /// See `Breaker::close_after_probe`.
    pub fn close_after_probe<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        now_s: f64,
        rng: &mut R,
    ) -> Option<Transition> {
        let t = self.tick(now_s);
        if self.state == State::Closed {
            return None;
        }
        // Callers due back within the last `PACE_QUIET_S` may still be on their way (a jittered wait
        // ends late).
        if self.waiters_until_s + PACE_QUIET_S > t {
            let phase = rng.random::<f64>();
            self.close(config, t, Some(SlowStart::FleetShare), phase)
        } else {
            self.close(config, t, Some(SlowStart::Alone), 0.0)
        }
    }

    /// See `Breaker::waiting`.
    pub fn waiting(&mut self, now_s: f64, for_s: f64) {
        let t = self.tick(now_s);
        if for_s.is_finite() && for_s >= 0.0 {
            self.waiters_until_s = self.waiters_until_s.max(t + for_s);
        }
    }

    /// See `Breaker::throttled_elsewhere`.
    pub fn throttled_elsewhere(&mut self, now_s: f64) {
        let t = self.tick(now_s);
        if let Some(pace) = self.pace.as_mut() {
            pace.throttled(t);
        }
    }

    /// See `Breaker::stats`.
    pub fn stats(&self, config: &BreakerConfig, now_s: f64) -> BreakerStats {
        let t = self.clock(now_s);
        let state = self.state(now_s);
        let since_s = match self.state {
            State::Open if t >= self.open_until_s => self.open_until_s,
            _ => self.entered_at_s,
        };
        let (window_calls, window_failures) = self.window.totals(t);
        let failure_rate = (window_calls > 0).then(|| window_failures as f64 / window_calls as f64);
        let probes_in_flight = if self.state == State::HalfOpen {
            self.live_probes(t)
        } else {
            0
        };
        let (slow_start_left_s, admit_fraction, paced_rate) = match (self.state, &self.pace) {
            (State::Closed, Some(pace)) => {
                let rate = pace.rate_at(t);
                let left_s = non_negative(config.slow_start_s - (t - pace.since_s));
                let share = (rate / self.rate_before_trip.max(MIN_PACE_RATE)).min(1.0);
                (left_s, share, Some(rate))
            }
            (State::Closed, None) => (0.0, 1.0, None),
            _ => (0.0, 0.0, None),
        };
        BreakerStats {
            state,
            total_calls: self.total_calls,
            successes: self.successes,
            failures: self.failures,
            neutral: self.neutral,
            rejected: self.rejected,
            consecutive_failures: self.consecutive_failures,
            window_calls,
            window_failures,
            failure_rate,
            opened_count: self.opened_count,
            time_in_state_s: non_negative(t - since_s),
            current_cooldown_s: self.open_period_s,
            probes_in_flight: u32::try_from(probes_in_flight).unwrap_or(u32::MAX),
            slow_start_left_s,
            admit_fraction,
            paced_rate,
            rate_before_trip: self.rate_before_trip,
            paced_rate_limits: self.paced_rate_limits,
        }
    }

    /// Time as this breaker sees it: never earlier than the latest time it was given, and a NaN or infinite
    /// reading counts as no time passing, so no duration it computes is negative or NaN.
    fn clock(&self, now_s: f64) -> f64 {
        if now_s.is_finite() && now_s > self.last_now_s {
            now_s
        } else {
            self.last_now_s
        }
    }

    fn mark_admissions(&mut self, config: &BreakerConfig, t: f64) {
        if t - self.admitted_mark.0 >= config.window_s {
            self.admitted_mark_before = self.admitted_mark;
            self.admitted_mark = (t, self.total_calls);
        }
        if t - self.share_mark.0 >= SHARE_SPAN_S {
            self.share_mark_before = self.share_mark;
            self.share_mark = (t, self.total_calls);
        }
    }

    fn tick(&mut self, now_s: f64) -> f64 {
        let t = self.clock(now_s);
        self.last_now_s = t;
        t
    }

    fn admit_closed<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        t: f64,
        rng: &mut R,
    ) -> Admission {
        let Some(pace) = self.pace.as_mut() else {
            return Admission::Allowed(self.grant(false));
        };
        match pace.admit(config, t) {
            Ok(true) => Admission::Allowed(self.grant(false)),
            Ok(false) => {
                self.pace = None;
                Admission::Allowed(self.grant(false))
            }
            Err(exact_s) => {
                let poll_s = pace.refused(t);
                // Spread over twice the mean poll interval, upward from the time a slot could be free.
                let wait_s = exact_s + 2.0 * poll_s * rng.random::<f64>();
                let refusal = self.reject(RefusalReason::SlowStart, wait_s, rng);
                if let (Admission::Rejected { retry_in_s, .. }, Some(pace)) =
                    (&refusal, self.pace.as_mut())
                {
                    // Quiet until its callers come back is not a drained backlog: a fleet's process told
                    // its few waiters to return at its next slot, seconds away, heard no refusal for a
                    // second, ended its slow start, and let them all in at once when they came (six times
                    // capacity in the simulation, summed over 1,000 processes).
                    pace.told_until_s = pace.told_until_s.max(t + retry_in_s);
                }
                refusal
            }
        }
    }

    fn reject<R: Rng + ?Sized>(
        &mut self,
        reason: RefusalReason,
        exact_s: f64,
        rng: &mut R,
    ) -> Admission {
        self.rejected = self.rejected.saturating_add(1);
        Admission::Rejected {
            retry_in_s: spread_wait_s(exact_s, rng),
            reason,
        }
    }

    fn on_outcome<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        permit: Permit,
        outcome: Outcome,
        now_s: f64,
        rng: &mut R,
    ) -> Option<Transition> {
        let t = self.tick(now_s);
        self.mark_admissions(config, t);
        let total = match outcome {
            Outcome::Success => &mut self.successes,
            Outcome::Failure => &mut self.failures,
            Outcome::Neutral | Outcome::RateLimited => &mut self.neutral,
        };
        *total = total.saturating_add(1);
        // A result from before the last transition describes a provider the breaker has already judged.
        if permit.generation != self.generation {
            return None;
        }
        if permit.probe {
            self.on_probe_outcome(config, permit.id, outcome, t, rng)
        } else {
            self.on_closed_outcome(config, outcome, t)
        }
    }

    fn on_probe_outcome<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        id: u64,
        outcome: Outcome,
        t: f64,
        rng: &mut R,
    ) -> Option<Transition> {
        if self.state != State::HalfOpen {
            return None;
        }
        // A probe whose lease ran out has no vote, whether or not its slot was granted again: the breaker
        // already treated it as lost, and a replacement may be reporting on a different provider state.
        self.expire_leases(t);
        let slot = self.probes.iter().position(|p| p.id == id)?;
        self.probes.swap_remove(slot);
        match outcome {
            Outcome::Success => self.close(config, t, Some(SlowStart::Alone), 0.0),
            Outcome::Failure => self.reopen(config, t, rng),
            Outcome::Neutral | Outcome::RateLimited => None,
        }
    }

    fn on_closed_outcome(
        &mut self,
        config: &BreakerConfig,
        outcome: Outcome,
        t: f64,
    ) -> Option<Transition> {
        if self.state != State::Closed {
            return None;
        }
        match outcome {
            Outcome::Success => {
                self.consecutive_failures = 0;
                self.window.record(t, false);
                None
            }
            // Neither a call nor a failure in the window: a burst of 400s must not dilute the rate either.
            Outcome::Neutral => None,
            // The provider is up and full: a slow start paces below where this came from.
            Outcome::RateLimited => {
                if let Some(pace) = self.pace.as_mut() {
                    pace.throttled(t);
                    self.paced_rate_limits = self.paced_rate_limits.saturating_add(1);
                }
                None
            }
            Outcome::Failure => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.window.record(t, true);
                if self.should_trip(config, t) {
                    self.trip(config, t)
                } else {
                    None
                }
            }
        }
    }

    fn should_trip(&self, config: &BreakerConfig, t: f64) -> bool {
        if self.consecutive_failures >= config.failure_threshold {
            return true;
        }
        let Some(rate_threshold) = config.failure_rate_threshold else {
            return false;
        };
        let (calls, failures) = self.window.totals(t);
        calls > 0
            && calls >= u64::from(config.minimum_calls)
            && failures as f64 / calls as f64 >= rate_threshold
    }

    /// The calls a second this closed breaker carried lately: outcomes over the window, or admissions over
    /// the last window or two, whichever is more.
    fn traffic_s(&self, config: &BreakerConfig, t: f64) -> f64 {
        let (calls, _) = self.window.totals(t);
        // Over the window, or the time closed if shorter (the window was cleared when the breaker closed).
        let span_s = non_negative(t - self.entered_at_s)
            .min(config.window_s)
            .max(config.bucket_s);
        (calls as f64 / span_s).max(self.admitted_since(self.admitted_mark_before, config, t))
    }

    /// Admissions a second since `mark`.
    fn admitted_since(
        &self,
        (mark_s, mark_calls): (f64, u64),
        config: &BreakerConfig,
        t: f64,
    ) -> f64 {
        let admitted = self.total_calls.saturating_sub(mark_calls) as f64;
        admitted / non_negative(t - mark_s).max(config.bucket_s)
    }

    /// Remembers the traffic a slow start will pace from, at a trip.
    fn note_traffic(&mut self, config: &BreakerConfig, t: f64) {
        self.rate_before_trip = self.traffic_s(config, t);
        self.share_before_trip = self.admitted_since(self.share_mark_before, config, t);
    }

    fn trip(&mut self, config: &BreakerConfig, t: f64) -> Option<Transition> {
        self.note_traffic(config, t);
        self.nominal_cooldown_s = config.cooldown_s;
        self.open_for(config.cooldown_s, t)
    }

    /// A failed probe: the provider is still down, so wait longer before asking again.
    fn reopen<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        t: f64,
        rng: &mut R,
    ) -> Option<Transition> {
        self.nominal_cooldown_s =
            (self.nominal_cooldown_s * config.cooldown_multiplier).min(self.cooldown_cap_s(config));
        let spread = 2.0 * rng.random::<f64>() - 1.0; // in [-1, 1)
        let jittered_s = self.nominal_cooldown_s * (1.0 + config.cooldown_jitter * spread);
        let period_s = jittered_s.min(config.max_cooldown_s);
        self.open_for(period_s, t)
    }

    /// How long open periods may grow: `max_cooldown_s`, but no longer than makes probes `PROBE_SHARE` of
    /// the traffic before the trip, and never below `cooldown_s`.
    fn cooldown_cap_s(&self, config: &BreakerConfig) -> f64 {
        let by_traffic_s = if self.rate_before_trip > 0.0 && config.probe_share > 0.0 {
            1.0 / (config.probe_share * self.rate_before_trip)
        } else {
            f64::INFINITY
        };
        by_traffic_s
            .min(config.max_cooldown_s)
            .max(config.cooldown_s)
    }

    fn open_for(&mut self, period_s: f64, t: f64) -> Option<Transition> {
        if self.state != State::Open {
            self.opened_count = self.opened_count.saturating_add(1);
        }
        self.open_period_s = period_s;
        self.open_until_s = t + period_s;
        self.enter(State::Open, t)
    }

    /// `slow_start`: a probe closed it, so the backlog is let back in gradually, paced from that floor, its
    /// first slot `phase` (in [0, 1)) of one interval ahead. A fleet's share (`close_after_probe`) with
    /// callers waiting starts at a random point of its first interval: 1,000 processes whose paces each
    /// admitted their first waiter at once let 1,000 calls in the moment the fleet closed (four times a
    /// provider's capacity in the simulation); spread over one interval, their firsts add up to the one pace
    /// a single breaker keeps. A process nobody waits on paces as a breaker alone (`close_after_probe`):
    /// its fresh arrivals held for a share's slots (one every seven seconds, for a share of 0.14 calls a
    /// second) kept a fleet that failed fast at half its traffic for seconds after the close.
    fn close(
        &mut self,
        config: &BreakerConfig,
        t: f64,
        slow_start: Option<SlowStart>,
        phase: f64,
    ) -> Option<Transition> {
        self.consecutive_failures = 0;
        self.window.clear();
        self.nominal_cooldown_s = config.cooldown_s;
        self.open_period_s = config.cooldown_s;
        let transition = self.enter(State::Closed, t);
        self.admitted_mark = (t, self.total_calls);
        self.admitted_mark_before = self.admitted_mark;
        self.share_mark = self.admitted_mark;
        self.share_mark_before = self.admitted_mark;
        if let (Some(slow_start), true) = (slow_start, config.slow_start_s > 0.0) {
            let (base, floor) = match slow_start {
                SlowStart::Alone => (self.rate_before_trip, MIN_PACE_RATE),
                SlowStart::FleetShare => (self.share_before_trip, FLEET_PACE_FLOOR),
            };
            self.pace = Some(Pace::new(base, config.slow_start_s, t, floor, phase));
        }
        transition
    }

    /// Every entry (including re-entry by `force_*`) starts a new generation, drops all probe leases and ends
    /// any slow start.
    fn enter(&mut self, to: State, t: f64) -> Option<Transition> {
        let from = self.state;
        self.state = to;
        self.entered_at_s = t;
        self.generation = self.generation.wrapping_add(1);
        self.probes.clear();
        self.pace = None;
        (from != to).then_some(Transition { from, to })
    }

    fn grant(&mut self, probe: bool) -> Permit {
        let permit = Permit {
            probe,
            id: self.next_permit_id,
            generation: self.generation,
        };
        self.next_permit_id = self.next_permit_id.wrapping_add(1);
        self.total_calls = self.total_calls.saturating_add(1);
        permit
    }

    fn admit_probe<R: Rng + ?Sized>(
        &mut self,
        config: &BreakerConfig,
        t: f64,
        rng: &mut R,
    ) -> Admission {
        self.expire_leases(t);
        if self.probes.len() >= max_probes(config) {
            let poll_s = self.half_open_retry_in_s(t);
            return self.reject(RefusalReason::HalfOpenFull, poll_s, rng);
        }
        let permit = self.grant(true);
        self.probes.push(Probe {
            id: permit.id,
            lease_until_s: t + config.probe_lease_s,
        });
        Admission::Allowed(permit)
    }

    fn expire_leases(&mut self, t: f64) {
        self.probes.retain(|p| p.lease_until_s > t);
    }

    fn live_probes(&self, t: f64) -> usize {
        self.probes.iter().filter(|p| p.lease_until_s > t).count()
    }

    /// Bounded by the open period, so a time near `f64::MAX` (where `t + period` rounds) still gives a sane hint.
    fn open_time_left_s(&self, t: f64) -> f64 {
        non_negative(self.open_until_s - t).min(self.open_period_s)
    }

    fn half_open_retry_in_s(&self, t: f64) -> f64 {
        let soonest_expiry_s = self
            .probes
            .iter()
            .map(|p| p.lease_until_s)
            .filter(|&until| until > t)
            .fold(f64::INFINITY, f64::min);
        // Only live leases are counted and `t` is finite, so the difference is positive (or +inf), never NaN.
        (soonest_expiry_s - t).clamp(HALF_OPEN_RETRY_MIN_S, HALF_OPEN_RETRY_MAX_S)
    }
}

fn max_probes(config: &BreakerConfig) -> usize {
    usize::try_from(config.half_open_max_calls).unwrap_or(usize::MAX)
}

/// The wait a refusal names: `exact_s` (when a call could be admitted), stretched upward by up to
/// `WAIT_SPREAD` of itself and at least `MIN_WAIT_SPREAD_S`. Never early, and never the same for two callers.
pub fn spread_wait_s<R: Rng + ?Sized>(exact_s: f64, rng: &mut R) -> f64 {
    let exact_s = non_negative(exact_s);
    upward_jitter_s(exact_s, (exact_s * WAIT_SPREAD).max(MIN_WAIT_SPREAD_S), rng)
}

/// The most `spread_wait_s(exact_s)` can be.
pub fn latest_wait_s(exact_s: f64) -> f64 {
    let exact_s = non_negative(exact_s);
    exact_s + (exact_s * WAIT_SPREAD).max(MIN_WAIT_SPREAD_S)
}

fn non_negative(seconds: f64) -> f64 {
    if seconds > 0.0 {
        seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(config: BreakerConfig) -> Breaker {
        match Breaker::new(config, Some(7), 0.0) {
            Ok(b) => b,
            Err(e) => panic!("config rejected: {e}"),
        }
    }

    /// The numbers the mechanics tests reason about (30 s breaks capped at 300 s, no slow start), pinned here
    /// rather than read from the defaults, which `defaults_recover_within_seconds` and the slow-start tests
    /// cover.
    fn config() -> BreakerConfig {
        BreakerConfig {
            cooldown_s: 30.0,
            max_cooldown_s: 300.0,
            slow_start_s: 0.0,
            // Growth as configured, whatever the traffic (its own tests below).
            probe_share: 0.0,
            ..BreakerConfig::default()
        }
    }

    /// A wait told to a refused caller: never before `exact_s`, and at most the spread after it.
    fn assert_told(told_s: f64, exact_s: f64) {
        assert!(
            told_s >= exact_s - 1e-9 && told_s <= latest_wait_s(exact_s) + 1e-9,
            "told {told_s} s for an exact {exact_s} s"
        );
    }

    fn refusal(admission: Admission) -> (f64, RefusalReason) {
        match admission {
            Admission::Rejected { retry_in_s, reason } => (retry_in_s, reason),
            Admission::Allowed(p) => panic!("expected a rejection, got {p:?}"),
        }
    }

    #[test]
    fn record_counts_provider_failures_but_not_rate_limits() {
        for kind in ErrorKind::ALL {
            let mut b = breaker(BreakerConfig {
                failure_threshold: 1,
                ..config()
            });
            let p = allowed(b.acquire(0.0).0);
            let opened = b.record(p, Some(kind), 0.0);
            let counts = kind.is_provider_failure() && kind != ErrorKind::RateLimited;
            assert_eq!(counts_against_health(kind), counts, "{kind:?}");
            if counts {
                assert_eq!(opened, t(State::Closed, State::Open), "{kind:?}");
                assert_eq!(b.stats(0.0).failures, 1, "{kind:?}");
            } else {
                assert_eq!(opened, None, "{kind:?} must not trip the breaker");
                assert_eq!(b.stats(0.0).neutral, 1, "{kind:?}");
            }
        }
        let mut b = breaker(config());
        let p = allowed(b.acquire(0.0).0);
        assert_eq!(b.record(p, None, 0.0), None);
        assert_eq!(b.stats(0.0).successes, 1);
    }

    #[test]
    fn states_are_listed_in_discriminant_order() {
        for (i, state) in State::ALL.into_iter().enumerate() {
            assert_eq!(state as usize, i);
        }
    }

    fn allowed(admission: Admission) -> Permit {
        match admission {
            Admission::Allowed(p) => p,
            Admission::Rejected { retry_in_s, reason } => {
                panic!("expected a permit, rejected ({reason:?}) for {retry_in_s} s")
            }
        }
    }

    fn rejected(admission: Admission) -> f64 {
        match admission {
            Admission::Rejected { retry_in_s, .. } => retry_in_s,
            Admission::Allowed(p) => panic!("expected a rejection, got {p:?}"),
        }
    }

    fn t(from: State, to: State) -> Option<Transition> {
        Some(Transition { from, to })
    }

    /// Reports `n` failures at `now_s`; returns the last transition.
    fn fail_n(b: &mut Breaker, n: u32, now_s: f64) -> Option<Transition> {
        let mut last = None;
        for _ in 0..n {
            let p = allowed(b.acquire(now_s).0);
            last = b.on_failure(p, now_s).or(last);
        }
        last
    }

    fn succeed_n(b: &mut Breaker, n: u32, now_s: f64) {
        for _ in 0..n {
            let p = allowed(b.acquire(now_s).0);
            assert_eq!(b.on_success(p, now_s), None);
        }
    }

    /// Trips a default-ish breaker at `now_s`.
    fn tripped(config: BreakerConfig, now_s: f64) -> Breaker {
        let threshold = config.failure_threshold;
        let mut b = breaker(config);
        assert_eq!(
            fail_n(&mut b, threshold, now_s),
            t(State::Closed, State::Open)
        );
        b
    }

    // --- config ---

    #[test]
    fn default_config_is_valid() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn validation_names_field_and_value() {
        let cases: Vec<(BreakerConfig, &str)> = vec![
            (
                BreakerConfig {
                    failure_threshold: 0,
                    ..config()
                },
                "failure_threshold must be >= 1, got 0",
            ),
            (
                BreakerConfig {
                    cooldown_s: 0.0,
                    ..config()
                },
                "cooldown_s must be a finite number > 0, got 0",
            ),
            (
                BreakerConfig {
                    cooldown_s: f64::NAN,
                    ..config()
                },
                "cooldown_s must be a finite number > 0, got NaN",
            ),
            (
                BreakerConfig {
                    cooldown_s: -1.0,
                    ..config()
                },
                "cooldown_s must be a finite number > 0, got -1",
            ),
            (
                BreakerConfig {
                    half_open_max_calls: 0,
                    ..config()
                },
                "half_open_max_calls must be >= 1, got 0",
            ),
            (
                BreakerConfig {
                    failure_rate_threshold: Some(0.0),
                    ..config()
                },
                "failure_rate_threshold must be in (0, 1], got 0",
            ),
            (
                BreakerConfig {
                    failure_rate_threshold: Some(1.5),
                    ..config()
                },
                "failure_rate_threshold must be in (0, 1], got 1.5",
            ),
            (
                BreakerConfig {
                    failure_rate_threshold: Some(f64::NAN),
                    ..config()
                },
                "failure_rate_threshold must be in (0, 1], got NaN",
            ),
            (
                BreakerConfig {
                    window_s: f64::INFINITY,
                    ..config()
                },
                "window_s must be a finite number > 0, got inf",
            ),
            (
                BreakerConfig {
                    bucket_s: 0.0,
                    ..config()
                },
                "bucket_s must be a finite number > 0, got 0",
            ),
            (
                BreakerConfig {
                    bucket_s: 20.0,
                    ..config()
                },
                "bucket_s must be <= window_s (10), got 20",
            ),
            (
                BreakerConfig {
                    minimum_calls: 0,
                    ..config()
                },
                "minimum_calls must be >= 1, got 0",
            ),
            (
                BreakerConfig {
                    probe_lease_s: f64::NEG_INFINITY,
                    ..config()
                },
                "probe_lease_s must be a finite number > 0, got -inf",
            ),
            (
                BreakerConfig {
                    max_cooldown_s: 10.0,
                    ..config()
                },
                "max_cooldown_s must be >= cooldown_s (30), got 10",
            ),
            (
                BreakerConfig {
                    cooldown_multiplier: 0.5,
                    ..config()
                },
                "cooldown_multiplier must be a finite number >= 1, got 0.5",
            ),
            (
                BreakerConfig {
                    cooldown_multiplier: f64::NAN,
                    ..config()
                },
                "cooldown_multiplier must be a finite number >= 1, got NaN",
            ),
            (
                BreakerConfig {
                    cooldown_jitter: 1.0,
                    ..config()
                },
                "cooldown_jitter must be in [0, 1), got 1",
            ),
            (
                BreakerConfig {
                    cooldown_jitter: -0.1,
                    ..config()
                },
                "cooldown_jitter must be in [0, 1), got -0.1",
            ),
            (
                BreakerConfig {
                    cooldown_jitter: f64::NAN,
                    ..config()
                },
                "cooldown_jitter must be in [0, 1), got NaN",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(config.validate(), Err(message.to_string()));
            assert_eq!(
                Breaker::new(config, None, 0.0).err(),
                Some(message.to_string())
            );
        }
    }

    #[test]
    fn window_bucket_count_is_bounded() {
        let config = BreakerConfig {
            window_s: 1e9,
            bucket_s: 1e-3,
            ..config()
        };
        let message = config.validate().err().unwrap_or_default();
        assert!(
            message.starts_with("window_s / bucket_s must be <= 10000 buckets"),
            "{message}"
        );
        let config = BreakerConfig {
            window_s: 10_000.0,
            bucket_s: 1.0,
            ..BreakerConfig::default()
        };
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn state_names() {
        assert_eq!(State::Closed.as_str(), "closed");
        assert_eq!(State::Open.as_str(), "open");
        assert_eq!(State::HalfOpen.as_str(), "half_open");
    }

    // --- closed ---

    #[test]
    fn closed_admits_every_call_as_non_probe() {
        let mut b = breaker(config());
        let mut ids = Vec::new();
        for i in 0..100 {
            let (admission, transition) = b.acquire(f64::from(i));
            let p = allowed(admission);
            assert!(!p.probe);
            assert_eq!(p.generation, 0);
            assert_eq!(transition, None);
            ids.push(p.id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 100);
        assert_eq!(b.retry_in_s(100.0), 0.0);
    }

    #[test]
    fn consecutive_failures_trip_at_threshold() {
        let mut b = breaker(config());
        assert_eq!(fail_n(&mut b, 4, 1.0), None);
        assert_eq!(b.state(1.0), State::Closed);
        assert_eq!(fail_n(&mut b, 1, 1.0), t(State::Closed, State::Open));
        assert_eq!(b.state(1.0), State::Open);
        assert_eq!(b.stats(1.0).opened_count, 1);
    }

    #[test]
    fn threshold_of_one_trips_on_first_failure() {
        let mut b = breaker(BreakerConfig {
            failure_threshold: 1,
            ..config()
        });
        assert_eq!(fail_n(&mut b, 1, 0.0), t(State::Closed, State::Open));
    }

    #[test]
    fn success_resets_consecutive_count() {
        let mut b = breaker(config());
        for round in 0..10 {
            assert_eq!(fail_n(&mut b, 4, f64::from(round)), None);
            succeed_n(&mut b, 1, f64::from(round));
        }
        assert_eq!(b.state(20.0), State::Closed);
        assert_eq!(b.stats(20.0).consecutive_failures, 0);
    }

    #[test]
    fn neutral_never_trips_or_resets() {
        let mut b = breaker(BreakerConfig {
            failure_rate_threshold: Some(0.5),
            minimum_calls: 1,
            ..config()
        });
        for _ in 0..1000 {
            let p = allowed(b.acquire(0.5).0);
            assert_eq!(b.on_neutral(p, 0.5), None);
        }
        assert_eq!(b.state(0.5), State::Closed);
        let stats = b.stats(0.5);
        assert_eq!(
            (stats.neutral, stats.window_calls, stats.failure_rate),
            (1000, 0, None)
        );

        // Neutral outcomes between failures do not reset the consecutive count either.
        let mut b = breaker(config());
        for _ in 0..4 {
            fail_n(&mut b, 1, 1.0);
            let p = allowed(b.acquire(1.0).0);
            b.on_neutral(p, 1.0);
        }
        assert_eq!(b.stats(1.0).consecutive_failures, 4);
        assert_eq!(fail_n(&mut b, 1, 1.0), t(State::Closed, State::Open));
    }

    // --- failure-rate mode ---

    fn rate_config() -> BreakerConfig {
        BreakerConfig {
            failure_threshold: 1000,
            failure_rate_threshold: Some(0.5),
            window_s: 10.0,
            bucket_s: 1.0,
            minimum_calls: 20,
            ..config()
        }
    }

    #[test]
    fn rate_trips_only_after_minimum_calls() {
        let mut b = breaker(rate_config());
        // 19 failures: a 100% rate, but too few calls to judge.
        assert_eq!(fail_n(&mut b, 19, 0.0), None);
        assert_eq!(b.stats(0.0).failure_rate, Some(1.0));
        assert_eq!(fail_n(&mut b, 1, 0.0), t(State::Closed, State::Open));
    }

    #[test]
    fn rate_trips_at_threshold_with_interleaved_successes() {
        let mut b = breaker(rate_config());
        // Alternating defeats a consecutive counter but not the rate.
        let mut transition = None;
        for i in 0..10 {
            let now_s = f64::from(i) * 0.5;
            succeed_n(&mut b, 1, now_s);
            transition = fail_n(&mut b, 1, now_s).or(transition);
        }
        assert_eq!(transition, t(State::Closed, State::Open));
        assert_eq!(b.stats(5.0).window_calls, 20);
    }

    #[test]
    fn rate_below_threshold_never_trips() {
        let mut b = breaker(rate_config());
        for i in 0..200 {
            let now_s = f64::from(i) * 0.1;
            succeed_n(&mut b, 2, now_s);
            assert_eq!(fail_n(&mut b, 1, now_s), None);
        }
        let stats = b.stats(20.0);
        assert_eq!(stats.state, State::Closed);
        assert!(stats
            .failure_rate
            .is_some_and(|r| (r - 1.0 / 3.0).abs() < 1e-9));
    }

    #[test]
    fn rate_counts_only_the_window() {
        let mut b = breaker(rate_config());
        // 15 failures at t=0, then 10 at t=10.5: bucket 0 has left the 10 s window by then.
        assert_eq!(fail_n(&mut b, 15, 0.0), None);
        assert_eq!(b.stats(9.9).window_calls, 15);
        assert_eq!(b.stats(10.0).window_calls, 0);
        assert_eq!(fail_n(&mut b, 10, 10.5), None);
        assert_eq!(b.stats(10.5).window_failures, 10);
        // Within the window they add up.
        assert_eq!(fail_n(&mut b, 10, 12.0), t(State::Closed, State::Open));
    }

    #[test]
    fn rate_window_of_sub_second_buckets() {
        let mut b = breaker(BreakerConfig {
            window_s: 1.0,
            bucket_s: 0.25,
            minimum_calls: 4,
            ..rate_config()
        });
        assert_eq!(fail_n(&mut b, 3, 0.1), None);
        // 0.1 is in bucket 0; at 1.1 the window is buckets 1..=4.
        assert_eq!(fail_n(&mut b, 1, 1.1), None);
        assert_eq!(b.stats(1.1).window_calls, 1);
        assert_eq!(fail_n(&mut b, 3, 1.2), t(State::Closed, State::Open));
    }

    #[test]
    fn rate_mode_off_tracks_window_but_never_trips_on_it() {
        let mut b = breaker(BreakerConfig {
            failure_threshold: 3,
            ..config()
        });
        for i in 0..50 {
            fail_n(&mut b, 2, f64::from(i) * 0.1);
            succeed_n(&mut b, 1, f64::from(i) * 0.1);
        }
        let stats = b.stats(5.0);
        assert_eq!(stats.state, State::Closed);
        assert!(stats.window_calls > 0);
    }

    // --- open ---

    #[test]
    fn open_rejects_with_time_left() {
        let mut b = tripped(config(), 100.0);
        assert_told(rejected(b.acquire(100.0).0), 30.0);
        assert_told(rejected(b.acquire(110.0).0), 20.0);
        assert_eq!(b.retry_in_s(125.5), 4.5);
        let (admission, transition) = b.acquire(129.0);
        assert_eq!(refusal(admission).1, RefusalReason::Open);
        assert_told(rejected(admission), 1.0);
        assert_eq!(transition, None);
        assert_eq!(b.stats(129.0).rejected, 3);
        assert_eq!(b.state(129.999), State::Open);
    }

    #[test]
    fn first_open_period_is_exactly_cooldown() {
        for seed in 0..20 {
            let mut b = match Breaker::new(config(), Some(seed), 0.0) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            fail_n(&mut b, 5, 3.0);
            assert_eq!(b.stats(3.0).current_cooldown_s, 30.0);
            assert_eq!(b.retry_in_s(3.0), 30.0);
            assert_eq!(b.state(33.0), State::HalfOpen);
        }
    }

    #[test]
    fn open_period_passed_reports_half_open_without_mutation() {
        let b = tripped(config(), 0.0);
        assert_eq!(b.state(30.0), State::HalfOpen);
        assert_eq!(b.retry_in_s(30.0), 0.0);
        let stats = b.stats(35.0);
        assert_eq!(stats.state, State::HalfOpen);
        assert_eq!(stats.time_in_state_s, 5.0);
        assert_eq!(stats.probes_in_flight, 0);
        // Nothing was transitioned: the acquire that grants the probe reports it.
        let mut b = b;
        let (admission, transition) = b.acquire(35.0);
        assert!(allowed(admission).probe);
        assert_eq!(transition, t(State::Open, State::HalfOpen));
        assert_eq!(b.stats(35.0).time_in_state_s, 5.0);
    }

    // --- half-open ---

    #[test]
    fn half_open_admits_exactly_n_concurrent_probes() {
        for n in [1u32, 3] {
            let mut b = tripped(
                BreakerConfig {
                    half_open_max_calls: n,
                    ..config()
                },
                0.0,
            );
            let mut probes = Vec::new();
            let (first, transition) = b.acquire(30.0);
            assert_eq!(transition, t(State::Open, State::HalfOpen));
            probes.push(allowed(first));
            for _ in 1..n {
                let (admission, transition) = b.acquire(30.5);
                assert_eq!(transition, None);
                probes.push(allowed(admission));
            }
            assert!(probes.iter().all(|p| p.probe));
            let mut ids: Vec<u64> = probes.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n as usize);
            for _ in 0..10 {
                let (retry_in_s, reason) = refusal(b.acquire(31.0).0);
                assert_eq!(reason, RefusalReason::HalfOpenFull);
                assert_told(retry_in_s, HALF_OPEN_RETRY_MAX_S);
            }
            assert_eq!(b.stats(31.0).probes_in_flight, n);
            assert!(b.retry_in_s(31.0) > 0.0);
        }
    }

    #[test]
    fn neutral_probe_frees_its_slot_and_changes_nothing() {
        let mut b = tripped(config(), 0.0);
        let probe = allowed(b.acquire(30.0).0);
        rejected(b.acquire(30.0).0);
        assert_eq!(b.on_neutral(probe, 31.0), None);
        assert_eq!(b.state(31.0), State::HalfOpen);
        let next = allowed(b.acquire(31.0).0);
        assert!(next.probe);
        assert_ne!(next.id, probe.id);
        assert_eq!(next.generation, probe.generation);
    }

    #[test]
    fn probe_success_closes_and_resets() {
        let mut b = tripped(
            BreakerConfig {
                failure_rate_threshold: Some(0.5),
                ..config()
            },
            0.0,
        );
        let probe = allowed(b.acquire(30.0).0);
        assert_eq!(b.on_success(probe, 31.0), t(State::HalfOpen, State::Closed));
        let stats = b.stats(31.0);
        assert_eq!(stats.state, State::Closed);
        assert_eq!(
            (
                stats.consecutive_failures,
                stats.window_calls,
                stats.window_failures
            ),
            (0, 0, 0)
        );
        assert_eq!(stats.current_cooldown_s, 30.0);
        assert!(!allowed(b.acquire(31.0).0).probe);
    }

    #[test]
    fn lease_expiry_regrants_the_slot() {
        let mut b = tripped(
            BreakerConfig {
                probe_lease_s: 60.0,
                ..config()
            },
            0.0,
        );
        let hung = allowed(b.acquire(30.0).0);
        assert_told(rejected(b.acquire(80.0).0), HALF_OPEN_RETRY_MAX_S);
        // The soonest expiry, when it is under a second away.
        assert_told(rejected(b.acquire(89.5).0), 0.5);
        assert_eq!(b.stats(89.9).probes_in_flight, 1);
        assert_eq!(b.stats(90.0).probes_in_flight, 0);
        assert_eq!(b.retry_in_s(90.0), 0.0);
        let replacement = allowed(b.acquire(90.0).0);
        assert!(replacement.probe);
        assert_ne!(replacement.id, hung.id);
        assert_eq!(b.state(90.0), State::HalfOpen);
    }

    #[test]
    fn late_result_of_expired_probe_is_ignored() {
        let mut b = tripped(
            BreakerConfig {
                probe_lease_s: 60.0,
                ..config()
            },
            0.0,
        );
        let hung = allowed(b.acquire(30.0).0);
        let replacement = allowed(b.acquire(90.0).0);
        // The hung probe finally reports: neither its success nor its failure counts.
        assert_eq!(b.on_success(hung, 95.0), None);
        assert_eq!(b.on_failure(hung, 95.0), None);
        assert_eq!(b.state(95.0), State::HalfOpen);
        assert_eq!(b.stats(95.0).probes_in_flight, 1);
        assert_eq!(
            b.on_success(replacement, 96.0),
            t(State::HalfOpen, State::Closed)
        );
        // Also when nobody has taken the slot yet: a lease that ran out has no vote.
        let mut b = tripped(
            BreakerConfig {
                probe_lease_s: 60.0,
                ..config()
            },
            0.0,
        );
        let hung = allowed(b.acquire(30.0).0);
        assert_eq!(b.on_failure(hung, 90.0), None);
        assert_eq!(b.state(90.0), State::HalfOpen);
        assert_eq!(b.stats(90.0).failures, 6);
    }

    #[test]
    fn probe_failure_grows_cooldown_with_jitter_capped() {
        let config = BreakerConfig {
            cooldown_s: 10.0,
            max_cooldown_s: 100.0,
            ..config()
        };
        for seed in 0..50 {
            let mut b = match Breaker::new(config.clone(), Some(seed), 0.0) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            fail_n(&mut b, 5, 0.0);
            let mut now_s = b.retry_in_s(0.0);
            let mut nominal_s = 10.0;
            for _ in 0..8 {
                let (admission, _) = b.acquire(now_s);
                let probe = allowed(admission);
                assert_eq!(b.on_failure(probe, now_s), t(State::HalfOpen, State::Open));
                nominal_s = f64::min(nominal_s * 2.0, 100.0);
                let period_s = b.stats(now_s).current_cooldown_s;
                assert!(
                    period_s >= nominal_s * 0.8 - 1e-9,
                    "seed {seed}: {period_s} < 0.8 x {nominal_s}"
                );
                assert!(
                    period_s <= (nominal_s * 1.2).min(100.0),
                    "seed {seed}: {period_s} > 1.2 x {nominal_s}"
                );
                // open_until - now can differ from the period in the last bit.
                assert!((b.retry_in_s(now_s) - period_s).abs() < 1e-9);
                assert_told(rejected(b.acquire(now_s).0), period_s);
                now_s += period_s;
            }
        }
    }

    #[test]
    fn jitter_spreads_grown_periods() {
        let mut periods = Vec::new();
        for seed in 0..20 {
            let mut b = tripped(config(), 0.0);
            b.rng = new_rng(Some(seed));
            let probe = allowed(b.acquire(30.0).0);
            b.on_failure(probe, 30.0);
            periods.push(b.stats(30.0).current_cooldown_s);
        }
        periods.sort_by(f64::total_cmp);
        periods.dedup();
        assert!(periods.len() > 10, "{periods:?}");
        assert!(periods.iter().all(|&p| (48.0..=72.0).contains(&p)));
    }

    #[test]
    fn zero_jitter_gives_exact_growth() {
        let mut b = tripped(
            BreakerConfig {
                cooldown_jitter: 0.0,
                cooldown_multiplier: 3.0,
                ..config()
            },
            0.0,
        );
        let mut now_s = 30.0;
        for expected_s in [90.0, 270.0, 300.0, 300.0] {
            let probe = allowed(b.acquire(now_s).0);
            b.on_failure(probe, now_s);
            assert_eq!(b.stats(now_s).current_cooldown_s, expected_s);
            now_s += expected_s;
        }
    }

    #[test]
    fn success_resets_growth_so_next_trip_is_cooldown_again() {
        let mut b = tripped(
            BreakerConfig {
                cooldown_jitter: 0.0,
                ..config()
            },
            0.0,
        );
        let probe = allowed(b.acquire(30.0).0);
        b.on_failure(probe, 30.0); // open for 60
        let probe = allowed(b.acquire(90.0).0);
        b.on_failure(probe, 90.0); // open for 120
        assert_eq!(b.stats(90.0).current_cooldown_s, 120.0);
        let probe = allowed(b.acquire(210.0).0);
        assert_eq!(
            b.on_success(probe, 211.0),
            t(State::HalfOpen, State::Closed)
        );
        assert_eq!(fail_n(&mut b, 5, 212.0), t(State::Closed, State::Open));
        assert_eq!(b.stats(212.0).current_cooldown_s, 30.0);
        assert_eq!(b.retry_in_s(212.0), 30.0);
        // And the next failed probe grows from cooldown_s, not from where it had got to.
        let probe = allowed(b.acquire(242.0).0);
        b.on_failure(probe, 242.0);
        assert_eq!(b.stats(242.0).current_cooldown_s, 60.0);
    }

    #[test]
    fn one_probe_success_closes_even_with_several_in_flight() {
        let mut b = tripped(
            BreakerConfig {
                half_open_max_calls: 3,
                ..config()
            },
            0.0,
        );
        let a = allowed(b.acquire(30.0).0);
        let c = allowed(b.acquire(30.0).0);
        assert_eq!(b.on_success(a, 31.0), t(State::HalfOpen, State::Closed));
        // The other probe's failure belongs to the half-open generation: ignored.
        assert_eq!(b.on_failure(c, 32.0), None);
        assert_eq!(b.stats(32.0).consecutive_failures, 0);
    }

    // --- stale permits ---

    #[test]
    fn closed_era_results_after_trip_are_ignored() {
        let mut b = breaker(config());
        let late: Vec<Permit> = (0..10).map(|_| allowed(b.acquire(0.0).0)).collect();
        fail_n(&mut b, 5, 1.0);
        let probe_time_s = 31.0;
        let probe = allowed(b.acquire(probe_time_s).0);
        // Successes from before the trip cannot close it; failures cannot reopen it.
        for (i, p) in late.iter().enumerate() {
            let transition = if i % 2 == 0 {
                b.on_success(*p, probe_time_s)
            } else {
                b.on_failure(*p, probe_time_s)
            };
            assert_eq!(transition, None);
        }
        assert_eq!(b.state(probe_time_s), State::HalfOpen);
        assert_eq!(b.stats(probe_time_s).successes, 5);
        assert_eq!(b.stats(probe_time_s).failures, 10);
        assert_eq!(
            b.on_success(probe, probe_time_s),
            t(State::HalfOpen, State::Closed)
        );
    }

    #[test]
    fn stale_results_after_close_do_not_count_toward_a_trip() {
        let mut b = tripped(config(), 0.0);
        let probe = allowed(b.acquire(30.0).0);
        assert_eq!(b.on_success(probe, 30.0), t(State::HalfOpen, State::Closed));
        // A permit from generation 0 (before the trip) reporting failures after the close.
        let ancient = Permit {
            probe: false,
            id: 0,
            generation: 0,
        };
        for _ in 0..10 {
            assert_eq!(b.on_failure(ancient, 31.0), None);
        }
        assert_eq!(b.state(31.0), State::Closed);
        assert_eq!(b.stats(31.0).consecutive_failures, 0);
        assert_eq!(b.stats(31.0).window_calls, 0);
    }

    #[test]
    fn closed_era_permits_in_same_generation_count() {
        let mut b = breaker(config());
        let permits: Vec<Permit> = (0..5).map(|_| allowed(b.acquire(0.0).0)).collect();
        let mut transition = None;
        for p in permits {
            transition = b.on_failure(p, 2.0).or(transition);
        }
        assert_eq!(transition, t(State::Closed, State::Open));
    }

    #[test]
    fn forged_probe_id_is_ignored() {
        let mut b = tripped(config(), 0.0);
        let probe = allowed(b.acquire(30.0).0);
        let forged = Permit {
            id: probe.id.wrapping_add(1000),
            ..probe
        };
        assert_eq!(b.on_success(forged, 30.0), None);
        assert_eq!(
            b.on_failure(
                Permit {
                    probe: false,
                    ..probe
                },
                30.0
            ),
            None
        );
        assert_eq!(b.state(30.0), State::HalfOpen);
    }

    #[test]
    fn every_transition_bumps_generation() {
        let mut b = breaker(config());
        let mut seen = vec![b.generation()];
        fail_n(&mut b, 5, 0.0);
        seen.push(b.generation());
        let probe = allowed(b.acquire(30.0).0);
        seen.push(b.generation());
        assert_eq!(probe.generation, b.generation());
        b.on_failure(probe, 30.0);
        seen.push(b.generation());
        b.force_close(31.0);
        seen.push(b.generation());
        b.force_close(32.0);
        seen.push(b.generation());
        b.force_open(33.0);
        seen.push(b.generation());
        b.force_open(34.0);
        seen.push(b.generation());
        assert_eq!(seen, (0..8).collect::<Vec<u64>>());
    }

    // --- manual control ---

    #[test]
    fn force_open_from_each_state() {
        let mut b = breaker(config());
        assert_eq!(b.force_open(5.0), t(State::Closed, State::Open));
        assert_eq!(b.retry_in_s(5.0), 30.0);
        // Already open: the period restarts, no transition.
        assert_eq!(b.force_open(20.0), None);
        assert_eq!(b.retry_in_s(20.0), 30.0);
        let probe = allowed(b.acquire(50.0).0);
        assert_eq!(b.force_open(51.0), t(State::HalfOpen, State::Open));
        // The probe granted before is stale now.
        assert_eq!(b.on_success(probe, 52.0), None);
        assert_eq!(b.state(52.0), State::Open);
        assert_eq!(b.stats(52.0).opened_count, 2);
    }

    #[test]
    fn force_open_restarts_growth() {
        let mut b = tripped(
            BreakerConfig {
                cooldown_jitter: 0.0,
                ..config()
            },
            0.0,
        );
        let probe = allowed(b.acquire(30.0).0);
        b.on_failure(probe, 30.0);
        assert_eq!(b.stats(30.0).current_cooldown_s, 60.0);
        b.force_open(40.0);
        assert_eq!(b.retry_in_s(40.0), 30.0);
        let probe = allowed(b.acquire(70.0).0);
        b.on_failure(probe, 70.0);
        assert_eq!(b.stats(70.0).current_cooldown_s, 60.0);
    }

    #[test]
    fn force_close_from_each_state() {
        let mut b = tripped(config(), 0.0);
        assert_eq!(b.force_close(1.0), t(State::Open, State::Closed));
        assert!(!allowed(b.acquire(1.0).0).probe);
        fail_n(&mut b, 4, 2.0);
        assert_eq!(b.force_close(3.0), None);
        assert_eq!(b.stats(3.0).consecutive_failures, 0);
        assert_eq!(b.stats(3.0).window_calls, 0);
        // Totals survive.
        assert_eq!(b.stats(3.0).failures, 9);
        fail_n(&mut b, 5, 4.0);
        allowed(b.acquire(34.0).0);
        assert_eq!(b.force_close(35.0), t(State::HalfOpen, State::Closed));
        assert_eq!(b.stats(35.0).probes_in_flight, 0);
    }

    /// A breaker with the default config that has carried one call every 5 s for a minute, all answered.
    fn quiet_process(seed: Option<u64>) -> Breaker {
        let mut b = match Breaker::new(BreakerConfig::default(), seed, 0.0) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        for i in 0..12u32 {
            let now_s = f64::from(i) * 5.0;
            let p = allowed(b.acquire(now_s).0);
            b.on_success(p, now_s);
        }
        b
    }

    /// `quiet_process`, opened by its fleet at 60 s with a caller waiting, closed by a probe elsewhere at 70 s.
    fn closed_elsewhere_with_a_waiter(seed: u64) -> Breaker {
        let mut b = quiet_process(Some(seed));
        b.force_open(60.0);
        b.waiting(60.0, 10.5);
        b.close_after_probe(70.0);
        b
    }

    #[test]
    fn a_fleet_share_s_first_slot_comes_when_its_growing_rate_has_earned_it() {
        // A share of 0.2 a second paces from 0.1: a first slot placed at a random point of that rate's
        // 10 s interval came up to 10 s after the close while the rate doubled. Earned by the growing rate
        // (a slot's worth within about 4.3 s), every seed's first admission comes within 5 s, and none of
        // them in the first moments all at once.
        let mut firsts = Vec::new();
        for seed in 0..40u64 {
            let mut b = quiet_process(Some(seed));
            assert_eq!(b.force_open(60.0), t(State::Closed, State::Open));
            b.waiting(60.0, 10.5); // a caller refused at the trip, told to come back after the open period
            assert_eq!(b.close_after_probe(70.0), t(State::Open, State::Closed));
            let first = (0..400u32)
                .map(|i| 70.0 + f64::from(i) * 0.05)
                .find(|&now_s| matches!(b.acquire(now_s).0, Admission::Allowed(_)));
            match first {
                Some(now_s) => firsts.push(now_s - 70.0),
                None => panic!("seed {seed}: no admission in 20 s"),
            }
        }
        let latest = firsts.iter().copied().fold(0.0, f64::max);
        assert!(latest < 5.0, "{latest}");
        let at_once = firsts.iter().filter(|&&s| s < 0.05).count();
        assert!(at_once <= 4, "{at_once} of 40 at once");
    }

    #[test]
    fn a_fleet_share_paces_from_the_last_minute_of_admissions_not_from_the_last_ten_seconds() {
        // Twelve calls a minute, then six more in its last four seconds: 18 in 60 s is 0.3 a second, where
        // the ten-second estimate a breaker alone paces from says 0.7. A fleet of such processes summing
        // the high estimates came back at 1.5 times the provider's capacity.
        let mut b = quiet_process(Some(5));
        for i in 0..6u32 {
            let now_s = 56.0 + f64::from(i) * 0.7;
            let p = allowed(b.acquire(now_s).0);
            b.on_success(p, now_s);
        }
        assert_eq!(b.force_open(60.0), t(State::Closed, State::Open));
        b.waiting(60.0, 10.5);
        let share = 18.0 / 60.0;
        let alone = b.stats(60.0).rate_before_trip;
        assert!(alone >= 2.0 * share, "{alone}");
        assert_eq!(b.close_after_probe(70.0), t(State::Open, State::Closed));
        let paced = b.stats(70.0).paced_rate.unwrap_or(f64::NAN);
        assert!((paced - SLOW_START_FLOOR * share).abs() < 1e-9, "{paced}");
    }

    #[test]
    fn a_fleet_close_paces_a_quiet_process_at_its_own_share_not_at_the_floor_of_two_a_second() {
        // A process that carried one call every 5 s, opened by its fleet, closed by a probe elsewhere: its
        // slow start admits about its own traffic, where a local close would admit 2 a second.
        let mut b = quiet_process(Some(9));
        assert_eq!(b.force_open(60.0), t(State::Closed, State::Open));
        b.waiting(60.0, 10.5);
        let before = b.stats(60.0).rate_before_trip;
        assert!((0.1..0.5).contains(&before), "{before}");
        assert_eq!(b.close_after_probe(70.0), t(State::Open, State::Closed));
        let admitted = (0..200u32)
            .filter(|i| {
                matches!(
                    b.acquire(70.0 + f64::from(*i) * 0.01).0,
                    Admission::Allowed(_)
                )
            })
            .count();
        assert!(admitted <= 2, "{admitted} in 2 s");
        assert!(b.stats(71.0).paced_rate.unwrap_or(f64::MAX) < MIN_PACE_RATE);
    }

    #[test]
    fn a_fleet_share_paces_up_to_1_4_times_its_traffic_where_a_breaker_alone_goes_to_1_6() {
        // Shares count the retries made before the fleet's trip reached them: 1.6 times their sum came
        // back at 1.3 times the provider's capacity.
        let b = closed_elsewhere_with_a_waiter(6);
        let share = 12.0 / 60.0;
        let top = b.stats(74.9).paced_rate.unwrap_or(f64::NAN);
        assert!((top - FLEET_PACE_CEILING * share).abs() < 1e-9, "{top}");
    }

    #[test]
    fn a_fleet_closed_together_admits_its_pace_in_the_first_second_not_one_call_a_process() {
        // 1,000 processes, each carrying one call every 5 s (the fleet: 200 a second), opened together and
        // closed together by a probe elsewhere, each with a waiter asking every 10 ms: a first slot at once
        // in every process let 1,000 calls in at the close. Spread over each first interval, the first
        // second admits about the fleet's paced rate (half its old traffic: about 100).
        let mut fleet: Vec<Breaker> = (0..1000u64).map(closed_elsewhere_with_a_waiter).collect();
        let mut admitted = 0;
        for b in &mut fleet {
            for i in 0..100u32 {
                if let Admission::Allowed(p) = b.acquire(70.0 + f64::from(i) * 0.01).0 {
                    admitted += 1;
                    b.on_success(p, 70.0);
                }
            }
        }
        assert!(
            (40..250).contains(&admitted),
            "{admitted} in the first second"
        );
    }

    #[test]
    fn a_refusal_names_the_time_the_growing_rate_earns_the_slot_not_the_rate_of_the_moment() {
        // A share of 0.14 a second, half its first slot ahead: 7 s at the 0.07 of the moment, earned by
        // the growing rate in about 3.5 s. The time told is when the slot is there, not after.
        let config = BreakerConfig::default();
        let pace = Pace::new(0.14, config.slow_start_s, 70.0, FLEET_PACE_FLOOR, 0.5);
        let wait_s = match pace.clone().admit(&config, 70.0) {
            Err(wait_s) => wait_s,
            Ok(_) => panic!("admitted with half a slot"),
        };
        assert!((3.0..4.0).contains(&wait_s), "{wait_s}");
        assert!(pace.clone().admit(&config, 70.0 + wait_s + 0.01).is_ok());
        assert!(pace.clone().admit(&config, 70.0 + wait_s - 0.2).is_err());
    }

    #[test]
    fn a_fleet_closed_with_nobody_waiting_admits_its_fresh_arrivals_at_once() {
        // The same fleet failing fast: nobody waits, and after the close each process's next calls are
        // fresh arrivals (0.2 a second each, at times of their own). Held for its share's slots, most of
        // them waited seconds; paced as a close of its own, the first second admits what arrives in it
        // (about 200), which is no more than the fleet's traffic before the trip.
        let mut arrivals = new_rng(Some(17));
        let mut admitted = 0;
        let mut refused = 0;
        for seed in 0..1000u64 {
            let mut b = quiet_process(Some(seed));
            b.force_open(60.0);
            b.waiting(60.0, 3.0); // a caller who came and went during the outage
            b.close_after_probe(70.0);
            let mut now_s = 70.0 - (1.0 - arrivals.random::<f64>()).ln() / 0.2;
            while now_s < 71.0 {
                match b.acquire(now_s).0 {
                    Admission::Allowed(p) => {
                        admitted += 1;
                        b.on_success(p, now_s);
                    }
                    Admission::Rejected { .. } => refused += 1,
                }
                now_s -= (1.0 - arrivals.random::<f64>()).ln() / 0.2;
            }
        }
        assert!((150..250).contains(&admitted), "{admitted} admitted");
        assert!(refused < 40, "{refused} refused");
    }

    #[test]
    fn a_slow_start_lasts_until_the_callers_it_refused_have_come_back() {
        // A quiet process of a fleet, closed by a probe elsewhere, with 8 waiters: its pace admits about
        // one call every 5 s, so it tells them to come back seconds later, and hears nothing meanwhile.
        // Its slow start must not end in that silence and let them all in when they come.
        let mut b = closed_elsewhere_with_a_waiter(3);
        let mut waiting: Vec<f64> = vec![70.0; 8];
        let mut admitted_at = Vec::new();
        while let Some(slot) = (0..waiting.len()).min_by(|&a, &c| waiting[a].total_cmp(&waiting[c]))
        {
            let now_s = waiting[slot];
            match b.acquire(now_s).0 {
                Admission::Allowed(p) => {
                    b.on_success(p, now_s);
                    admitted_at.push(now_s);
                    waiting.swap_remove(slot);
                }
                Admission::Rejected { retry_in_s, .. } => waiting[slot] = now_s + retry_in_s,
            }
        }
        for pair in admitted_at.windows(3) {
            assert!(
                pair[2] - pair[0] > 1.0,
                "three let in within a second: {admitted_at:?}"
            );
        }
    }

    #[test]
    fn close_after_probe_closes_with_the_slow_start_and_leaves_a_closed_breaker_alone() {
        let mut b = tripped(slow_config(), 0.0);
        assert_eq!(b.close_after_probe(31.0), t(State::Open, State::Closed));
        assert!(b.stats(31.0).slow_start_left_s > 0.0);
        fail_n(&mut b, 2, 40.0);
        assert_eq!(b.close_after_probe(41.0), None);
        assert_eq!(b.stats(41.0).consecutive_failures, 2);
    }

    #[test]
    fn force_close_of_elapsed_open_reports_from_open() {
        let mut b = tripped(config(), 0.0);
        assert_eq!(b.state(100.0), State::HalfOpen);
        // The breaker never made the Open → HalfOpen transition, so listeners last saw Open.
        assert_eq!(b.force_close(100.0), t(State::Open, State::Closed));
    }

    #[test]
    fn transitions_chain() {
        for slow_start_s in [0.0, 2.0] {
            transitions_chain_with(slow_start_s);
        }
    }

    fn transitions_chain_with(slow_start_s: f64) {
        let config = BreakerConfig {
            failure_threshold: 2,
            cooldown_s: 1.0,
            max_cooldown_s: 4.0,
            slow_start_s,
            ..config()
        };
        let mut b = breaker(config);
        let mut outcomes = new_rng(Some(11));
        let mut transitions = Vec::new();
        let mut now_s = 0.0;
        for step in 0..500u32 {
            now_s += 0.37;
            let (admission, transition) = b.acquire(now_s);
            transitions.extend(transition);
            if let Admission::Allowed(p) = admission {
                let transition = match outcomes.random_range(0..10u32) {
                    0..=5 => b.on_failure(p, now_s),
                    6..=8 => b.on_success(p, now_s),
                    _ => b.on_neutral(p, now_s),
                };
                transitions.extend(transition);
            }
            if step % 61 == 0 {
                transitions.extend(b.force_open(now_s));
            }
            if step % 89 == 0 {
                transitions.extend(b.force_close(now_s));
            }
        }
        assert!(transitions.len() > 30, "{}", transitions.len());
        assert_eq!(transitions[0].from, State::Closed);
        for pair in transitions.windows(2) {
            assert_eq!(pair[0].to, pair[1].from, "{transitions:?}");
            assert_ne!(pair[1].from, pair[1].to);
        }
        assert_eq!(transitions.last().map(|tr| tr.to), Some(b.status().state));
    }

    // --- stats ---

    #[test]
    fn stats_count_everything() {
        let mut b = tripped(config(), 0.0);
        rejected(b.acquire(1.0).0);
        rejected(b.acquire(2.0).0);
        let probe = allowed(b.acquire(30.0).0);
        rejected(b.acquire(30.0).0);
        let stats = b.stats(31.0);
        assert_eq!(stats.state, State::HalfOpen);
        assert_eq!(stats.total_calls, 6);
        assert_eq!(stats.failures, 5);
        assert_eq!(stats.rejected, 3);
        assert_eq!(stats.consecutive_failures, 5);
        assert_eq!(stats.opened_count, 1);
        assert_eq!(stats.probes_in_flight, 1);
        assert_eq!(stats.time_in_state_s, 1.0);
        assert_eq!(stats.current_cooldown_s, 30.0);
        b.on_neutral(probe, 32.0);
        let probe = allowed(b.acquire(33.0).0);
        b.on_success(probe, 34.0);
        succeed_n(&mut b, 3, 35.0);
        fail_n(&mut b, 1, 35.5);
        let stats = b.stats(36.0);
        assert_eq!(stats.state, State::Closed);
        assert_eq!(stats.total_calls, 11);
        assert_eq!(
            (
                stats.successes,
                stats.failures,
                stats.neutral,
                stats.rejected
            ),
            (4, 6, 1, 3)
        );
        assert_eq!((stats.window_calls, stats.window_failures), (4, 1));
        assert_eq!(stats.failure_rate, Some(0.25));
        assert_eq!(stats.consecutive_failures, 1);
        assert_eq!(stats.time_in_state_s, 2.0);
        assert_eq!(stats.probes_in_flight, 0);
    }

    // --- hostile clocks ---

    #[test]
    fn time_going_backwards_is_no_time_passing() {
        let mut b = tripped(config(), 100.0);
        assert_told(rejected(b.acquire(50.0).0), 30.0);
        assert_eq!(b.retry_in_s(-1e300), 30.0);
        assert_eq!(b.stats(0.0).time_in_state_s, 0.0);
        assert_told(rejected(b.acquire(110.0).0), 20.0);
        // Backwards again: still 20 s left, never more.
        assert_told(rejected(b.acquire(105.0).0), 20.0);
        assert_eq!(b.retry_in_s(105.0), 20.0);
        let probe = allowed(b.acquire(130.0).0);
        assert_eq!(b.on_success(probe, 0.0), t(State::HalfOpen, State::Closed));
        assert_eq!(b.stats(0.0).time_in_state_s, 0.0);
    }

    #[test]
    fn non_finite_times_are_no_time_passing() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut b = tripped(config(), 10.0);
            assert_told(rejected(b.acquire(bad).0), 30.0);
            assert_eq!(b.retry_in_s(bad), 30.0);
            assert_eq!(b.state(bad), State::Open);
            let stats = b.stats(bad);
            assert_eq!(stats.time_in_state_s, 0.0);
            // The clock is not poisoned: real time still moves it on.
            assert_told(rejected(b.acquire(20.0).0), 20.0);
            assert!(allowed(b.acquire(40.0).0).probe);
        }
    }

    #[test]
    fn non_finite_start_time() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut b = match Breaker::new(config(), Some(1), bad) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            assert_eq!(fail_n(&mut b, 5, bad), t(State::Closed, State::Open));
            assert_eq!(b.retry_in_s(bad), 30.0);
            assert!(allowed(b.acquire(30.0).0).probe);
        }
    }

    #[test]
    fn negative_and_extreme_times_never_panic() {
        let config = BreakerConfig {
            failure_rate_threshold: Some(0.5),
            minimum_calls: 2,
            ..config()
        };
        for start in [
            -1e300,
            -5.0,
            0.0,
            1e15,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
        ] {
            let mut b = match Breaker::new(config.clone(), Some(3), start) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            let mut now_s = start;
            for step in 0..60u32 {
                let (admission, _) = b.acquire(now_s);
                if let Admission::Allowed(p) = admission {
                    if step % 3 == 0 {
                        b.on_success(p, now_s);
                    } else {
                        b.on_failure(p, now_s);
                    }
                }
                let stats = b.stats(now_s);
                assert!(stats.time_in_state_s >= 0.0 && stats.time_in_state_s.is_finite());
                let retry_in_s = b.retry_in_s(now_s);
                assert!(
                    retry_in_s >= 0.0 && retry_in_s.is_finite(),
                    "{start}: {retry_in_s}"
                );
                now_s += 17.0;
            }
        }
    }

    #[test]
    fn no_seed_still_jitters_within_bounds() {
        let mut b = match Breaker::new(config(), None, 0.0) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        fail_n(&mut b, 5, 0.0);
        let probe = allowed(b.acquire(30.0).0);
        b.on_failure(probe, 30.0);
        let period_s = b.stats(30.0).current_cooldown_s;
        assert!((48.0..=72.0).contains(&period_s), "{period_s}");
    }

    // --- rate limits are a rate signal ---

    #[test]
    fn rate_limits_never_open_a_breaker() {
        let mut b = breaker(BreakerConfig {
            failure_threshold: 1,
            failure_rate_threshold: Some(0.1),
            minimum_calls: 1,
            ..config()
        });
        for i in 0..1000 {
            let now_s = f64::from(i) * 0.01;
            let p = allowed(b.acquire(now_s).0);
            assert_eq!(b.record(p, Some(ErrorKind::RateLimited), now_s), None);
        }
        let stats = b.stats(10.0);
        assert_eq!(stats.state, State::Closed);
        assert_eq!((stats.failures, stats.neutral), (0, 1000));
        assert_eq!((stats.window_calls, stats.failure_rate), (0, None));
        // Overloads still count.
        let p = allowed(b.acquire(10.0).0);
        assert_eq!(
            b.record(p, Some(ErrorKind::Overloaded), 10.0),
            t(State::Closed, State::Open)
        );
    }

    #[test]
    fn rate_limits_between_failures_neither_trip_nor_reset() {
        let mut b = breaker(config());
        for _ in 0..4 {
            fail_n(&mut b, 1, 1.0);
            for _ in 0..10 {
                let p = allowed(b.acquire(1.0).0);
                assert_eq!(b.record(p, Some(ErrorKind::RateLimited), 1.0), None);
            }
        }
        assert_eq!(b.stats(1.0).consecutive_failures, 4);
        let p = allowed(b.acquire(1.0).0);
        assert_eq!(
            b.record(p, Some(ErrorKind::ServerError), 1.0),
            t(State::Closed, State::Open)
        );
    }

    #[test]
    fn a_rate_limited_probe_neither_closes_nor_reopens() {
        let mut b = tripped(config(), 0.0);
        let probe = allowed(b.acquire(30.0).0);
        assert_eq!(b.record(probe, Some(ErrorKind::RateLimited), 30.5), None);
        assert_eq!(b.state(30.5), State::HalfOpen);
        assert_eq!(b.stats(30.5).probes_in_flight, 0);
        let next = allowed(b.acquire(30.5).0);
        assert!(next.probe);
        assert_eq!(
            b.record(next, None, 31.0),
            t(State::HalfOpen, State::Closed)
        );
    }

    // --- the defaults: short breaks, a low cap ---

    #[test]
    fn defaults_recover_within_seconds() {
        let d = BreakerConfig::default();
        assert_eq!(
            (d.cooldown_s, d.max_cooldown_s, d.cooldown_multiplier),
            (2.0, 10.0, 2.0)
        );
        assert_eq!((d.cooldown_jitter, d.slow_start_s), (0.2, 5.0));
        assert_eq!(d.validate(), Ok(()));
    }

    #[test]
    fn growth_is_bounded_by_the_cap() {
        let mut b = breaker(BreakerConfig {
            cooldown_jitter: 0.0,
            ..BreakerConfig::default()
        });
        fail_n(&mut b, 5, 0.0);
        let mut now_s = 0.0;
        let mut periods = vec![b.stats(0.0).current_cooldown_s];
        for _ in 0..6 {
            now_s += periods[periods.len() - 1];
            let probe = allowed(b.acquire(now_s).0);
            b.on_failure(probe, now_s);
            periods.push(b.stats(now_s).current_cooldown_s);
        }
        assert_eq!(periods, [2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]);
        // With jitter, never above the cap either.
        for seed in 0..50 {
            let mut b = match Breaker::new(BreakerConfig::default(), Some(seed), 0.0) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            fail_n(&mut b, 5, 0.0);
            let mut now_s = 2.0;
            for _ in 0..10 {
                let probe = allowed(b.acquire(now_s).0);
                b.on_failure(probe, now_s);
                let period_s = b.stats(now_s).current_cooldown_s;
                assert!(period_s <= 10.0, "seed {seed}: {period_s}");
                now_s += period_s;
            }
        }
    }

    #[test]
    fn default_breaker_closes_within_seconds_of_the_providers_return() {
        // A 60 s outage; a caller asks every 100 ms and the probe fails until the provider is back.
        for seed in 0..20 {
            let mut b = match Breaker::new(BreakerConfig::default(), Some(seed), 0.0) {
                Ok(b) => b,
                Err(e) => panic!("{e}"),
            };
            let back_at_s = 60.0;
            let mut closed_at_s = None;
            for step in 0..2000u32 {
                let now_s = f64::from(step) * 0.1;
                if let (Admission::Allowed(p), _) = b.acquire(now_s) {
                    let failure = (now_s < back_at_s).then_some(ErrorKind::ServerError);
                    if b.record(p, failure, now_s) == t(State::HalfOpen, State::Closed) {
                        closed_at_s = Some(now_s);
                        break;
                    }
                }
            }
            let late_s = closed_at_s.map(|c| c - back_at_s);
            // The cap (10 s) and a poll interval: where doubling from 30 s took minutes.
            assert!(
                late_s.is_some_and(|l| (0.0..=10.1).contains(&l)),
                "seed {seed}: {late_s:?}"
            );
        }
    }

    #[test]
    fn an_unset_cap_follows_a_longer_cooldown() {
        assert_eq!(BreakerConfig::default_max_cooldown_s(2.0), 10.0);
        assert_eq!(BreakerConfig::default_max_cooldown_s(10.0), 10.0);
        assert_eq!(BreakerConfig::default_max_cooldown_s(30.0), 30.0);
    }

    // --- slow start ---

    fn slow_config() -> BreakerConfig {
        BreakerConfig {
            slow_start_s: 5.0,
            ..config()
        }
    }

    /// A breaker closed by a probe at t = 31.
    fn closed_by_probe(config: BreakerConfig, seed: u64) -> Breaker {
        let mut b = match Breaker::new(config, Some(seed), 0.0) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        fail_n(&mut b, 5, 0.0);
        let probe = allowed(b.acquire(30.0).0);
        assert_eq!(b.on_success(probe, 31.0), t(State::HalfOpen, State::Closed));
        b
    }

    /// A breaker that carried `rate` calls a second for 10 s, tripped at t = 10, and was closed by a probe
    /// at t = 13.
    fn busy_then_closed(config: BreakerConfig, rate: u32, seed: u64) -> Breaker {
        let mut b = match Breaker::new(config, Some(seed), 0.0) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        for i in 0..rate * 10 {
            let now_s = f64::from(i) / f64::from(rate);
            let p = allowed(b.acquire(now_s).0);
            b.on_success(p, now_s);
        }
        fail_n(&mut b, 5, 10.0);
        let probe = allowed(b.acquire(12.5).0);
        assert_eq!(b.on_success(probe, 13.0), t(State::HalfOpen, State::Closed));
        b
    }

    /// The paced rate `t` after closing, for a breaker that carried `before` calls a second (default
    /// config, a 5 s slow start): half of that doubling for a second, then `PACE_ADDITIVE` of it more each
    /// second up to the ceiling, which rises by `PACE_LIFT` a second past 5 s.
    fn paced_rate(before: f64, t: f64) -> f64 {
        let curve = if t <= 1.0 {
            0.5 * before * t.exp2()
        } else {
            before * (1.0 + PACE_ADDITIVE * (t - 1.0))
        };
        curve.min(before * PACE_CEILING + PACE_LIFT * (t - 5.0).max(0.0))
    }

    /// Admissions the pace earns from `from_s` to `to_s` after closing (the integral of `paced_rate`).
    fn paced_admissions(before: f64, from_s: f64, to_s: f64) -> f64 {
        let steps = 1000;
        (0..steps)
            .map(|i| {
                paced_rate(
                    before,
                    from_s + (f64::from(i) + 0.5) * (to_s - from_s) / f64::from(steps),
                )
            })
            .sum::<f64>()
            * (to_s - from_s)
            / f64::from(steps)
    }

    /// At most what the pace earns over the span, plus the slot banked at its start and the tolerance's
    /// worth at its end (a slot may be taken `PACE_TOLERANCE_S` early, at the rate of the moment).
    fn pace_allows(before: f64, from_s: f64, to_s: f64) -> f64 {
        paced_admissions(before, from_s, to_s) + 1.0 + PACE_TOLERANCE_S * paced_rate(before, to_s)
    }

    #[test]
    fn calls_that_hang_count_as_the_traffic_a_slow_start_paces_from() {
        // 100 calls a second answered for 20 s, then an outage where every call hangs: 30 s of admissions
        // with no outcome, until the first timeouts trip it. The traffic it carried is still 100 a second.
        let mut b = match Breaker::new(BreakerConfig::default(), Some(4), 0.0) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        for i in 0..2000u32 {
            let now_s = f64::from(i) / 100.0;
            let p = allowed(b.acquire(now_s).0);
            b.on_success(p, now_s);
        }
        let hanging: Vec<Permit> = (0..3000u32)
            .map(|i| allowed(b.acquire(20.0 + f64::from(i) / 100.0).0))
            .collect();
        let mut tripped = None;
        for (i, p) in hanging.into_iter().take(5).enumerate() {
            tripped = b.on_failure(p, 50.0 + i as f64 * 0.01).or(tripped);
        }
        assert_eq!(tripped, t(State::Closed, State::Open));
        let before = b.stats(50.1).rate_before_trip;
        assert!(before > 90.0, "{before}");
    }

    #[test]
    fn slow_start_paces_at_a_rate_that_doubles_from_half_the_old_traffic() {
        let mut b = busy_then_closed(BreakerConfig::default(), 100, 3);
        // 1,005 calls admitted over the 10 s before the trip (the window's outcomes, pruned by time, held
        // 905 of them: admissions are the traffic carried).
        let before = b.stats(13.0).rate_before_trip;
        assert!((before - 100.5).abs() < 1e-9, "{before}");
        // 4,000 asks a second: whatever the crowd, each second admits what the rate allows, and every
        // refusal names the slow start.
        for second in 0..4u32 {
            let mut admitted = 0u32;
            for i in 0..4000u32 {
                let now_s = 13.0 + f64::from(second) + f64::from(i) / 4000.0;
                match b.acquire(now_s).0 {
                    Admission::Allowed(p) => {
                        assert!(!p.probe);
                        admitted += 1;
                    }
                    Admission::Rejected { retry_in_s, reason } => {
                        assert_eq!(reason, RefusalReason::SlowStart);
                        assert!(retry_in_s > 0.0);
                    }
                }
            }
            let (from_s, to_s) = (f64::from(second), f64::from(second + 1));
            let earned = paced_admissions(before, from_s, to_s);
            let allowed = pace_allows(before, from_s, to_s);
            let got = f64::from(admitted);
            assert!(
                got >= 0.95 * earned - 2.0 && got <= allowed + 0.02 * earned,
                "second {second}: {got}, earned {earned}, allowed {allowed}"
            );
        }
    }

    #[test]
    fn a_429_while_pacing_cuts_the_rate_and_growth_turns_additive() {
        let mut b = busy_then_closed(BreakerConfig::default(), 100, 1);
        let before = b.stats(13.0).rate_before_trip;
        let at_2s = b.stats(15.0).paced_rate.unwrap_or(0.0);
        assert!(
            (at_2s - (1.0 + PACE_ADDITIVE) * before).abs() < 1.0,
            "{at_2s}"
        );
        let p = allowed(b.acquire(15.0).0);
        assert_eq!(b.record(p, Some(ErrorKind::RateLimited), 15.0), None);
        let cut = b.stats(15.0).paced_rate.unwrap_or(0.0);
        assert!((cut - PACE_CUT * at_2s).abs() < 1.0, "{cut} vs {at_2s}");
        // A second 429 within PACE_CUT_EVERY_S is the same overshoot: no second cut.
        let p = allowed(b.acquire(15.1).0);
        b.record(p, Some(ErrorKind::RateLimited), 15.1);
        let later = b.stats(16.1).paced_rate.unwrap_or(0.0);
        let additive = cut + PACE_ADDITIVE * before * 1.1;
        assert!((later - additive).abs() < 1.0, "{later} vs {additive}");
        // Still neutral for health: nothing tripped, the breaker is closed.
        assert_eq!(b.state(16.1), State::Closed);
    }

    #[test]
    fn slow_start_ends_once_it_has_lasted_and_nobody_was_refused_for_a_second() {
        let mut b = busy_then_closed(BreakerConfig::default(), 100, 2);
        // A crowd at first: refusals.
        let refused = (0..1000)
            .filter(|i| {
                matches!(
                    b.acquire(13.0 + f64::from(*i) * 0.0001).0,
                    Admission::Rejected { .. }
                )
            })
            .count();
        assert!(refused > 900, "{refused}");
        assert_eq!(b.acquire_closed(), None);
        // Then ordinary traffic (20 a second, under the pace) until the minimum length has passed.
        let mut now_s = 13.2;
        while now_s < 18.0 {
            allowed(b.acquire(now_s).0);
            assert_eq!(b.acquire_closed(), None);
            now_s += 0.05;
        }
        // 5 s after closing and more than 1 s without a refusal: the next admission ends the pacing.
        allowed(b.acquire(18.1).0);
        assert!(b.acquire_closed().is_some());
        assert_eq!(b.stats(18.2).paced_rate, None);
    }

    #[test]
    fn a_quiet_breaker_is_not_held_back_by_its_slow_start() {
        // A process making a call every 7 s trips and recovers: its calls, 0.5 s apart or more, all go.
        let mut b = closed_by_probe(slow_config(), 1);
        for i in 0..20 {
            allowed(b.acquire(31.0 + f64::from(i) * 0.5).0);
        }
    }

    #[test]
    fn waiters_are_released_spread_out_at_the_pace_never_as_a_herd() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        // 3,000 callers that waited out an outage ask at once when it closes; each refused one comes back
        // after the wait it was told. The pace, not the crowd, sets the admissions; the asks spread out.
        let mut b = busy_then_closed(BreakerConfig::default(), 100, 5);
        let before = b.stats(13.0).rate_before_trip;
        let mut asks: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        let key = |s: f64| (s * 1e6) as u64;
        for i in 0..3000u32 {
            asks.push(Reverse((key(13.0 + f64::from(i) * 1e-5), i)));
        }
        let mut admitted_per_s = [0u32; 120];
        let mut asks_per_100ms = [0u32; 1200];
        let mut last_s = 13.0;
        while let Some(Reverse((at, who))) = asks.pop() {
            let now_s = at as f64 / 1e6;
            assert!(now_s >= last_s);
            last_s = now_s;
            let slot = ((now_s - 13.0) * 10.0) as usize;
            asks_per_100ms[slot.min(1199)] += 1;
            match b.acquire(now_s).0 {
                Admission::Allowed(p) => {
                    admitted_per_s[((now_s - 13.0) as usize).min(119)] += 1;
                    b.on_success(p, now_s);
                }
                Admission::Rejected { retry_in_s, .. } => {
                    asks.push(Reverse((key(now_s + retry_in_s), who)))
                }
            }
        }
        let done_s = last_s - 13.0;
        // All in within seconds (about 19 s at this pace: 1.6 x the old 100 a second, rising by 2 a second
        // each second after the 5 s slow start, for 3,000, plus a poll interval of slack), and never faster
        // than the pace allows.
        assert!(done_s < 24.0, "{done_s}");
        for (second, &n) in admitted_per_s.iter().enumerate() {
            let from_s = second as f64;
            let ceiling = pace_allows(before, from_s, from_s + 1.0) * 1.02;
            assert!(f64::from(n) <= ceiling, "second {second}: {n}");
        }
        // After the first wave the asks are spread: no 100 ms holds a quarter of the crowd (exact waits
        // brought every waiter back in the same instant). Asks cost the provider nothing; admissions are
        // what the pace bounds, above.
        let herd = asks_per_100ms[5..].iter().max().copied().unwrap_or(0);
        assert!(herd < 750, "{herd}");
    }

    #[test]
    fn open_periods_of_a_busy_breaker_stay_short_and_a_quiet_one_grows_to_the_cap() {
        let no_jitter = BreakerConfig {
            cooldown_jitter: 0.0,
            ..BreakerConfig::default()
        };
        let periods = |mut b: Breaker, from_s: f64| {
            let mut now_s = from_s + 2.0;
            let mut seen = vec![];
            for _ in 0..5 {
                let probe = allowed(b.acquire(now_s).0);
                b.on_failure(probe, now_s);
                let period_s = b.stats(now_s).current_cooldown_s;
                seen.push(period_s);
                now_s += period_s;
            }
            seen
        };
        // 200 calls a second before the trip: a probe every 2 s is 1 call in 400.
        let mut busy = breaker(no_jitter.clone());
        for i in 0..2000u32 {
            let now_s = f64::from(i) / 200.0;
            let p = allowed(busy.acquire(now_s).0);
            busy.on_success(p, now_s);
        }
        fail_n(&mut busy, 5, 10.0);
        assert_eq!(periods(busy, 10.0), [2.0, 2.0, 2.0, 2.0, 2.0]);
        // 5 calls in its first second: grows as before.
        let mut quiet = breaker(no_jitter);
        fail_n(&mut quiet, 5, 0.0);
        assert_eq!(periods(quiet, 0.0), [4.0, 8.0, 10.0, 10.0, 10.0]);
    }

    #[test]
    fn slow_start_needs_the_clock() {
        let mut b = closed_by_probe(slow_config(), 1);
        assert_eq!(b.acquire_closed(), None);
        assert_eq!(b.retry_in_s(31.0), 0.0);
        let stats = b.stats(32.0);
        assert!((stats.slow_start_left_s - 4.0).abs() < 1e-9);
        assert!(stats.paced_rate.is_some());
        assert!(stats.admit_fraction > 0.0 && stats.admit_fraction <= 1.0);
        assert_eq!(b.acquire_closed(), None);
        allowed(b.acquire(36.0).0);
        allowed(b.acquire(37.5).0);
        assert!(b.acquire_closed().is_some());
        let stats = b.stats(38.0);
        assert_eq!((stats.slow_start_left_s, stats.admit_fraction), (0.0, 1.0));
    }

    #[test]
    fn slow_start_is_reproducible_with_a_seed() {
        let run = |seed| {
            let mut b = closed_by_probe(slow_config(), seed);
            (0..200)
                .map(|i| b.acquire(31.0 + f64::from(i) * 0.01).0)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(4), run(4));
        assert_ne!(run(4), run(5));
    }

    #[test]
    fn failures_during_slow_start_can_trip_it_again() {
        let mut b = closed_by_probe(slow_config(), 2);
        let mut transition = None;
        let mut now_s = 31.0;
        while transition.is_none() {
            now_s += 0.01;
            if let Admission::Allowed(p) = b.acquire(now_s).0 {
                transition = b.on_failure(p, now_s);
            }
        }
        assert_eq!(transition, t(State::Closed, State::Open));
        assert!(now_s < 36.0);
        let stats = b.stats(now_s);
        assert_eq!((stats.slow_start_left_s, stats.admit_fraction), (0.0, 0.0));
        assert_eq!(refusal(b.acquire(now_s).0).1, RefusalReason::Open);
    }

    #[test]
    fn no_slow_start_after_closing_by_hand_or_when_off() {
        let mut b = tripped(slow_config(), 0.0);
        assert_eq!(b.force_close(1.0), t(State::Open, State::Closed));
        assert!(b.acquire_closed().is_some());
        assert_eq!(b.stats(1.0).admit_fraction, 1.0);
        let mut b = closed_by_probe(config(), 1);
        assert!(b.acquire_closed().is_some());
        for i in 0..100 {
            allowed(b.acquire(31.0 + f64::from(i) * 0.001).0);
        }
    }

    #[test]
    fn slow_start_must_be_a_finite_non_negative_duration() {
        for (bad, shown) in [(-1.0, "-1"), (f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
            let config = BreakerConfig {
                slow_start_s: bad,
                ..config()
            };
            assert_eq!(
                config.validate(),
                Err(format!(
                    "slow_start_s must be a finite number >= 0, got {shown}"
                ))
            );
        }
    }

    // --- waits told to refused callers ---

    #[test]
    fn callers_refused_together_are_told_different_waits_never_early() {
        let mut b = tripped(config(), 0.0);
        let told: Vec<f64> = (0..500).map(|_| rejected(b.acquire(10.0).0)).collect();
        for &wait_s in &told {
            assert_told(wait_s, 20.0);
        }
        let mut distinct = told.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(distinct.len(), told.len());
        // Spread over the window (20 s to 25 s), not clumped at its start.
        let late = told.iter().filter(|&&w| w > 22.5).count();
        assert!((180..320).contains(&late), "{late}");
        // The query stays exact: it is what the waits are jittered up from.
        assert_eq!(b.retry_in_s(10.0), 20.0);
    }

    #[test]
    fn half_open_polls_are_spread() {
        let mut b = tripped(config(), 0.0);
        allowed(b.acquire(30.0).0);
        let polls: Vec<f64> = (0..200)
            .map(|_| {
                let (wait_s, reason) = refusal(b.acquire(30.0).0);
                assert_eq!(reason, RefusalReason::HalfOpenFull);
                assert_told(wait_s, HALF_OPEN_RETRY_MAX_S);
                wait_s
            })
            .collect();
        let mut distinct = polls.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(distinct.len(), polls.len());
    }

    #[test]
    fn short_waits_get_the_minimum_spread() {
        assert_eq!(latest_wait_s(0.0), MIN_WAIT_SPREAD_S);
        assert_eq!(latest_wait_s(0.2), 0.2 + MIN_WAIT_SPREAD_S);
        assert_eq!(latest_wait_s(10.0), 12.5);
        let mut rng = new_rng(Some(1));
        for _ in 0..100 {
            let wait_s = spread_wait_s(0.0, &mut rng);
            assert!((0.0..MIN_WAIT_SPREAD_S).contains(&wait_s));
            let wait_s = spread_wait_s(f64::NAN, &mut rng);
            assert!((0.0..MIN_WAIT_SPREAD_S).contains(&wait_s));
        }
    }

    #[test]
    fn refusal_reasons_are_listed_in_discriminant_order() {
        for (i, reason) in RefusalReason::ALL.into_iter().enumerate() {
            assert_eq!(reason as usize, i);
        }
        assert_eq!(RefusalReason::HalfOpenFull.as_str(), "half_open_full");
    }

    #[test]
    fn transitions_run_on_a_status_alone() {
        // The shape a store needs: a status value, the config, the time and the draws; nothing else.
        let config = config();
        let mut status = BreakerStatus::new(&config, 0.0);
        let mut rng = new_rng(Some(9));
        for _ in 0..5 {
            let (admission, _) = status.acquire(&config, 0.0, &mut rng);
            status.on_outcome(&config, allowed(admission), Outcome::Failure, 0.0, &mut rng);
        }
        assert_eq!(status.state(1.0), State::Open);
        let copy = status.clone();
        assert_eq!(copy, status);
        let (admission, transition) = status.acquire(&config, 30.0, &mut rng);
        assert!(allowed(admission).probe);
        assert_eq!(transition, t(State::Open, State::HalfOpen));
        assert_ne!(copy, status);
    }
}
