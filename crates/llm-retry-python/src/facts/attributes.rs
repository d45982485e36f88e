//! Fast reads of Python attributes, dict items and calls, and what their failures mean: every `unsafe`
//! block of the extraction lives here. A read that fails with an `Exception` (missing, a raising property
//! or `__getattr__`) or finds `None` is absent. Any other `BaseException` (KeyboardInterrupt, SystemExit,
//! a cancellation) is never absent: it stops the extraction, and `facts_of` raises it.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyException;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::critical_section::with_critical_section;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use pyo3::Borrowed;

thread_local! {
    /// The `BaseException` that stopped this thread's extraction, until `stop_on_interrupt` raises it.
    static INTERRUPT: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// How many threads hold an interrupt in `INTERRUPT` now. While none does (always, but for the instant after
/// a Ctrl-C), no read touches the thread-local: a load of this counter is all an uninterrupted read pays.
/// A thread always sees its own changes to it, which is all that `Relaxed` needs to give.
static HELD: AtomicUsize = AtomicUsize::new(0);

fn take_interrupt() -> Option<PyErr> {
    if HELD.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let taken = INTERRUPT.with(|cell| cell.borrow_mut().take());
    if taken.is_some() {
        HELD.fetch_sub(1, Ordering::Relaxed);
    }
    taken
}

fn hold_interrupt(interrupt: PyErr) {
    INTERRUPT.with(|cell| {
        let mut held = cell.borrow_mut();
        if held.is_none() {
            *held = Some(interrupt);
            HELD.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Runs one extraction: its value, or the interrupt that stopped it. Nested extractions (a property that
/// classifies an exception of its own) keep theirs apart.
pub(super) fn stop_on_interrupt<T>(extract: impl FnOnce() -> T) -> PyResult<T> {
    let outer = take_interrupt();
    let value = extract();
    let inner = take_interrupt();
    if let Some(outer) = outer {
        hold_interrupt(outer);
    }
    match inner {
        Some(interrupt) => Err(interrupt),
        None => Ok(value),
    }
}

/// Whether this extraction was stopped: every read after that finds nothing and runs no Python code.
pub(super) fn interrupted() -> bool {
    HELD.load(Ordering::Relaxed) != 0 && INTERRUPT.with(|cell| cell.borrow().is_some())
}

/// The value of a read that ran Python code. An `Exception` is absent evidence; anything else is kept to be
/// raised, and the extraction stops.
pub(super) fn read<T>(py: Python<'_>, result: PyResult<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) if err.is_instance_of::<PyException>(py) => None,
        Err(interrupt) => {
            hold_interrupt(interrupt);
            None
        }
    }
}

/// `f()` unless the extraction was stopped, its failure read as `read` does.
pub(super) fn run<'py, T>(py: Python<'py>, f: impl FnOnce() -> PyResult<T>) -> Option<T> {
    if interrupted() {
        return None;
    }
    read(py, f())
}

/// The exception attributes the extraction reads, by index into `Own` and `ClassView::class_attrs`.
pub(super) const OWN_ATTRS: [&str; 23] = [
    "status_code",
    "status",
    "code",
    "grpc_status_code",
    "type",
    "error_code",
    "reason",
    "message",
    "body",
    "details",
    "response",
    "headers",
    "cause",
    "last_attempt",
    "exceptions",
    // The second ring: where frameworks and smaller SDKs keep what the first eight keep elsewhere.
    "http_status",              // voyageai
    "detail",                   // replicate (RFC 7807 problem details)
    "provider_error_code",      // pydantic-ai
    "provider_error_type",      // pydantic-ai
    "retry_after",              // pydantic-ai: seconds, from the headers or Google RetryInfo
    "cooldown_time",            // LiteLLM Router: seconds until a deployment is out of cooldown
    "error",                    // azure-core: the parsed OData error; ollama: the message
    "litellm_response_headers", // LiteLLM: the provider's headers, when its response has none
];

/// One of `OWN_ATTRS`, by name.
#[derive(Clone, Copy)]
pub(super) enum Own {
    StatusCode,
    Status,
    Code,
    GrpcStatusCode,
    Type,
    ErrorCode,
    Reason,
    Message,
    Body,
    Details,
    Response,
    Headers,
    Cause,
    LastAttempt,
    Exceptions,
    HttpStatus,
    Detail,
    ProviderErrorCode,
    ProviderErrorType,
    RetryAfter,
    CooldownTime,
    Error,
    LitellmResponseHeaders,
}

/// Instance dicts larger than this are looked up key by key instead of scanned.
pub(super) const MAX_SCANNED_DICT: usize = 64;

static OWN_NAMES: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();

/// Reads the exception's own attributes. Absent ones are looked up in the instance `__dict__` (a dict
/// lookup) instead of through getattr, which on the stable ABI raises and clears an AttributeError for
/// every miss: most of the attributes read here are missing on any given exception.
pub(super) struct OwnAttrs<'a, 'py> {
    pub(super) obj: &'a Bound<'py, PyAny>,
    /// Values found in the instance `__dict__` by one scan, indexed like `OWN_ATTRS`; None when the
    /// instance has no usable `__dict__` (then every read goes through getattr).
    found: Option<[Option<Bound<'py, PyAny>>; OWN_ATTRS.len()]>,
    names: &'a [Py<PyString>],
    class_attrs: u32,
    dynamic: bool,
}

impl<'a, 'py> OwnAttrs<'a, 'py> {
    /// `class_attrs` and `dynamic` come from the class (`ClassView`): which names some class in the MRO
    /// defines, and whether a custom attribute lookup makes every read go through getattr.
    /// None when the interned names cannot be made (no memory).
    pub(super) fn new(obj: &'a Bound<'py, PyAny>, class_attrs: u32, dynamic: bool) -> Option<Self> {
        let py = obj.py();
        let names = OWN_NAMES
            .get_or_try_init(py, || -> PyResult<Vec<Py<PyString>>> {
                Ok(OWN_ATTRS
                    .iter()
                    .map(|n| PyString::intern(py, n).unbind())
                    .collect())
            })
            .ok()?;
        let dict = if dynamic { None } else { instance_dict(obj) };
        let found = dict.map(|dict| scan_instance_dict(&dict, names));
        Some(OwnAttrs {
            obj,
            found,
            names,
            class_attrs,
            dynamic,
        })
    }

    pub(super) fn get(&self, which: Own) -> Option<Bound<'py, PyAny>> {
        let i = which as usize;
        match &self.found {
            Some(found) if !self.dynamic && self.class_attrs & (1 << i) == 0 => found[i].clone(),
            _ => attr(self.obj, self.names.get(i)?.bind(self.obj.py())),
        }
    }
}

/// The values of `OWN_ATTRS` in an instance dict: one pass over a small dict, a lookup per name in a big one.
fn scan_instance_dict<'py>(
    dict: &Bound<'py, PyDict>,
    names: &[Py<PyString>],
) -> [Option<Bound<'py, PyAny>>; OWN_ATTRS.len()] {
    let mut found: [Option<Bound<'py, PyAny>>; OWN_ATTRS.len()] = Default::default();
    if dict.len() > MAX_SCANNED_DICT {
        for (i, name) in names.iter().enumerate() {
            found[i] = get(dict, name.bind(dict.py()));
        }
        return found;
    }
    for_each_item(dict, |key, value| {
        if value.is_none() {
            return;
        }
        // Attribute names are almost always interned: compare pointers first.
        let index = names
            .iter()
            .position(|n| n.as_ptr() == key.as_ptr())
            .or_else(|| {
                let key = key.cast::<PyString>().ok()?.to_str().ok()?;
                OWN_ATTRS.iter().position(|n| *n == key)
            });
        if let Some(i) = index {
            found[i] = Some(value.to_owned());
        }
    });
    found
}

/// The instance `__dict__` itself, read the way `object.__getattribute__` finds it (no `__dict__` lookup
/// through the MRO); None for objects without one.
pub(super) fn instance_dict<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyDict>> {
    let py = obj.py();
    // SAFETY: `obj` is a live object; the call returns a new reference, or NULL with an AttributeError set
    // (no `__dict__`), which is cleared.
    let dict = unsafe {
        Bound::from_owned_ptr_or_opt(
            py,
            ffi::PyObject_GenericGetDict(obj.as_ptr(), std::ptr::null_mut()),
        )
    };
    if dict.is_none() {
        // No `__dict__` (an AttributeError), or a failure that must not be lost.
        if let Some(err) = PyErr::take(py) {
            read::<()>(py, Err(err));
        }
    }
    dict.and_then(|d| d.cast_into::<PyDict>().ok())
}

/// `exc.__context__`, read from the exception struct (no attribute lookup), unless `raise ... from None`
/// suppressed it. `exc` must be a BaseException.
pub(super) fn implicit_context<'py>(exc: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    let py = exc.py();
    let suppressed = attr(exc, pyo3::intern!(py, "__suppress_context__"))
        .is_none_or(|v| v.is_truthy().unwrap_or(true));
    if suppressed {
        return None;
    }
    // SAFETY: the caller checked that `exc` is a live BaseException; the call returns a new reference or
    // NULL, and never sets an error.
    let context =
        unsafe { Bound::from_owned_ptr_or_opt(py, ffi::PyException_GetContext(exc.as_ptr())) };
    context.filter(|c| !c.is_none())
}

/// `exc.__cause__`, read from the exception struct (no attribute lookup). `exc` must be a BaseException.
pub(super) fn explicit_cause<'py>(exc: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    // SAFETY: the caller checked that `exc` is a live BaseException; the call returns a new reference or
    // NULL, and never sets an error.
    let cause =
        unsafe { Bound::from_owned_ptr_or_opt(exc.py(), ffi::PyException_GetCause(exc.as_ptr())) };
    cause.filter(|c| !c.is_none())
}

/// Calls `f` with each key and value of `dict`, as borrowed references (no reference counting per item,
/// unlike pyo3's iterator). `f` must not run Python code: it only compares, casts and keeps values (keeping
/// one takes a reference), so nothing can change the dict during the walk.
pub(super) fn for_each_item<'py>(
    dict: &Bound<'py, PyDict>,
    mut f: impl FnMut(&Bound<'py, PyAny>, &Bound<'py, PyAny>),
) {
    let py = dict.py();
    // Under the GIL nothing else can change the dict during the walk; on a free-threaded build the critical
    // section on the dict gives the same guarantee (it is a no-op with the GIL).
    with_critical_section(dict.as_any(), || {
        let mut position: ffi::Py_ssize_t = 0;
        let mut key: *mut ffi::PyObject = std::ptr::null_mut();
        let mut value: *mut ffi::PyObject = std::ptr::null_mut();
        // SAFETY: the caller is attached to the interpreter (it has `py`), `dict` is a live dict that no
        // other thread can change inside the critical section, and `f` runs no Python code, so the borrowed
        // key and value stay owned by the dict while `f` sees them.
        while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut position, &mut key, &mut value) } != 0 {
            let (key, value) =
                unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
            f(&key, &value);
        }
    });
}

