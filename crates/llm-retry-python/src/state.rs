//! Shared, thread-safe state exposed to Python: the circuit breaker's state machine and the retry budget.
//! Each wraps the plain Rust type in a mutex that is never held while Python runs.

use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use llm_retry_core::breaker::{Admission, Breaker, BreakerConfig, Permit, Transition};
use llm_retry_core::budget::{self, BudgetConfig};
use llm_retry_core::classify::ErrorKind;

type TransitionNames = Option<(&'static str, &'static str)>;

fn names(t: Option<Transition>) -> TransitionNames {
    t.map(|t| (t.from.as_str(), t.to.as_str()))
}

fn lock<T>(m: &Mutex<T>) -> PyResult<MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| PyRuntimeError::new_err("llm-retry state lock poisoned"))
}

/// The circuit breaker's state machine. `llm_retry.CircuitBreaker` wraps it: Python supplies the clock
/// reading (`now_s`) on every call, and fires hooks for the transitions returned.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct BreakerCore {
    inner: Mutex<Breaker>,
}

#[pymethods]
impl BreakerCore {
    #[new]
    #[pyo3(signature = (*, now_s, failure_threshold=5, cooldown_s=30.0, half_open_max_calls=1,
                        failure_rate_threshold=None, window_s=10.0, bucket_s=1.0, minimum_calls=20,
                        probe_lease_s=300.0, max_cooldown_s=300.0, cooldown_multiplier=2.0,
                        cooldown_jitter=0.2, seed=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        now_s: f64,
        failure_threshold: u32,
        cooldown_s: f64,
        half_open_max_calls: u32,
        failure_rate_threshold: Option<f64>,
        window_s: f64,
        bucket_s: f64,
        minimum_calls: u32,
        probe_lease_s: f64,
        max_cooldown_s: f64,
        cooldown_multiplier: f64,
        cooldown_jitter: f64,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let config = BreakerConfig {
            failure_threshold,
            cooldown_s,
            half_open_max_calls,
            failure_rate_threshold,
            window_s,
            bucket_s,
            minimum_calls,
            probe_lease_s,
            max_cooldown_s,
            cooldown_multiplier,
            cooldown_jitter,
        };
        let breaker = Breaker::new(config, seed, now_s).map_err(PyValueError::new_err)?;
        Ok(BreakerCore {
            inner: Mutex::new(breaker),
        })
    }

    /// Asks to make a call: `(allowed, probe, permit_id, generation, retry_in_s, transition)`.
    fn acquire(&self, now_s: f64) -> PyResult<(bool, bool, u64, u64, f64, TransitionNames)> {
        let (admission, transition) = lock(&self.inner)?.acquire(now_s);
        Ok(match admission {
            Admission::Allowed(p) => (true, p.probe, p.id, p.generation, 0.0, names(transition)),
            Admission::Rejected { retry_in_s } => {
                (false, false, 0, 0, retry_in_s, names(transition))
            }
        })
    }

    /// Reports a success for the permit `(probe, permit_id, generation)`.
    fn on_success(
        &self,
        probe: bool,
        permit_id: u64,
        generation: u64,
        now_s: f64,
    ) -> PyResult<TransitionNames> {
        self.report(
            Permit {
                probe,
                id: permit_id,
                generation,
            },
            now_s,
            Breaker::on_success,
        )
    }

    /// Reports a provider-health failure (rate limit, overload, server error, network).
    fn on_failure(
        &self,
        probe: bool,
        permit_id: u64,
        generation: u64,
        now_s: f64,
    ) -> PyResult<TransitionNames> {
        self.report(
            Permit {
                probe,
                id: permit_id,
                generation,
            },
            now_s,
            Breaker::on_failure,
        )
    }

    /// Reports an outcome that says nothing about the provider's health (client error, cancellation).
    fn on_neutral(
        &self,
        probe: bool,
        permit_id: u64,
        generation: u64,
        now_s: f64,
    ) -> PyResult<TransitionNames> {
        self.report(
            Permit {
                probe,
                id: permit_id,
                generation,
            },
            now_s,
            Breaker::on_neutral,
        )
    }

    fn state(&self, now_s: f64) -> PyResult<&'static str> {
        Ok(lock(&self.inner)?.state(now_s).as_str())
    }

    fn retry_in_s(&self, now_s: f64) -> PyResult<f64> {
        Ok(lock(&self.inner)?.retry_in_s(now_s))
    }

    fn force_open(&self, now_s: f64) -> PyResult<TransitionNames> {
        Ok(names(lock(&self.inner)?.force_open(now_s)))
    }

    fn force_close(&self, now_s: f64) -> PyResult<TransitionNames> {
        Ok(names(lock(&self.inner)?.force_close(now_s)))
    }

    fn stats<'py>(&self, py: Python<'py>, now_s: f64) -> PyResult<Bound<'py, PyDict>> {
        let s = lock(&self.inner)?.stats(now_s);
        let d = PyDict::new(py);
        d.set_item("state", s.state.as_str())?;
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
        Ok(d)
    }
}

