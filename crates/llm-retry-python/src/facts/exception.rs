//! One exception read into `ErrorFacts`: its class, its own status, code and message attributes, then each
//! SDK family's place for the rest (body, details, response, headers), then its causes.

use pyo3::exceptions::PyBaseException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use llm_retry_core::classify::{ErrorFacts, Evidence, MAX_CAUSE_DEPTH};

use super::attributes::{attr, call0, interrupted, run, Own, OwnAttrs};
use super::aws;
use super::causes::{already_read, causes_of};
use super::classes::class_view;
use super::envelope::{body_facts, error_dict_facts};
use super::google::detail_list_facts;
use super::http::{read_headers, response_facts};
use super::values::{bounded, enum_name, int_of, push_message, text_of};

/// Facts of `obj` at `depth` in a cause chain; `seen` holds the exceptions already read.
pub(super) fn facts_at(obj: &Bound<'_, PyAny>, depth: usize, seen: &mut Vec<usize>) -> ErrorFacts {
    // Every exception visited is remembered, so that a cycle or a repeated member is read once; the top
    // one is added only when it has causes (no allocation otherwise).
    if depth > 0 {
        seen.push(obj.as_ptr() as usize);
    }
    let class = class_view(&obj.get_type());
    let family = Family::of(&class);
    let own_str = class.own_str;
    let mut facts = ErrorFacts::of_classes(class.is_exception, class.classes);
    if !obj.is_instance_of::<PyBaseException>() || interrupted() {
        // Not an exception at all: its class names are the only evidence worth reading (or the reading
        // was stopped, and the interrupt is raised).
        return facts;
    }
    let Some(own) = OwnAttrs::new(obj, class.class_attrs, class.dynamic) else {
        return facts;
    };

    own_attributes(&own, family, &mut facts);
    if let Some(body) = own.get(Own::Body) {
        body_facts(&body, &mut facts);
    }
    if let Some(details) = own.get(Own::Details) {
        details_facts(&details, &mut facts);
    }
    if let Some(response) = own.get(Own::Response) {
        if let Ok(parsed) = response.cast::<PyDict>() {
            aws::botocore_facts(parsed, &mut facts);
        } else {
            response_facts(&response, &mut facts);
        }
    }
    if let Some(headers) = own.get(Own::Headers) {
        read_headers(&headers, &mut facts);
    }
    aws::errortype_header(&mut facts);
    // The exception's text is the last resort for the message rules, which only matter for HTTP-shaped
    // errors.
    let http_shaped = !facts.statuses.is_empty() || !facts.codes.is_empty();
    if facts.messages.is_empty() && http_shaped {
        if let Some(text) = exception_text(obj, own_str).filter(|t| !t.is_empty()) {
            push_message(&mut facts, Evidence::new("str(exc)", text));
        }
    }
    if depth < MAX_CAUSE_DEPTH {
        for cause in causes_of(&own, class.is_tenacity_retry_error, depth, seen) {
            // Checked as each is reached: an earlier cause's own chain may have read this one.
            if !already_read(&cause, seen) {
                facts.causes.push(facts_at(&cause, depth + 1, seen));
            }
        }
    }
    facts
}

/// The families whose own attributes are read their own way.
#[derive(Clone, Copy)]
struct Family {
    grpc: bool,
    aiohttp: bool,
}

impl Family {
    fn of(class: &super::classes::ClassView) -> Self {
        Family {
            grpc: class.is_grpc,
            aiohttp: class.is_aiohttp,
        }
    }
}

/// Status, code and message attributes on the exception itself.
fn own_attributes(own: &OwnAttrs<'_, '_>, family: Family, facts: &mut ErrorFacts) {
    let is_grpc = family.grpc;
    if let Some(v) = own.get(Own::StatusCode).and_then(|v| int_of(&v)) {
        facts.statuses.push(Evidence::new("status_code", v));
    }
    if let Some(v) = own.get(Own::Status) {
        // aiohttp: an int; google-genai: a canonical code string or a reason phrase.
        if let Some(n) = int_of(&v) {
            facts.statuses.push(Evidence::new("status", n));
        } else if let Some(s) = text_of(&v) {
            facts.codes.push(Evidence::new(".status", s));
        }
    }
    // aiohttp's `.code` repeats `.status`, and reading it warns (DeprecationWarning) at the user's line.
    let code = if family.aiohttp {
        None
    } else {
        own.get(Own::Code)
    };
    if let Some(v) = code {
        // openai: a code string; google-genai / api-core: an int status; aiohttp: deprecated int;
        // grpc: a method returning a StatusCode.
        if let Some(n) = int_of(&v) {
            facts.statuses.push(Evidence::new("code", n));
        } else if let Some(s) = text_of(&v) {
            facts.codes.push(Evidence::new(".code", s));
        } else if is_grpc && v.is_callable() {
            if let Some(name) = call0(&v).and_then(|c| enum_name(&c)) {
                facts.codes.push(Evidence::new("code()", name));
            }
        }
    }
    if let Some(name) = own.get(Own::GrpcStatusCode).and_then(|v| enum_name(&v)) {
        facts.codes.push(Evidence::new("grpc_status_code", name));
    }
    for (which, source) in [
        (Own::Type, ".type"),
        (Own::ErrorCode, ".error_code"),
        (Own::Reason, ".reason"),
    ] {
        if let Some(s) = own.get(which).and_then(|v| text_of(&v)) {
            facts.codes.push(Evidence::new(source, s));
        }
    }
    if let Some(s) = own.get(Own::Message).and_then(|v| text_of(&v)) {
        push_message(facts, Evidence::new(".message", s));
    }
    if is_grpc {
        if let Some(d) = own.get(Own::Details).filter(|d| d.is_callable()) {
            if let Some(s) = call0(&d).and_then(|v| text_of(&v)) {
                push_message(facts, Evidence::new("details()", s));
            }
        }
    }
}

/// `.details`: google-genai's whole JSON body (a dict), or google-api-core's list of detail messages.
fn details_facts(details: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    if let Ok(dict) = details.cast::<PyDict>() {
        error_dict_facts(dict, facts);
    } else {
        detail_list_facts(details, facts);
    }
}

/// How many of an exception's args are looked at for its text.
const MAX_ARGS: usize = 8;

/// What `str(exc)` says, read without building it when the text is already at hand: with BaseException's
/// own `__str__`, the first str argument (the str of a many-megabyte args tuple costs tens of milliseconds).
fn exception_text(obj: &Bound<'_, PyAny>, own_str: bool) -> Option<String> {
    let py = obj.py();
    if !own_str {
        let args = attr(obj, intern!(py, "args"))?;
        let args = args.cast::<PyTuple>().ok()?;
        if let Some(text) = args.iter().take(MAX_ARGS).find_map(|a| text_of(&a)) {
            return Some(text);
        }
        if args.is_empty() {
            return None;
        }
    }
    bounded(&run(py, || obj.str())?)
}
