//! Facts built the way the bindings read them off real SDK errors (one builder per SDK), the default names,
//! and the row of a table-driven test: a named case, its facts, and the verdict they must get.

pub(super) use crate::classify::ErrorKind::*;
pub(super) use crate::classify::{
    classify, ClassName, Classification, ErrorFacts, ErrorKind, Evidence, RetryRules,
};

pub(super) const NOW: f64 = 1_800_000_000.0;

pub(super) fn class(module: &str, name: &str) -> ClassName {
    ClassName {
        module: module.to_string(),
        name: name.to_string(),
    }
}

/// An exception whose MRO is `classes` (module, name), most-derived first, then Exception and
/// BaseException.
pub(super) fn exc(classes: &[(&str, &str)]) -> ErrorFacts {
    let mut mro: Vec<ClassName> = classes.iter().map(|(m, n)| class(m, n)).collect();
    mro.push(class("builtins", "Exception"));
    mro.push(class("builtins", "BaseException"));
    ErrorFacts {
        is_exception: true,
        classes: mro.into(),
        ..ErrorFacts::default()
    }
}

/// Every class of the MRO from one module.
pub(super) fn sdk(module: &str, names: &[&str]) -> ErrorFacts {
    let classes: Vec<(&str, &str)> = names.iter().map(|n| (module, *n)).collect();
    exc(&classes)
}

