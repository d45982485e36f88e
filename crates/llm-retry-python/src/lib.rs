//! The only place that touches Python: turns exceptions into `ErrorFacts`, and exposes the decisions and
//! the shared state (breaker, budget) as `llm_retry._core`. No decision is taken here.

mod facts;
mod state;

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAny;
use rand::rngs::SmallRng;

use llm_retry_core::backoff;
use llm_retry_core::classify::{self, ErrorKind, RetryRules};
use llm_retry_core::policy::{self, Action, GiveUp, Timing};

pub use facts::facts_of;

/// The `llm_retry.ErrorKind` members, in `ErrorKind::ALL` order, fetched once.
static KIND_MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

fn kind_member(py: Python<'_>, kind: ErrorKind) -> PyResult<Py<PyAny>> {
    let members = KIND_MEMBERS.get_or_try_init(py, || -> PyResult<Vec<Py<PyAny>>> {
        let enum_type = py.import("llm_retry._kinds")?.getattr("ErrorKind")?;
        ErrorKind::ALL
            .iter()
            .map(|k| enum_type.call1((k.as_str(),)).map(Bound::unbind))
            .collect()
    })?;
    Ok(members[kind as usize].clone_ref(py))
}

/// The wall clock, read only when the facts carry something to date-parse (a header or a body delay);
/// NaN otherwise, which the hint parser reads as "no date hint".
fn now_for(facts: &classify::ErrorFacts) -> f64 {
    fn has_hints(f: &classify::ErrorFacts) -> bool {
        !f.headers.is_empty() || f.body_retry_delay.is_some() || f.causes.iter().any(has_hints)
    }
    if has_hints(facts) {
        now_unix_s()
    } else {
        f64::NAN
    }
}

fn now_unix_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn parse_kind(name: &str) -> PyResult<ErrorKind> {
    ErrorKind::from_name(name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown error kind {name:?}")))
}

/// The verdict on one exception: what kind of failure it is, whether it is safe to retry, and why.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Classification {
    inner: classify::Classification,
}

#[pymethods]
impl Classification {
    /// The kind of failure, an `llm_retry.ErrorKind`.
    #[getter]
    fn kind(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        kind_member(py, self.inner.kind)
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
    retry: bool,
    /// Seconds to wait before the next attempt (0 when giving up).
    #[pyo3(get)]
    delay_s: f64,
    /// Whether the wait is the server's own hint rather than computed backoff.
    #[pyo3(get)]
    from_hint: bool,
    #[pyo3(get)]
    classification: Py<Classification>,
    /// Why the call gives up, as a note for the exception; None when retrying or when the error is simply
    /// not retryable (it is re-raised unchanged).
    #[pyo3(get)]
    note: Option<String>,
    /// Short code for the reason to give up: "not_retryable", "attempts_exhausted", "hint_too_long",
    /// "deadline"; None when retrying.
    #[pyo3(get)]
    give_up: Option<&'static str>,
}

/// A compiled `RetryConfig`: the rules and timings, plus the jitter source.
#[pyclass(frozen, module = "llm_retry._core")]
pub struct Policy {
    rules: RetryRules,
    timing: Timing,
    rng: Mutex<SmallRng>,
}

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (*, retryable_status_codes, retryable_names, retry_network, never_retry_kinds,
                        base_delay_s, max_delay_s, max_attempts, max_retry_after_s, seed=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        retryable_status_codes: Vec<i64>,
        retryable_names: Vec<String>,
        retry_network: bool,
        never_retry_kinds: Vec<String>,
        base_delay_s: f64,
        max_delay_s: f64,
        max_attempts: u32,
        max_retry_after_s: f64,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        for (name, value) in [
            ("base_delay_s", base_delay_s),
            ("max_delay_s", max_delay_s),
            ("max_retry_after_s", max_retry_after_s),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(PyValueError::new_err(format!(
                    "{name} must be a finite number >= 0, got {value}"
                )));
            }
        }
        if max_attempts == 0 {
            return Err(PyValueError::new_err("max_attempts must be >= 1, got 0"));
        }
        let never_retry_kinds = never_retry_kinds
            .iter()
            .map(|k| parse_kind(k))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Policy {
            rules: RetryRules {
                retryable_status_codes,
                retryable_names: retryable_names
                    .iter()
                    .map(|n| n.to_ascii_lowercase())
                    .collect(),
                retry_network,
                never_retry_kinds,
            },
            timing: Timing {
                base_delay_s,
                max_delay_s,
                max_attempts,
                max_retry_after_s,
            },
            rng: Mutex::new(backoff::new_rng(seed)),
        })
    }

    /// Classifies `exc` (any object; never raises).
    fn classify(&self, exc: &Bound<'_, PyAny>) -> Classification {
        let facts = facts_of(exc);
        Classification {
            inner: classify::classify(&facts, &self.rules, now_for(&facts)),
        }
    }

    /// The decision after attempt number `attempt` (1-based) failed with `exc`, with `remaining_s` seconds
    /// left before the deadline (None: no deadline).
    #[pyo3(signature = (exc, attempt, remaining_s=None))]
    fn decide(
        &self,
        py: Python<'_>,
        exc: &Bound<'_, PyAny>,
        attempt: u32,
        remaining_s: Option<f64>,
    ) -> PyResult<Decision> {
        let facts = facts_of(exc);
        let classification = classify::classify(&facts, &self.rules, now_for(&facts));
        let action = {
            let mut rng = self
                .rng
                .lock()
                .map_err(|_| PyTypeError::new_err("jitter source poisoned"))?;
            policy::decide(
                &classification,
                attempt,
                &self.timing,
                remaining_s,
                &mut rng,
            )
        };
        let (retry, delay_s, from_hint, note, give_up) = match &action {
            Action::Retry { delay_s, from_hint } => (true, *delay_s, *from_hint, None, None),
            Action::GiveUp(why) => {
                let code = match why {
                    GiveUp::NotRetryable => "not_retryable",
                    GiveUp::AttemptsExhausted { .. } => "attempts_exhausted",
                    GiveUp::HintTooLong { .. } => "hint_too_long",
                    GiveUp::DeadlineTooClose { .. } => "deadline",
                };
                let note = match why {
                    GiveUp::NotRetryable => None,
                    _ => Some(why.note(&classification)),
                };
                (false, 0.0, false, note, Some(code))
            }
        };
        Ok(Decision {
            retry,
            delay_s,
            from_hint,
            classification: Py::new(
                py,
                Classification {
                    inner: classification,
                },
            )?,
            note,
            give_up,
        })
    }

    /// The largest number of attempts, the first included.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.timing.max_attempts
    }
}

