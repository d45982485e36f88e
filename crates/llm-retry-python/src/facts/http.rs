//! HTTP responses and headers as the clients keep them: httpx and httpx2 (the OpenAI and Anthropic SDKs),
//! requests, aiohttp, plain dicts. Only the headers in `HEADER_NAMES` are kept.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use llm_retry_core::classify::{ErrorFacts, Evidence};
use llm_retry_core::hints::HEADER_NAMES;

use super::attributes::{attr, call_method0, for_each_item, items};
use super::classes::class_view;
use super::values::{header_value, int_of, MAX_TEXT};

/// `.response` when it is an HTTP response object (httpx, httpx2, requests, aiohttp). Returns how many
/// headers it carried (0 for a response a wrapper made up).
pub(super) fn response_facts(response: &Bound<'_, PyAny>, facts: &mut ErrorFacts) -> usize {
    let py = response.py();
    if let Some(n) = attr(response, intern!(py, "status_code")).and_then(|v| int_of(&v)) {
        facts
            .statuses
            .push(Evidence::new("response.status_code", n));
    } else if let Some(n) = attr(response, intern!(py, "status")).and_then(|v| int_of(&v)) {
        facts.statuses.push(Evidence::new("response.status", n));
    }
    match attr(response, intern!(py, "headers")) {
        Some(headers) => read_headers(&headers, facts),
        None => 0,
    }
}

/// The body an httpx or httpx2 response has already read (`content`), for the errors that keep their body
/// nowhere else (Hugging Face's `{"error": ..., "estimated_time": 20.0}`). Never read from the network: an
/// unread response raises `ResponseNotRead`, which is absent evidence; other clients' bodies are not read
/// (requests' `.content` would read the stream).
pub(super) fn read_body<'py>(response: &Bound<'py, PyAny>) -> Option<Bound<'py, PyBytes>> {
    if !class_view(&response.get_type()).is_httpx {
        return None;
    }
    attr(response, intern!(response.py(), "content")).and_then(|c| c.cast_into::<PyBytes>().ok())
}

/// Reads the headers in `HEADER_NAMES` from a mapping in one pass over its items: httpx/httpx2 `.raw`
/// (a list of byte pairs), else `.items()` (dicts, requests, aiohttp, email). Calling `.get` once per name
/// would cost a Python-level scan of every header for each name. Returns how many headers it looked at.
pub(super) fn read_headers(headers: &Bound<'_, PyAny>, facts: &mut ErrorFacts) -> usize {
    let py = headers.py();
    if let Some(seen) = read_httpx_header_list(headers, facts) {
        return seen;
    }
    if let Ok(dict) = headers.cast::<PyDict>() {
        // botocore's HTTPHeaders, cohere's and plain dicts: walked in place.
        let mut left = MAX_HEADERS;
        for_each_item(dict, |key, value| {
            if left > 0 {
                left -= 1;
                header_pair(key, value, facts);
            }
        });
        return MAX_HEADERS - left;
    }
    let pairs = if let Some(raw) =
        attr(headers, intern!(py, "raw")).filter(|r| r.is_instance_of::<PyList>())
    {
        Some(raw)
    } else {
        call_method0(headers, intern!(py, "items"))
            .and_then(|pairs| PyList::new(py, items(&pairs, MAX_HEADERS)).ok())
            .map(Bound::into_any)
    };
    let Some(pairs) = pairs else { return 0 };
    let Ok(pairs) = pairs.cast_into::<PyList>() else {
        return 0;
    };
    let seen = pairs.len().min(MAX_HEADERS);
    for pair in pairs.iter().take(MAX_HEADERS) {
        let Ok(pair) = pair.cast_into::<PyTuple>() else {
            continue;
        };
        if pair.len() != 2 {
            continue;
        }
        if let (Ok(key), Ok(value)) = (pair.get_item(0), pair.get_item(1)) {
            header_pair(&key, &value, facts);
        }
    }
    seen
}

/// Headers read from one mapping at most; a response carries a few dozen.
const MAX_HEADERS: usize = 256;

/// Keeps `value` when `key` (str or bytes) is one of `HEADER_NAMES` not seen yet. Runs no Python code.
fn header_pair(key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    let key = if let Ok(text) = key.cast::<PyString>() {
        text.to_str().ok()
    } else if let Ok(bytes) = key.cast::<PyBytes>() {
        std::str::from_utf8(bytes.as_bytes()).ok()
    } else {
        None
    };
    let Some(name) = key.and_then(|key| HEADER_NAMES.iter().find(|n| n.eq_ignore_ascii_case(key)))
    else {
        return;
    };
    if facts.header(name).is_none() {
        if let Some(value) = header_value(value) {
            facts.headers.push(((*name).to_owned(), value));
        }
    }
}

/// httpx and httpx2 `Headers` keep `_list`, a list of `(raw_key, lower_key, value)` byte triples; reading it
/// directly skips building `.raw` in Python (about 1 us, paid by every error of the SDKs built on httpx). It
/// is read only when it has exactly that shape, and `.raw` / `.items()` remain the fallback. Returns how
/// many headers it looked at, or None when the shape did not match.
fn read_httpx_header_list(headers: &Bound<'_, PyAny>, facts: &mut ErrorFacts) -> Option<usize> {
    let py = headers.py();
    if !class_view(&headers.get_type()).is_httpx {
        return None;
    }
    let list = attr(headers, intern!(py, "_list")).and_then(|l| l.cast_into::<PyList>().ok())?;
    for item in list.iter().take(MAX_HEADERS) {
        let item = item.cast_into::<PyTuple>().ok()?;
        let (Ok(key), Ok(value)) = (item.get_item(1), item.get_item(2)) else {
            return None;
        };
        let (Ok(key), Ok(value)) = (key.cast::<PyBytes>(), value.cast::<PyBytes>()) else {
            return None;
        };
        let Ok(key) = std::str::from_utf8(key.as_bytes()) else {
            continue;
        };
        let Some(name) = HEADER_NAMES.iter().find(|n| n.eq_ignore_ascii_case(key)) else {
            continue;
        };
        if facts.header(name).is_none() && value.as_bytes().len() <= MAX_TEXT {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            facts.headers.push(((*name).to_owned(), value));
        }
    }
    Some(list.len().min(MAX_HEADERS))
}
