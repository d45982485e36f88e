//! `Policy`, a `RetryConfig` compiled: classifies an exception and decides what follows a failed attempt,
//! with the jitter source it owns. Also `classify(exc, preset)`, the public classifier.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyException, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAny;
use rand::rngs::SmallRng;

use llm_retry_core::backoff;
use llm_retry_core::classify::{self, ErrorKind, RetryRules};
use llm_retry_core::policy::{self, Action, GiveUp, Timing};

use crate::classification::{Classification, Decision};
use crate::facts::facts_of;
use crate::py_objects;

/// The `llm_retry.ErrorKind` values of the kinds that count against a provider's health
/// (`ErrorKind::is_provider_failure`): the one source Python's `ErrorKind.is_provider_failure` reads.
#[pyfunction]
pub fn provider_failure_kinds() -> Vec<&'static str> {
    ErrorKind::ALL
        .into_iter()
        .filter(|k| k.is_provider_failure())
        .map(ErrorKind::as_str)
        .collect()
}

/// The wall clock, read only when the facts carry something to date-parse (a header or a body delay);
/// NaN otherwise, which the hint parser reads as "no date hint".
fn now_for(facts: &classify::ErrorFacts) -> f64 {
    fn has_hints(f: &classify::ErrorFacts) -> bool {
        !f.headers.is_empty() || f.body_retry_delay.is_some() || f.causes.iter().any(has_hints)
    }
    if has_hints(facts) {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    } else {
        f64::NAN
    }
}

fn parse_kind(name: &str) -> PyResult<ErrorKind> {
    ErrorKind::from_name(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "never_retry_kinds must hold ErrorKind values ({}), got {name:?}",
            kind_values()
        ))
    })
}

/// "rate_limited, overloaded, ...": what a kind may be, for error messages.
pub fn kind_values() -> String {
    ErrorKind::ALL.map(ErrorKind::as_str).join(", ")
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

    /// Classifies `exc` (any object). Raises only what interrupted the reading: a KeyboardInterrupt,
    /// SystemExit or cancellation raised by one of `exc`'s properties.
    fn classify(&self, exc: &Bound<'_, PyAny>) -> PyResult<Classification> {
        let facts = facts_of(exc)?;
        Ok(Classification {
            inner: classify::classify(&facts, &self.rules, now_for(&facts)),
        })
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
        let facts = facts_of(exc)?;
        let classification = classify::classify(&facts, &self.rules, now_for(&facts));
        let action = {
            let mut rng = self
                .rng
                .lock()
                .map_err(|_| PyRuntimeError::new_err("llm-retry jitter source poisoned"))?;
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
                let note = match why {
                    GiveUp::NotRetryable => None,
                    _ => Some(why.note(&classification)),
                };
                (false, 0.0, false, note, Some(why.reason()))
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

/// Classify an exception exactly as the decorators would, without calling anything.
///
/// Reads class names and attributes only. Whatever `exc` is, an `Exception` raised while reading it is absent
/// evidence, never an error; a KeyboardInterrupt, SystemExit or cancellation raised by one of its properties
/// is raised at once, never swallowed. `preset` (a `RetryConfig`,
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
pub fn classify_exception(
    py: Python<'_>,
    exc: &Bound<'_, PyAny>,
    preset: Option<&Bound<'_, PyAny>>,
) -> PyResult<Classification> {
    let policy = match preset {
        None => default_policy(py)?,
        Some(preset) => policy_of_config(preset)?,
    };
    policy.get().classify(exc)
}

/// The policy `preset` compiled when it was made; a `TypeError` when `preset` is not a `RetryConfig`.
fn policy_of_config<'py>(preset: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Policy>> {
    match py_objects::compiled_policy_of(preset)?.map(|p| p.cast_into::<Policy>()) {
        Some(Ok(policy)) => Ok(policy),
        _ => {
            let type_name = preset.get_type().name()?.to_string();
            Err(PyTypeError::new_err(format!(
                "preset must be a RetryConfig (a preset such as OpenAIPreset, or one you made), got {} ({type_name})",
                shown(preset)?.unwrap_or_else(|| format!("<{type_name} object>"))
            )))
        }
    }
}

/// `repr(value)`, cut to 40 characters as the package's own argument errors show values; None when the
/// repr raises an `Exception` (anything else, a Ctrl-C, is raised).
fn shown(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let text = match value.repr() {
        Ok(text) => text.to_string(),
        Err(err) if err.is_instance_of::<PyException>(value.py()) => return Ok(None),
        Err(interrupt) => return Err(interrupt),
    };
    Ok(Some(if text.chars().count() <= 40 {
        text
    } else {
        text.chars().take(37).chain("...".chars()).collect()
    }))
}

/// `DefaultPreset`'s policy, fetched once.
fn default_policy(py: Python<'_>) -> PyResult<Bound<'_, Policy>> {
    static POLICY: PyOnceLock<Py<Policy>> = PyOnceLock::new();
    POLICY
        .get_or_try_init(py, || {
            policy_of_config(py_objects::default_preset(py)?).map(Bound::unbind)
        })
        .map(|p| p.bind(py).clone())
}