/// `getattr(obj, name)`, with every `Exception` (missing, raising property, raising `__getattr__`) and
/// `None` read as absent.
pub(super) fn attr<'py>(
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    run(obj.py(), || obj.getattr_opt(name))
        .flatten()
        .filter(|v| !v.is_none())
}

/// `dict[key]`, with None read as absent. Keys are interned strings, so their hash is computed once.
pub(super) fn get<'py>(
    dict: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    run(dict.py(), || dict.get_item(key))
        .flatten()
        .filter(|v| !v.is_none())
}

/// `f()`, called with no arguments (grpc's `code()` and `details()`), as `run` reads it.
pub(super) fn call0<'py>(f: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    run(f.py(), || f.call0())
}

/// `obj.name()`, as `run` reads it.
pub(super) fn call_method0<'py>(
    obj: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> Option<Bound<'py, PyAny>> {
    run(obj.py(), || obj.call_method0(name))
}

/// Up to `limit` items of an iterable, as `run` reads each step; the walk stops at the first failure.
pub(super) fn items<'py>(iterable: &Bound<'py, PyAny>, limit: usize) -> Vec<Bound<'py, PyAny>> {
    let py = iterable.py();
    let Some(iterator) = run(py, || iterable.try_iter()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for item in iterator.take(limit) {
        match run(py, || item) {
            Some(item) => found.push(item),
            None => break,
        }
    }
    found
}

