//! llm-retry's Python bindings: turns Python objects into llm-retry-core's plain values and back, and exposes
//! the core as `llm_retry._core`. Nothing is decided here; every Python object of ours it touches is listed in
//! `py_objects`.

use pyo3::prelude::*;

mod breaker;
mod budget;
mod classification;
mod clock;
mod facts;
mod gate;
mod interpreter;
mod policy;
mod py_objects;

pub use facts::facts_of;

/// llm-retry's Rust core: classification, backoff, server hints, circuit breakers, rate-limit gates and retry budgets.
#[pymodule(gil_used = false)]
mod _core {
    #[pymodule_export]
    use super::breaker::{BreakerCore, BreakerSettings, Permit, Refusal, Transition};
    #[pymodule_export]
    use super::budget::{BudgetCore, BudgetSettings, BudgetStats};
    #[pymodule_export]
    use super::classification::{Classification, Decision};
    #[pymodule_export]
    use super::gate::{GateCore, GateSettings, GateStats, HoldTooLong};
    #[pymodule_export]
    use super::interpreter::claim_interpreter;
    #[pymodule_export]
    use super::policy::{classify_exception, provider_failure_kinds, Policy};

    #[pymodule_export]
    const VERSION: &str = env!("CARGO_PKG_VERSION");
    /// The share of its pre-trip traffic a breaker spends on probes at most (`RedisStore` caps the fleet's
    /// grown open period by it, as the core caps a local one).
    #[pymodule_export]
    const PROBE_SHARE: f64 = llm_retry_core::breaker::PROBE_SHARE;
}
