//! The circuit breaker's state machine as Python sees it: `BreakerCore` (wrapped by `llm_retry.CircuitBreaker`),
//! the `Permit` or `Refusal` an admission returns, and the `Transition`s it reports. The lock is never held
//! while Python runs.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyDict};

use llm_retry_core::breaker::{self, Admission, Breaker, BreakerConfig, RefusalReason};

use crate::classification::Classification;
use crate::clock::{monotonic_s, now_or_monotonic};
use crate::py_objects;

pub(crate) fn lock<T>(m: &Mutex<T>) -> PyResult<MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| PyRuntimeError::new_err("llm-retry state lock poisoned"))
}

/// A change of breaker state, reported to `on_state_change` hooks.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Transition {
    /// The state left, an `llm_retry.BreakerState`.
    #[pyo3(get)]
    old: Py<PyAny>,
    /// The state entered.
    #[pyo3(get)]
    new: Py<PyAny>,
}

fn transition(py: Python<'_>, t: Option<breaker::Transition>) -> PyResult<Option<Py<Transition>>> {
    t.map(|t| {
        Py::new(
            py,
            Transition {
                old: py_objects::breaker_state(py, t.from)?,
                new: py_objects::breaker_state(py, t.to)?,
            },
        )
    })
    .transpose()
}

/// Leave to make one call; handed back with its outcome through `BreakerCore.record` or `release`.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Permit {
    inner: breaker::Permit,
    /// The transition that granting it made (open to half-open for the first probe), if any.
    #[pyo3(get)]
    transition: Option<Py<Transition>>,
}

#[pymethods]
impl Permit {
    /// Whether this call is a half-open probe, whose outcome closes or reopens the breaker.
    #[getter]
    fn probe(&self) -> bool {
        self.inner.probe
    }
    fn __repr__(&self) -> String {
        format!(
            "Permit(probe={}, id={}, generation={})",
            if self.inner.probe { "True" } else { "False" },
            self.inner.id,
            self.inner.generation
        )
    }
}

/// The breaker did not admit the call.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Refusal {
    /// Seconds to wait before asking again: never sooner than a call could be admitted, jittered upward.
    #[pyo3(get)]
    retry_in_s: f64,
    #[pyo3(get)]
    transition: Option<Py<Transition>>,
    reason: RefusalReason,
}

#[pymethods]
impl Refusal {
    /// Why the call was not admitted, an `llm_retry.RefusalReason`.
    #[getter]
    fn reason(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_objects::refusal_reason(py, self.reason)
    }
    fn __repr__(&self) -> String {
        format!(
            "Refusal(reason={}, retry_in_s={})",
            self.reason.as_str(),
            self.retry_in_s
        )
    }
}

/// A breaker's settings; `BreakerSettings.defaults()` holds the defaults `CircuitBreaker` documents.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct BreakerSettings {
    inner: BreakerConfig,
}

#[pymethods]
impl BreakerSettings {
    /// The defaults: the one place they are written is `BreakerConfig::default()` in the core.
    #[staticmethod]
    fn defaults() -> Self {
        BreakerSettings {
            inner: BreakerConfig::default(),
        }
    }
    #[getter]
    fn failure_threshold(&self) -> u32 {
        self.inner.failure_threshold
    }
    #[getter]
    fn cooldown_s(&self) -> f64 {
        self.inner.cooldown_s
    }
    #[getter]
    fn half_open_max_calls(&self) -> u32 {
        self.inner.half_open_max_calls
    }
    #[getter]
    fn failure_rate_threshold(&self) -> Option<f64> {
        self.inner.failure_rate_threshold
    }
    #[getter]
    fn window_s(&self) -> f64 {
        self.inner.window_s
    }
    #[getter]
    fn bucket_s(&self) -> f64 {
        self.inner.bucket_s
    }
    #[getter]
    fn minimum_calls(&self) -> u32 {
        self.inner.minimum_calls
    }
    #[getter]
    fn probe_lease_s(&self) -> f64 {
        self.inner.probe_lease_s
    }
    #[getter]
    fn max_cooldown_s(&self) -> f64 {
        self.inner.max_cooldown_s
    }
    #[getter]
    fn cooldown_multiplier(&self) -> f64 {
        self.inner.cooldown_multiplier
    }
    #[getter]
    fn cooldown_jitter(&self) -> f64 {
        self.inner.cooldown_jitter
    }
    #[getter]
    fn slow_start_s(&self) -> f64 {
        self.inner.slow_start_s
    }
}

/// The circuit breaker's state machine. `llm_retry.CircuitBreaker` wraps it: every method takes `now_s`, the
/// reading of the breaker's clock, or None to read the default clock (`time.monotonic`) in Rust.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct BreakerCore {
    inner: Mutex<Guarded>,
}

/// The core's breaker, and the permit `acquire_closed` hands out for the generation it was made in. A
/// closed-era permit is only its generation (the core reads a permit's id for probes alone), so one object
/// serves every call of a generation instead of an allocation per call.
struct Guarded {
    breaker: Breaker,
    closed_permit: Option<Py<Permit>>,
}

