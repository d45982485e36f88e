//! Reads an `ErrorFacts` off any Python object. It never fails and never raises: an attribute that is
//! missing, raises, or has the wrong type is absent evidence. No provider SDK is imported; only class
//! names, attributes, dict keys and mapping `.get()` are used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyBaseException, PyException};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple, PyType};
use pyo3::Borrowed;

use llm_retry_core::classify::{ClassName, ErrorFacts, Evidence, MAX_CAUSE_DEPTH};
use llm_retry_core::hints::HEADER_NAMES;

/// Longest text kept from a message or body; enough for every provider phrase the rules look for.
const MAX_TEXT: usize = 2048;
/// Longest str body handed to `json.loads`.
const MAX_JSON_BODY: usize = 65_536;
/// How many causes one exception may add (how deep the chain goes is `MAX_CAUSE_DEPTH`).
const MAX_CAUSES: usize = 8;
/// Bound on the per-type cache of MRO facts; cleared when full (types are usually a few dozen).
const MAX_CACHED_TYPES: usize = 4096;

/// What a class contributes, computed once per type.
struct TypeFacts {
    /// Keeps the type alive so its address cannot be reused by another type while cached.
    _type: Py<PyType>,
    view: TypeView,
}

/// The exception attributes the extraction reads, by index into `TypeView::class_attrs`.
const OWN_ATTRS: [&str; 15] = [
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
];

#[derive(Clone, Copy)]
enum Own {
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
}

static OWN_NAMES: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();

/// Reads the exception's own attributes. Absent ones are looked up in the instance `__dict__` (a dict
/// lookup) instead of through getattr, which on the stable ABI raises and clears an AttributeError for
/// every miss: most of the attributes read here are missing on any given exception.
struct OwnAttrs<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    /// Values found in the instance `__dict__` by one scan, indexed like `OWN_ATTRS`; None when the
    /// instance has no usable `__dict__` (then every read goes through getattr).
    found: Option<[Option<Bound<'py, PyAny>>; OWN_ATTRS.len()]>,
    names: &'a [Py<PyString>],
    class_attrs: u32,
    dynamic: bool,
}

/// Instance dicts larger than this are looked up key by key instead of scanned.
const MAX_SCANNED_DICT: usize = 64;

