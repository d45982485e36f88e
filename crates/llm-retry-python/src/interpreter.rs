//! The one interpreter the extension serves. Its caches (the package's enums, interned names, class facts)
//! are process-wide, so objects of two interpreters must never meet in them: the first interpreter that
//! imports `llm_retry` owns the extension, and any other gets an `ImportError` (as PyO3 and CPython 3.12+
//! already refuse a fresh import in a sub-interpreter; on 3.11 a sub-interpreter gets a copy of the module
//! without its init running, which only this check catches).

use std::sync::atomic::{AtomicI64, Ordering};

use pyo3::exceptions::PyImportError;
use pyo3::ffi;
use pyo3::prelude::*;

/// The ID of the interpreter that imported the package first; -1 before.
static OWNER: AtomicI64 = AtomicI64::new(-1);

/// Called by `llm_retry/__init__.py` in every interpreter that imports the package: claims the extension
/// for the first, and refuses every other.
#[pyfunction]
pub fn claim_interpreter(_py: Python<'_>) -> PyResult<()> {
    // SAFETY: the caller holds the GIL (it has `py`), so the current interpreter state is valid.
    let current = unsafe { ffi::PyInterpreterState_GetID(ffi::PyInterpreterState_Get()) };
    match OWNER.compare_exchange(-1, current, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(()),
        Err(owner) if owner == current => Ok(()),
        Err(owner) => Err(PyImportError::new_err(format!(
            "llm_retry cannot be imported in interpreter {current}: interpreter {owner} of this process \
             imported it first, and its caches are shared by the whole process (sub-interpreters are not \
             supported)"
        ))),
    }
}
