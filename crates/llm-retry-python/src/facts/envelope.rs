//! Where providers put an error's fields in a JSON body: the `{"error": {...}}` envelope (Anthropic, OpenAI,
//! Groq, Google), its inner dict (the OpenAI SDK's `.body`), flat bodies (Cohere) and str bodies (Mistral).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use llm_retry_core::classify::{ErrorFacts, Evidence};

use super::attributes::{for_each_item, get, str_len, MAX_SCANNED_DICT};
use super::google::detail_list_facts;
use super::values::{bounded, bounded_str, int_of, push_message, seconds_of, text_of};
use crate::py_objects;

/// Longest str body handed to `json.loads`, in code points and in bytes: an error envelope is a few hundred
/// bytes, and a longer body is read only for its head.
const MAX_JSON_BODY: usize = 65_536;

/// An error body: a dict (anthropic/groq envelope, openai inner error, cohere) or a str (mistral, proxies).
pub(super) fn body_facts(body: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    if let Ok(dict) = body.cast::<PyDict>() {
        error_dict_facts(dict, facts);
    } else if let Ok(text) = body.cast::<PyString>() {
        if str_len(text) > MAX_JSON_BODY {
            // Too long to be an error envelope: only its head is read, as a message.
            if let Some(s) = bounded(text) {
                push_message(facts, Evidence::new("body", s));
            }
            return;
        }
        let Ok(text) = text.to_str() else { return };
        if text.trim_start().starts_with('{') && text.len() <= MAX_JSON_BODY {
            if let Some(dict) = json_object(body.py(), text) {
                error_dict_facts(&dict, facts);
                return;
            }
        }
        if let Some(s) = bounded_str(text) {
            push_message(facts, Evidence::new("body", s));
        }
    }
}

/// A body kept only as bytes (an httpx response's `content`), for the one field no exception attribute
/// repeats: Hugging Face's `estimated_time`. Parsed only when it is a JSON object of envelope size that
/// names the field: every other error keeps its codes and message in attributes already read, and parsing
/// each httpx error's body would cost it microseconds (json.loads) for nothing.
pub(super) fn body_bytes_facts(body: &Bound<'_, PyBytes>, facts: &mut ErrorFacts) {
    const MARKER: &[u8] = b"\"estimated_time\"";
    let bytes = body.as_bytes();
    if bytes.len() > MAX_JSON_BODY
        || bytes.trim_ascii_start().first() != Some(&b'{')
        || !bytes.windows(MARKER.len()).any(|w| w == MARKER)
    {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Some(dict) = json_object(body.py(), text) {
        error_dict_facts(&dict, facts);
    }
}

/// The provider's error body that LiteLLM embeds at the end of its own message, when the error keeps no
/// body of its own: "litellm.RateLimitError: AnthropicException - {\"type\": \"error\", ...}". Only a
/// message that ends with a JSON object is parsed.
pub(super) fn embedded_body_facts(message: &str, py: Python<'_>, facts: &mut ErrorFacts) {
    let text = message.trim_end();
    if !text.ends_with('}') {
        return;
    }
    let Some(start) = text.find(" - {").map(|at| at + 3) else {
        return;
    };
    if let Some(dict) = json_object(py, &text[start..]) {
        error_dict_facts(&dict, facts);
    }
}

/// Reads the fields providers put in an error envelope: `{"error": {...}}` or the inner dict itself.
pub(super) fn error_dict_facts(body: &Bound<'_, PyDict>, facts: &mut ErrorFacts) {
    let top = EnvelopeFields::of(body);
    if let Some(inner) = top.error.as_ref() {
        if let Ok(inner) = inner.cast::<PyDict>() {
            error_fields(&EnvelopeFields::of(inner), facts, ErrorFieldSources::NESTED);
        } else if let Some(s) = text_of(inner) {
            push_message(facts, Evidence::new("body.error", s));
        }
    }
    error_fields(&top, facts, ErrorFieldSources::TOP);
}

/// The fields of an error envelope that the extraction reads, found in one pass over a small dict (one
/// lookup per field costs more than a pass once a dict has a few keys). `None` values are absent.
#[derive(Default)]
struct EnvelopeFields<'py> {
    error: Option<Bound<'py, PyAny>>,
    r#type: Option<Bound<'py, PyAny>>,
    code: Option<Bound<'py, PyAny>>,
    status: Option<Bound<'py, PyAny>>,
    message: Option<Bound<'py, PyAny>>,
    details: Option<Bound<'py, PyAny>>,
    innererror: Option<Bound<'py, PyAny>>,
    estimated_time: Option<Bound<'py, PyAny>>,
}

