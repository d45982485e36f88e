//! The rate-limit gate as Python sees it: `GateCore` (wrapped by `llm_retry.RateLimitGate`), the `GateStats`
//! it reports and the `HoldTooLong` an admission returns when a caller cannot wait. The lock is never held
//! while Python runs; `holding` mirrors the core's `Gate::holding` in an atomic, so the success path reads it
//! without the lock and without a clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyFloat};

use llm_retry_core::classify::ErrorKind;
use llm_retry_core::gate::{self, Gate, GateAdmission, GateConfig};
use llm_retry_core::policy::GiveUpReason;

use crate::breaker::lock;
use crate::classification::Classification;
use crate::clock::now_or_monotonic;
use crate::py_objects;

/// A gate's settings; `GateSettings.defaults()` holds the defaults `RateLimitGate` documents.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct GateSettings {
    inner: GateConfig,
}

#[pymethods]
impl GateSettings {
    /// The defaults: the one place they are written is `GateConfig::default()` in the core.
    #[staticmethod]
    fn defaults() -> Self {
        GateSettings {
            inner: GateConfig::default(),
        }
    }
    #[getter]
    fn jitter(&self) -> f64 {
        self.inner.jitter
    }
    /// The longest hold one hint can set (`gate::LONGEST_HOLD_S`).
    #[getter]
    fn longest_hold_s(&self) -> f64 {
        gate::LONGEST_HOLD_S
    }
}

/// What a `RateLimitGate` has done: hints that set or extended a hold, admissions it held, and admissions it
/// failed fast because the hold was longer than the caller could wait.
#[pyclass(frozen, eq, module = "llm_retry._core")]
#[derive(PartialEq)]
pub struct GateStats {
    /// Hints that set a hold or moved its end later.
    #[pyo3(get)]
    holds_set: u64,
    /// Admissions told to wait (a caller held by two holds counts twice).
    #[pyo3(get)]
    callers_held: u64,
    /// Admissions refused because the hold outlasted the caller's deadline or `max_retry_after_s`.
    #[pyo3(get)]
    callers_failed_fast: u64,
    /// Seconds left of the hold in force; 0 when there is none.
    #[pyo3(get)]
    retry_in_s: f64,
}

#[pymethods]
impl GateStats {
    fn __repr__(&self) -> String {
        format!(
            "GateStats(holds_set={}, callers_held={}, callers_failed_fast={}, retry_in_s={:?})",
            self.holds_set, self.callers_held, self.callers_failed_fast, self.retry_in_s
        )
    }
}

/// The hold in force lasts longer than the caller can wait.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct HoldTooLong {
    /// The hold left, exactly.
    #[pyo3(get)]
    hold_s: f64,
    /// The hold left, jittered upward: when a caller that schedules its own retry should come back.
    #[pyo3(get)]
    retry_in_s: f64,
    reason: GiveUpReason,
}

#[pymethods]
impl HoldTooLong {
    /// `GiveUpReason.HINT_TOO_LONG` (past the caller's `max_retry_after_s`) or `GiveUpReason.DEADLINE`.
    #[getter]
    fn reason(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_objects::give_up_reason(py, self.reason)
    }
}

/// The rate-limit gate's state. `llm_retry.RateLimitGate` wraps it: every method that needs the time takes
/// `now_s`, the reading of the gate's clock, or None to read the default clock (`time.monotonic`) in Rust.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct GateCore {
    inner: Mutex<Gate>,
    /// `Gate::holding`, written under the lock after every change, read without it.
    holding: AtomicBool,
}

impl GateCore {
    fn publish(&self, gate: &Gate) {
        self.holding.store(gate.holding(), Ordering::Release);
    }
}

