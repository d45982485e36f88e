//! The verdicts Python sees: `Classification` (what kind of failure, retryable, why) and `Decision` (what to
//! do after a failed attempt). Frozen values built from the core's; no logic beyond conversion.

use pyo3::prelude::*;
use pyo3::types::PyAny;

use llm_retry_core::classify;
use llm_retry_core::policy::GiveUpReason;

use crate::py_objects;

/// The verdict on one exception: what kind of failure it is, whether it is safe to retry, and why.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Classification {
    pub(crate) inner: classify::Classification,
}

#[pymethods]
impl Classification {
    /// The kind of failure, an `llm_retry.ErrorKind`.
    #[getter]
    fn kind(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py_objects::error_kind(py, self.inner.kind)
    }
    /// Whether the configuration retries this failure.
    #[getter]
    fn retryable(&self) -> bool {
        self.inner.retryable
    }
    /// The HTTP status the decision used, if any.
    #[getter]
    fn status(&self) -> Option<u16> {
        self.inner.status
    }
    /// The server's requested wait in seconds, if it sent one.
    #[getter]
    fn retry_after_s(&self) -> Option<f64> {
        self.inner.retry_after_s
    }
    /// One sentence naming the rule and the evidence.
    #[getter]
    fn reason(&self) -> &str {
        &self.inner.reason
    }
    /// Retries the provider SDK had already made before raising, when it says.
    #[getter]
    fn sdk_retries(&self) -> Option<u32> {
        self.inner.sdk_retries
    }
    fn __repr__(&self) -> String {
        let c = &self.inner;
        format!(
            "Classification(kind={}, retryable={}, status={}, retry_after_s={}, reason={:?})",
            c.kind.as_str(),
            if c.retryable { "True" } else { "False" },
            c.status.map_or("None".to_owned(), |s| s.to_string()),
            c.retry_after_s.map_or("None".to_owned(), |s| s.to_string()),
            c.reason
        )
    }
}

/// What to do after a failed attempt.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Decision {
    #[pyo3(get)]
    pub(crate) retry: bool,
    /// Seconds to wait before the next attempt (0 when giving up).
    #[pyo3(get)]
    pub(crate) delay_s: f64,
    /// Whether the wait is the server's own hint rather than computed backoff.
    #[pyo3(get)]
    pub(crate) from_hint: bool,
    #[pyo3(get)]
    pub(crate) classification: Py<Classification>,
    /// Why the call gives up, as a note for the exception; None when retrying or when the error is simply
    /// not retryable (it is re-raised unchanged).
    #[pyo3(get)]
    pub(crate) note: Option<String>,
    pub(crate) give_up: Option<GiveUpReason>,
}

#[pymethods]
impl Decision {
    /// Why the call gives up, an `llm_retry.GiveUpReason`; None when retrying.
    #[getter]
    fn give_up(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.give_up
            .map(|reason| py_objects::give_up_reason(py, reason))
            .transpose()
    }
}