pub(super) trait With: Sized {
    fn status(self, source: &'static str, value: i64) -> Self;
    fn code(self, source: &'static str, value: &str) -> Self;
    fn message(self, source: &'static str, value: &str) -> Self;
    fn header(self, name: &str, value: &str) -> Self;
    fn quota_id(self, id: &str) -> Self;
    fn original_status(self, source: &'static str, value: i64) -> Self;
    fn cause(self, cause: ErrorFacts) -> Self;
    fn sdk_retries(self, n: u32) -> Self;
}

impl With for ErrorFacts {
    fn status(mut self, source: &'static str, value: i64) -> Self {
        self.statuses.push(Evidence::new(source, value));
        self
    }
    fn code(mut self, source: &'static str, value: &str) -> Self {
        self.codes.push(Evidence::new(source, value.to_string()));
        self
    }
    fn message(mut self, source: &'static str, value: &str) -> Self {
        self.messages.push(Evidence::new(source, value.to_string()));
        self
    }
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    fn quota_id(mut self, id: &str) -> Self {
        self.quota_ids.push(id.to_string());
        self
    }
    fn original_status(mut self, source: &'static str, value: i64) -> Self {
        self.original_status = Some(Evidence::new(source, value));
        self
    }
    fn cause(mut self, cause: ErrorFacts) -> Self {
        self.causes.push(cause);
        self
    }
    fn sdk_retries(mut self, n: u32) -> Self {
        self.sdk_retries = Some(n);
        self
    }
}

pub(super) fn anthropic(
    class_chain: &[&str],
    status: i64,
    error_type: &str,
    message: &str,
) -> ErrorFacts {
    let mut chain = class_chain.to_vec();
    chain.extend(["APIStatusError", "APIError", "AnthropicError"]);
    sdk("anthropic", &chain)
        .status("status_code", status)
        .code(".type", error_type)
        .code("body.error.type", error_type)
        .message(".message", message)
        .status("response.status_code", status)
}

/// A Stainless SDK's HTTP error class: `class` under APIStatusError, APIError and the SDK's `base`.
fn status_error(module: &str, class: &str, base: &str) -> ErrorFacts {
    let mut chain = vec![class];
    if class != "APIStatusError" {
        chain.push("APIStatusError");
    }
    chain.extend(["APIError", base]);
    sdk(module, &chain)
}

pub(super) fn openai(
    class: &str,
    status: i64,
    error_type: Option<&str>,
    code: Option<&str>,
    message: &str,
) -> ErrorFacts {
    let mut facts = status_error("openai", class, "OpenAIError").status("status_code", status);
    if let Some(code) = code {
        facts = facts.code(".code", code).code("body.code", code);
    }
    if let Some(error_type) = error_type {
        facts = facts
            .code(".type", error_type)
            .code("body.type", error_type);
    }
    facts
        .message(".message", message)
        .status("response.status_code", status)
}

pub(super) fn groq(
    class: &str,
    status: i64,
    error_type: &str,
    code: Option<&str>,
    message: &str,
) -> ErrorFacts {
    let mut facts = status_error("groq", class, "GroqError")
        .status("status_code", status)
        .code("body.error.type", error_type);
    if let Some(code) = code {
        facts = facts.code("body.error.code", code);
    }
    facts
        .message("body.error.message", message)
        .status("response.status_code", status)
}

pub(super) fn mistral(status: i64, error_type: &str, message: &str) -> ErrorFacts {
    sdk("mistralai.client.errors", &["SDKError", "MistralError"])
        .status("status_code", status)
        .message(
            ".message",
            &format!("API error occurred: Status {status}. Body: {message}"),
        )
        .code("body.type", error_type)
        .message("body.message", message)
}

pub(super) fn cohere(class: &str, module: &str, status: i64, message: &str) -> ErrorFacts {
    exc(&[(module, class), ("cohere.core.api_error", "ApiError")])
        .status("status_code", status)
        .message("body.message", message)
}

pub(super) fn genai(class: &str, status: i64, canonical: &str, message: &str) -> ErrorFacts {
    sdk("google.genai.errors", &[class, "APIError"])
        .status("code", status)
        .code(".status", canonical)
        .message(".message", message)
        .status("body.error.code", status)
        .code("body.error.status", canonical)
        .message("body.error.message", message)
}

pub(super) fn api_core(
    chain: &[&str],
    code: Option<i64>,
    grpc: Option<&str>,
    message: &str,
) -> ErrorFacts {
    let mut chain = chain.to_vec();
    chain.extend(["GoogleAPICallError", "GoogleAPIError"]);
    let mut facts = sdk("google.api_core.exceptions", &chain);
    if let Some(code) = code {
        facts = facts.status("code", code);
    }
    if let Some(grpc) = grpc {
        facts = facts.code("grpc_status_code", grpc);
    }
    facts.message(".message", message)
}

/// A botocore ClientError: modeled (errorfactory class named after the code) or plain.
pub(super) fn boto(code: &str, status: Option<i64>, message: &str, modeled: bool) -> ErrorFacts {
    let mut facts = if modeled {
        exc(&[
            ("botocore.errorfactory", code),
            ("botocore.exceptions", "ClientError"),
        ])
    } else {
        sdk("botocore.exceptions", &["ClientError"])
    };
    facts = facts
        .code("response['Error']['Code']", code)
        .message("response['Error']['Message']", message);
    match status {
        Some(status) => facts.status("response['ResponseMetadata']['HTTPStatusCode']", status),
        None => facts,
    }
}

pub(super) fn event_stream(code: &str, message: &str) -> ErrorFacts {
    sdk("botocore.exceptions", &["EventStreamError", "ClientError"])
        .code("response['Error']['Code']", code)
        .message("response['Error']['Message']", message)
}

/// httpx's (or httpx2's) ConnectError, with nothing but its class: the commonest network failure.
pub(super) fn connect_error(module: &str) -> ErrorFacts {
    sdk(
        module,
        &[
            "ConnectError",
            "NetworkError",
            "TransportError",
            "RequestError",
            "HTTPError",
        ],
    )
}

/// An anthropic error raised mid-stream: the stream began with HTTP 200.
pub(super) fn anthropic_mid_stream(error_type: &str) -> ErrorFacts {
    sdk(
        "anthropic",
        &["APIStatusError", "APIError", "AnthropicError"],
    )
    .status("status_code", 200)
    .code(".type", error_type)
}

pub(super) fn http_status_error(module: &str, status: i64) -> ErrorFacts {
    sdk(module, &["HTTPStatusError", "HTTPError"]).status("response.status_code", status)
}

pub(super) fn not_an_exception_named(module: &str, name: &str) -> ErrorFacts {
    ErrorFacts {
        is_exception: false,
        classes: vec![class(module, name), class("builtins", "BaseException")].into(),
        ..ErrorFacts::default()
    }
}

// --- rules and verdicts ---------------------------------------------------------------------------------

/// The lower-cased names of presets.py's DefaultPreset that these tests rely on.
pub(super) const DEFAULT_NAMES: &[&str] = &[
    "overloaded_error",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "server_error",
    "internal_server_error",
    "rate_limit_exceeded",
    "capacity_exceeded",
    "rate_limited",
    "resource_exhausted",
    "unavailable",
    "internal",
    "unknown",
    "data_loss",
    "aborted",
    "deadline_exceeded",
    "throttling",
    "throttlingexception",
    "toomanyrequestsexception",
    "modelnotreadyexception",
    "serviceunavailableexception",
    "internalserverexception",
    "modelstreamerrorexception",
    "modeltimeoutexception",
];

pub(super) fn default_rules() -> RetryRules {
    RetryRules {
        retryable_names: DEFAULT_NAMES.iter().map(|n| n.to_string()).collect(),
        ..RetryRules::default()
    }
}

pub(super) fn judged(facts: &ErrorFacts) -> Classification {
    classify(facts, &default_rules(), NOW)
}

pub(super) fn judged_with(facts: &ErrorFacts, rules: &RetryRules) -> Classification {
    classify(facts, rules, NOW)
}

#[track_caller]
pub(super) fn assert_verdict(c: &Classification, kind: ErrorKind, retryable: bool) {
    assert_eq!(
        (c.kind, c.retryable),
        (kind, retryable),
        "reason: {}",
        c.reason
    );
    assert!(!c.reason.is_empty());
    assert!(!c.reason.contains('\n'), "one line: {}", c.reason);
}

/// The default rules, retrying `names` (any case) too.
pub(super) fn names(names: &[&str]) -> RetryRules {
    RetryRules {
        retryable_names: names.iter().map(|n| n.to_string()).collect(),
        ..RetryRules::default()
    }
}

// --- table-driven tests ----------------------------------------------------------------------------------

/// One case of a table-driven test: the facts, and the verdict they must get.
pub(super) struct Row {
    name: &'static str,
    facts: ErrorFacts,
    kind: ErrorKind,
    retryable: bool,
    /// `Some(status)`: the classification must report exactly this status.
    status: Option<Option<u16>>,
    reason: Vec<Reason>,
}

enum Reason {
    Contains(&'static str),
    Is(&'static str),
    StartsWith(&'static str),
    EndsWith(&'static str),
}

/// A case named `name`: `facts` must be judged `kind`, and retried or not.
pub(super) fn row(name: &'static str, facts: ErrorFacts, kind: ErrorKind, retryable: bool) -> Row {
    Row {
        name,
        facts,
        kind,
        retryable,
        status: None,
        reason: Vec::new(),
    }
}

impl Row {
    /// The reason contains `fragment`.
    pub(super) fn says(self, fragment: &'static str) -> Row {
        self.reason_must(Reason::Contains(fragment))
    }

    /// The reason is exactly `sentence`.
    pub(super) fn reads(self, sentence: &'static str) -> Row {
        self.reason_must(Reason::Is(sentence))
    }

    pub(super) fn begins(self, fragment: &'static str) -> Row {
        self.reason_must(Reason::StartsWith(fragment))
    }

    pub(super) fn ends(self, fragment: &'static str) -> Row {
        self.reason_must(Reason::EndsWith(fragment))
    }

    fn reason_must(mut self, check: Reason) -> Row {
        self.reason.push(check);
        self
    }

    /// The classification reports `status` as the one the decision used.
    pub(super) fn at_status(mut self, status: u16) -> Row {
        self.status = Some(Some(status));
        self
    }

    /// The classification reports no status.
    pub(super) fn no_status(mut self) -> Row {
        self.status = Some(None);
        self
    }
}

/// Judges every row under `rules`; a failure names the row and quotes its reason.
#[track_caller]
pub(super) fn check(rules: &RetryRules, rows: impl IntoIterator<Item = Row>) {
    for row in rows {
        let c = judged_with(&row.facts, rules);
        let name = row.name;
        assert_eq!(
            (c.kind, c.retryable),
            (row.kind, row.retryable),
            "{name}: reason: {}",
            c.reason
        );
        assert!(!c.reason.is_empty(), "{name}: an empty reason");
        assert!(!c.reason.contains('\n'), "{name}: one line: {}", c.reason);
        if let Some(status) = row.status {
            assert_eq!(c.status, status, "{name}: reason: {}", c.reason);
        }
        for expected in &row.reason {
            let (holds, what, text) = match *expected {
                Reason::Contains(t) => (c.reason.contains(t), "contain", t),
                Reason::Is(t) => (c.reason == t, "be", t),
                Reason::StartsWith(t) => (c.reason.starts_with(t), "start with", t),
                Reason::EndsWith(t) => (c.reason.ends_with(t), "end with", t),
            };
            assert!(
                holds,
                "{name}: the reason should {what} {text:?}: {}",
                c.reason
            );
        }
    }
}
