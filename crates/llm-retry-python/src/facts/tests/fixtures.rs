//! Builds exceptions in Python source and reads their facts.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use llm_retry_core::classify::ErrorFacts;

use crate::facts::facts_of;

/// The globals of a test's source: classes it defines are in module `sdk` (without a `__name__` they would
/// be in `builtins`, whose classes the extraction trusts not to hook attribute lookup).
fn test_module(py: Python<'_>) -> Bound<'_, PyDict> {
    let globals = PyDict::new(py);
    globals
        .set_item("__name__", "sdk")
        .expect("a dict takes a str key");
    globals
}

/// Runs `source` (which must bind `exc`) and hands what `facts_of(exc)` returned to `then`.
fn read_exc<T>(source: &str, then: impl FnOnce(Python<'_>, PyResult<ErrorFacts>) -> T) -> T {
    Python::initialize();
    Python::attach(|py| {
        let globals = test_module(py);
        let code = std::ffi::CString::new(source).expect("no NUL in test source");
        py.run(&code, Some(&globals), None)
            .unwrap_or_else(|e| panic!("test source failed: {e}\n{source}"));
        let exc = globals
            .get_item("exc")
            .expect("dict lookup")
            .expect("source binds exc");
        then(py, facts_of(&exc))
    })
}

/// Runs `source` (which must bind `exc`) and returns the facts of `exc`.
pub fn facts_from(source: &str) -> ErrorFacts {
    read_exc(source, |_, facts| {
        facts.unwrap_or_else(|e| panic!("facts_of raised {e}\n{source}"))
    })
}

/// Runs `source` (which must bind `exc`) and returns the name of the exception type `facts_of` raised.
pub fn raised_by(source: &str) -> Option<String> {
    read_exc(source, |py, facts| {
        facts.err().map(|e| {
            e.get_type(py)
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        })
    })
}

/// An exception class `E` with `attrs` set on one instance bound to `exc`: `with_attrs("status_code = 429")`.
pub fn with_attrs(attrs: &str) -> ErrorFacts {
    let mut source = String::from("class E(Exception): pass\nexc = E('boom')\n");
    for line in attrs.lines().map(str::trim).filter(|l| !l.is_empty()) {
        source.push_str("exc.");
        source.push_str(line);
        source.push('\n');
    }
    facts_from(&source)
}

/// The statuses, as (source, value).
pub fn statuses(facts: &ErrorFacts) -> Vec<(&'static str, i64)> {
    facts.statuses.iter().map(|e| (e.source, e.value)).collect()
}

/// The codes, as (source, value).
pub fn codes(facts: &ErrorFacts) -> Vec<(&'static str, &str)> {
    facts
        .codes
        .iter()
        .map(|e| (e.source, e.value.as_str()))
        .collect()
}

/// The messages, as (source, value).
pub fn messages(facts: &ErrorFacts) -> Vec<(&'static str, &str)> {
    facts
        .messages
        .iter()
        .map(|e| (e.source, e.value.as_str()))
        .collect()
}

/// The headers kept, as (name, value).
pub fn headers(facts: &ErrorFacts) -> Vec<(&str, &str)> {
    facts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}
