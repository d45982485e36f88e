//! The monotonic clock a breaker reads when its Python clock is the default `time.monotonic`: one clock read
//! in Rust instead of a Python call per admission and per outcome, on the same timeline.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::py_objects;

/// `time.monotonic()` read once, and the `Instant` read beside it. Both are the OS's monotonic clock
/// (CLOCK_MONOTONIC on Linux, mach_absolute_time on macOS, QueryPerformanceCounter on Windows), so their
/// difference stays fixed: later readings need no Python call.
static ANCHOR: PyOnceLock<(f64, Instant)> = PyOnceLock::new();

/// Seconds on `time.monotonic`'s timeline, now.
pub fn monotonic_s(py: Python<'_>) -> PyResult<f64> {
    let (anchor_s, anchor) = ANCHOR.get_or_try_init(py, || -> PyResult<(f64, Instant)> {
        let now_s = py_objects::time_monotonic(py)?;
        Ok((now_s, Instant::now()))
    })?;
    Ok(anchor_s + anchor.elapsed().as_secs_f64())
}

/// `now_s` when the caller read its own clock, else the default clock.
#[inline]
pub fn now_or_monotonic(py: Python<'_>, now_s: Option<f64>) -> PyResult<f64> {
    match now_s {
        Some(now_s) => Ok(now_s),
        None => monotonic_s(py),
    }
}
