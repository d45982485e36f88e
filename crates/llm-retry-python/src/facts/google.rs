//! Google's error details (`google.rpc` RetryInfo, QuotaFailure, ErrorInfo), as JSON dicts in a REST body
//! (google-genai, google-api-core) or as protobuf messages on a gRPC error.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use llm_retry_core::classify::{ErrorFacts, Evidence};

use super::attributes::{attr, get, items};
use super::values::{int_of, text_of};

/// `google.rpc` detail messages as JSON dicts: RetryInfo, QuotaFailure, ErrorInfo.
pub(super) fn detail_list_facts(details: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    let Ok(list) = details.cast::<PyList>() else {
        return;
    };
    for item in list.iter().take(16) {
        let Ok(item) = item
            .cast_into::<PyDict>()
            .map_err(|e| protobuf_detail_facts(&e.into_inner(), facts))
        else {
            continue;
        };
        let kind = get(&item, intern!(item.py(), "@type"))
            .and_then(|v| text_of(&v))
            .unwrap_or_default();
        if kind.ends_with("RetryInfo") {
            if let Some(delay) =
                get(&item, intern!(item.py(), "retryDelay")).and_then(|v| text_of(&v))
            {
                facts.body_retry_delay.get_or_insert(delay);
            }
        } else if kind.ends_with("QuotaFailure") {
            let Some(violations) = get(&item, intern!(item.py(), "violations")) else {
                continue;
            };
            let Ok(violations) = violations.cast_into::<PyList>() else {
                continue;
            };
            for v in violations.iter().take(16) {
                let Ok(v) = v.cast_into::<PyDict>() else {
                    continue;
                };
                if let Some(id) = get(&v, intern!(v.py(), "quotaId")).and_then(|q| text_of(&q)) {
                    facts.quota_ids.push(id);
                }
            }
        } else if kind.ends_with("ErrorInfo") {
            if let Some(reason) = get(&item, intern!(item.py(), "reason")).and_then(|v| text_of(&v))
            {
                facts.codes.push(Evidence::new("ErrorInfo.reason", reason));
            }
        }
    }
}

/// gRPC detail messages (protobuf objects, read by attribute): `RetryInfo.retry_delay` (a Duration),
/// `QuotaFailure.violations[].quota_id`, `ErrorInfo.reason`.
fn protobuf_detail_facts(item: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    let py = item.py();
    let name = item
        .get_type()
        .name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.as_str() {
        "RetryInfo" => {
            let Some(delay) = attr(item, intern!(py, "retry_delay")) else {
                return;
            };
            let seconds = attr(&delay, intern!(py, "seconds"))
                .and_then(|v| int_of(&v))
                .unwrap_or(0);
            let nanos = attr(&delay, intern!(py, "nanos"))
                .and_then(|v| int_of(&v))
                .unwrap_or(0);
            if seconds >= 0 && (0..1_000_000_000).contains(&nanos) {
                facts
                    .body_retry_delay
                    .get_or_insert(format!("{seconds}.{nanos:09}s"));
            }
        }
        "QuotaFailure" => {
            let Some(violations) = attr(item, intern!(py, "violations")) else {
                return;
            };
            for v in items(&violations, 16) {
                if let Some(id) = attr(&v, intern!(py, "quota_id")).and_then(|q| text_of(&q)) {
                    facts.quota_ids.push(id);
                }
            }
        }
        "ErrorInfo" => {
            if let Some(reason) = attr(item, intern!(py, "reason")).and_then(|v| text_of(&v)) {
                facts.codes.push(Evidence::new("ErrorInfo.reason", reason));
            }
        }
        _ => {}
    }
}
