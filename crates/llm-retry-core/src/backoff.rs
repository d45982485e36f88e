//! Full-jitter exponential backoff: the wait when the server gave no hint, drawn uniformly from
//! [0, min(max, base * 2^(attempt-1))] so that clients that failed together do not retry together; and the
//! upward-only jitter of the waits a breaker or a gate tells its callers, which must never end early.

use rand::rngs::{SmallRng, SysRng};
use rand::{Rng, RngExt, SeedableRng};

/// No delay this crate computes is longer than a year. A longer wait is a bug or a hostile header, and
/// Python's `time.sleep` overflows long before f64 does.
pub const LONGEST_DELAY_S: f64 = 31_536_000.0;

/// The generator behind the jitter: reproducible when `seed` is given (tests, simulations), seeded from the
/// OS otherwise.
pub fn new_rng(seed: Option<u64>) -> SmallRng {
    match seed {
        Some(seed) => SmallRng::seed_from_u64(seed),
        // An OS without entropy (early boot, a locked-down sandbox) must not turn a retry into a crash:
        // jitter only needs callers to differ, not to be unpredictable.
        None => SmallRng::try_from_rng(&mut SysRng)
            .unwrap_or_else(|_| SmallRng::seed_from_u64(fallback_seed())),
    }
}

/// Clock, process and stack address: different enough between processes to spread their retries.
fn fallback_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let marker = 0u8;
    let address = &marker as *const u8 as u64;
    nanos ^ u64::from(std::process::id()).rotate_left(32) ^ address.rotate_left(17)
}

/// The most the k-th failed attempt (k = 1, 2, ...; 0 counts as 1) may wait:
/// `min(max_delay_s, base_delay_s * 2^(k-1))`, never above `LONGEST_DELAY_S`.
///
/// Always finite and >= 0: a NaN, negative or zero base or max gives 0; an infinite base gives the max; an
/// infinite max is capped at `LONGEST_DELAY_S`.
pub fn ceiling_s(attempt: u32, base_delay_s: f64, max_delay_s: f64) -> f64 {
    if base_delay_s.is_nan() || max_delay_s.is_nan() || base_delay_s <= 0.0 || max_delay_s <= 0.0 {
        return 0.0;
    }
    let max_s = max_delay_s.min(LONGEST_DELAY_S);
    // 2^2100 overflows f64 whatever the base (the smallest subnormal is 2^-1074), so clamping the exponent
    // there changes nothing; splitting it keeps a tiny base from being multiplied by an infinite power early.
    let doublings = attempt.saturating_sub(1).min(2100) as i32;
    let first = doublings.min(1000);
    let grown = base_delay_s * 2f64.powi(first) * 2f64.powi(doublings - first);
    grown.min(max_s)
}

/// A wait drawn uniformly from [0, `ceiling_s(attempt, base, max)`]; 0 when the ceiling is 0.
pub fn full_jitter_s(attempt: u32, base_delay_s: f64, max_delay_s: f64, rng: &mut SmallRng) -> f64 {
    let ceiling = ceiling_s(attempt, base_delay_s, max_delay_s);
    // `random_range` panics on an empty or non-finite range; `ceiling_s` is finite, so only 0 needs a guard.
    if ceiling > 0.0 {
        rng.random_range(0.0..=ceiling).min(ceiling)
    } else {
        0.0
    }
}

/// `base_s` plus a uniform draw from [0, `spread_s`): a wait that never ends before `base_s` (waking early
/// only earns another refusal) and that callers told the same `base_s` at once do not all end together.
/// Always finite and >= 0: a NaN or negative base or spread counts as 0, and the sum stays within
/// `LONGEST_DELAY_S`. Draws one number whatever the inputs, so a seeded sequence does not depend on them.
pub fn upward_jitter_s<R: Rng + ?Sized>(base_s: f64, spread_s: f64, rng: &mut R) -> f64 {
    let draw: f64 = rng.random();
    let base_s = finite_non_negative(base_s);
    let spread_s = finite_non_negative(spread_s);
    (base_s + spread_s * draw).min(LONGEST_DELAY_S.max(base_s))
}