impl<'a, 'py> OwnAttrs<'a, 'py> {
    fn new(
        obj: &'a Bound<'py, PyAny>,
        names: &'a [Py<PyString>],
        class_attrs: u32,
        dynamic: bool,
    ) -> Self {
        let py = obj.py();
        let dict = if dynamic { None } else { instance_dict(obj) };
        let found = dict.map(|dict| {
            let mut found: [Option<Bound<'py, PyAny>>; OWN_ATTRS.len()] = Default::default();
            if dict.len() <= MAX_SCANNED_DICT {
                for_each_item(&dict, |key, value| {
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
            } else {
                for (i, name) in names.iter().enumerate() {
                    if let Ok(Some(v)) = dict.get_item(name.bind(py)) {
                        found[i] = (!v.is_none()).then_some(v);
                    }
                }
            }
            found
        });
        OwnAttrs {
            obj,
            found,
            names,
            class_attrs,
            dynamic,
        }
    }

    fn get(&self, which: Own) -> Option<Bound<'py, PyAny>> {
        let i = which as usize;
        match &self.found {
            Some(found) if !self.dynamic && self.class_attrs & (1 << i) == 0 => found[i].clone(),
            _ => attr(self.obj, self.names.get(i)?.bind(self.obj.py())),
        }
    }
}

/// The instance `__dict__` itself, read the way `object.__getattribute__` finds it (no `__dict__` lookup
/// through the MRO); None for objects without one.
fn instance_dict<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyDict>> {
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
        let _ = PyErr::take(py);
    }
    dict.and_then(|d| d.cast_into::<PyDict>().ok())
}

/// Type addresses are unique while the type lives (the cache keeps it alive): a multiplicative hash of the
/// address is enough, and much cheaper than SipHash.
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type TypeCache = HashMap<usize, TypeFacts, std::hash::BuildHasherDefault<AddressHasher>>;

static TYPE_CACHE: Mutex<Option<TypeCache>> = Mutex::new(None);

/// Facts of `obj`, following explicit causes.
pub fn facts_of(obj: &Bound<'_, PyAny>) -> ErrorFacts {
    let mut seen = Vec::new();
    facts_at(obj, 0, &mut seen)
}

fn facts_at(obj: &Bound<'_, PyAny>, depth: usize, seen: &mut Vec<usize>) -> ErrorFacts {
    // Every exception visited is remembered, so that a cycle or a repeated member is read once; the top
    // one is added only when it has causes (no allocation otherwise).
    if depth > 0 {
        seen.push(obj.as_ptr() as usize);
    }
    let py = obj.py();
    let t = type_facts(&obj.get_type());
    let mut facts = ErrorFacts::of_classes(t.is_exception, t.classes);
    if !obj.is_instance_of::<PyBaseException>() {
        // Not an exception at all: its class names are the only evidence worth reading.
        return facts;
    }
    let Ok(names) = OWN_NAMES.get_or_try_init(py, || -> PyResult<Vec<Py<PyString>>> {
        Ok(OWN_ATTRS
            .iter()
            .map(|n| PyString::intern(py, n).unbind())
            .collect())
    }) else {
        return facts;
    };
    let own = OwnAttrs::new(obj, names, t.class_attrs, t.dynamic);

    own_attributes(&own, t.is_grpc, &mut facts);
    if let Some(body) = own.get(Own::Body) {
        body_facts(&body, &mut facts);
    }
    if let Some(details) = own.get(Own::Details) {
        details_facts(&details, &mut facts);
    }
    if let Some(response) = own.get(Own::Response) {
        response_facts(&response, &mut facts);
    }
    if let Some(headers) = own.get(Own::Headers) {
        read_headers(&headers, &mut facts);
    }
    if let Some(errortype) = facts.header("x-amzn-errortype") {
        // AnthropicBedrock and raw AWS responses: "ThrottlingException:http://internal.amazon.com/..."
        let code = errortype.split(':').next().unwrap_or("").trim().to_owned();
        if !code.is_empty() {
            facts
                .codes
                .push(Evidence::new("x-amzn-errortype header", code));
        }
    }
    // `str(exc)` is the last resort for the message rules, which only matter for HTTP-shaped errors.
    let http_shaped = !facts.statuses.is_empty() || !facts.codes.is_empty();
    if facts.messages.is_empty() && http_shaped {
        if let Some(text) = obj.str().ok().and_then(|s| bounded(&s)) {
            if !text.is_empty() {
                push_message(&mut facts, Evidence::new("str(exc)", text));
            }
        }
    }
    if depth < MAX_CAUSE_DEPTH {
        causes(&own, t.is_tenacity_retry_error, depth, seen, &mut facts);
    }
    facts
}

/// What the extraction needs to know about a type.
#[derive(Clone)]
struct TypeView {
    classes: Arc<Vec<ClassName>>,
    is_exception: bool,
    is_grpc: bool,
    is_tenacity_retry_error: bool,
    /// Defined in httpx or httpx2 (whose `Headers` keep a `_list` of byte triples).
    is_httpx: bool,
    /// Bit i set: some class in the MRO defines `OWN_ATTRS[i]` (a property or class attribute), so it
    /// must be read with getattr; otherwise it can only live in the instance `__dict__`.
    class_attrs: u32,
    /// A custom `__getattr__`/`__getattribute__` somewhere in the MRO: every read goes through getattr.
    dynamic: bool,
}

/// The MRO facts of a type, from the cache when possible. The lock is never held while calling Python.
fn type_facts(ty: &Bound<'_, PyType>) -> TypeView {
    let key = ty.as_ptr() as usize;
    if let Ok(guard) = TYPE_CACHE.lock() {
        if let Some(found) = guard.as_ref().and_then(|cache| cache.get(&key)) {
            return found.view.clone();
        }
    }
    let py = ty.py();
    let mut classes = Vec::new();
    let mut class_attrs = 0u32;
    let mut dynamic = false;
    for class in ty.mro().iter() {
        let Ok(class) = class.cast_into::<PyType>() else {
            continue;
        };
        let name = class
            .name()
            .ok()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let module = class
            .module()
            .ok()
            .map(|m| m.to_string_lossy().into_owned())
            .unwrap_or_default();
        let builtin = module == "builtins";
        if let Ok(namespace) = class.getattr(intern!(py, "__dict__")) {
            for (i, attr_name) in OWN_ATTRS.iter().enumerate() {
                if namespace.contains(*attr_name).unwrap_or(true) {
                    class_attrs |= 1 << i;
                }
            }
            let custom_lookup = namespace.contains("__getattr__").unwrap_or(true)
                || (!builtin && namespace.contains("__getattribute__").unwrap_or(true));
            dynamic |= custom_lookup;
        } else {
            dynamic = true;
        }
        if name == "object" && builtin {
            continue;
        }
        classes.push(ClassName { module, name });
    }
    let is_exception = ty.is_subclass_of::<PyException>().unwrap_or(false);
    let is_grpc = classes
        .iter()
        .any(|c| c.module.starts_with("grpc") || c.name == "RpcError");
    let is_tenacity = classes
        .iter()
        .any(|c| c.name == "RetryError" && c.module.starts_with("tenacity"));
    let is_httpx = classes
        .first()
        .is_some_and(|c| c.module.starts_with("httpx"));
    let view = TypeView {
        classes: Arc::new(classes),
        is_exception,
        is_grpc,
        is_tenacity_retry_error: is_tenacity,
        is_httpx,
        class_attrs,
        dynamic,
    };
    if let Ok(mut guard) = TYPE_CACHE.lock() {
        let cache = guard.get_or_insert_with(TypeCache::default);
        if cache.len() >= MAX_CACHED_TYPES {
            cache.clear();
        }
        cache.insert(
            key,
            TypeFacts {
                _type: ty.clone().unbind(),
                view: view.clone(),
            },
        );
    }
    view
}

/// Status, code and message attributes on the exception itself.
fn own_attributes(own: &OwnAttrs<'_, '_>, is_grpc: bool, facts: &mut ErrorFacts) {
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
    if let Some(v) = own.get(Own::Code) {
        // openai: a code string; google-genai / api-core: an int status; aiohttp: deprecated int;
        // grpc: a method returning a StatusCode.
        if let Some(n) = int_of(&v) {
            facts.statuses.push(Evidence::new("code", n));
        } else if let Some(s) = text_of(&v) {
            facts.codes.push(Evidence::new(".code", s));
        } else if is_grpc && v.is_callable() {
            if let Some(name) = v.call0().ok().and_then(|c| enum_name(&c)) {
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
            if let Some(s) = d.call0().ok().and_then(|v| text_of(&v)) {
                push_message(facts, Evidence::new("details()", s));
            }
        }
    }
}

/// An error body: a dict (anthropic/groq envelope, openai inner error, cohere) or a str (mistral, proxies).
fn body_facts(body: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    if let Ok(dict) = body.cast::<PyDict>() {
        error_dict_facts(dict, facts);
    } else if let Ok(text) = body.cast::<PyString>() {
        let Ok(text) = text.to_str() else { return };
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') && text.len() <= MAX_JSON_BODY {
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

/// Reads the fields providers put in an error envelope: `{"error": {...}}` or the inner dict itself.
fn error_dict_facts(body: &Bound<'_, PyDict>, facts: &mut ErrorFacts) {
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

/// google-genai `.details` (the whole JSON body) or google-api-core `.details` (a list of detail dicts).
fn details_facts(details: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    if let Ok(dict) = details.cast::<PyDict>() {
        error_dict_facts(dict, facts);
    } else {
        detail_list_facts(details, facts);
    }
}

/// `google.rpc` detail messages as JSON dicts: RetryInfo, QuotaFailure, ErrorInfo.
fn detail_list_facts(details: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
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
            let Ok(violations) = violations.try_iter() else {
                return;
            };
            for v in violations.take(16).flatten() {
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

/// `.response`: an HTTP response object (httpx, httpx2, requests, aiohttp) or botocore's parsed dict.
fn response_facts(response: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    let py = response.py();
    if let Ok(dict) = response.cast::<PyDict>() {
        botocore_facts(dict, facts);
        return;
    }
    if let Some(n) = attr(response, intern!(py, "status_code")).and_then(|v| int_of(&v)) {
        facts
            .statuses
            .push(Evidence::new("response.status_code", n));
    } else if let Some(n) = attr(response, intern!(py, "status")).and_then(|v| int_of(&v)) {
        facts.statuses.push(Evidence::new("response.status", n));
    }
    if let Some(headers) = attr(response, intern!(py, "headers")) {
        read_headers(&headers, facts);
    }
}

/// botocore `ClientError.response`: `Error.Code`, `ResponseMetadata`, SageMaker `OriginalStatusCode`.
fn botocore_facts(response: &Bound<'_, PyDict>, facts: &mut ErrorFacts) {
    if let Some(error) =
        get(response, intern!(response.py(), "Error")).and_then(|e| e.cast_into::<PyDict>().ok())
    {
        if let Some(code) = get(&error, intern!(error.py(), "Code")).and_then(|v| text_of(&v)) {
            facts
                .codes
                .push(Evidence::new("response['Error']['Code']", code));
        }
        if let Some(message) = get(&error, intern!(error.py(), "Message")).and_then(|v| text_of(&v))
        {
            facts
                .messages
                .push(Evidence::new("response['Error']['Message']", message));
        }
    }
    if let Some(message) =
        get(response, intern!(response.py(), "message")).and_then(|v| text_of(&v))
    {
        facts
            .messages
            .push(Evidence::new("response['message']", message));
    }
    if let Some(n) =
        get(response, intern!(response.py(), "OriginalStatusCode")).and_then(|v| int_of(&v))
    {
        facts.original_status = Some(Evidence::new("response['OriginalStatusCode']", n));
    }
    let Some(meta) = get(response, intern!(response.py(), "ResponseMetadata"))
        .and_then(|m| m.cast_into::<PyDict>().ok())
    else {
        return;
    };
    if let Some(n) = get(&meta, intern!(meta.py(), "HTTPStatusCode")).and_then(|v| int_of(&v)) {
        facts.statuses.push(Evidence::new(
            "response['ResponseMetadata']['HTTPStatusCode']",
            n,
        ));
    }
    if let Some(n) = get(&meta, intern!(meta.py(), "RetryAttempts")).and_then(|v| int_of(&v)) {
        facts.sdk_retries = u32::try_from(n).ok();
    }
    if let Some(headers) = get(&meta, intern!(meta.py(), "HTTPHeaders")) {
        read_headers(&headers, facts);
    }
}

/// Reads the headers in `HEADER_NAMES` from a mapping in one pass over its items: httpx/httpx2 `.raw`
/// (a list of byte pairs), else `.items()` (dicts, requests, aiohttp, email). Calling `.get` once per name
/// would cost a Python-level scan of every header for each name.
fn read_headers(headers: &Bound<'_, PyAny>, facts: &mut ErrorFacts) {
    let py = headers.py();
    if read_httpx_header_list(headers, facts) {
        return;
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
        return;
    }
    let pairs = if let Some(raw) =
        attr(headers, intern!(py, "raw")).filter(|r| r.is_instance_of::<PyList>())
    {
        Some(raw)
    } else {
        headers
            .call_method0(intern!(py, "items"))
            .ok()
            .and_then(|items| {
                items
                    .try_iter()
                    .ok()
                    .and_then(|it| PyList::new(py, it.flatten().take(MAX_HEADERS)).ok())
            })
            .map(Bound::into_any)
    };
    let Some(pairs) = pairs else { return };
    let Ok(pairs) = pairs.cast_into::<PyList>() else {
        return;
    };
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
/// is read only when it has exactly that shape, and `.raw` / `.items()` remain the fallback.
fn read_httpx_header_list(headers: &Bound<'_, PyAny>, facts: &mut ErrorFacts) -> bool {
    let py = headers.py();
    if !type_facts(&headers.get_type()).is_httpx {
        return false;
    }
    let Some(list) = attr(headers, intern!(py, "_list")).and_then(|l| l.cast_into::<PyList>().ok())
    else {
        return false;
    };
    for item in list.iter().take(256) {
        let Ok(item) = item.cast_into::<PyTuple>() else {
            return false;
        };
        let (Ok(key), Ok(value)) = (item.get_item(1), item.get_item(2)) else {
            return false;
        };
        let (Ok(key), Ok(value)) = (key.cast::<PyBytes>(), value.cast::<PyBytes>()) else {
            return false;
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
    true
}

/// Adds a message unless the same text is already there: the rules scan every message.
fn push_message(facts: &mut ErrorFacts, message: Evidence<String>) {
    if !facts.messages.iter().any(|m| m.value == message.value) {
        facts.messages.push(message);
    }
}

fn header_value(value: &Bound<'_, PyAny>) -> Option<String> {
    if let Some(s) = text_of(value) {
        return Some(s);
    }
    let bytes = value.cast::<PyBytes>().ok()?;
    let raw = bytes.as_bytes();
    (raw.len() <= MAX_TEXT).then(|| String::from_utf8_lossy(raw).into_owned())
}

/// Explicit causes only: `__cause__`, google `RetryError.cause`, tenacity `RetryError.last_attempt`,
/// `ExceptionGroup.exceptions`. The implicit `__context__` is deliberately not followed.
fn causes(
    own: &OwnAttrs<'_, '_>,
    is_tenacity: bool,
    depth: usize,
    seen: &mut Vec<usize>,
    facts: &mut ErrorFacts,
) {
    let obj = own.obj;
    let py = obj.py();
    let mut found: Vec<Bound<'_, PyAny>> = Vec::new();
    // SAFETY: `obj` is a live BaseException (checked by `facts_at`); the call returns a new reference
    // or NULL, and never sets an error.
    let cause =
        unsafe { Bound::from_owned_ptr_or_opt(py, ffi::PyException_GetCause(obj.as_ptr())) };
    if let Some(cause) = cause.filter(|c| !c.is_none()) {
        found.push(cause);
    }
    if let Some(cause) = own.get(Own::Cause) {
        found.push(cause);
    }
    if is_tenacity {
        let last = own
            .get(Own::LastAttempt)
            .and_then(|future| future.call_method0(intern!(py, "exception")).ok())
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
        return;
    }
    if depth == 0 {
        seen.push(obj.as_ptr() as usize);
    }
    for cause in found.into_iter().take(MAX_CAUSES) {
        if !cause.is_instance_of::<PyBaseException>() || seen.contains(&(cause.as_ptr() as usize)) {
            continue;
        }
        facts.causes.push(facts_at(&cause, depth + 1, seen));
    }
}

/// Calls `f` with each key and value of `dict`, as borrowed references (no reference counting per item,
/// unlike pyo3's iterator). `f` must not run Python code: it only compares, casts and keeps values (keeping
/// one takes a reference), so nothing can change the dict during the walk.
fn for_each_item<'py>(
    dict: &Bound<'py, PyDict>,
    mut f: impl FnMut(&Bound<'py, PyAny>, &Bound<'py, PyAny>),
) {
    let py = dict.py();
    let mut position: ffi::Py_ssize_t = 0;
    let mut key: *mut ffi::PyObject = std::ptr::null_mut();
    let mut value: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: the caller holds the GIL (it has `py`), `dict` is a live dict, and `f` runs no Python code,
    // so the borrowed key and value stay owned by the dict while `f` sees them.
    while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut position, &mut key, &mut value) } != 0 {
        let (key, value) = unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
        f(&key, &value);
    }
}

/// `getattr(obj, name)`, with every failure (missing, raising property, raising `__getattr__`) and
/// `None` read as absent.
fn attr<'py>(obj: &Bound<'py, PyAny>, name: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>> {
    match obj.getattr_opt(name) {
        Ok(Some(v)) if !v.is_none() => Some(v),
        _ => None,
    }
}

/// `dict[key]`, with None read as absent. Keys are interned strings, so their hash is computed once.
fn get<'py>(dict: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>> {
    match dict.get_item(key) {
        Ok(Some(v)) if !v.is_none() => Some(v),
        _ => None,
    }
}

/// An int that is not a bool and fits in i64.
fn int_of(v: &Bound<'_, PyAny>) -> Option<i64> {
    if !v.is_instance_of::<PyInt>() || v.is_instance_of::<PyBool>() {
        return None;
    }
    v.extract::<i64>().ok()
}

/// A str, truncated to `MAX_TEXT` bytes on a char boundary.
fn text_of(v: &Bound<'_, PyAny>) -> Option<String> {
    bounded(v.cast::<PyString>().ok()?)
}

fn bounded(s: &Bound<'_, PyString>) -> Option<String> {
    bounded_str(s.to_str().ok()?)
}

fn bounded_str(s: &str) -> Option<String> {
    if s.len() <= MAX_TEXT {
        return Some(s.to_owned());
    }
    let mut end = MAX_TEXT;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(s[..end].to_owned())
}

/// The `.name` of an enum member (grpc `StatusCode.UNAVAILABLE` → "UNAVAILABLE").
fn enum_name(v: &Bound<'_, PyAny>) -> Option<String> {
    if let Some(s) = text_of(v) {
        return Some(s);
    }
    text_of(&v.getattr(intern!(v.py(), "name")).ok()?)
}

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn json_object<'py>(py: Python<'py>, text: &str) -> Option<Bound<'py, PyDict>> {
    let loads = JSON_LOADS
        .get_or_try_init(py, || {
            py.import("json")?.getattr("loads").map(Bound::unbind)
        })
        .ok()?;
    loads
        .bind(py)
        .call1((text,))
        .ok()?
        .cast_into::<PyDict>()
        .ok()
}