impl<'py> EnvelopeFields<'py> {
    fn of(d: &Bound<'py, PyDict>) -> Self {
        let mut fields = EnvelopeFields::default();
        if d.len() > MAX_SCANNED_DICT {
            let py = d.py();
            for (name, slot) in [
                (intern!(py, "error"), &mut fields.error),
                (intern!(py, "type"), &mut fields.r#type),
                (intern!(py, "code"), &mut fields.code),
                (intern!(py, "status"), &mut fields.status),
                (intern!(py, "message"), &mut fields.message),
                (intern!(py, "details"), &mut fields.details),
                (intern!(py, "innererror"), &mut fields.innererror),
                (intern!(py, "estimated_time"), &mut fields.estimated_time),
            ] {
                *slot = get(d, name);
            }
            return fields;
        }
        for_each_item(d, |key, value| {
            if value.is_none() {
                return;
            }
            let Ok(key) = key.cast::<PyString>() else {
                return;
            };
            let slot = match key.to_str() {
                Ok("error") => &mut fields.error,
                Ok("type") => &mut fields.r#type,
                Ok("code") => &mut fields.code,
                Ok("status") => &mut fields.status,
                Ok("message") => &mut fields.message,
                Ok("details") => &mut fields.details,
                Ok("innererror") => &mut fields.innererror,
                Ok("estimated_time") => &mut fields.estimated_time,
                _ => return,
            };
            *slot = Some(value.to_owned());
        });
        fields
    }
}

struct ErrorFieldSources {
    r#type: &'static str,
    code: &'static str,
    status: &'static str,
    message: &'static str,
    error_code: &'static str,
    innererror: &'static str,
}

impl ErrorFieldSources {
    const NESTED: ErrorFieldSources = ErrorFieldSources {
        r#type: "body.error.type",
        code: "body.error.code",
        status: "body.error.status",
        message: "body.error.message",
        error_code: "body.error.details.error_code",
        innererror: "body.error.innererror.code",
    };
    const TOP: ErrorFieldSources = ErrorFieldSources {
        r#type: "body.type",
        code: "body.code",
        status: "body.status",
        message: "body.message",
        error_code: "body.details.error_code",
        innererror: "body.innererror.code",
    };
}

fn error_fields(fields: &EnvelopeFields<'_>, facts: &mut ErrorFacts, src: ErrorFieldSources) {
    // Hugging Face: a model still loading answers 503 with how long it expects to take, in seconds.
    if let Some(seconds) = fields.estimated_time.as_ref().and_then(seconds_of) {
        facts
            .stated_delay
            .get_or_insert(Evidence::new("body.estimated_time", seconds));
    }
    if let Some(s) = fields.r#type.as_ref().and_then(text_of) {
        if s != "error" {
            facts.codes.push(Evidence::new(src.r#type, s));
        }
    }
    if let Some(v) = fields.code.as_ref() {
        if let Some(n) = int_of(v) {
            // Google's envelope: error.code is the HTTP status.
            facts.statuses.push(Evidence::new(src.code, n));
        } else if let Some(s) = text_of(v) {
            facts.codes.push(Evidence::new(src.code, s));
        }
    }
    if let Some(s) = fields.status.as_ref().and_then(text_of) {
        facts.codes.push(Evidence::new(src.status, s));
    }
    if let Some(s) = fields.message.as_ref().and_then(text_of) {
        push_message(facts, Evidence::new(src.message, s));
    }
    if let Some(details) = fields.details.as_ref() {
        if let Ok(dict) = details.cast::<PyDict>() {
            if let Some(s) = get(dict, intern!(dict.py(), "error_code")).and_then(|v| text_of(&v)) {
                facts.codes.push(Evidence::new(src.error_code, s));
            }
        } else {
            detail_list_facts(details, facts);
        }
    }
    if let Some(inner) = fields
        .innererror
        .as_ref()
        .and_then(|v| v.cast::<PyDict>().ok())
    {
        if let Some(s) = get(inner, intern!(inner.py(), "code")).and_then(|v| text_of(&v)) {
            facts.codes.push(Evidence::new(src.innererror, s));
        }
    }
}

/// `text` parsed as JSON, when it is an object.
fn json_object<'py>(py: Python<'py>, text: &str) -> Option<Bound<'py, PyDict>> {
    py_objects::json_loads(py, text)
        .ok()?
        .cast_into::<PyDict>()
        .ok()
}
