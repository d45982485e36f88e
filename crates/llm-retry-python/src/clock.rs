//! The monotonic clock a breaker or a retry budget reads when its Python clock is the default `time.monotonic`:
//! one clock read in Rust instead of a Python call per admission, outcome or first attempt, on the same
//! timeline.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::py_objects;

/// `time.monotonic()` read once, and the OS clocks read beside it. All are the OS's monotonic clock
/// (CLOCK_MONOTONIC on Linux, mach_absolute_time on macOS, QueryPerformanceCounter on Windows; the coarse
/// clock is CLOCK_MONOTONIC at the resolution of a tick), so their differences stay fixed: later readings
/// need no Python call.
struct Anchor {
    monotonic_s: f64,
    instant: Instant,
    /// The coarse clock's own reading, where the OS has one.
    coarse_s: Option<f64>,
}

static ANCHOR: PyOnceLock<Anchor> = PyOnceLock::new();

fn anchor(py: Python<'_>) -> PyResult<&Anchor> {
    ANCHOR.get_or_try_init(py, || -> PyResult<Anchor> {
        let monotonic_s = py_objects::time_monotonic(py)?;
        Ok(Anchor {
            monotonic_s,
            instant: Instant::now(),
            coarse_s: coarse::now_s(),
        })
    })
}

/// Seconds on `time.monotonic`'s timeline, now.
pub fn monotonic_s(py: Python<'_>) -> PyResult<f64> {
    let anchor = anchor(py)?;
    Ok(anchor.monotonic_s + anchor.instant.elapsed().as_secs_f64())
}

/// `monotonic_s` to within a tick of the OS's clock (1-4 ms on Linux), at a seventh of its cost where the OS
/// keeps a coarse clock: a retry budget reads it at every first attempt of every call, and its buckets are a
/// second wide. Linux and Android read CLOCK_MONOTONIC_COARSE (4 ns on the bench machine, against 30 ns for
/// `Instant::now`); elsewhere this is `monotonic_s`.
pub fn coarse_monotonic_s(py: Python<'_>) -> PyResult<f64> {
    let anchor = anchor(py)?;
    match (anchor.coarse_s, coarse::now_s()) {
        (Some(then_s), Some(now_s)) => Ok(anchor.monotonic_s + (now_s - then_s)),
        _ => Ok(anchor.monotonic_s + anchor.instant.elapsed().as_secs_f64()),
    }
}

/// `now_s` when the caller read its own clock, else the default clock.
#[inline]
pub fn now_or_monotonic(py: Python<'_>, now_s: Option<f64>) -> PyResult<f64> {
    match now_s {
        Some(now_s) => Ok(now_s),
        None => monotonic_s(py),
    }
}

/// `now_s`, else the coarse default clock (a retry budget's).
#[inline]
pub fn now_or_coarse_monotonic(py: Python<'_>, now_s: Option<f64>) -> PyResult<f64> {
    match now_s {
        Some(now_s) => Ok(now_s),
        None => coarse_monotonic_s(py),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod coarse {
    /// CLOCK_MONOTONIC_COARSE in seconds; None if the kernel has no such clock (before Linux 2.6.32).
    pub fn now_s() -> Option<f64> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the whole call, which writes nothing else (std has no
        // coarse clock to call instead).
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
        (rc == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod coarse {
    pub fn now_s() -> Option<f64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(reading: PyResult<f64>) -> f64 {
        match reading {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// No timing: each coarse reading is bracketed by precise ones, whatever the scheduler does between them.
    #[test]
    fn the_coarse_clock_keeps_to_the_precise_one_and_never_goes_back() {
        Python::initialize();
        Python::attach(|py| {
            // A tick is 1-4 ms on Linux (CONFIG_HZ), and the anchor may have been read mid-tick.
            let tick_s = 0.01;
            let mut last_s = f64::NEG_INFINITY;
            for _ in 0..1000 {
                let before_s = read(monotonic_s(py));
                let coarse_s = read(coarse_monotonic_s(py));
                let after_s = read(py_objects::time_monotonic(py));
                assert!(
                    before_s - tick_s <= coarse_s && coarse_s <= after_s + tick_s,
                    "{before_s} <= {coarse_s} <= {after_s}"
                );
                assert!(coarse_s >= last_s);
                last_s = coarse_s;
            }
        });
    }
}
