//! One exception read into `ErrorFacts`: its class, its own status, code and message attributes, then each
//! SDK family's place for the rest (body, details, response, headers), then its causes.

use pyo3::exceptions::PyBaseException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use llm_retry_core::classify::{ErrorFacts, Evidence, MAX_CAUSE_DEPTH};

use super::attributes::{
    attr, call0, explicit_cause, get, implicit_context, interrupted, run, Own, OwnAttrs,
};
use super::aws;
use super::causes::{already_read, causes_of};
use super::classes::class_view;
use super::envelope::{body_bytes_facts, body_facts, embedded_body_facts, error_dict_facts};
use super::google::detail_list_facts;
use super::http::{read_body, read_headers, response_facts};
use super::values::{bounded, enum_name, int_of, push_message, seconds_of, text_of};

/// How an exception was reached: raised (or an explicit cause), or as the implicit `__context__` of one,
/// whose own context is never read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    Directly,
    AsContext,
}

/// Facts of `obj` at `depth` in a cause chain; `seen` holds the exceptions already read.
pub(super) fn facts_at(
    obj: &Bound<'_, PyAny>,
    depth: usize,
    seen: &mut Vec<usize>,
    reached: Reached,
) -> ErrorFacts {
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
    let body = own.get(Own::Body);
    if let Some(body) = body.as_ref() {
        body_facts(body, &mut facts);
    }
    let details = own.get(Own::Details);
    if let Some(details) = details.as_ref() {
        details_facts(details, &mut facts);
    }
    if body.is_none() && details.is_none() && class.is_litellm {
        // LiteLLM keeps the provider's body only inside its message (anthropic's error_code, Gemini's
        // RetryInfo).
        let message = facts.messages.iter().find(|m| m.source == ".message");
        if let Some(message) = message.map(|m| m.value.clone()) {
            embedded_body_facts(&message, obj.py(), &mut facts);
        }
    }
    // Headers of a real response, counted to tell one from a response a wrapper made up (LiteLLM's).
    let mut headers_seen = 0;
    if let Some(response) = own.get(Own::Response) {
        if let Ok(parsed) = response.cast::<PyDict>() {
            aws::botocore_facts(parsed, &mut facts);
            headers_seen += 1;
        } else {
            headers_seen += response_facts(&response, &mut facts);
            // A model still loading answers 503 with its estimated time, in a body that lives only in the
            // response (huggingface_hub's HfHubHTTPError); no other status has a field worth the read.
            let loading = facts.statuses.iter().any(|s| s.value == 503);
            if loading && body.is_none() && details.is_none() {
                if let Some(content) = read_body(&response) {
                    body_bytes_facts(&content, &mut facts);
                }
            }
        }
    }
    if let Some(headers) = own.get(Own::Headers) {
        headers_seen += read_headers(&headers, &mut facts);
    }
    // LiteLLM's copy of the provider's headers, kept beside a response it made up: read for its hints, but
    // not counted as the response's own (a hint in the provider's body may still be on the context).
    if let Some(headers) = own.get(Own::LitellmResponseHeaders) {
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
                let cause_facts = facts_at(&cause, depth + 1, seen, Reached::Directly);
                facts.causes.push(cause_facts);
            }
        }
        if reached == Reached::Directly && may_lend_context(obj, &facts, headers_seen) {
            if let Some(context) = implicit_context(obj).filter(|c| !already_read(c, seen)) {
                if depth == 0 {
                    seen.push(obj.as_ptr() as usize);
                }
                facts.context = Some(Box::new(facts_at(
                    &context,
                    depth + 1,
                    seen,
                    Reached::AsContext,
                )));
            }
        }
    }
    facts
}

/// Whether the implicit `__context__` is worth reading, for the one thing it may give (`classify::lend`):
/// the server's delay hint, lost by a wrapper that raised an error of its own with the same status on a
/// response it made up. So only for an error with a status, without an explicit cause (which is followed
/// instead), with no hint of its own, and whose response carried no header at all: an error with real
/// headers and no hint had none to lose, and reading its context (the SDK's httpx error, raised while it was
/// being handled) would cost every ordinary error a second extraction.
fn may_lend_context(obj: &Bound<'_, PyAny>, facts: &ErrorFacts, headers_seen: usize) -> bool {
    headers_seen == 0
        && facts
            .statuses
            .iter()
            .any(|s| (100..=599).contains(&s.value))
        && facts.body_retry_delay.is_none()
        && facts.stated_delay.is_none()
        && facts.headers.is_empty()
        && facts.causes.is_empty()
        && explicit_cause(obj).is_none()
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
    if let Some(v) = own.get(Own::HttpStatus).and_then(|v| int_of(&v)) {
        facts.statuses.push(Evidence::new("http_status", v));
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
        (Own::ProviderErrorCode, ".provider_error_code"),
        (Own::ProviderErrorType, ".provider_error_type"),
    ] {
        if let Some(s) = own.get(which).and_then(|v| text_of(&v)) {
            facts.codes.push(Evidence::new(source, s));
        }
    }
    if let Some(s) = own.get(Own::Message).and_then(|v| text_of(&v)) {
        push_message(facts, Evidence::new(".message", s));
    }
    if let Some(s) = own.get(Own::Detail).and_then(|v| text_of(&v)) {
        push_message(facts, Evidence::new(".detail", s));
    }
    for (which, source) in [
        (Own::RetryAfter, ".retry_after"),
        (Own::CooldownTime, ".cooldown_time"),
    ] {
        if let Some(seconds) = own.get(which).and_then(|v| seconds_of(&v)) {
            facts
                .stated_delay
                .get_or_insert(Evidence::new(source, seconds));
        }
    }
    if let Some(error) = own.get(Own::Error) {
        error_attribute_facts(&error, facts);
    }
    if is_grpc {
        if let Some(d) = own.get(Own::Details).filter(|d| d.is_callable()) {
            if let Some(s) = call0(&d).and_then(|v| text_of(&v)) {
                push_message(facts, Evidence::new("details()", s));
            }
        }
    }
}

/// `.error`: ollama's message (a str), an error dict, or azure-core's parsed OData error (an object with
/// `code`, `message` and an `innererror` dict). Its `.error` property, deprecated, is never read.
fn error_attribute_facts(error: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    if let Some(s) = text_of(error) {
        push_message(facts, Evidence::new(".error", s));
        return;
    }
    if let Ok(dict) = error.cast::<PyDict>() {
        error_dict_facts(dict, facts);
        return;
    }
    if error.is_instance_of::<PyBaseException>() {
        return;
    }
    let py = error.py();
    if let Some(code) = attr(error, intern!(py, "code")).and_then(|v| text_of(&v)) {
        facts.codes.push(Evidence::new(".error.code", code));
    }
    if let Some(message) = attr(error, intern!(py, "message")).and_then(|v| text_of(&v)) {
        push_message(facts, Evidence::new(".error.message", message));
    }
    let inner = attr(error, intern!(py, "innererror")).and_then(|v| v.cast_into::<PyDict>().ok());
    if let Some(code) = inner
        .and_then(|i| get(&i, intern!(py, "code")))
        .and_then(|v| text_of(&v))
    {
        facts
            .codes
            .push(Evidence::new(".error.innererror.code", code));
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
