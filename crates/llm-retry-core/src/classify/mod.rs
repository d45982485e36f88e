//! What an error *is*: the facts read off an exception (`ErrorFacts`), the rules a configuration retries by
//! (`RetryRules`) and the verdict (`Classification`); `classify` turns the first two into the third.
//!
//! The rooms, in the order a classification runs through them:
//! - `kind`: the closed set of `ErrorKind`s, and which kind wins when evidence disagrees.
//! - `tables`: what each provider's codes, class names, statuses and message phrases mean, as data.
//! - `verdict`: `classify` itself, and what the weighing found (`Verdict`) for the decision and the reason.
//! - `weigh`: which evidence wins, most trusted first. A `BaseException` that is not an `Exception`
//!   (KeyboardInterrupt, CancelledError) is never retried. Then decisive codes and classes
//!   (`insufficient_quota`, `ThrottlingException`, `ConnectError`), the most severe kind winning when they
//!   disagree; then the status (the nested `original_status` first, then the first of `statuses` in
//!   100..=599); then generic codes and classes (they restate a status, and decide only when there is none,
//!   as mid-stream). An exception with no evidence of its own (or a wrapper that yields, like
//!   APIConnectionError) takes its explicit cause's verdict.
//! - `lookup`: finding the table rule for a code, a class, a status or a wrapper.
//! - `phrases`: a kind from a status or a generic code refined by `quota_ids` and message phrases; a decisive
//!   one never is.
//! - `retryable`: never for `never_retry_kinds`; else `x-should-retry`; else the status in
//!   `retryable_status_codes`, a network failure with `retry_network`, or a class or code in
//!   `retryable_names` (only when the status did not decide the kind).
//! - `lend`: when a cause or the implicit `__context__` may lend its delay hint to the error that decided.
//! - `reason`: the one sentence that names the rule and the evidence.

mod kind;
mod lend;
mod lookup;
mod phrases;
mod pipeline;
mod reason;
mod retryable;
mod tables;
mod verdict;
mod weigh;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use kind::ErrorKind;
pub use pipeline::classify;

/// How many explicit causes deep the evidence goes, for the bindings that read causes and for the rules that
/// weigh them: the one bound on the chain. Six holds the deepest real chain seen, a framework's wrapper
/// (instructor, LangChain) around an SDK error around a transport error around its socket error, with a
/// level to spare; anything deeper is a pathological object, and its breadth is bounded separately.
pub const MAX_CAUSE_DEPTH: usize = 6;

/// One class in the exception's MRO, most-derived first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassName {
    /// `__module__`, e.g. "anthropic", "botocore.errorfactory", "httpx2", "builtins".
    pub module: String,
    /// `__name__`, e.g. "RateLimitError".
    pub name: String,
}

/// Everything the classifier may use, read once from a Python exception by `bindings` (or built by hand in
/// tests). Every field is optional evidence: an attribute that was missing, raised, or had the wrong type is
/// simply absent. Each piece of evidence carries `source`, the attribute path it came from, so the
/// `Classification::reason` can name it (e.g. "response.status_code").
#[derive(Clone, Debug, Default)]
pub struct ErrorFacts {
    /// False for a `BaseException` that is not an `Exception` (KeyboardInterrupt, SystemExit,
    /// GeneratorExit, asyncio.CancelledError, trio.Cancelled): never retried.
    pub is_exception: bool,
    /// The MRO, most-derived class first, `object` excluded. Shared: `bindings` caches it per type.
    pub classes: Arc<Vec<ClassName>>,
    /// HTTP (or HTTP-like) statuses, most trusted first: the exception's own `status_code` / int `status` /
    /// int `code` come before `response.status_code`, which comes before botocore's
    /// `response['ResponseMetadata']['HTTPStatusCode']`. Values are as found (not range-checked).
    pub statuses: Vec<Evidence<i64>>,
    /// A status nested inside another service's error, e.g. SageMaker `response['OriginalStatusCode']`.
    pub original_status: Option<Evidence<i64>>,
    /// Error type / code strings, as found (not lower-cased): anthropic `.type` / `body.error.type` /
    /// `.error_code`; openai `.code` / `.type`; groq `body.error.code`; botocore `response.Error.Code`;
    /// google `.status` strings, `details.error.status`, `ErrorInfo.reason`, gRPC `StatusCode` names;
    /// the AWS code from `x-amzn-errortype`.
    pub codes: Vec<Evidence<String>>,
    /// Human-readable messages (exception `.message`, body messages, and `str(exc)` as a last resort),
    /// each truncated to a bounded length. Used only for the rules that providers leave nowhere else
    /// (context overflow, "credit balance is too low", "limit: 0", capacity).
    pub messages: Vec<Evidence<String>>,
    /// Response headers that matter (see `hints::HEADER_NAMES`), names lower-cased, first value only.
    pub headers: Vec<(String, String)>,
    /// Google `RetryInfo.retryDelay` from the body, as written (e.g. "20s", "1.5s").
    pub body_retry_delay: Option<String>,
    /// A wait stated as a number of seconds in an attribute or a body field rather than a header:
    /// pydantic-ai `retry_after`, LiteLLM Router `cooldown_time`, Hugging Face `estimated_time` (a model
    /// still loading). As found (not range-checked).
    pub stated_delay: Option<Evidence<f64>>,
    /// Google `QuotaFailure` violation quota ids (e.g. "GenerateRequestsPerDayPerProjectPerModel-FreeTier").
    pub quota_ids: Vec<String>,
    /// How many retries the SDK already made before raising (botocore `ResponseMetadata.RetryAttempts`).
    pub sdk_retries: Option<u32>,
    /// Explicit causes: `__cause__`, google `RetryError.cause`, tenacity `RetryError.last_attempt`,
    /// members of an `ExceptionGroup`. Never the implicit `__context__`. Bounded depth and breadth.
    pub causes: Vec<ErrorFacts>,
    /// The implicit `__context__`, read only where it may lend a hint (`lend`): the exception has a status,
    /// no explicit cause, no hint of its own and a response without a single header (a wrapper made it),
    /// and the context was not suppressed (`raise ... from None`). It never decides a kind.
    pub context: Option<Box<ErrorFacts>>,
}