impl BreakerCore {
    fn report(
        &self,
        permit: Permit,
        now_s: f64,
        outcome: fn(&mut Breaker, Permit, f64) -> Option<Transition>,
    ) -> PyResult<TransitionNames> {
        Ok(names(outcome(&mut *lock(&self.inner)?, permit, now_s)))
    }
}

/// A retry budget shared by any number of decorated functions (typically one per provider): first
/// attempts always go; each retry spends tokens that successes refill, so that when most calls fail,
/// retries stop adding load. Thread-safe.
///
/// With the defaults a full bucket (500 tokens) pays for 100 retries of rate limits or overloads
/// (5 tokens each) or 50 of other failures (10 each); a first-try success earns 1 token back, and a
/// success after retries refunds the last retry's cost.
#[pyclass(frozen, module = "llm_retry")]
pub struct RetryBudget {
    inner: Mutex<budget::RetryBudget>,
}

#[pymethods]
impl RetryBudget {
    #[new]
    #[pyo3(signature = (*, capacity=500.0, retry_cost=10.0, throttle_retry_cost=5.0, success_reward=1.0))]
    fn new(
        capacity: f64,
        retry_cost: f64,
        throttle_retry_cost: f64,
        success_reward: f64,
    ) -> PyResult<Self> {
        let config = BudgetConfig {
            capacity,
            retry_cost,
            throttle_retry_cost,
            success_reward,
        };
        let inner = budget::RetryBudget::new(config).map_err(PyValueError::new_err)?;
        Ok(RetryBudget {
            inner: Mutex::new(inner),
        })
    }

    /// Spends the cost of one retry of a failure of `kind` (an `ErrorKind` value); returns the cost spent,
    /// or None when the budget cannot pay for it (the call should give up).
    fn try_spend(&self, kind: &str) -> PyResult<Option<f64>> {
        let kind = ErrorKind::from_name(kind).unwrap_or(ErrorKind::Unknown);
        Ok(lock(&self.inner)?.try_spend(kind))
    }

    /// Records a successful call; `spent_s` is what its last retry cost (0 for a first-try success).
    #[pyo3(signature = (last_retry_cost=0.0))]
    fn on_success(&self, last_retry_cost: f64) -> PyResult<()> {
        lock(&self.inner)?.on_success(last_retry_cost);
        Ok(())
    }

    /// Tokens left.
    #[getter]
    fn tokens(&self) -> PyResult<f64> {
        Ok(lock(&self.inner)?.tokens())
    }

    /// Counters: tokens, capacity, retries_allowed, retries_denied, successes.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = lock(&self.inner)?.stats();
        let d = PyDict::new(py);
        d.set_item("tokens", s.tokens)?;
        d.set_item("capacity", s.capacity)?;
        d.set_item("retries_allowed", s.retries_allowed)?;
        d.set_item("retries_denied", s.retries_denied)?;
        d.set_item("successes", s.successes)?;
        Ok(d)
    }

    fn __repr__(&self) -> PyResult<String> {
        let s = lock(&self.inner)?.stats();
        Ok(format!(
            "RetryBudget(tokens={:.1}, capacity={:.1})",
            s.tokens, s.capacity
        ))
    }
}
