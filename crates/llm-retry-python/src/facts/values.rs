//! Value coercion: what counts as an int, a text or an enum name in evidence, how long a text may be, and
//! how a message joins the facts. Nothing here runs Python code but `enum_name`'s `.name` read.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use llm_retry_core::classify::{ErrorFacts, Evidence};

use super::attributes::{attr, str_head};

/// Longest text kept from a message or body; enough for every provider phrase the rules look for.
pub(super) const MAX_TEXT: usize = 2048;

/// An int that is not a bool and fits in i64.
pub(super) fn int_of(v: &Bound<'_, PyAny>) -> Option<i64> {
    if !v.is_instance_of::<PyInt>() || v.is_instance_of::<PyBool>() {
        return None;
    }
    v.extract::<i64>().ok()
}

/// A finite number of seconds: an int (not a bool) or a float.
pub(super) fn seconds_of(v: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(f) = v.cast::<PyFloat>() {
        return Some(f.value()).filter(|s| s.is_finite());
    }
    int_of(v).map(|n| n as f64)
}

/// A str, truncated to `MAX_TEXT` bytes on a char boundary.
pub(super) fn text_of(v: &Bound<'_, PyAny>) -> Option<String> {
    bounded(v.cast::<PyString>().ok()?)
}

/// `s` as UTF-8, truncated to `MAX_TEXT` bytes; None when its head cannot be encoded. A code point is at
/// most 4 bytes, so only the first `MAX_TEXT` code points are ever encoded, however long `s` is.
pub(super) fn bounded(s: &Bound<'_, PyString>) -> Option<String> {
    let head = str_head(s, MAX_TEXT)?;
    bounded_str(head.to_str().ok()?)
}

/// `s` truncated to `MAX_TEXT` bytes on a char boundary.
pub(super) fn bounded_str(s: &str) -> Option<String> {
    if s.len() <= MAX_TEXT {
        return Some(s.to_owned());
    }
    let mut end = MAX_TEXT;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(s[..end].to_owned())
}

/// A header value: a str, or bytes decoded leniently; longer than `MAX_TEXT` is not a hint.
pub(super) fn header_value(value: &Bound<'_, PyAny>) -> Option<String> {
    if let Some(s) = text_of(value) {
        return Some(s);
    }
    let bytes = value.cast::<PyBytes>().ok()?;
    let raw = bytes.as_bytes();
    (raw.len() <= MAX_TEXT).then(|| String::from_utf8_lossy(raw).into_owned())
}

/// The `.name` of an enum member (grpc `StatusCode.UNAVAILABLE` → "UNAVAILABLE"), or the str itself.
pub(super) fn enum_name(v: &Bound<'_, PyAny>) -> Option<String> {
    if let Some(s) = text_of(v) {
        return Some(s);
    }
    text_of(&attr(v, intern!(v.py(), "name"))?)
}

/// Adds a message unless the same text is already there: the rules scan every message.
pub(super) fn push_message(facts: &mut ErrorFacts, message: Evidence<String>) {
    if !facts.messages.iter().any(|m| m.value == message.value) {
        facts.messages.push(message);
    }
}