impl Deref for Guarded {
    type Target = Breaker;
    fn deref(&self) -> &Breaker {
        &self.breaker
    }
}

impl DerefMut for Guarded {
    fn deref_mut(&mut self) -> &mut Breaker {
        &mut self.breaker
    }
}

#[pymethods]
impl BreakerCore {
    /// Settings left out (None) take `BreakerSettings.defaults()`, except `max_cooldown_s`, which the core
    /// derives from `cooldown_s` (`BreakerConfig::default_max_cooldown_s`).
    #[new]
    #[pyo3(signature = (*, now_s, failure_threshold=None, cooldown_s=None, half_open_max_calls=None,
                        failure_rate_threshold=None, window_s=None, bucket_s=None, minimum_calls=None,
                        probe_lease_s=None, max_cooldown_s=None, cooldown_multiplier=None,
                        cooldown_jitter=None, slow_start_s=None, seed=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        now_s: Option<f64>,
        failure_threshold: Option<u32>,
        cooldown_s: Option<f64>,
        half_open_max_calls: Option<u32>,
        failure_rate_threshold: Option<f64>,
        window_s: Option<f64>,
        bucket_s: Option<f64>,
        minimum_calls: Option<u32>,
        probe_lease_s: Option<f64>,
        max_cooldown_s: Option<f64>,
        cooldown_multiplier: Option<f64>,
        cooldown_jitter: Option<f64>,
        slow_start_s: Option<f64>,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let d = BreakerConfig::default();
        let cooldown_s = cooldown_s.unwrap_or(d.cooldown_s);
        let config = BreakerConfig {
            failure_threshold: failure_threshold.unwrap_or(d.failure_threshold),
            cooldown_s,
            half_open_max_calls: half_open_max_calls.unwrap_or(d.half_open_max_calls),
            failure_rate_threshold: failure_rate_threshold.or(d.failure_rate_threshold),
            window_s: window_s.unwrap_or(d.window_s),
            bucket_s: bucket_s.unwrap_or(d.bucket_s),
            minimum_calls: minimum_calls.unwrap_or(d.minimum_calls),
            probe_lease_s: probe_lease_s.unwrap_or(d.probe_lease_s),
            max_cooldown_s: max_cooldown_s
                .unwrap_or_else(|| BreakerConfig::default_max_cooldown_s(cooldown_s)),
            cooldown_multiplier: cooldown_multiplier.unwrap_or(d.cooldown_multiplier),
            probe_share: d.probe_share,
            cooldown_jitter: cooldown_jitter.unwrap_or(d.cooldown_jitter),
            slow_start_s: slow_start_s.unwrap_or(d.slow_start_s),
        };
        let now_s = now_or_monotonic(py, now_s)?;
        let breaker = Breaker::new(config, seed, now_s).map_err(PyValueError::new_err)?;
        Ok(BreakerCore {
            inner: Mutex::new(Guarded {
                breaker,
                closed_permit: None,
            }),
        })
    }

    /// Asks to make a call: a `Permit`, or a `Refusal` saying when to ask again.
    #[pyo3(signature = (now_s=None))]
    fn acquire(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<Py<PyAny>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let (admission, t) = lock(&self.inner)?.acquire(now_s);
        let transition = transition(py, t)?;
        Ok(match admission {
            Admission::Allowed(inner) => Py::new(py, Permit { inner, transition })?.into_any(),
            Admission::Rejected { retry_in_s, reason } => Py::new(
                py,
                Refusal {
                    retry_in_s,
                    transition,
                    reason,
                },
            )?
            .into_any(),
        })
    }

    /// The admission of the common case, for the decorators' first attempt: a `Permit` when the breaker is
    /// closed and admitting in full, else None and nothing happened (ask `acquire`). Reads no clock: the core
    /// decides which admissions need none (`Breaker::acquire_closed`).
    fn acquire_closed(&self, py: Python<'_>) -> PyResult<Option<Py<Permit>>> {
        let inner = {
            let mut guarded = lock(&self.inner)?;
            let Some(inner) = guarded.acquire_closed() else {
                return Ok(None);
            };
            if let Some(permit) = &guarded.closed_permit {
                if permit.get().inner.generation == inner.generation {
                    return Ok(Some(permit.clone_ref(py)));
                }
            }
            inner
        };
        // The first call of a generation: the new permit is made, and the old one dropped, with the lock free.
        let permit = Py::new(
            py,
            Permit {
                inner,
                transition: None,
            },
        )?;
        let replaced = lock(&self.inner)?
            .closed_permit
            .replace(permit.clone_ref(py));
        drop(replaced);
        Ok(Some(permit))
    }

    /// `record(permit, None)` for the decorators' answered first attempt, on the default clock: the same
    /// report with one argument to parse instead of three.
    fn record_success(&self, py: Python<'_>, permit: &Permit) -> PyResult<Option<Py<Transition>>> {
        let now_s = monotonic_s(py)?;
        let t = lock(&self.inner)?.record(permit.inner, None, now_s);
        transition(py, t)
    }

    /// Reports how the call made under `permit` ended: `failure` None for an answer, else the failure's
    /// classification. The core decides what counts against the provider.
    #[pyo3(signature = (permit, failure, now_s=None))]
    fn record(
        &self,
        py: Python<'_>,
        permit: &Permit,
        failure: Option<&Classification>,
        now_s: Option<f64>,
    ) -> PyResult<Option<Py<Transition>>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let kind = failure.map(|c| c.inner.kind);
        let t = lock(&self.inner)?.record(permit.inner, kind, now_s);
        transition(py, t)
    }

    /// Hands `permit` back for a call that ended without an answer from the provider (cancelled,
    /// interrupted): it frees a probe slot and counts for nothing.
    #[pyo3(signature = (permit, now_s=None))]
    fn release(
        &self,
        py: Python<'_>,
        permit: &Permit,
        now_s: Option<f64>,
    ) -> PyResult<Option<Py<Transition>>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let t = lock(&self.inner)?.on_neutral(permit.inner, now_s);
        transition(py, t)
    }

    /// The effective state, an `llm_retry.BreakerState` (an open breaker whose cooldown has passed is
    /// half-open).
    #[pyo3(signature = (now_s=None))]
    fn state(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<Py<PyAny>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let state = lock(&self.inner)?.state(now_s);
        py_objects::breaker_state(py, state)
    }

    #[pyo3(signature = (now_s=None))]
    fn retry_in_s(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<f64> {
        let now_s = now_or_monotonic(py, now_s)?;
        Ok(lock(&self.inner)?.retry_in_s(now_s))
    }

    #[pyo3(signature = (now_s=None))]
    fn force_open(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<Option<Py<Transition>>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let t = lock(&self.inner)?.force_open(now_s);
        transition(py, t)
    }

    #[pyo3(signature = (now_s=None))]
    fn force_close(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<Option<Py<Transition>>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let t = lock(&self.inner)?.force_close(now_s);
        transition(py, t)
    }

    /// Closes an open or half-open breaker as a probe's answer would, slow start included (a probe in
    /// another process found the provider back); None when it was already closed.
    #[pyo3(signature = (now_s=None))]
    fn close_after_probe(
        &self,
        py: Python<'_>,
        now_s: Option<f64>,
    ) -> PyResult<Option<Py<Transition>>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let t = lock(&self.inner)?.close_after_probe(now_s);
        transition(py, t)
    }

    /// A refused caller waits `for_s` and then asks again: a backlog that a close by a probe elsewhere
    /// (`close_after_probe`) lets in spread over its first interval.
    #[pyo3(signature = (for_s, now_s=None))]
    fn waiting(&self, py: Python<'_>, for_s: f64, now_s: Option<f64>) -> PyResult<()> {
        let now_s = now_or_monotonic(py, now_s)?;
        lock(&self.inner)?.waiting(now_s, for_s);
        Ok(())
    }

    /// A 429 met during a slow start by another process sharing a store: this process's pace is cut as by
    /// its own; nothing outside a slow start.
    #[pyo3(signature = (now_s=None))]
    fn throttled_elsewhere(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<()> {
        let now_s = now_or_monotonic(py, now_s)?;
        lock(&self.inner)?.throttled_elsewhere(now_s);
        Ok(())
    }

    /// Counters and the current state, as `CircuitBreaker.stats` shows them.
    #[pyo3(signature = (now_s=None))]
    fn stats<'py>(&self, py: Python<'py>, now_s: Option<f64>) -> PyResult<Bound<'py, PyDict>> {
        let now_s = now_or_monotonic(py, now_s)?;
        let s = lock(&self.inner)?.stats(now_s);
        let d = PyDict::new(py);
        d.set_item("state", py_objects::breaker_state(py, s.state)?)?;
        d.set_item("total_calls", s.total_calls)?;
        d.set_item("successes", s.successes)?;
        d.set_item("failures", s.failures)?;
        d.set_item("neutral", s.neutral)?;
        d.set_item("rejected", s.rejected)?;
        d.set_item("consecutive_failures", s.consecutive_failures)?;
        d.set_item("window_calls", s.window_calls)?;
        d.set_item("window_failures", s.window_failures)?;
        d.set_item("failure_rate", s.failure_rate)?;
        d.set_item("opened_count", s.opened_count)?;
        d.set_item("time_in_state_s", s.time_in_state_s)?;
        d.set_item("current_cooldown_s", s.current_cooldown_s)?;
        d.set_item("probes_in_flight", s.probes_in_flight)?;
        d.set_item("slow_start_left_s", s.slow_start_left_s)?;
        d.set_item("admit_fraction", s.admit_fraction)?;
        d.set_item("paced_rate", s.paced_rate)?;
        d.set_item("rate_before_trip", s.rate_before_trip)?;
        d.set_item("paced_rate_limits", s.paced_rate_limits)?;
        Ok(d)
    }
}