/// One piece of evidence and where it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence<T> {
    pub source: &'static str,
    pub value: T,
}

impl<T> Evidence<T> {
    pub fn new(source: &'static str, value: T) -> Self {
        Evidence { source, value }
    }
}

impl ErrorFacts {
    /// Facts with only the class evidence, everything else absent. (`..Default::default()` would allocate
    /// and free an empty class list first.)
    pub fn of_classes(is_exception: bool, classes: Arc<Vec<ClassName>>) -> Self {
        ErrorFacts {
            is_exception,
            classes,
            statuses: Vec::new(),
            original_status: None,
            codes: Vec::new(),
            messages: Vec::new(),
            headers: Vec::new(),
            body_retry_delay: None,
            stated_delay: None,
            quota_ids: Vec::new(),
            sdk_retries: None,
            causes: Vec::new(),
            context: None,
        }
    }

    /// The header's value, if the exception carried it (`name` must be lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The most trusted status, if any.
    pub fn status(&self) -> Option<&Evidence<i64>> {
        self.statuses.first()
    }

    /// Whether any class in the MRO has this exact name.
    pub fn has_class(&self, name: &str) -> bool {
        self.classes.iter().any(|c| c.name == name)
    }
}

/// Which errors a configuration retries. Built from a Python `RetryConfig`.
#[derive(Clone, Debug)]
pub struct RetryRules {
    /// Statuses retried when no stronger evidence decides (a config's list is the whole list).
    pub retryable_status_codes: Vec<i64>,
    /// Exception class names and error type/code strings retried, compared case-insensitively against every
    /// class name in the MRO and every code string. Stored lower-cased.
    pub retryable_names: Vec<String>,
    /// Retry network failures (connection refused/reset, timeouts) recognised by class name.
    pub retry_network: bool,
    /// Kinds never retried whatever the status, names or server hints say (quota, auth, context overflow,
    /// content filter by default).
    pub never_retry_kinds: Vec<ErrorKind>,
}

impl Default for RetryRules {
    fn default() -> Self {
        RetryRules {
            retryable_status_codes: vec![408, 409, 429, 500, 502, 503, 504, 529],
            retryable_names: Vec::new(),
            retry_network: true,
            never_retry_kinds: vec![
                ErrorKind::QuotaExhausted,
                ErrorKind::Auth,
                ErrorKind::ContextOverflow,
                ErrorKind::ContentFiltered,
            ],
        }
    }
}

/// The verdict on one exception under one `RetryRules`.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    pub kind: ErrorKind,
    pub retryable: bool,
    /// The HTTP status the decision used, if any (a valid 100..=599 value).
    pub status: Option<u16>,
    /// The server's delay hint in seconds (finite, >= 0), if it sent one.
    pub retry_after_s: Option<f64>,
    /// One sentence naming the rule and the evidence, e.g.
    /// "429 from status_code with error code 'insufficient_quota' (.code): quota exhausted, never retried".
    pub reason: String,
    /// How many retries the SDK had already made, when it says.
    pub sdk_retries: Option<u32>,
}
