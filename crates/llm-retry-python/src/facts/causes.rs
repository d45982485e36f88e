//! Which objects are an exception's explicit causes: bounded in breadth, each one given once even when the
//! chain has a cycle. `exception` reads them, down to `MAX_CAUSE_DEPTH`.

use pyo3::exceptions::PyBaseException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::attributes::{call_method0, explicit_cause, Own, OwnAttrs};

/// How many causes one exception may add (how deep the chain goes is `MAX_CAUSE_DEPTH`).
const MAX_CAUSES: usize = 8;

/// Explicit causes only: `__cause__`, google `RetryError.cause`, tenacity `RetryError.last_attempt`,
/// `ExceptionGroup.exceptions`. The implicit `__context__` is deliberately not followed. The top exception
/// (`depth` 0) joins `seen` only when it has causes, so that one without any costs no allocation; the
/// others join it as they are read.
pub(super) fn causes_of<'py>(
    own: &OwnAttrs<'_, 'py>,
    is_tenacity: bool,
    depth: usize,
    seen: &mut Vec<usize>,
) -> Vec<Bound<'py, PyAny>> {
    let obj = own.obj;
    let py = obj.py();
    let mut found: Vec<Bound<'py, PyAny>> = Vec::new();
    if let Some(cause) = explicit_cause(obj) {
        found.push(cause);
    }
    if let Some(cause) = own.get(Own::Cause) {
        found.push(cause);
    }
    if is_tenacity {
        let last = own
            .get(Own::LastAttempt)
            .and_then(|future| call_method0(&future, intern!(py, "exception")))
            .filter(|e| !e.is_none());
        if let Some(last) = last {
            found.push(last);
        }
    }
    if let Some(members) = own.get(Own::Exceptions) {
        if let Ok(tuple) = members.cast::<PyTuple>() {
            found.extend(tuple.iter().take(MAX_CAUSES));
        }
    }
    if found.is_empty() {
        return found;
    }
    if depth == 0 {
        seen.push(obj.as_ptr() as usize);
    }
    found.truncate(MAX_CAUSES);
    found.retain(|cause| cause.is_instance_of::<PyBaseException>());
    found
}

/// Whether `cause` was read already, somewhere in this chain (a cycle, or an exception listed twice).
pub(super) fn already_read(cause: &Bound<'_, PyAny>, seen: &[usize]) -> bool {
    seen.contains(&(cause.as_ptr() as usize))
}
