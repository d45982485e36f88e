use super::lookup::{code_key, status_kind};
use super::tables::{self, PHRASES};
use super::*;
use crate::classify::ErrorKind::*;
const NOW: f64 = 1_800_000_000.0;

// --- building facts the way bindings read them off real SDK errors ---------------------------------

fn class(module: &str, name: &str) -> ClassName {
    ClassName {
        module: module.to_string(),
        name: name.to_string(),
    }
}

/// An exception whose MRO is `classes` (module, name), most-derived first, then Exception and
/// BaseException.
fn exc(classes: &[(&str, &str)]) -> ErrorFacts {
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
fn sdk(module: &str, names: &[&str]) -> ErrorFacts {
    let classes: Vec<(&str, &str)> = names.iter().map(|n| (module, *n)).collect();
    exc(&classes)
}

trait With: Sized {
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

fn anthropic(class_chain: &[&str], status: i64, error_type: &str, message: &str) -> ErrorFacts {
    let mut chain = class_chain.to_vec();
    chain.extend(["APIStatusError", "APIError", "AnthropicError"]);
    sdk("anthropic", &chain)
        .status("status_code", status)
        .code(".type", error_type)
        .code("body.error.type", error_type)
        .message(".message", message)
        .status("response.status_code", status)
}

fn openai(
    class: &str,
    status: i64,
    error_type: Option<&str>,
    code: Option<&str>,
    message: &str,
) -> ErrorFacts {
    let mut chain = vec![class];
    if class != "APIStatusError" {
        chain.push("APIStatusError");
    }
    chain.extend(["APIError", "OpenAIError"]);
    let mut facts = sdk("openai", &chain).status("status_code", status);
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

fn groq(
    class: &str,
    status: i64,
    error_type: &str,
    code: Option<&str>,
    message: &str,
) -> ErrorFacts {
    let mut chain = vec![class];
    if class != "APIStatusError" {
        chain.push("APIStatusError");
    }
    chain.extend(["APIError", "GroqError"]);
    let mut facts = sdk("groq", &chain)
        .status("status_code", status)
        .code("body.error.type", error_type);
    if let Some(code) = code {
        facts = facts.code("body.error.code", code);
    }
    facts
        .message("body.error.message", message)
        .status("response.status_code", status)
}

fn mistral(status: i64, error_type: &str, message: &str) -> ErrorFacts {
    sdk("mistralai.client.errors", &["SDKError", "MistralError"])
        .status("status_code", status)
        .message(
            ".message",
            &format!("API error occurred: Status {status}. Body: {message}"),
        )
        .code("body.type", error_type)
        .message("body.message", message)
}

fn cohere(class: &str, module: &str, status: i64, message: &str) -> ErrorFacts {
    exc(&[(module, class), ("cohere.core.api_error", "ApiError")])
        .status("status_code", status)
        .message("body.message", message)
}

fn genai(class: &str, status: i64, canonical: &str, message: &str) -> ErrorFacts {
    sdk("google.genai.errors", &[class, "APIError"])
        .status("code", status)
        .code(".status", canonical)
        .message(".message", message)
        .status("body.error.code", status)
        .code("body.error.status", canonical)
        .message("body.error.message", message)
}

fn api_core(chain: &[&str], code: Option<i64>, grpc: Option<&str>, message: &str) -> ErrorFacts {
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
fn boto(code: &str, status: Option<i64>, message: &str, modeled: bool) -> ErrorFacts {
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

fn event_stream(code: &str, message: &str) -> ErrorFacts {
    sdk("botocore.exceptions", &["EventStreamError", "ClientError"])
        .code("response['Error']['Code']", code)
        .message("response['Error']['Message']", message)
}

fn httpx(module: &str, chain: &[&str]) -> ErrorFacts {
    sdk(module, chain)
}

fn http_status_error(module: &str, status: i64) -> ErrorFacts {
    sdk(module, &["HTTPStatusError", "HTTPError"]).status("response.status_code", status)
}

fn not_an_exception_named(module: &str, name: &str) -> ErrorFacts {
    ErrorFacts {
        is_exception: false,
        classes: vec![class(module, name), class("builtins", "BaseException")].into(),
        ..ErrorFacts::default()
    }
}

// --- rules ---------------------------------------------------------------------------------------------

/// The lower-cased names of presets.py's DefaultPreset that these tests rely on.
const DEFAULT_NAMES: &[&str] = &[
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

fn default_rules() -> RetryRules {
    RetryRules {
        retryable_names: DEFAULT_NAMES.iter().map(|n| n.to_string()).collect(),
        ..RetryRules::default()
    }
}

fn judged(facts: &ErrorFacts) -> Classification {
    classify(facts, &default_rules(), NOW)
}

fn judged_with(facts: &ErrorFacts, rules: &RetryRules) -> Classification {
    classify(facts, rules, NOW)
}

#[track_caller]
fn assert_verdict(c: &Classification, kind: ErrorKind, retryable: bool) {
    assert_eq!(
        (c.kind, c.retryable),
        (kind, retryable),
        "reason: {}",
        c.reason
    );
    assert!(!c.reason.is_empty());
    assert!(!c.reason.contains('\n'), "one line: {}", c.reason);
}

// --- 1. BaseExceptions ----------------------------------------------------------------------------------

#[test]
fn keyboard_interrupt_and_cancellation_are_never_retried() {
    for (module, name) in [
        ("builtins", "KeyboardInterrupt"),
        ("builtins", "SystemExit"),
        ("builtins", "GeneratorExit"),
        ("asyncio.exceptions", "CancelledError"),
        ("trio", "Cancelled"),
    ] {
        let c = judged(&not_an_exception_named(module, name));
        assert_verdict(&c, Unknown, false);
        assert!(c.reason.starts_with(name), "{}", c.reason);
        assert!(c.reason.contains("never retried"), "{}", c.reason);
    }
}

#[test]
fn an_object_that_is_not_an_exception_is_named_as_such() {
    let plain = ErrorFacts::of_classes(false, vec![class("mylib", "Oops")].into());
    let c = judged(&plain);
    assert_verdict(&c, Unknown, false);
    assert_eq!(
        c.reason,
        "Oops (mylib) is not an exception: unknown, never retried"
    );
    let bare = judged(&ErrorFacts::of_classes(false, Vec::new().into()));
    assert!(
        bare.reason.starts_with("the object is not an exception"),
        "{}",
        bare.reason
    );
    let interrupt = judged(&not_an_exception_named("builtins", "KeyboardInterrupt"));
    assert!(
        interrupt
            .reason
            .contains("is a BaseException that is not an Exception"),
        "{}",
        interrupt.reason
    );
}

#[test]
fn a_base_exception_is_never_retried_even_when_everything_says_retry() {
    let facts = ErrorFacts {
        is_exception: false,
        ..sdk("asyncio.exceptions", &["CancelledError"])
            .status("status_code", 503)
            .code(".type", "overloaded_error")
            .header("x-should-retry", "true")
    };
    let rules = RetryRules {
        retryable_names: vec!["cancellederror".into()],
        ..default_rules()
    };
    assert_verdict(&judged_with(&facts, &rules), Unknown, false);
    // ErrorFacts::default() is a BaseException too: facts that say nothing are never retried.
    assert_verdict(&judged(&ErrorFacts::default()), Unknown, false);
}

// --- Trap 1: httpx2 is not httpx ------------------------------------------------------------------

#[test]
fn httpx2_and_httpx_transport_errors_are_network() {
    for module in ["httpx", "httpx2"] {
        for chain in [
            &[
                "ConnectError",
                "NetworkError",
                "TransportError",
                "RequestError",
                "HTTPError",
            ][..],
            &[
                "ReadTimeout",
                "TimeoutException",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
            &[
                "PoolTimeout",
                "TimeoutException",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
            &[
                "ReadError",
                "NetworkError",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
            &[
                "RemoteProtocolError",
                "ProtocolError",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
        ] {
            let c = judged(&httpx(module, chain));
            assert_verdict(&c, Network, true);
            assert!(c.reason.contains(module), "{}", c.reason);
        }
    }
}

#[test]
fn httpx2_status_error_is_decided_by_its_status() {
    let c = judged(&http_status_error("httpx2", 429));
    assert_verdict(&c, RateLimited, true);
    assert_eq!(c.status, Some(429));
    assert_eq!(
        c.reason,
        "429 from response.status_code: rate_limited, retried"
    );
    let statuses = [
        (503, Overloaded, true),
        (529, Overloaded, true),
        (500, ServerError, true),
        (502, ServerError, true),
        (504, ServerError, true),
        (409, ServerError, true),
        (408, Network, true),
        (401, Auth, false),
        (403, Auth, false),
        (404, NotFound, false),
        (400, BadRequest, false),
        (422, BadRequest, false),
        (501, BadRequest, false),
        (499, Unknown, false),
        (413, ContextOverflow, false),
        (402, QuotaExhausted, false),
    ];
    for (status, kind, retryable) in statuses {
        let c = judged(&http_status_error("httpx", status));
        assert_verdict(&c, kind, retryable);
        assert_eq!(c.status, Some(status as u16));
    }
}

#[test]
fn httpx_local_protocol_error_is_not_network() {
    let facts = httpx(
        "httpx2",
        &[
            "LocalProtocolError",
            "ProtocolError",
            "TransportError",
            "RequestError",
            "HTTPError",
        ],
    );
    assert_verdict(&judged(&facts), BadRequest, false);
}

// --- Trap 2: 429s that must not be retried ---------------------------------------------------------

#[test]
fn openai_insufficient_quota_is_quota_even_with_a_retry_after() {
    let facts = openai(
        "RateLimitError",
        429,
        Some("insufficient_quota"),
        Some("insufficient_quota"),
        "You exceeded your current quota, please check your plan and billing details.",
    )
    .header("retry-after", "20");
    let c = judged(&facts);
    assert_verdict(&c, QuotaExhausted, false);
    assert_eq!(c.status, Some(429));
    assert_eq!(
        c.reason,
        "429 from status_code, but error code 'insufficient_quota' (.code) means the quota is spent: \
         quota_exhausted, never retried"
    );
}

#[test]
fn anthropic_spend_limits_are_quota_by_error_code_or_class() {
    for code in [
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
    ] {
        let facts = anthropic(&["RateLimitError"], 429, "rate_limit_error", "usage limits")
            .code(".error_code", code);
        assert_verdict(&judged(&facts), QuotaExhausted, false);
    }
    let by_class = anthropic(
        &["EnforcedSpendLimitReachedError", "RateLimitError"],
        429,
        "rate_limit_error",
        "You have reached your specified API usage limits.",
    );
    let c = judged(&by_class);
    assert_verdict(&c, QuotaExhausted, false);
    assert!(
        c.reason
            .contains("EnforcedSpendLimitReachedError (anthropic)"),
        "{}",
        c.reason
    );
}

#[test]
fn gemini_per_day_free_tier_quota_is_spent_despite_its_retry_delay() {
    let mut facts = genai(
        "ClientError",
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
    )
    .quota_id("GenerateRequestsPerDayPerProjectPerModel-FreeTier");
    facts.body_retry_delay = Some("35s".into());
    let c = judged(&facts);
    assert_verdict(&c, QuotaExhausted, false);
    assert!(
        c.reason
            .contains("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
        "{}",
        c.reason
    );
}

#[test]
fn gemini_per_minute_quota_is_a_rate_limit() {
    let facts = genai(
        "ClientError",
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
    )
    .quota_id("GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
    assert_verdict(&judged(&facts), RateLimited, true);
}

#[test]
fn gemini_limit_zero_is_spent_but_not_limit_05() {
    let message = "Quota exceeded for metric: generativelanguage.googleapis.com/\
                   generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro";
    let c = judged(&genai("ClientError", 429, "RESOURCE_EXHAUSTED", message));
    assert_verdict(&c, QuotaExhausted, false);
    assert!(c.reason.contains("'limit: 0'"), "{}", c.reason);
    for other in ["limit: 05, model", "limit: 0.5 per second", "LIMIT: 0"] {
        let expected = if other == "LIMIT: 0" {
            QuotaExhausted
        } else {
            RateLimited
        };
        let c = judged(&genai("ClientError", 429, "RESOURCE_EXHAUSTED", other));
        assert_eq!(c.kind, expected, "{other}: {}", c.reason);
    }
}

#[test]
fn cohere_trial_key_monthly_is_spent_but_per_minute_is_a_rate_limit() {
    let monthly = cohere(
        "TooManyRequestsError",
        "cohere.errors.too_many_requests_error",
        429,
        "You are using a Trial key, which is limited to 1000 API calls / month.",
    );
    assert_verdict(&judged(&monthly), QuotaExhausted, false);
    let minute = cohere(
        "TooManyRequestsError",
        "cohere.errors.too_many_requests_error",
        429,
        "You are using a Trial key, which is limited to 20 API calls / minute.",
    );
    assert_verdict(&judged(&minute), RateLimited, true);
}

#[test]
fn request_too_large_for_the_per_minute_budget_never_fits() {
    let openai_429 = openai(
        "RateLimitError",
        429,
        Some("tokens"),
        Some("rate_limit_exceeded"),
        "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, \
         Requested 52000.",
    );
    assert_verdict(&judged(&openai_429), ContextOverflow, false);
    // An ordinary TPM limit says "Requested" too, but not "Request too large".
    let ordinary = openai(
        "RateLimitError",
        429,
        Some("tokens"),
        Some("rate_limit_exceeded"),
        "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500.",
    );
    assert_verdict(&judged(&ordinary), RateLimited, true);
    // Groq sends it as a 413 with code rate_limit_exceeded: the status says overflow even without text.
    let groq_413 = groq(
        "APIStatusError",
        413,
        "tokens",
        Some("rate_limit_exceeded"),
        "",
    );
    assert_verdict(&judged(&groq_413), ContextOverflow, false);
}

// --- Trap 3: 4xx that should be retried ------------------------------------------------------------

#[test]
fn bedrock_throttling_is_retried_with_429_or_400() {
    let modeled = boto("ThrottlingException", Some(429), "Too many requests", true);
    let c = judged(&modeled);
    assert_verdict(&c, RateLimited, true);
    assert_eq!(
        c.reason,
        "'ThrottlingException' (response['Error']['Code']) with HTTP 429: rate_limited, retried"
    );
    for code in [
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    ] {
        let plain = boto(code, Some(400), "Rate exceeded", false);
        let c = judged(&plain);
        assert_verdict(&c, RateLimited, true);
        assert_eq!(c.status, Some(400));
    }
}

#[test]
fn a_code_outranking_its_status_needs_its_name_listed() {
    // The contract: kinds that come from a code with no matching status are retried by name only.
    let plain = boto("ThrottlingException", Some(400), "Rate exceeded", false);
    let c = judged_with(&plain, &RetryRules::default());
    assert_verdict(&c, RateLimited, false);
    assert!(c.reason.contains("lists neither"), "{}", c.reason);
}

#[test]
fn model_not_ready_and_groq_capacity_are_overloaded() {
    let not_ready = boto(
        "ModelNotReadyException",
        Some(429),
        "Model is not ready",
        true,
    );
    assert_verdict(&judged(&not_ready), Overloaded, true);
    let capacity = groq(
        "APIStatusError",
        498,
        "internal_server_error",
        Some("capacity_exceeded"),
        "The flex tier is at capacity.",
    );
    let c = judged(&capacity);
    assert_verdict(&c, Overloaded, true);
    assert_eq!(c.status, Some(498));
    // Without the code, groq's 498 is still capacity (the SDK decides it), retried where 498 is listed.
    let bare = groq(
        "APIStatusError",
        498,
        "internal_server_error",
        None,
        "at capacity",
    );
    let groq_rules = RetryRules {
        retryable_status_codes: vec![408, 409, 429, 498, 500, 502, 503, 504],
        ..default_rules()
    };
    assert_verdict(&judged_with(&bare, &groq_rules), Overloaded, true);
}

#[test]
fn request_timeout_and_conflict_are_retried() {
    let timeout = anthropic(
        &["RequestTimeoutError"],
        408,
        "timeout_error",
        "Request timed out",
    );
    assert_verdict(&judged(&timeout), Network, true);
    let conflict = anthropic(&["ConflictError"], 409, "conflict_error", "Conflict");
    assert_verdict(&judged(&conflict), ServerError, true);
}

// --- Trap 4: status 498 depends on the provider -----------------------------------------------------

#[test]
fn cohere_498_is_auth_and_a_bare_498_is_unknown() {
    let c = judged(&cohere(
        "InvalidTokenError",
        "cohere.errors.invalid_token_error",
        498,
        "invalid api token",
    ));
    assert_verdict(&c, Auth, false);
    let bare = http_status_error("httpx", 498);
    assert_verdict(&judged(&bare), Unknown, false);
    // Even a config that lists 498 never retries cohere's.
    let rules = RetryRules {
        retryable_status_codes: vec![498],
        ..default_rules()
    };
    let plain_api_error = cohere(
        "ApiError",
        "cohere.core.api_error",
        498,
        "invalid api token",
    );
    assert_verdict(&judged_with(&plain_api_error, &rules), Auth, false);
}

// --- Trap 5: auth that is not 401/403 ----------------------------------------------------------------

#[test]
fn gemini_bad_key_and_location_are_auth_with_400() {
    let bad_key = genai(
        "ClientError",
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
    )
    .code("ErrorInfo.reason", "API_KEY_INVALID");
    let c = judged(&bad_key);
    assert_verdict(&c, Auth, false);
    assert!(
        c.reason.contains("'API_KEY_INVALID' (ErrorInfo.reason)"),
        "{}",
        c.reason
    );
    // The message alone is enough when ErrorInfo was not read.
    let message_only = genai(
        "ClientError",
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid key.",
    );
    assert_verdict(&judged(&message_only), Auth, false);
    let location = genai(
        "ClientError",
        400,
        "FAILED_PRECONDITION",
        "User location is not supported for the API use.",
    );
    assert_verdict(&judged(&location), Auth, false);
}

#[test]
fn aws_expired_token_with_400_and_mistral_401_are_auth() {
    let expired = boto(
        "ExpiredTokenException",
        Some(400),
        "The security token is expired",
        false,
    );
    let c = judged(&expired);
    assert_verdict(&c, Auth, false);
    assert!(
        c.reason.contains("means the credentials were refused"),
        "{}",
        c.reason
    );
    for code in ["UnrecognizedClientException", "AccessDeniedException"] {
        assert_verdict(&judged(&boto(code, Some(403), "denied", true)), Auth, false);
    }
    let mistral_401 = sdk("mistralai.client.errors", &["SDKError", "MistralError"])
        .status("status_code", 401)
        .message("body.message", "Unauthorized");
    assert_verdict(&judged(&mistral_401), Auth, false);
}

// --- Trap 6: context overflow in the message ----------------------------------------------------------

#[test]
fn context_overflow_phrasings_of_every_provider() {
    let cases = [
        anthropic(
            &["BadRequestError"],
            400,
            "invalid_request_error",
            "prompt is too long: 208310 tokens > 200000 maximum",
        ),
        anthropic(
            &["BadRequestError"],
            400,
            "invalid_request_error",
            "input length and `max_tokens` exceed context limit: 197626 + 8192 > 200000",
        ),
        boto("ValidationException", Some(400), "Input is too long for requested model.", true),
        boto("ValidationException", Some(400), "prompt is too long: 215325 tokens > 200000 maximum", false),
        genai(
            "ClientError",
            400,
            "INVALID_ARGUMENT",
            "The input token count (1288576) exceeds the maximum number of tokens allowed (1048576).",
        ),
        mistral(
            400,
            "invalid_request_error",
            "Prompt contains 140000 tokens, too large for model with 131072 maximum context length",
        ),
        cohere(
            "BadRequestError",
            "cohere.errors.bad_request_error",
            400,
            "too many tokens: size limit exceeded by 1024 tokens.",
        ),
        openai(
            "BadRequestError",
            400,
            Some("invalid_request_error"),
            Some("context_length_exceeded"),
            "This model's maximum context length is 128000 tokens.",
        ),
        groq(
            "BadRequestError",
            400,
            "invalid_request_error",
            Some("context_length_exceeded"),
            "Please reduce the length of the messages or completion.",
        ),
        event_stream("validationException", "Input is too long for requested model."),
    ];
    for facts in &cases {
        let c = judged(facts);
        assert_verdict(&c, ContextOverflow, false);
    }
}

#[test]
fn anthropic_413_cloudflare_html_is_overflow_without_a_type() {
    let facts = sdk(
        "anthropic",
        &[
            "RequestTooLargeError",
            "APIStatusError",
            "APIError",
            "AnthropicError",
        ],
    )
    .status("status_code", 413)
    .message(
        "body",
        "<html><head><title>413 Request Entity Too Large</title></head></html>",
    );
    assert_verdict(&judged(&facts), ContextOverflow, false);
    let typed = anthropic(
        &["RequestTooLargeError"],
        413,
        "request_too_large",
        "Request exceeds the maximum size",
    );
    assert_verdict(&judged(&typed), ContextOverflow, false);
}

#[test]
fn overflow_phrases_are_not_read_where_the_kind_forbids_them() {
    // A throttling message that says "too many tokens" is still throttling (decisive code).
    let throttled = boto(
        "ThrottlingException",
        Some(429),
        "Too many tokens, please wait.",
        true,
    );
    assert_verdict(&judged(&throttled), RateLimited, true);
    // A 500 whose text mentions the prompt being too long stays a server error.
    let server = anthropic(
        &["InternalServerError"],
        500,
        "api_error",
        "prompt is too long",
    );
    assert_verdict(&judged(&server), ServerError, true);
    // A ValueError that happens to say so is not an API error.
    let value_error = sdk("builtins", &["ValueError"]).message("str(exc)", "prompt is too long");
    assert_verdict(&judged(&value_error), Unknown, false);
}

// --- Trap 7: billing in the message ---------------------------------------------------------------------

#[test]
fn anthropic_credit_balance_too_low_is_quota() {
    let facts = anthropic(
        &["BadRequestError"],
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API.",
    );
    let c = judged(&facts);
    assert_verdict(&c, QuotaExhausted, false);
    assert_eq!(
        c.reason,
        "400 from status_code, but the message (.message) says 'credit balance is too low': \
         quota_exhausted, never retried"
    );
    let billing = anthropic(
        &["PaymentRequiredError"],
        402,
        "billing_error",
        "Payment required.",
    );
    assert_verdict(&judged(&billing), QuotaExhausted, false);
}

// --- Trap 8: errors after HTTP 200 ---------------------------------------------------------------------

#[test]
fn anthropic_mid_stream_errors_are_decided_by_type() {
    let overloaded = sdk(
        "anthropic",
        &["APIStatusError", "APIError", "AnthropicError"],
    )
    .status("status_code", 200)
    .code(".type", "overloaded_error")
    .status("response.status_code", 200);
    let c = judged(&overloaded);
    assert_verdict(&c, Overloaded, true);
    assert_eq!(c.status, Some(200));
    assert_eq!(
        c.reason,
        "'overloaded_error' (.type) in a stream that began with HTTP 200: overloaded, retried"
    );
    for (error_type, kind) in [
        ("api_error", ServerError),
        ("rate_limit_error", RateLimited),
    ] {
        let facts = sdk(
            "anthropic",
            &["APIStatusError", "APIError", "AnthropicError"],
        )
        .status("status_code", 200)
        .code(".type", error_type);
        assert_verdict(&judged(&facts), kind, true);
    }
}

#[test]
fn openai_and_groq_mid_stream_errors_have_no_status() {
    let openai_stream = sdk("openai", &["APIError", "OpenAIError"])
        .code(".type", "server_error")
        .message(
            ".message",
            "The server had an error while processing your request.",
        );
    let c = judged(&openai_stream);
    assert_verdict(&c, ServerError, true);
    assert_eq!(c.status, None);
    let groq_stream =
        sdk("groq", &["APIError", "GroqError"]).code("body.type", "internal_server_error");
    assert_verdict(&judged(&groq_stream), ServerError, true);
    // With no name listed, a mid-stream error is not retried (the SDKs never retry these either).
    assert_verdict(
        &judged_with(&openai_stream, &RetryRules::default()),
        ServerError,
        false,
    );
}

#[test]
fn genai_stream_error_prefers_its_own_code_to_the_response_200() {
    let facts = sdk("google.genai.errors", &["ServerError", "APIError"])
        .status("code", 503)
        .code(".status", "UNAVAILABLE")
        .status("response.status_code", 200);
    let c = judged(&facts);
    assert_verdict(&c, Overloaded, true);
    assert_eq!(c.status, Some(503));
}

#[test]
fn bedrock_event_stream_codes_are_lower_camel() {
    let cases = [
        ("throttlingException", RateLimited, true),
        ("serviceUnavailableException", Overloaded, true),
        ("modelStreamErrorException", ServerError, true),
        ("internalServerException", ServerError, true),
        ("modelTimeoutException", Network, true),
        ("validationException", BadRequest, false),
    ];
    for (code, kind, retryable) in cases {
        let c = judged(&event_stream(code, "stream error"));
        assert_verdict(&c, kind, retryable);
        assert_eq!(c.status, None);
    }
}

// --- Trap 9, 10, 11: one attribute, many meanings; bodies; headers ----------------------------------

#[test]
fn genai_reason_phrase_status_and_aiohttp_int_status() {
    let bad_gateway = genai("ServerError", 502, "Bad Gateway", "<html>502</html>");
    assert_verdict(&judged(&bad_gateway), ServerError, true);
    let aiohttp = sdk(
        "aiohttp.client_exceptions",
        &["ClientResponseError", "ClientError"],
    )
    .status("status", 503)
    .status("code", 503);
    assert_verdict(&judged(&aiohttp), Overloaded, true);
}

#[test]
fn anthropic_bedrock_reads_the_aws_code_from_x_amzn_errortype() {
    let facts = sdk(
        "anthropic",
        &[
            "RateLimitError",
            "APIStatusError",
            "APIError",
            "AnthropicError",
        ],
    )
    .status("status_code", 400)
    .code(
        "x-amzn-errortype header",
        "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    );
    let c = judged(&facts);
    assert_verdict(&c, RateLimited, true);
    assert!(
        c.reason
            .contains("'ThrottlingException' (x-amzn-errortype header)"),
        "{}",
        c.reason
    );
}

#[test]
fn proxy_html_errors_are_decided_by_status() {
    for (status, kind) in [(502, ServerError), (504, ServerError), (503, Overloaded)] {
        let facts = sdk(
            "openai",
            &[
                "InternalServerError",
                "APIStatusError",
                "APIError",
                "OpenAIError",
            ],
        )
        .status("status_code", status)
        .message(
            "body",
            "<html><center><h1>502 Bad Gateway</h1></center>cloudflare</html>",
        );
        assert_verdict(&judged(&facts), kind, true);
    }
}

// --- Trap 12: properties that raise (bindings leave the attribute out) --------------------------------

#[test]
fn a_transport_error_with_nothing_but_its_class_is_network() {
    let facts = httpx(
        "httpx2",
        &[
            "ConnectError",
            "NetworkError",
            "TransportError",
            "RequestError",
            "HTTPError",
        ],
    );
    assert!(facts.statuses.is_empty() && facts.messages.is_empty());
    assert_verdict(&judged(&facts), Network, true);
}

// --- Trap 13: name collisions ----------------------------------------------------------------------------

#[test]
fn connection_errors_of_botocore_requests_and_builtins_are_all_network() {
    let botocore = exc(&[
        ("botocore.exceptions", "EndpointConnectionError"),
        ("botocore.exceptions", "ConnectionError"),
        ("botocore.exceptions", "BotoCoreError"),
    ]);
    assert_verdict(&judged(&botocore), Network, true);
    let requests = exc(&[
        ("requests.exceptions", "ConnectionError"),
        ("requests.exceptions", "RequestException"),
        ("builtins", "OSError"),
    ]);
    assert_verdict(&judged(&requests), Network, true);
    let refused = exc(&[
        ("builtins", "ConnectionRefusedError"),
        ("builtins", "ConnectionError"),
        ("builtins", "OSError"),
    ]);
    let c = judged(&refused);
    assert_verdict(&c, Network, true);
    assert!(
        c.reason
            .starts_with("ConnectionRefusedError (builtins), a ConnectionError"),
        "{}",
        c.reason
    );
}

#[test]
fn cohere_not_implemented_is_a_501_but_the_builtin_is_unknown() {
    let cohere_501 = cohere(
        "NotImplementedError",
        "cohere.errors.not_implemented_error",
        501,
        "not implemented",
    );
    assert_verdict(&judged(&cohere_501), BadRequest, false);
    // Without a status (never seen, but the class alone says 501).
    let class_only = exc(&[
        ("cohere.errors.not_implemented_error", "NotImplementedError"),
        ("cohere.core.api_error", "ApiError"),
    ]);
    assert_verdict(&judged(&class_only), BadRequest, false);
    let builtin = exc(&[
        ("builtins", "NotImplementedError"),
        ("builtins", "RuntimeError"),
    ]);
    assert_verdict(&judged(&builtin), Unknown, false);
}

#[test]
fn botocore_read_timeout_with_urllib3_timeout_in_its_mro_is_network() {
    let facts = exc(&[
        ("botocore.exceptions", "ReadTimeoutError"),
        ("botocore.exceptions", "HTTPClientError"),
        ("botocore.exceptions", "BotoCoreError"),
        ("botocore.vendored.requests.exceptions", "ReadTimeout"),
        ("botocore.vendored.requests.exceptions", "Timeout"),
        ("botocore.vendored.requests.exceptions", "RequestException"),
        ("builtins", "OSError"),
        (
            "botocore.vendored.requests.packages.urllib3.exceptions",
            "ReadTimeoutError",
        ),
        (
            "botocore.vendored.requests.packages.urllib3.exceptions",
            "TimeoutError",
        ),
    ]);
    assert_verdict(&judged(&facts), Network, true);
}

#[test]
fn internal_server_error_means_any_5xx_in_openai_and_501_is_not_retried() {
    let openai_503 = openai(
        "InternalServerError",
        503,
        Some("server_error"),
        None,
        "overloaded",
    );
    assert_verdict(&judged(&openai_503), Overloaded, true);
    // anthropic's HTTPNotImplementedError is an InternalServerError with type api_error: even a config
    // that lists both names leaves a 501 alone, because the status decided the kind.
    let anthropic_501 = anthropic(
        &["HTTPNotImplementedError", "InternalServerError"],
        501,
        "api_error",
        "Not implemented",
    );
    let rules = RetryRules {
        retryable_names: vec!["internalservererror".into(), "api_error".into()],
        ..default_rules()
    };
    assert_verdict(&judged_with(&anthropic_501, &rules), BadRequest, false);
    let anthropic_499 = anthropic(&["ClientClosedRequestError"], 499, "api_error", "closed");
    assert_verdict(&judged_with(&anthropic_499, &rules), Unknown, false);
}

#[test]
fn tarfile_read_error_is_not_a_network_error() {
    let facts = exc(&[("tarfile", "ReadError"), ("tarfile", "TarError")]);
    assert_verdict(&judged(&facts), Unknown, false);
}

// --- Trap 14: OSError is not network -------------------------------------------------------------------

#[test]
fn requests_http_error_401_is_auth_though_it_is_an_oserror() {
    let facts = exc(&[
        ("requests.exceptions", "HTTPError"),
        ("requests.exceptions", "RequestException"),
        ("builtins", "OSError"),
    ])
    .status("response.status_code", 401);
    assert_verdict(&judged(&facts), Auth, false);
    let enospc =
        exc(&[("builtins", "OSError")]).message("str(exc)", "[Errno 28] No space left on device");
    assert_verdict(&judged(&enospc), Unknown, false);
    let client_os_error = exc(&[
        ("aiohttp.client_exceptions", "ClientOSError"),
        ("aiohttp.client_exceptions", "ClientConnectionError"),
        ("aiohttp.client_exceptions", "ClientError"),
        ("builtins", "OSError"),
    ]);
    assert_verdict(&judged(&client_os_error), Network, true);
}

// --- Trap 15: timeouts and cancellation -----------------------------------------------------------------

#[test]
fn a_timeout_caused_by_cancellation_is_still_a_timeout() {
    let cancelled = not_an_exception_named("asyncio.exceptions", "CancelledError");
    let facts = exc(&[("builtins", "TimeoutError"), ("builtins", "OSError")]).cause(cancelled);
    let c = judged(&facts);
    assert_verdict(&c, Network, true);
    assert_eq!(c.reason, "TimeoutError (builtins): network, retried");
    // Python <= 3.10: asyncio.TimeoutError is its own class.
    let old = exc(&[("asyncio.exceptions", "TimeoutError")]);
    assert_verdict(&judged(&old), Network, true);
}

#[test]
fn aiohttp_timeouts_and_payload_errors_are_network() {
    for chain in [
        &[
            "ServerTimeoutError",
            "ServerConnectionError",
            "ClientConnectionError",
            "ClientError",
        ][..],
        &[
            "ConnectionTimeoutError",
            "ServerTimeoutError",
            "ServerConnectionError",
            "ClientConnectionError",
        ],
        &[
            "ServerDisconnectedError",
            "ServerConnectionError",
            "ClientConnectionError",
            "ClientError",
        ],
        &["ClientPayloadError", "ClientError"],
    ] {
        assert_verdict(
            &judged(&sdk("aiohttp.client_exceptions", chain)),
            Network,
            true,
        );
    }
}

// --- Trap 16: chaining -------------------------------------------------------------------------------

#[test]
fn anthropic_api_connection_error_takes_its_httpx2_cause() {
    let cause = httpx(
        "httpx2",
        &[
            "ConnectError",
            "NetworkError",
            "TransportError",
            "RequestError",
            "HTTPError",
        ],
    );
    let facts = sdk(
        "anthropic",
        &["APIConnectionError", "APIError", "AnthropicError"],
    )
    .message(".message", "Connection error.")
    .cause(cause);
    let c = judged(&facts);
    assert_verdict(&c, Network, true);
    assert_eq!(
        c.reason,
        "ConnectError (httpx2) via __cause__ of APIConnectionError: network, retried"
    );
    // Without a cause it is network all the same.
    let alone = sdk(
        "anthropic",
        &[
            "APITimeoutError",
            "APIConnectionError",
            "APIError",
            "AnthropicError",
        ],
    );
    assert_verdict(&judged(&alone), Network, true);
    // A cause that says nothing does not turn it into unknown.
    let odd = sdk("openai", &["APIConnectionError", "APIError", "OpenAIError"])
        .cause(sdk("ssl", &["SSLCertVerificationError"]));
    assert_verdict(&judged(&odd), Network, true);
}

#[test]
fn wrappers_without_evidence_take_their_cause() {
    let unavailable = api_core(
        &["ServiceUnavailable", "ServerError"],
        Some(503),
        Some("UNAVAILABLE"),
        "The service is currently unavailable.",
    );
    let retry_error = sdk(
        "google.api_core.exceptions",
        &["RetryError", "GoogleAPIError"],
    )
    .message(
        ".message",
        "Timeout of 0.005s exceeded, last exception: 503 unavailable",
    )
    .cause(unavailable);
    let c = judged(&retry_error);
    assert_verdict(&c, Overloaded, true);
    assert_eq!(c.status, Some(503));
    assert!(
        c.reason.contains("via .cause of RetryError"),
        "{}",
        c.reason
    );

    let tenacity = sdk("tenacity", &["RetryError"]).cause(http_status_error("httpx", 502));
    let c = judged(&tenacity);
    assert_verdict(&c, ServerError, true);
    assert!(
        c.reason.contains("via .last_attempt of RetryError"),
        "{}",
        c.reason
    );

    let continuation = sdk("google.genai.errors", &["ContinuationInterruptedError"]).cause(genai(
        "ServerError",
        503,
        "UNAVAILABLE",
        "The model is overloaded.",
    ));
    assert_verdict(&judged(&continuation), Overloaded, true);

    let runtime = sdk("builtins", &["RuntimeError"])
        .message("str(exc)", "completion failed")
        .cause(httpx(
            "httpx2",
            &["ConnectError", "NetworkError", "TransportError"],
        ));
    assert_verdict(&judged(&runtime), Network, true);
}

#[test]
fn exception_group_members_decide_the_most_severe_winning() {
    let connect = httpx(
        "httpx2",
        &["ConnectError", "NetworkError", "TransportError"],
    );
    let group = sdk("builtins", &["ExceptionGroup", "BaseExceptionGroup"]).cause(connect.clone());
    let c = judged(&group);
    assert_verdict(&c, Network, true);
    assert!(
        c.reason.contains("as a member of ExceptionGroup"),
        "{}",
        c.reason
    );
    let quota = openai(
        "RateLimitError",
        429,
        Some("insufficient_quota"),
        Some("insufficient_quota"),
        "",
    );
    let mixed = sdk("builtins", &["ExceptionGroup", "BaseExceptionGroup"])
        .cause(connect)
        .cause(quota)
        .cause(sdk("builtins", &["ValueError"]));
    assert_verdict(&judged(&mixed), QuotaExhausted, false);
}

#[test]
fn the_implicit_context_is_never_read() {
    // bindings do not put __context__ in `causes`, so a bug inside an except block stays a bug.
    let facts = sdk("builtins", &["ValueError"]).message("str(exc)", "invalid literal for int()");
    assert_verdict(&judged(&facts), Unknown, false);
}

#[test]
fn a_non_retryable_cause_beats_a_delay_hint_on_its_wrapper() {
    let quota = openai(
        "RateLimitError",
        429,
        Some("insufficient_quota"),
        Some("insufficient_quota"),
        "",
    );
    let wrapper = sdk("myapp", &["LLMCallFailed"])
        .header("retry-after", "5")
        .header("x-should-retry", "true")
        .cause(quota);
    let c = judged(&wrapper);
    assert_verdict(&c, QuotaExhausted, false);
    assert_eq!(c.status, Some(429));
}

#[test]
fn a_decisive_outer_exception_ignores_its_cause() {
    let outer = openai(
        "RateLimitError",
        429,
        Some("tokens"),
        Some("rate_limit_exceeded"),
        "slow down",
    )
    .cause(http_status_error("httpx2", 500));
    let c = judged(&outer);
    assert_verdict(&c, RateLimited, true);
    assert_eq!(c.status, Some(429));
}

// --- Trap 17, 18, 19: botocore classes, nested status, api-core asymmetry -------------------------------

#[test]
fn unmodeled_client_error_is_read_by_its_code() {
    let facts = boto("ThrottlingException", Some(429), "Rate exceeded", false);
    assert_verdict(&judged(&facts), RateLimited, true);
    let quota = boto(
        "ServiceQuotaExceededException",
        Some(400),
        "exceeds the service quota",
        true,
    );
    assert_verdict(&judged(&quota), QuotaExhausted, false);
    let internal = boto("InternalServerException", Some(500), "error", true);
    assert_verdict(&judged(&internal), ServerError, true);
    let unavailable = boto(
        "ServiceUnavailableException",
        Some(503),
        "unavailable",
        true,
    )
    .sdk_retries(2);
    let c = judged(&unavailable);
    assert_verdict(&c, Overloaded, true);
    assert_eq!(c.sdk_retries, Some(2));
    let timeout = boto(
        "ModelTimeoutException",
        Some(408),
        "Model has timed out",
        true,
    );
    assert_verdict(&judged(&timeout), Network, true);
    let not_found = boto(
        "ResourceNotFoundException",
        Some(404),
        "Model not found.",
        true,
    );
    assert_verdict(&judged(&not_found), NotFound, false);
}

#[test]
fn sagemaker_model_error_is_classified_by_its_original_status() {
    for (original, kind, retryable) in [
        (429, RateLimited, true),
        (503, Overloaded, true),
        (400, BadRequest, false),
    ] {
        let facts = boto(
            "ModelError",
            Some(424),
            "Received client error from primary",
            true,
        )
        .original_status("response['OriginalStatusCode']", original);
        let c = judged(&facts);
        assert_verdict(&c, kind, retryable);
        assert_eq!(c.status, Some(original as u16));
        assert!(c.reason.contains("inside HTTP 424"), "{}", c.reason);
    }
    let bedrock = boto(
        "ModelErrorException",
        Some(424),
        "The model returned an error.",
        true,
    );
    let c = judged(&bedrock);
    assert_verdict(&c, Unknown, false);
    assert_eq!(c.status, Some(424));
    // A nonsense original status is ignored.
    let nonsense = boto("ModelError", Some(424), "x", true)
        .original_status("response['OriginalStatusCode']", -7);
    assert_eq!(judged(&nonsense).status, Some(424));
}

#[test]
fn api_core_rest_and_grpc_classes() {
    let too_many = api_core(
        &["TooManyRequests", "ClientError"],
        Some(429),
        None,
        "Quota exceeded per minute",
    );
    assert_verdict(&judged(&too_many), RateLimited, true);
    let unknown = api_core(
        &["Unknown", "ServerError"],
        None,
        Some("UNKNOWN"),
        "Stream removed",
    );
    assert_verdict(&judged(&unknown), ServerError, true);
    let data_loss = api_core(
        &["DataLoss", "ServerError"],
        None,
        Some("DATA_LOSS"),
        "corrupted",
    );
    assert_verdict(&judged(&data_loss), ServerError, true);
    // The class alone, with neither code nor grpc_status_code, still says server error.
    let class_only = api_core(&["Unknown", "ServerError"], None, None, "Stream removed");
    assert_eq!(judged(&class_only).kind, ServerError);
    let internal = api_core(
        &["InternalServerError", "ServerError"],
        Some(500),
        Some("INTERNAL"),
        "boom",
    );
    assert_verdict(&judged(&internal), ServerError, true);
    let deadline = api_core(
        &["DeadlineExceeded", "GatewayTimeout", "ServerError"],
        Some(504),
        Some("DEADLINE_EXCEEDED"),
        "Deadline Exceeded",
    );
    assert_verdict(&judged(&deadline), Network, true);
    let gateway = api_core(
        &["GatewayTimeout", "ServerError"],
        Some(504),
        None,
        "Deadline expired",
    );
    assert_verdict(&judged(&gateway), Network, true);
    let cancelled = api_core(
        &["Cancelled", "ClientError"],
        Some(499),
        Some("CANCELLED"),
        "cancelled",
    );
    assert_verdict(&judged(&cancelled), Unknown, false);
    let aborted = api_core(
        &["Aborted", "Conflict", "ClientError"],
        Some(409),
        Some("ABORTED"),
        "aborted",
    );
    assert_verdict(&judged(&aborted), ServerError, true);
}

#[test]
fn raw_grpc_errors_are_read_by_status_code_name() {
    let raw = |code: &str, details: &str| {
        exc(&[("grpc._channel", "_InactiveRpcError"), ("grpc", "RpcError")])
            .code("code()", code)
            .message("details()", details)
    };
    assert_verdict(
        &judged(&raw("UNAVAILABLE", "The model is overloaded.")),
        Overloaded,
        true,
    );
    assert_verdict(
        &judged(&raw("StatusCode.UNAVAILABLE", "overloaded")),
        Overloaded,
        true,
    );
    assert_verdict(
        &judged(&raw("RESOURCE_EXHAUSTED", "Quota exceeded.")),
        RateLimited,
        true,
    );
    assert_verdict(
        &judged(&raw("DEADLINE_EXCEEDED", "Deadline Exceeded")),
        Network,
        true,
    );
    assert_verdict(&judged(&raw("PERMISSION_DENIED", "denied")), Auth, false);
    assert_verdict(
        &judged(&raw("INVALID_ARGUMENT", "bad field")),
        BadRequest,
        false,
    );
    let refused = raw(
        "UNAVAILABLE",
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Connection refused",
    );
    let c = judged(&refused);
    assert_verdict(&c, Network, true);
    assert!(c.reason.contains("'failed to connect'"), "{}", c.reason);
    // Without its name listed and without network retries, a raw UNAVAILABLE is not retried.
    let no_names = RetryRules {
        retry_network: false,
        ..RetryRules::default()
    };
    assert_verdict(
        &judged_with(&raw("UNAVAILABLE", "overloaded"), &no_names),
        Overloaded,
        false,
    );
}

// --- Trap 21: x-should-retry is hints' to read; here only what it must not override -------------------

#[test]
fn never_retry_kinds_beat_every_server_hint() {
    let facts = anthropic(
        &["AuthenticationError"],
        401,
        "authentication_error",
        "invalid x-api-key",
    )
    .header("x-should-retry", "true")
    .header("retry-after", "1");
    let c = judged(&facts);
    assert_verdict(&c, Auth, false);
    assert!(c.reason.ends_with("never retried"), "{}", c.reason);
}

// --- Trap 22: capacity typed as a bad request ---------------------------------------------------------

#[test]
fn mistral_service_tier_capacity_is_overloaded() {
    let c = judged(&mistral(
        429,
        "invalid_request_error",
        "Service tier capacity exceeded for this model.",
    ));
    assert_verdict(&c, Overloaded, true);
    assert_eq!(c.status, Some(429));
    let c = judged(&mistral(
        503,
        "invalid_request_error",
        "Service tier capacity exceeded for this model.",
    ));
    assert_verdict(&c, Overloaded, true);
    // An upstream 503 that merely mentions connecting stays overloaded.
    let upstream = mistral(
        503,
        "",
        "upstream connect error or disconnect/reset before headers",
    );
    assert_verdict(&judged(&upstream), Overloaded, true);
    let rate =
        mistral(429, "rate_limited", "Requests rate limit exceeded").code("body.code", "1300");
    assert_verdict(&judged(&rate), RateLimited, true);
}

// --- Trap 23: non-HTTP errors from the same SDKs --------------------------------------------------------

#[test]
fn finish_reason_errors_and_credentials() {
    let filtered = sdk("openai", &["ContentFilterFinishReasonError", "OpenAIError"]);
    assert_verdict(&judged(&filtered), ContentFiltered, false);
    let length = sdk("openai", &["LengthFinishReasonError", "OpenAIError"]);
    let c = judged(&length);
    assert_verdict(&c, BadRequest, false);
    let no_credentials = exc(&[
        ("botocore.exceptions", "NoCredentialsError"),
        ("botocore.exceptions", "BotoCoreError"),
    ]);
    assert_verdict(&judged(&no_credentials), Auth, false);
    let unknown_response = exc(&[
        ("google.genai.errors", "UnknownApiResponseError"),
        ("builtins", "ValueError"),
    ]);
    assert_verdict(&judged(&unknown_response), Unknown, false);
}

#[test]
fn content_filters_of_azure_and_openai() {
    let azure = openai(
        "BadRequestError",
        400,
        None,
        Some("content_filter"),
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    )
    .code("body.innererror.code", "ResponsibleAIPolicyViolation");
    let c = judged(&azure);
    assert_verdict(&c, ContentFiltered, false);
    let only_inner = openai("BadRequestError", 400, None, None, "filtered")
        .code("body.error.innererror.code", "ResponsibleAIPolicyViolation");
    assert_verdict(&judged(&only_inner), ContentFiltered, false);
    let invalid_prompt = openai(
        "BadRequestError",
        400,
        Some("invalid_request_error"),
        Some("invalid_prompt"),
        "Invalid prompt: flagged",
    );
    assert_verdict(&judged(&invalid_prompt), ContentFiltered, false);
}

// --- Trap 24: args and str() ---------------------------------------------------------------------------

#[test]
fn cohere_errors_are_read_from_status_and_body_not_str() {
    let facts = cohere(
        "ServiceUnavailableError",
        "cohere.errors.service_unavailable_error",
        503,
        "service unavailable",
    );
    assert_verdict(&judged(&facts), Overloaded, true);
    let plain_502 = exc(&[("cohere.core.api_error", "ApiError")])
        .status("status_code", 502)
        .message("body", "Bad Gateway");
    assert_verdict(&judged(&plain_502), ServerError, true);
}

// --- Other provider mappings ------------------------------------------------------------------------

#[test]
fn anthropic_status_classes() {
    let cases = [
        (
            &["OverloadedError", "InternalServerError"][..],
            529,
            "overloaded_error",
            Overloaded,
            true,
        ),
        (
            &["ServiceUnavailableError", "InternalServerError"],
            503,
            "api_error",
            Overloaded,
            true,
        ),
        (
            &["InternalServerError"],
            500,
            "api_error",
            ServerError,
            true,
        ),
        (
            &["GatewayTimeoutError", "InternalServerError"],
            504,
            "timeout_error",
            ServerError,
            true,
        ),
        (&["NotFoundError"], 404, "not_found_error", NotFound, false),
        (
            &["PermissionDeniedError"],
            403,
            "permission_error",
            Auth,
            false,
        ),
        (
            &["UnprocessableEntityError"],
            422,
            "invalid_request_error",
            BadRequest,
            false,
        ),
        (
            &["APIStatusError"][..0],
            431,
            "invalid_request_error",
            BadRequest,
            false,
        ),
    ];
    for (chain, status, error_type, kind, retryable) in cases {
        let c = judged(&anthropic(chain, status, error_type, "x"));
        assert_verdict(&c, kind, retryable);
    }
}

#[test]
fn openai_and_groq_auth_and_not_found() {
    let key = openai(
        "AuthenticationError",
        401,
        Some("invalid_request_error"),
        Some("invalid_api_key"),
        "Incorrect API key provided",
    );
    assert_verdict(&judged(&key), Auth, false);
    let country = openai(
        "PermissionDeniedError",
        403,
        Some("request_forbidden"),
        Some("unsupported_country_region_territory"),
        "Country, region, or territory not supported",
    );
    assert_verdict(&judged(&country), Auth, false);
    let model = groq(
        "NotFoundError",
        404,
        "invalid_request_error",
        Some("model_not_found"),
        "missing",
    );
    assert_verdict(&judged(&model), NotFound, false);
    let permission = groq(
        "PermissionDeniedError",
        403,
        "permissions_error",
        None,
        "Forbidden",
    );
    assert_verdict(&judged(&permission), Auth, false);
}

#[test]
fn requests_urllib3_and_mistral_transport_classes_are_network() {
    let chains: [&[(&str, &str)]; 7] = [
        &[
            ("requests.exceptions", "ReadTimeout"),
            ("requests.exceptions", "Timeout"),
        ],
        &[
            ("requests.exceptions", "ChunkedEncodingError"),
            ("requests.exceptions", "RequestException"),
        ],
        &[
            ("urllib3.exceptions", "NewConnectionError"),
            ("urllib3.exceptions", "HTTPError"),
        ],
        &[
            ("urllib3.exceptions", "ProtocolError"),
            ("urllib3.exceptions", "HTTPError"),
        ],
        &[
            ("urllib3.exceptions", "MaxRetryError"),
            ("urllib3.exceptions", "RequestError"),
        ],
        &[("mistralai.client.errors", "NoResponseError")],
        &[
            ("botocore.exceptions", "ConnectionClosedError"),
            ("botocore.exceptions", "HTTPClientError"),
        ],
    ];
    for chain in chains {
        assert_verdict(&judged(&exc(chain)), Network, true);
    }
    // httpx's own ProtocolError base is not urllib3's.
    let third_party = exc(&[("somelib", "ProtocolError")]);
    assert_verdict(&judged(&third_party), Unknown, false);
    // An unlisted *Timeout* class is a timeout, after the status has had its say.
    let custom = exc(&[("somelib", "UpstreamTimeoutError")]);
    assert_verdict(&judged(&custom), Network, true);
}

// --- The retry decision --------------------------------------------------------------------------------

#[test]
fn a_config_status_list_is_the_whole_list() {
    let rules = RetryRules {
        retryable_status_codes: vec![429, 500, 529],
        ..default_rules()
    };
    let c = judged_with(&http_status_error("httpx", 502), &rules);
    assert_verdict(&c, ServerError, false);
    assert!(c.reason.contains("lists neither"), "{}", c.reason);
    // Names do not widen it where the status decided: anthropic's 502 api_error stays unretried.
    let anthropic_502 = anthropic(&["InternalServerError"], 502, "api_error", "Bad gateway");
    assert_verdict(&judged_with(&anthropic_502, &rules), ServerError, false);
    assert_verdict(
        &judged_with(&http_status_error("httpx", 529), &rules),
        Overloaded,
        true,
    );
}

#[test]
fn network_retries_can_be_turned_off_and_names_turn_them_back_on() {
    let connect = httpx(
        "httpx2",
        &["ConnectError", "NetworkError", "TransportError"],
    );
    let off = RetryRules {
        retry_network: false,
        ..RetryRules::default()
    };
    let c = judged_with(&connect, &off);
    assert_verdict(&c, Network, false);
    assert!(c.reason.contains("network retries are off"), "{}", c.reason);
    let named = RetryRules {
        retryable_names: vec!["connecterror".into()],
        ..off
    };
    assert_verdict(&judged_with(&connect, &named), Network, true);
}

#[test]
fn never_retry_kinds_win_over_statuses_and_names() {
    let rules = RetryRules {
        retryable_status_codes: vec![401, 429],
        retryable_names: vec!["authenticationerror".into(), "insufficient_quota".into()],
        ..RetryRules::default()
    };
    let auth = anthropic(
        &["AuthenticationError"],
        401,
        "authentication_error",
        "bad key",
    );
    assert_verdict(&judged_with(&auth, &rules), Auth, false);
    // A config may choose to retry a kind the defaults never retry.
    let lenient = RetryRules {
        never_retry_kinds: vec![],
        ..rules
    };
    assert_verdict(&judged_with(&auth, &lenient), Auth, true);
}

#[test]
fn custom_names_retry_custom_exceptions() {
    let facts = sdk("myapp.errors", &["TransientBackendError"]);
    assert_verdict(&judged(&facts), Unknown, false);
    let rules = RetryRules {
        retryable_names: vec!["transientbackenderror".into()],
        ..RetryRules::default()
    };
    assert_verdict(&judged_with(&facts, &rules), Unknown, true);
    // Names are compared ignoring case, whatever case the rules hold.
    let upper = RetryRules {
        retryable_names: vec!["TRANSIENTBACKENDERROR".into()],
        ..RetryRules::default()
    };
    assert_verdict(&judged_with(&facts, &upper), Unknown, true);
}

#[test]
fn sdk_retries_come_from_the_deciding_facts_or_their_wrapper() {
    let inner = boto("ThrottlingException", Some(429), "slow", true).sdk_retries(3);
    let c = judged(&sdk("tenacity", &["RetryError"]).cause(inner));
    assert_eq!(c.sdk_retries, Some(3));
    let outer = sdk("tenacity", &["RetryError"])
        .sdk_retries(1)
        .cause(http_status_error("httpx", 503));
    assert_eq!(judged(&outer).sdk_retries, Some(1));
}

#[test]
fn codes_are_case_insensitive_and_trimmed() {
    for code in [
        "THROTTLINGEXCEPTION",
        " throttlingexception ",
        "ThrottlingException:http://x/y",
    ] {
        let facts =
            sdk("botocore.exceptions", &["ClientError"]).code("response['Error']['Code']", code);
        assert_verdict(&judged(&facts), RateLimited, true);
    }
    assert_eq!(code_key("StatusCode.UNAVAILABLE"), "UNAVAILABLE");
    assert_eq!(
        code_key("  ThrottlingException : http://x "),
        "ThrottlingException"
    );
    assert_eq!(code_key(""), "");
    assert_eq!(code_key(":"), "");
}

// --- Hostile facts: never panic -----------------------------------------------------------------------

#[test]
fn absurd_statuses_are_ignored() {
    for status in [-1, 0, 99, 600, 99_999, i64::MAX, i64::MIN] {
        let facts = http_status_error("httpx", status);
        let c = judged(&facts);
        assert_verdict(&c, Unknown, false);
        assert_eq!(c.status, None);
        let original = boto("ModelError", Some(status), "x", true).original_status("o", status);
        assert_eq!(judged(&original).status, None);
    }
    // The first valid status is used.
    let facts = sdk("x", &["E"])
        .status("code", -1)
        .status("response.status_code", 429);
    let c = judged(&facts);
    assert_verdict(&c, RateLimited, true);
    assert_eq!(c.status, Some(429));
    // 1xx and 3xx say nothing about an error.
    for status in [100, 204, 302] {
        assert_verdict(&judged(&http_status_error("httpx", status)), Unknown, false);
    }
}

#[test]
fn empty_and_odd_strings_never_panic() {
    let facts = ErrorFacts {
        is_exception: true,
        classes: vec![class("", ""), class("", "Timeout"), class("é", "ü")].into(),
        ..ErrorFacts::default()
    }
    .code("", "")
    .code(".type", ":")
    .code(".type", "StatusCode.")
    .code(".type", "ümlaut_error")
    .message("", "")
    .message(".message", "é\u{0}\u{1F600}")
    .quota_id("")
    .header("", "");
    let c = judged(&facts);
    assert!(!c.reason.is_empty());
    let nameless = ErrorFacts {
        is_exception: true,
        ..ErrorFacts::default()
    };
    let c = judged(&nameless);
    assert_verdict(&c, Unknown, false);
    let nameless_base = ErrorFacts::default();
    assert!(judged(&nameless_base)
        .reason
        .starts_with("the object is not an exception"));
}

#[test]
fn megabyte_strings_are_cut_short_and_never_panic() {
    let huge = "ä".repeat(512 * 1024); // 1 MiB of two-byte chars
    let facts = sdk("x", &[huge.as_str()])
        .status("status_code", 400)
        .code(".type", &huge)
        .message(".message", &huge);
    let c = judged(&facts);
    assert_verdict(&c, BadRequest, false);
    assert!(c.reason.len() < 1024, "{}", c.reason.len());
    // A phrase at the start of a long message is found; one buried past the scanned prefix is not.
    let filler = "x".repeat(1024 * 1024);
    let early = anthropic(
        &["BadRequestError"],
        400,
        "invalid_request_error",
        &format!("prompt is too long {filler}"),
    );
    assert_eq!(judged(&early).kind, ContextOverflow);
    let late = anthropic(
        &["BadRequestError"],
        400,
        "invalid_request_error",
        &format!("{filler} prompt is too long"),
    );
    assert_eq!(judged(&late).kind, BadRequest);
    // A megabyte code is quoted in the reason, cut short on a char boundary.
    let c = judged(&sdk("x", &["E"]).code(".type", &huge));
    assert_verdict(&c, Unknown, false);
}

fn chain(depth: usize, innermost: ErrorFacts) -> ErrorFacts {
    (0..depth).fold(innermost, |inner, i| {
        let name = if i % 2 == 0 {
            "RuntimeError"
        } else {
            "RetryError"
        };
        sdk("builtins", &[name]).cause(inner)
    })
}

#[test]
fn deep_cause_chains_are_followed_to_a_bound() {
    let shallow = chain(MAX_CAUSE_DEPTH, http_status_error("httpx", 503));
    let c = judged(&shallow);
    assert_verdict(&c, Overloaded, true);
    assert!(
        c.reason.matches("via __cause__ of").count() == MAX_CAUSE_DEPTH,
        "{}",
        c.reason.len()
    );
    // Past MAX_CAUSE_DEPTH the cause is not read: the wrapper has no evidence of its own.
    let deep = chain(MAX_CAUSE_DEPTH + 10, http_status_error("httpx", 503));
    assert_verdict(&judged(&deep), Unknown, false);
}

#[test]
fn wide_exception_groups_are_bounded() {
    let mut group = sdk("builtins", &["ExceptionGroup"]);
    for _ in 0..2_000 {
        group = group.cause(sdk("builtins", &["ValueError"]));
    }
    group = group.cause(http_status_error("httpx", 503));
    // The 2,001st member is past MAX_CAUSES_VISITED: the group is judged on what was read.
    assert_verdict(&judged(&group), Unknown, false);
    let mut nested = sdk("builtins", &["ExceptionGroup"]);
    for _ in 0..40 {
        let mut level = sdk("builtins", &["ExceptionGroup"]);
        for _ in 0..40 {
            level = level.cause(sdk("builtins", &["ValueError"]));
        }
        nested = nested.cause(level);
    }
    assert_verdict(&judged(&nested), Unknown, false);
}

#[test]
fn nan_and_infinite_clocks_are_harmless() {
    let facts = http_status_error("httpx", 429);
    for now in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0] {
        let c = classify(&facts, &default_rules(), now);
        assert_verdict(&c, RateLimited, true);
    }
}

#[test]
fn the_same_facts_give_the_same_verdict() {
    let facts = anthropic(&["RateLimitError"], 429, "rate_limit_error", "slow down");
    assert_eq!(judged(&facts), judged(&facts));
}

// --- The tables themselves --------------------------------------------------------------------------------

#[test]
fn every_kind_is_reachable() {
    let samples = [
        http_status_error("httpx", 429),
        http_status_error("httpx", 503),
        http_status_error("httpx", 500),
        http_status_error("httpx", 408),
        http_status_error("httpx", 401),
        http_status_error("httpx", 400),
        http_status_error("httpx", 404),
        http_status_error("httpx", 413),
        http_status_error("httpx", 402),
        sdk("openai", &["ContentFilterFinishReasonError"]),
        http_status_error("httpx", 499),
    ];
    let kinds: Vec<ErrorKind> = samples.iter().map(|f| judged(f).kind).collect();
    assert_eq!(kinds, ErrorKind::ALL.to_vec());
}

#[test]
fn tables_have_no_duplicates_and_phrases_are_indexed() {
    for (i, a) in tables::CODES.iter().enumerate() {
        for b in &tables::CODES[i + 1..] {
            assert!(
                !a.code.eq_ignore_ascii_case(b.code),
                "duplicate code {}",
                a.code
            );
        }
    }
    for (i, a) in tables::CLASSES.iter().enumerate() {
        for b in &tables::CLASSES[i + 1..] {
            assert!(
                !(a.name == b.name && a.modules == b.modules),
                "duplicate class {}",
                a.name
            );
        }
    }
    assert!(PHRASES.len() <= 64, "phrases are a u64 bit set");
    for phrase in PHRASES {
        assert!(
            phrase
                .text
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
                && phrase
                    .with
                    .is_none_or(|w| w.bytes().all(|b| !b.is_ascii_uppercase())),
            "{}: phrases are lower-case ASCII",
            phrase.text
        );
        assert!(phrase.within != 0, "{} applies nowhere", phrase.text);
    }
    for status in 100..=599 {
        let _ = status_kind(&ErrorFacts::default(), status);
    }
    assert_eq!(
        status_kind(&ErrorFacts::default(), 418).map(|k| k.0),
        Some(BadRequest)
    );
    assert_eq!(
        status_kind(&ErrorFacts::default(), 520).map(|k| k.0),
        Some(ServerError)
    );
    assert_eq!(status_kind(&ErrorFacts::default(), 200), None);
}

#[test]
fn presets_name_every_retryable_code_the_tables_know() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../python/llm_retry/presets.py"
    );
    let presets = std::fs::read_to_string(path)
        .expect("presets.py is readable")
        .to_ascii_lowercase();
    for rule in tables::CODES {
        let retryable = rule.kind.is_provider_failure();
        if retryable {
            let quoted = format!("\"{}\"", rule.code.to_ascii_lowercase());
            assert!(
                presets.contains(&quoted),
                "presets.py does not list {}",
                rule.code
            );
        }
    }
    for name in DEFAULT_NAMES {
        assert!(
            presets.contains(&format!("\"{name}\"")),
            "presets.py does not list {name}"
        );
    }
}

// --- Integration with hints.rs (server delay and x-should-retry) ------------------------------------

mod hints_integration {
    use super::*;

    #[test]
    fn x_should_retry_overrides_the_status_both_ways() {
        let no = anthropic(&["InternalServerError"], 500, "api_error", "Internal error")
            .header("x-should-retry", "false");
        let c = judged(&no);
        assert_verdict(&c, ServerError, false);
        assert_eq!(
            c.reason,
            "x-should-retry: false overrides 500 from status_code: server_error, not retried"
        );
        let yes = anthropic(
            &["BadRequestError"],
            400,
            "invalid_request_error",
            "Try again",
        )
        .header("x-should-retry", "true");
        assert_verdict(&judged(&yes), BadRequest, true);
    }

    #[test]
    fn retry_after_is_reported_not_decisive() {
        let limited = anthropic(&["RateLimitError"], 429, "rate_limit_error", "slow")
            .header("retry-after", "20");
        assert_eq!(judged(&limited).retry_after_s, Some(20.0));
        let quota = openai("RateLimitError", 429, None, Some("insufficient_quota"), "")
            .header("retry-after-ms", "1500");
        let c = judged(&quota);
        assert_verdict(&c, QuotaExhausted, false);
        assert_eq!(c.retry_after_s, Some(1.5));
    }

    #[test]
    fn the_delay_comes_from_the_cause_or_its_wrapper() {
        let inner = http_status_error("httpx", 429).header("retry-after", "7");
        let wrapped = sdk("tenacity", &["RetryError"]).cause(inner);
        assert_eq!(judged(&wrapped).retry_after_s, Some(7.0));
        let bare_inner = http_status_error("httpx", 429);
        let hinted_wrapper = sdk("myapp", &["Wrapper"])
            .header("retry-after", "3")
            .cause(bare_inner);
        assert_eq!(judged(&hinted_wrapper).retry_after_s, Some(3.0));
    }
}

/// `cargo test --release --lib classify -- --ignored --nocapture`: nanoseconds per classify.
#[test]
#[ignore = "timing, run by hand in release mode"]
fn timing_of_common_cases() {
    let cases = [
        ("anthropic 429", anthropic(&["RateLimitError"], 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit.")),
        ("openai 429", openai("RateLimitError", 429, Some("tokens"), Some("rate_limit_exceeded"), "Rate limit reached for gpt-4o in organization org-fake on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.")),
        ("httpx2 503", http_status_error("httpx2", 503)),
        ("httpx2 ConnectError", httpx("httpx2", &["ConnectError", "NetworkError", "TransportError", "RequestError", "HTTPError"])),
        ("bedrock 400 throttling", boto("ThrottlingException", Some(400), "Rate exceeded", false)),
        ("anthropic APIConnectionError", sdk("anthropic", &["APIConnectionError", "APIError", "AnthropicError"]).cause(httpx("httpx2", &["ConnectError", "NetworkError", "TransportError", "RequestError", "HTTPError"]))),
    ];
    let rules = default_rules();
    for (label, facts) in &cases {
        // The fastest of many short batches: the machine is shared, and only the floor is stable.
        let ns = (0..50)
            .map(|_| {
                let start = std::time::Instant::now();
                for _ in 0..2_000 {
                    std::hint::black_box(classify(std::hint::black_box(facts), &rules, NOW));
                }
                start.elapsed().as_nanos() / 2_000
            })
            .min()
            .unwrap_or(0);
        println!("{label:32} {ns:>6} ns");
    }
}

#[test]
fn a_retry_by_name_says_which_name_matched() {
    let names = |names: &[&str]| RetryRules {
        retryable_names: names.iter().map(|n| n.to_string()).collect(),
        ..RetryRules::default()
    };
    let cases = [
        (
            "a class name",
            sdk("myapp.errors", &["TransientBackendError"]),
            names(&["transientbackenderror"]),
            "TransientBackendError (myapp.errors) is in retryable_exception_names: unknown, retried",
        ),
        (
            "a base class name",
            sdk("myapp.errors", &["ReplicaLagError", "TransientBackendError"]),
            names(&["transientbackenderror"]),
            "TransientBackendError (myapp.errors), a base class of ReplicaLagError, is in \
             retryable_exception_names: unknown, retried",
        ),
        (
            "a code string",
            sdk("myapp.errors", &["BackendError"]).code(".code", "replica_lag"),
            names(&["REPLICA_LAG"]),
            "'replica_lag' (.code) is in retryable_exception_names: unknown, retried",
        ),
        (
            "a wrapper's class name, its cause deciding the kind",
            sdk("myapp", &["LLMCallFailed"]).cause(
                sdk("openai", &["APIError", "OpenAIError"]).code(".type", "server_error"),
            ),
            names(&["llmcallfailed"]),
            "APIError (openai) with error code 'server_error' (.type) via __cause__ of LLMCallFailed, and \
             LLMCallFailed (myapp) is in retryable_exception_names: server_error, retried",
        ),
        (
            "the code that decided the kind is not named twice",
            sdk("openai", &["APIError", "OpenAIError"]).code(".type", "server_error"),
            names(&["server_error"]),
            "error code 'server_error' (.type): server_error, retried",
        ),
    ];
    for (name, facts, rules, reason) in cases {
        let c = judged_with(&facts, &rules);
        assert!(c.retryable, "{name}: {}", c.reason);
        assert_eq!(c.reason, reason, "{name}");
        assert!(
            !c.reason.contains("carries no status"),
            "{name}: {}",
            c.reason
        );
    }
}
