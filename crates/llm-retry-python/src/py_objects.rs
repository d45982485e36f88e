//! Every Python object that Rust imports or reads off llm-retry's own package, in one place. Nothing else in
//! the bindings imports a module or reads a package attribute (`facts` reads only the user's exceptions).
//!
//! | object                                | used for                                   |
//! |---------------------------------------|--------------------------------------------|
//! | `llm_retry._kinds.ErrorKind`          | the kind a `Classification` reports        |
//! | `llm_retry._kinds.BreakerState`       | the states a breaker transition names      |
//! | `llm_retry._kinds.GiveUpReason`       | why a `Decision` gives up, or a gate fails |
//! | `llm_retry._kinds.RefusalReason`      | why a breaker refused a call (`Refusal`)   |
//! | `llm_retry._config.RetryConfig`       | `classify(exc, preset)` checks the type    |
//! | `RetryConfig._policy`                 | the `Policy` a config compiled when made   |
//! | `llm_retry.presets.DefaultPreset`     | `classify(exc)` without a preset           |
//! | `time.monotonic`                      | read once, to anchor the Rust clock to it  |
//! | `json.loads`                          | an error body that arrives as a JSON str   |

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyAny, PyType};

use llm_retry_core::breaker::{RefusalReason, State as BreakerState};
use llm_retry_core::classify::ErrorKind;
use llm_retry_core::policy::GiveUpReason;

/// A class or value of the package, imported the first time it is needed and kept.
struct Lazy {
    module: &'static str,
    name: &'static str,
    cell: PyOnceLock<Py<PyAny>>,
}

impl Lazy {
    const fn new(module: &'static str, name: &'static str) -> Self {
        Lazy {
            module,
            name,
            cell: PyOnceLock::new(),
        }
    }

    fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyAny>> {
        self.cell
            .get_or_try_init(py, || {
                Ok(py.import(self.module)?.getattr(self.name)?.unbind())
            })
            .map(|obj| obj.bind(py))
    }
}

static ERROR_KIND: Lazy = Lazy::new("llm_retry._kinds", "ErrorKind");
static BREAKER_STATE: Lazy = Lazy::new("llm_retry._kinds", "BreakerState");
static GIVE_UP_REASON: Lazy = Lazy::new("llm_retry._kinds", "GiveUpReason");
static REFUSAL_REASON: Lazy = Lazy::new("llm_retry._kinds", "RefusalReason");
static TIME_MONOTONIC: Lazy = Lazy::new("time", "monotonic");
static RETRY_CONFIG: Lazy = Lazy::new("llm_retry._config", "RetryConfig");
static DEFAULT_PRESET: Lazy = Lazy::new("llm_retry.presets", "DefaultPreset");
static JSON_LOADS: Lazy = Lazy::new("json", "loads");

/// Members of an enum, in the order of the Rust enum's discriminants, fetched once.
static KIND_MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();
static STATE_MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();
static REASON_MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();
static REFUSAL_MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

fn members<'py>(
    py: Python<'py>,
    cell: &'py PyOnceLock<Vec<Py<PyAny>>>,
    enum_type: &Lazy,
    values: &[&'static str],
) -> PyResult<&'py [Py<PyAny>]> {
    cell.get_or_try_init(py, || {
        let enum_type = enum_type.get(py)?;
        values
            .iter()
            .map(|v| enum_type.call1((*v,)).map(Bound::unbind))
            .collect()
    })
    .map(Vec::as_slice)
}

/// The `llm_retry.ErrorKind` member of `kind`.
pub fn error_kind(py: Python<'_>, kind: ErrorKind) -> PyResult<Py<PyAny>> {
    let values = ErrorKind::ALL.map(ErrorKind::as_str);
    Ok(members(py, &KIND_MEMBERS, &ERROR_KIND, &values)?[kind as usize].clone_ref(py))
}

/// The `llm_retry.BreakerState` member of `state`.
pub fn breaker_state(py: Python<'_>, state: BreakerState) -> PyResult<Py<PyAny>> {
    let values = BreakerState::ALL.map(BreakerState::as_str);
    Ok(members(py, &STATE_MEMBERS, &BREAKER_STATE, &values)?[state as usize].clone_ref(py))
}

/// The `llm_retry.GiveUpReason` member of `reason`.
pub fn give_up_reason(py: Python<'_>, reason: GiveUpReason) -> PyResult<Py<PyAny>> {
    let values = GiveUpReason::ALL.map(GiveUpReason::as_str);
    Ok(members(py, &REASON_MEMBERS, &GIVE_UP_REASON, &values)?[reason as usize].clone_ref(py))
}

/// The `llm_retry.RefusalReason` member of `reason`.
pub fn refusal_reason(py: Python<'_>, reason: RefusalReason) -> PyResult<Py<PyAny>> {
    let values = RefusalReason::ALL.map(RefusalReason::as_str);
    Ok(members(py, &REFUSAL_MEMBERS, &REFUSAL_REASON, &values)?[reason as usize].clone_ref(py))
}

/// `json.loads(text)`.
pub fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    JSON_LOADS.get(py)?.call1((text,))
}

/// A reading of `time.monotonic()`.
pub fn time_monotonic(py: Python<'_>) -> PyResult<f64> {
    TIME_MONOTONIC.get(py)?.call0()?.extract()
}

/// What `preset` holds as its compiled policy (`RetryConfig._policy`), when `preset` is a `RetryConfig`;
/// None for anything else.
pub fn compiled_policy_of<'py>(preset: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = preset.py();
    let config_type = RETRY_CONFIG.get(py)?.cast::<PyType>()?;
    if !preset.is_instance(config_type)? {
        return Ok(None);
    }
    preset.getattr_opt(intern!(py, "_policy"))
}

/// `llm_retry.presets.DefaultPreset`.
pub fn default_preset(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DEFAULT_PRESET.get(py)
}