/// NaN, negative and -inf are 0; +inf is `LONGEST_DELAY_S`.
fn finite_non_negative(seconds: f64) -> f64 {
    if seconds > 0.0 {
        seconds.min(LONGEST_DELAY_S)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upward_jitter_is_never_early_and_spreads() {
        let mut rng = new_rng(Some(8));
        let waits: Vec<f64> = (0..1000)
            .map(|_| upward_jitter_s(10.0, 2.5, &mut rng))
            .collect();
        assert!(
            waits.iter().all(|&w| (10.0..12.5).contains(&w)),
            "{waits:?}"
        );
        let mut distinct = waits.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            waits.len(),
            "two callers told the same wait"
        );
        // Spread over the whole window, not bunched at its start.
        let late = waits.iter().filter(|&&w| w > 11.25).count();
        assert!((400..600).contains(&late), "{late}");
    }

    #[test]
    fn upward_jitter_of_odd_inputs_is_finite() {
        let mut rng = new_rng(Some(1));
        for (base, spread) in [
            (f64::NAN, 1.0),
            (-3.0, 1.0),
            (1.0, f64::NAN),
            (1.0, -1.0),
            (f64::INFINITY, f64::INFINITY),
            (f64::NEG_INFINITY, 0.0),
            (0.0, 0.0),
        ] {
            let wait = upward_jitter_s(base, spread, &mut rng);
            assert!(wait.is_finite() && wait >= 0.0, "{base} {spread}: {wait}");
            assert!(wait <= LONGEST_DELAY_S, "{base} {spread}: {wait}");
        }
        assert_eq!(upward_jitter_s(2.0, 0.0, &mut rng), 2.0);
    }

    #[test]
    fn ceiling_doubles_from_the_base_and_stops_at_the_max() {
        assert_eq!(ceiling_s(1, 0.5, 8.0), 0.5);
        assert_eq!(ceiling_s(2, 0.5, 8.0), 1.0);
        assert_eq!(ceiling_s(3, 0.5, 8.0), 2.0);
        assert_eq!(ceiling_s(5, 0.5, 8.0), 8.0);
        assert_eq!(ceiling_s(6, 0.5, 8.0), 8.0);
    }

    #[test]
    fn attempt_zero_counts_as_the_first() {
        assert_eq!(ceiling_s(0, 1.0, 60.0), ceiling_s(1, 1.0, 60.0));
    }

    #[test]
    fn huge_attempt_numbers_give_the_max() {
        for attempt in [64, 1023, 1024, 1025, 5000, u32::MAX - 1, u32::MAX] {
            assert_eq!(ceiling_s(attempt, 1.0, 60.0), 60.0, "attempt {attempt}");
        }
        // Even the smallest positive base (2^-1074) outgrows any max within 1,100 doublings.
        for attempt in [1100, 5000, u32::MAX] {
            assert_eq!(
                ceiling_s(attempt, f64::MIN_POSITIVE, 60.0),
                60.0,
                "attempt {attempt}"
            );
            assert_eq!(ceiling_s(attempt, 5e-324, 60.0), 60.0, "attempt {attempt}");
        }
        let mut rng = new_rng(Some(1));
        let delay_s = full_jitter_s(u32::MAX, 1.0, 60.0, &mut rng);
        assert!((0.0..=60.0).contains(&delay_s));
    }

    #[test]
    fn a_tiny_base_still_grows_exactly() {
        // 2^-1000 * 2^1003 = 8, with no overflow on the way.
        let base = 2f64.powi(-1000);
        assert_eq!(ceiling_s(1004, base, 60.0), 8.0);
    }

    #[test]
    fn bad_inputs_give_zero_or_the_max() {
        let cases = [
            (f64::NAN, 60.0, 0.0),
            (1.0, f64::NAN, 0.0),
            (-1.0, 60.0, 0.0),
            (1.0, -60.0, 0.0),
            (0.0, 60.0, 0.0),
            (1.0, 0.0, 0.0),
            (f64::NEG_INFINITY, 60.0, 0.0),
            (1.0, f64::NEG_INFINITY, 0.0),
            (f64::INFINITY, 60.0, 60.0),
            (f64::INFINITY, f64::INFINITY, LONGEST_DELAY_S),
            (1.0, f64::INFINITY, 4.0),
            (f64::MAX, f64::MAX, LONGEST_DELAY_S),
        ];
        for (base, max, expected) in cases {
            assert_eq!(ceiling_s(3, base, max), expected, "base {base}, max {max}");
            let delay_s = full_jitter_s(3, base, max, &mut new_rng(Some(7)));
            assert!(
                delay_s.is_finite() && (0.0..=expected).contains(&delay_s),
                "base {base}, max {max}"
            );
        }
        assert_eq!(ceiling_s(u32::MAX, 1.0, f64::INFINITY), LONGEST_DELAY_S);
    }

    #[test]
    fn zero_ceiling_gives_zero_without_drawing() {
        let mut rng = new_rng(Some(3));
        assert_eq!(full_jitter_s(1, 0.0, 60.0, &mut rng), 0.0);
        assert_eq!(full_jitter_s(1, f64::NAN, f64::NAN, &mut rng), 0.0);
    }

    #[test]
    fn samples_stay_within_zero_and_the_ceiling() {
        let mut rng = new_rng(Some(42));
        for attempt in 1..=12 {
            let ceiling = ceiling_s(attempt, 0.5, 30.0);
            for _ in 0..2_000 {
                let delay_s = full_jitter_s(attempt, 0.5, 30.0, &mut rng);
                assert!(
                    (0.0..=ceiling).contains(&delay_s),
                    "attempt {attempt}: {delay_s} > {ceiling}"
                );
            }
        }
    }

    #[test]
    fn mean_is_about_half_the_ceiling() {
        let mut rng = new_rng(Some(2024));
        let samples = 20_000;
        let total: f64 = (0..samples)
            .map(|_| full_jitter_s(4, 1.0, 60.0, &mut rng))
            .sum();
        let mean = total / f64::from(samples);
        // Ceiling 8 s: the mean of U(0, 8) is 4 with a standard error of about 0.016 here.
        assert!((mean - 4.0).abs() < 0.15, "mean {mean}");
    }

    #[test]
    fn the_jitter_is_not_rounded() {
        let mut rng = new_rng(Some(5));
        let fractional = (0..100)
            .map(|_| full_jitter_s(3, 1.0, 60.0, &mut rng))
            .filter(|d| d.fract() != 0.0)
            .count();
        assert!(fractional > 90);
    }

    #[test]
    fn a_seed_makes_the_sequence_repeatable() {
        let draw = |seed| {
            let mut rng = new_rng(Some(seed));
            (1..=20)
                .map(|attempt| full_jitter_s(attempt, 0.5, 30.0, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }

    #[test]
    fn unseeded_generators_differ() {
        let mut a = new_rng(None);
        let mut b = new_rng(None);
        let draws_a: Vec<f64> = (0..8)
            .map(|_| full_jitter_s(10, 1.0, 60.0, &mut a))
            .collect();
        let draws_b: Vec<f64> = (0..8)
            .map(|_| full_jitter_s(10, 1.0, 60.0, &mut b))
            .collect();
        assert_ne!(draws_a, draws_b);
    }
}