/// How many code points `s` has, without encoding it.
pub(super) fn str_len(s: &Bound<'_, PyString>) -> usize {
    // SAFETY: `s` is a live str; for a str the call cannot fail.
    let n = unsafe { ffi::PyUnicode_GetLength(s.as_ptr()) };
    usize::try_from(n).unwrap_or(0)
}

/// The first `max_chars` code points of `s` (`s` itself when shorter), so that a long text is never
/// encoded whole: a 10 MB message costs what a short one does.
pub(super) fn str_head<'py>(
    s: &Bound<'py, PyString>,
    max_chars: usize,
) -> Option<Bound<'py, PyString>> {
    if str_len(s) <= max_chars {
        return Some(s.clone());
    }
    let py = s.py();
    let end = ffi::Py_ssize_t::try_from(max_chars).ok()?;
    // SAFETY: `s` is a live str and 0..end lies within it; the call returns a new str or NULL with an
    // error set (no memory), read as `read` does.
    let head =
        unsafe { Bound::from_owned_ptr_or_opt(py, ffi::PyUnicode_Substring(s.as_ptr(), 0, end)) };
    if head.is_none() {
        if let Some(err) = PyErr::take(py) {
            read::<()>(py, Err(err));
        }
    }
    head.and_then(|h| h.cast_into::<PyString>().ok())
}