/// The compiled policy of `DefaultPreset`, fetched once from Python.
static DEFAULT_POLICY: PyOnceLock<Py<Policy>> = PyOnceLock::new();

/// The compiled policy of `preset` (None: the default), as `_decorators` builds and keeps it. The common
/// cases cost one attribute read: the policy cached on the config.
fn policy_of<'py>(
    py: Python<'py>,
    preset: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, Policy>> {
    let compile = |preset: Option<&Bound<'py, PyAny>>| -> PyResult<Bound<'py, Policy>> {
        py.import(intern!(py, "llm_retry._decorators"))?
            .getattr(intern!(py, "_compiled_policy"))?
            .call1((preset,))?
            .cast_into::<Policy>()
            .map_err(PyErr::from)
    };
    match preset {
        None => DEFAULT_POLICY
            .get_or_try_init(py, || compile(None).map(Bound::unbind))
            .map(|p| p.bind(py).clone()),
        Some(preset) => match preset.getattr_opt(intern!(py, "_policy")) {
            Ok(Some(cached)) => match cached.cast_into::<Policy>() {
                Ok(policy) => Ok(policy),
                Err(_) => compile(Some(preset)),
            },
            _ => compile(Some(preset)),
        },
    }
}

/// Classify an exception exactly as the decorators would, without calling anything.
///
/// Reads class names and attributes only, and never raises whatever `exc` is; `preset` (a `RetryConfig`,
/// default `DefaultPreset`) decides which kinds are retried. A `preset` that is not a `RetryConfig` is a
/// `TypeError`.
///
/// >>> from llm_retry import classify
/// >>> class Overloaded(Exception):
/// ...     status_code = 529
/// >>> c = classify(Overloaded())
/// >>> c.kind, c.retryable, c.status
/// (<ErrorKind.OVERLOADED: 'overloaded'>, True, 529)
/// >>> c.reason
/// '529 from status_code: overloaded, retried'
#[pyfunction(name = "classify")]
#[pyo3(signature = (exc, preset=None))]
fn classify_exception(
    py: Python<'_>,
    exc: &Bound<'_, PyAny>,
    preset: Option<&Bound<'_, PyAny>>,
) -> PyResult<Classification> {
    Ok(policy_of(py, preset)?.get().classify(exc))
}

/// llm-retry's Rust core: classification, backoff, server hints, circuit breakers and retry budgets.
#[pymodule(gil_used = false)]
mod _core {
    #[pymodule_export]
    use super::state::{BreakerCore, RetryBudget};
    #[pymodule_export]
    use super::{classify_exception, Classification, Decision, Policy};

    #[pymodule_export]
    const VERSION: &str = env!("CARGO_PKG_VERSION");
}
