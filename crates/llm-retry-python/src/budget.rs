//! The retry budget as Python sees it: `BudgetCore` (wrapped by `llm_retry.RetryBudget`), its settings and its
//! `BudgetStats`. The core's window sits behind a mutex that is never held while Python runs.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use llm_retry_core::budget::{self, BudgetConfig};

use crate::breaker::lock;
use crate::clock::{coarse_monotonic_s, now_or_coarse_monotonic};

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
    fn window_s(&self) -> f64 {
        self.inner.window_s
    }
    #[getter]
    fn min_retries(&self) -> u32 {
        self.inner.min_retries
    }
    #[getter]
    fn retry_ratio(&self) -> f64 {
        self.inner.retry_ratio
    }
    /// Width of one bucket of the window: events expire a bucket at a time.
    #[getter]
    fn bucket_s(&self) -> f64 {
        self.inner.bucket_s()
    }
}

/// What a retry budget has seen: lifetime counts, the same over its window, and the retries it would allow
/// now. A frozen value, read from the budget at one moment.
#[pyclass(frozen, eq, hash, module = "llm_retry._core")]
#[derive(PartialEq, Eq, Hash)]
pub struct BudgetStats {
    /// First attempts reported, ever.
    #[pyo3(get)]
    first_attempts: u64,
    /// Retries the budget allowed, ever.
    #[pyo3(get)]
    retries_allowed: u64,
    /// Retries the budget refused (each ended its call), ever.
    #[pyo3(get)]
    retries_refused: u64,
    #[pyo3(get)]
    first_attempts_in_window: u64,
    #[pyo3(get)]
    retries_allowed_in_window: u64,
    #[pyo3(get)]
    retries_refused_in_window: u64,
    /// Retries that would be allowed now.
    #[pyo3(get)]
    retries_available: u64,
}

impl From<budget::BudgetStats> for BudgetStats {
    fn from(s: budget::BudgetStats) -> Self {
        BudgetStats {
            first_attempts: s.first_attempts,
            retries_allowed: s.retries_allowed,
            retries_refused: s.retries_refused,
            first_attempts_in_window: s.first_attempts_in_window,
            retries_allowed_in_window: s.retries_allowed_in_window,
            retries_refused_in_window: s.retries_refused_in_window,
            retries_available: s.retries_available,
        }
    }
}

#[pymethods]
impl BudgetStats {
    fn __repr__(&self) -> String {
        format!(
            "BudgetStats(first_attempts={}, retries_allowed={}, retries_refused={}, \
             first_attempts_in_window={}, retries_allowed_in_window={}, retries_refused_in_window={}, \
             retries_available={})",
            self.first_attempts,
            self.retries_allowed,
            self.retries_refused,
            self.first_attempts_in_window,
            self.retries_allowed_in_window,
            self.retries_refused_in_window,
            self.retries_available
        )
    }
}

/// The retry budget's sliding window. `llm_retry.RetryBudget` wraps it: every method takes `now_s`, the
/// reading of the budget's clock, or None to read the default clock (`time.monotonic`, to within a few
/// milliseconds: `clock::coarse_monotonic_s`) in Rust.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct BudgetCore {
    inner: Mutex<budget::RetryBudget>,
    /// The settings, which never change: read without the lock.
    config: BudgetConfig,
}

#[pymethods]
impl BudgetCore {
    /// Settings left out (None) take `BudgetSettings.defaults()`.
    #[new]
    #[pyo3(signature = (*, now_s, window_s=None, min_retries=None, retry_ratio=None))]
    fn new(
        py: Python<'_>,
        now_s: Option<f64>,
        window_s: Option<f64>,
        min_retries: Option<u32>,
        retry_ratio: Option<f64>,
    ) -> PyResult<Self> {
        let d = BudgetConfig::default();
        let config = BudgetConfig {
            window_s: window_s.unwrap_or(d.window_s),
            min_retries: min_retries.unwrap_or(d.min_retries),
            retry_ratio: retry_ratio.unwrap_or(d.retry_ratio),
        };
        let now_s = now_or_coarse_monotonic(py, now_s)?;
        let inner =
            budget::RetryBudget::new(config.clone(), now_s).map_err(PyValueError::new_err)?;
        Ok(BudgetCore {
            inner: Mutex::new(inner),
            config,
        })
    }

    /// A first attempt is being made, now on the default clock (the coarse one: no argument to parse, nothing
    /// allocated). The engine reports each first attempt so; the decorators count theirs and report batches.
    fn deposit(&self, py: Python<'_>) -> PyResult<()> {
        let now_s = coarse_monotonic_s(py)?;
        lock(&self.inner)?.deposit(now_s);
        Ok(())
    }

    /// `count` first attempts made since the caller last reported; returns how many it may count on its
    /// own before the next report (`budget::RetryBudget::deposit_many`).
    #[pyo3(signature = (count, now_s=None))]
    fn deposit_batch(&self, py: Python<'_>, count: u32, now_s: Option<f64>) -> PyResult<u32> {
        let now_s = now_or_coarse_monotonic(py, now_s)?;
        Ok(lock(&self.inner)?.deposit_many(now_s, count))
    }

    /// `deposit`, at `now_s` on the budget's own clock.
    fn deposit_at(&self, now_s: f64) -> PyResult<()> {
        lock(&self.inner)?.deposit(now_s);
        Ok(())
    }

    /// Before a retry: True, and counted, when the window leaves room for it; False, counted as a refusal,
    /// when it does not (the call should give up).
    #[pyo3(signature = (now_s=None))]
    fn try_withdraw(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<bool> {
        let now_s = now_or_coarse_monotonic(py, now_s)?;
        Ok(lock(&self.inner)?.try_withdraw(now_s))
    }

    /// The counts as `RetryBudget.stats` shows them.
    #[pyo3(signature = (now_s=None))]
    fn stats(&self, py: Python<'_>, now_s: Option<f64>) -> PyResult<BudgetStats> {
        let now_s = now_or_coarse_monotonic(py, now_s)?;
        Ok(lock(&self.inner)?.stats(now_s).into())
    }

    /// Forgets every count, as a new budget would.
    fn clear(&self) -> PyResult<()> {
        lock(&self.inner)?.clear();
        Ok(())
    }

    #[getter]
    fn window_s(&self) -> f64 {
        self.config.window_s
    }
    #[getter]
    fn min_retries(&self) -> u32 {
        self.config.min_retries
    }
    #[getter]
    fn retry_ratio(&self) -> f64 {
        self.config.retry_ratio
    }
}