#[pymethods]
impl GateCore {
    /// Settings left out (None) take `GateSettings.defaults()`.
    #[new]
    #[pyo3(signature = (*, now_s, jitter=None, seed=None))]
    fn new(
        py: Python<'_>,
        now_s: Option<f64>,
        jitter: Option<f64>,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let d = GateConfig::default();
        let config = GateConfig {
            jitter: jitter.unwrap_or(d.jitter),
        };
        let now_s = now_or_monotonic(py, now_s)?;
        let gate = Gate::new(config, seed, now_s).map_err(PyValueError::new_err)?;
        Ok(GateCore {
            inner: Mutex::new(gate),
            holding: AtomicBool::new(false),
        })
    }

    /// True when no hold can be in force: every caller may go, and no clock need be read. False means
    /// "ask `admit`" (a hold that has ended reads False until an admission sees it ended).
    fn quiet(&self) -> bool {
        !self.holding.load(Ordering::Acquire)
    }

    /// Reports a failed attempt's classification; the core decides whether its hint holds the gate. Returns
    /// whether it set a hold or moved its end later.
    #[pyo3(signature = (failure, now_s=None))]
    fn record(
        &self,
        py: Python<'_>,
        failure: &Classification,
        now_s: Option<f64>,
    ) -> PyResult<bool> {
        let c = &failure.inner;
        let now_s = now_or_monotonic(py, now_s)?;
        let mut gate = lock(&self.inner)?;
        let changed = gate.record(c.kind, c.retry_after_s, now_s);
        self.publish(&gate);
        Ok(changed)
    }

    /// Holds the gate for `hold_s` from now, as a rate-limit hint of that length would (a hold another
    /// process set, merged in by a shared store). Returns whether it set a hold or moved its end later.
    #[pyo3(signature = (hold_s, now_s=None))]
    fn hold_for(&self, py: Python<'_>, hold_s: f64, now_s: Option<f64>) -> PyResult<bool> {
        let now_s = now_or_monotonic(py, now_s)?;
        let mut gate = lock(&self.inner)?;
        let changed = gate.record(ErrorKind::RateLimited, Some(hold_s), now_s);
        self.publish(&gate);
        Ok(changed)
    }

    /// Before an attempt: a float, the seconds to wait (0.0: go now), or a `HoldTooLong` when the hold
    /// outlasts `remaining_s` (the caller's deadline, None without one) or `max_hold_s`.
    #[pyo3(signature = (now_s, remaining_s, max_hold_s))]
    fn admit(
        &self,
        py: Python<'_>,
        now_s: Option<f64>,
        remaining_s: Option<f64>,
        max_hold_s: f64,
    ) -> PyResult<Py<PyAny>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let admission = {
            let mut gate = lock(&self.inner)?;
            let admission = gate.admit(now_s, remaining_s, max_hold_s);
            self.publish(&gate);
            admission
        };
        Ok(match admission {
            GateAdmission::Go => PyFloat::new(py, 0.0).into_any().unbind(),
            GateAdmission::Wait { wait_s } => PyFloat::new(py, wait_s).into_any().unbind(),
            GateAdmission::TooLong {
                hold_s,
                retry_in_s,
                reason,
            } => Py::new(
                py,
                HoldTooLong {
                    hold_s,
                    retry_in_s,
                    reason,
                },
            )?
            .into_any(),
        })
    }

    /// Seconds left of the hold in force, exactly; 0 when there is none.
    #[pyo3(signature = (now_s=None))]
    fn retry_in_s(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<f64> {
        let now_s = now_or_monotonic(py, now_s)?;
        Ok(lock(&self.inner)?.retry_in_s(now_s))
    }

    #[pyo3(signature = (now_s=None))]
    fn stats(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<GateStats> {
        let now_s = now_or_monotonic(py, now_s)?;
        let s = lock(&self.inner)?.stats(now_s);
        Ok(GateStats {
            holds_set: s.holds_set,
            callers_held: s.callers_held,
            callers_failed_fast: s.callers_failed_fast,
            retry_in_s: s.retry_in_s,
        })
    }
}
