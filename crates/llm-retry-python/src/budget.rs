//! `RetryBudget` as Python sees it: the core's token bucket behind a mutex that is never held while Python
//! runs. What a retry costs is the core's decision.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use llm_retry_core::budget::{self, BudgetConfig};
use llm_retry_core::classify::ErrorKind;

use crate::breaker::lock;
use crate::policy::kind_values;

/// A budget's settings; `BudgetSettings.defaults()` holds the defaults `llm_retry.RetryBudget` documents.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct BudgetSettings {
    inner: BudgetConfig,
}

#[pymethods]
impl BudgetSettings {
    /// The defaults: the one place they are written is `BudgetConfig::default()` in the core.
    #[staticmethod]
    fn defaults() -> Self {
        BudgetSettings {
            inner: BudgetConfig::default(),
        }
    }
    #[getter]
    fn capacity(&self) -> f64 {
        self.inner.capacity
    }
    #[getter]
    fn retry_cost(&self) -> f64 {
        self.inner.retry_cost
    }
    #[getter]
    fn throttle_retry_cost(&self) -> f64 {
        self.inner.throttle_retry_cost
    }
    #[getter]
    fn success_reward(&self) -> f64 {
        self.inner.success_reward
    }
}

/// The retry budget's token bucket. `llm_retry.RetryBudget` is this class with a constructor that checks
/// its arguments (`_validate`) before they reach here.
///
/// A retry budget is shared by any number of decorated functions (typically one per provider): first
/// attempts always go; each retry spends tokens that successes refill, so that when most calls fail,
/// retries stop adding load. Thread-safe.
///
/// With the defaults a full bucket (500 tokens) pays for 100 retries of rate limits or overloads
/// (5 tokens each) or 50 of other failures (10 each); a first-try success earns 1 token back, and a
/// success after retries refunds the last retry's cost.
#[pyclass(frozen, subclass, module = "llm_retry._core")]
pub struct RetryBudget {
    inner: Mutex<budget::RetryBudget>,
}

#[pymethods]
impl RetryBudget {
    /// Settings left out take `BudgetSettings.defaults()` (`BudgetConfig::default()` in the core).
    #[new]
    #[pyo3(signature = (*, capacity=None, retry_cost=None, throttle_retry_cost=None, success_reward=None))]
    fn new(
        capacity: Option<f64>,
        retry_cost: Option<f64>,
        throttle_retry_cost: Option<f64>,
        success_reward: Option<f64>,
    ) -> PyResult<Self> {
        let d = BudgetConfig::default();
        let config = BudgetConfig {
            capacity: capacity.unwrap_or(d.capacity),
            retry_cost: retry_cost.unwrap_or(d.retry_cost),
            throttle_retry_cost: throttle_retry_cost.unwrap_or(d.throttle_retry_cost),
            success_reward: success_reward.unwrap_or(d.success_reward),
        };
        let inner = budget::RetryBudget::new(config).map_err(PyValueError::new_err)?;
        Ok(RetryBudget {
            inner: Mutex::new(inner),
        })
    }

    /// Spends the cost of one retry of a failure of `kind` (an `ErrorKind` or its value); returns the cost
    /// spent, or None when the budget cannot pay for it (the call should give up). Any other string is a
    /// `ValueError`.
    fn try_spend(&self, kind: &str) -> PyResult<Option<f64>> {
        let kind = ErrorKind::from_name(kind).ok_or_else(|| {
            PyValueError::new_err(format!(
                "kind must be an ErrorKind ({}), got {kind:?}",
                kind_values()
            ))
        })?;
        Ok(lock(&self.inner)?.try_spend(kind))
    }

    /// Records a successful call; `last_retry_cost` is what its last retry cost (0 for a first-try success).
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
