//! What the providers mean, as data: which error codes, class names, statuses and message phrases say which
//! `ErrorKind`. `weigh.rs` owns the order in which this evidence is weighed; the facts are in
//! shared/research/provider-errors.md (§2 tables, §4 traps).

use super::ErrorKind::{self, *};

/// How a piece of evidence weighs against the HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Weight {
    /// Says more than the status can, so it beats it: `insufficient_quota` on a 429, Bedrock
    /// `ThrottlingException` on a 400, `overloaded_error` in a stream that began with 200.
    Decisive,
    /// Restates what the status says (`invalid_request_error`, `RESOURCE_EXHAUSTED`, `RateLimitError`): used
    /// only when there is no error status (mid-stream errors, gRPC), and a message may still refine it.
    Generic,
}

use Weight::{Decisive, Generic};

/// An error type/code string (compared case-insensitively: Bedrock event-stream codes are lowerCamel).
pub(super) struct CodeRule {
    pub code: &'static str,
    pub kind: ErrorKind,
    pub weight: Weight,
}

const fn code(code: &'static str, kind: ErrorKind, weight: Weight) -> CodeRule {
    CodeRule { code, kind, weight }
}

/// Error codes and types, whatever attribute they came from (see `ErrorFacts::codes`).
pub(super) static CODES: &[CodeRule] = &[
    // Quota and billing. Every SDK's own loop retries these 429s; waiting does not bring money back.
    code("insufficient_quota", QuotaExhausted, Decisive), // openai .code/.type, with 429
    code("billing_hard_limit_reached", QuotaExhausted, Decisive), // openai
    code("billing_error", QuotaExhausted, Decisive),      // anthropic .type, with 402
    // anthropic `.error_code` (body.error.details.error_code) of 429 RateLimitError subclasses.
    code("enforced_spend_limit_reached", QuotaExhausted, Decisive),
    code("contract_spend_limit_reached", QuotaExhausted, Decisive),
    code("ServiceQuotaExceededException", QuotaExhausted, Decisive), // Bedrock, with HTTP 400
    code("BILLING_DISABLED", QuotaExhausted, Decisive),              // google ErrorInfo.reason
    // Context overflow: a request that can never fit.
    code("context_length_exceeded", ContextOverflow, Decisive), // openai, groq
    code("request_too_large", ContextOverflow, Decisive),       // anthropic 413 (bytes, not tokens)
    // Content filters.
    code("content_filter", ContentFiltered, Decisive), // Azure OpenAI .code
    code("ResponsibleAIPolicyViolation", ContentFiltered, Decisive), // Azure body.innererror.code
    code("content_policy_violation", ContentFiltered, Decisive), // openai images
    code("invalid_prompt", ContentFiltered, Decisive), // openai
    // Auth, including the ones that come with HTTP 400 (Gemini API_KEY_INVALID, AWS ExpiredTokenException).
    code("invalid_api_key", Auth, Decisive),
    code("authentication_error", Auth, Decisive),
    code("permission_error", Auth, Decisive),
    code("unsupported_country_region_territory", Auth, Decisive), // openai 403
    code("API_KEY_INVALID", Auth, Decisive), // google ErrorInfo.reason, with 400
    code("API_KEY_SERVICE_BLOCKED", Auth, Decisive),
    code("ACCESS_TOKEN_EXPIRED", Auth, Decisive),
    code("UnrecognizedClientException", Auth, Decisive),
    code("ExpiredTokenException", Auth, Decisive),
    code("ExpiredToken", Auth, Decisive),
    code("AccessDeniedException", Auth, Decisive),
    code("AccessDenied", Auth, Decisive),
    code("InvalidSignatureException", Auth, Decisive),
    code("IncompleteSignature", Auth, Decisive),
    code("MissingAuthenticationToken", Auth, Decisive),
    code("InvalidClientTokenId", Auth, Decisive),
    code("SignatureDoesNotMatch", Auth, Decisive),
    // AWS throttling: botocore's own list, retried whatever the status (often HTTP 400 in the query and
    // JSON protocols, where it is a plain ClientError).
    code("Throttling", RateLimited, Decisive),
    code("ThrottlingException", RateLimited, Decisive),
    code("ThrottledException", RateLimited, Decisive),
    code("RequestThrottledException", RateLimited, Decisive),
    code("TooManyRequestsException", RateLimited, Decisive),
    code(
        "ProvisionedThroughputExceededException",
        RateLimited,
        Decisive,
    ),
    code("TransactionInProgressException", RateLimited, Decisive),
    code("RequestLimitExceeded", RateLimited, Decisive),
    code("BandwidthLimitExceeded", RateLimited, Decisive),
    code("LimitExceededException", RateLimited, Decisive),
    code("RequestThrottled", RateLimited, Decisive),
    code("SlowDown", RateLimited, Decisive),
    code("EC2ThrottledException", RateLimited, Decisive),
    // Overloaded: the provider is short of capacity.
    code("overloaded_error", Overloaded, Decisive), // anthropic, also mid-stream after HTTP 200
    code("capacity_exceeded", Overloaded, Decisive), // groq 498 flex tier
    code("ModelNotReadyException", Overloaded, Decisive), // Bedrock 429 "the SDK will retry"
    code("ServiceUnavailableException", Overloaded, Decisive),
    code("ServiceUnavailable", Overloaded, Decisive), // AWS query protocol
    // Server faults and timeouts that the AWS code states better than the status (424, or no status at all
    // in an event stream).
    code("InternalServerException", ServerError, Decisive),
    code("InternalFailure", ServerError, Decisive),
    code("modelStreamErrorException", ServerError, Decisive), // Bedrock event stream, HTTP 424 when any
    code("ModelTimeoutException", Network, Decisive),         // Bedrock 408: the model timed out
    code("RequestTimeout", Network, Decisive),
    code("RequestTimeoutException", Network, Decisive),
    // --- Generic: the status, when there is one, says the same or better. ---
    // anthropic `.type`
    code("invalid_request_error", BadRequest, Generic), // also Mistral's capacity 429: the message decides
    code("not_found_error", NotFound, Generic),
    code("rate_limit_error", RateLimited, Generic),
    code("api_error", ServerError, Generic), // 500, but 503 CMEK/ServiceUnavailable are overloaded by status
    code("timeout_error", ServerError, Generic), // 504 GatewayTimeoutError: the server's own timeout
    code("conflict_error", ServerError, Generic), // 409, retried by every Stainless SDK
    code("memory_precondition_failed_error", BadRequest, Generic),
    code("memory_path_conflict_error", BadRequest, Generic),
    // openai, groq, mistral
    // openai/groq `.code`, and google ErrorInfo.reason RATE_LIMIT_EXCEEDED; groq sends it with a 413 too.
    code("rate_limit_exceeded", RateLimited, Generic),
    code("server_error", ServerError, Generic), // openai mid-stream APIError has no status at all
    code("internal_server_error", ServerError, Generic), // groq `type`, also mid-stream after HTTP 200
    code("permissions_error", Auth, Generic),            // groq 403
    code("model_not_found", NotFound, Generic),
    code("rate_limited", RateLimited, Generic), // mistral `type`
    // google canonical codes (`.status`, `details.error.status`, gRPC StatusCode names)
    code("RESOURCE_EXHAUSTED", RateLimited, Generic),
    code("UNAVAILABLE", Overloaded, Generic),
    code("INTERNAL", ServerError, Generic),
    code("UNKNOWN", ServerError, Generic),
    code("DATA_LOSS", ServerError, Generic),
    code("ABORTED", ServerError, Generic),
    code("DEADLINE_EXCEEDED", Network, Generic),
    code("UNAUTHENTICATED", Auth, Generic),
    code("PERMISSION_DENIED", Auth, Generic),
    code("INVALID_ARGUMENT", BadRequest, Generic),
    code("FAILED_PRECONDITION", BadRequest, Generic),
    code("OUT_OF_RANGE", BadRequest, Generic),
    code("UNIMPLEMENTED", BadRequest, Generic),
    code("NOT_FOUND", NotFound, Generic),
    code("CANCELLED", Unknown, Generic),
    // AWS codes that restate their status
    code("ValidationException", BadRequest, Generic), // the message may say "Input is too long"
    code("ConflictException", BadRequest, Generic),   // Bedrock models it as 400
    code("ResourceNotFoundException", NotFound, Generic),
    // The second ring: frameworks and providers beyond the first eight SDKs.
    code("throttling_error", RateLimited, Generic), // LiteLLM RateLimitError `.type`
    code("all_deployments_in_cooldown", RateLimited, Generic), // LiteLLM Router `.type`
];

/// Top-level packages a class must come from for a rule to apply; empty means any. Matched as a prefix of
/// `__module__`, so "httpx" covers httpx2 and "google.api_core" covers google.api_core.exceptions.
pub(super) type Modules = &'static [&'static str];

const ANY: Modules = &[];
/// httpx and its fork httpx2 raise identical class trees (trap 1); h11 and httpcore sit under them.
const HTTPX: Modules = &["httpx", "httpcore", "h11"];
const GOOGLE_API_CORE: Modules = &["google.api_core"];
const PYDANTIC_AI: Modules = &["pydantic_ai"];
const LANGCHAIN: Modules = &["langchain_core"];
const OPENAI_AGENTS: Modules = &["agents"];
const AZURE_CORE: Modules = &["azure.core"];
const VOYAGEAI: Modules = &["voyageai"];
const LITELLM: Modules = &["litellm"];

/// A class in the MRO, by exact `__name__` (and package, where the name collides).
pub(super) struct ClassRule {
    pub name: &'static str,
    pub modules: Modules,
    pub kind: ErrorKind,
    pub weight: Weight,
}

const fn class(name: &'static str, modules: Modules, kind: ErrorKind, weight: Weight) -> ClassRule {
    ClassRule {
        name,
        modules,
        kind,
        weight,
    }
}

/// Class names. The most-derived matching class wins, so a specific class (httpx `LocalProtocolError`)
/// shadows its base (`TransportError`).
pub(super) static CLASSES: &[ClassRule] = &[
    // Subclasses of RateLimitError (429) whose only other evidence is `.error_code`.
    class(
        "EnforcedSpendLimitReachedError",
        ANY,
        QuotaExhausted,
        Decisive,
    ),
    class(
        "ContractSpendLimitReachedError",
        ANY,
        QuotaExhausted,
        Decisive,
    ),
    // Not HTTP errors at all (trap 23).
    class(
        "ContentFilterFinishReasonError",
        ANY,
        ContentFiltered,
        Decisive,
    ),
    class("LengthFinishReasonError", ANY, BadRequest, Decisive), // max_tokens hit: not context overflow
    class(
        "ContextWindowExceededError",
        &["litellm"],
        ContextOverflow,
        Decisive,
    ),
    class(
        "ContentPolicyViolationError",
        &["litellm"],
        ContentFiltered,
        Decisive,
    ),
    // Credentials (trap 4: cohere's 498 is auth, Groq's is capacity).
    class("InvalidTokenError", &["cohere"], Auth, Decisive),
    class("NoCredentialsError", &["botocore"], Auth, Decisive),
    class("PartialCredentialsError", &["botocore"], Auth, Decisive),
    class("CredentialRetrievalError", &["botocore"], Auth, Decisive),
    class("NoAuthTokenError", &["botocore"], Auth, Decisive),
    class("CredentialsError", &["anthropic"], Auth, Decisive),
    class("DefaultCredentialsError", &["google"], Auth, Decisive),
    // --- The second ring. Frameworks that categorise the SDK's error in classes of their own: where the
    // category says more than the status (a spent quota, an overflow, a filter, a broken connection) it is
    // decisive; where it restates the status it is generic, below. ---
    // pydantic-ai's taxonomy (pydantic_ai.exceptions). `ModelHTTPError.for_category` makes a class per
    // category that is also a ModelHTTPError, named after the category.
    class(
        "ModelQuotaExceededError",
        PYDANTIC_AI,
        QuotaExhausted,
        Decisive,
    ),
    class(
        "ModelContextWindowExceededError",
        PYDANTIC_AI,
        ContextOverflow,
        Decisive,
    ),
    // Raised for a response that came back with HTTP 200 and a content-filter finish reason.
    class("ContentFilterError", PYDANTIC_AI, ContentFiltered, Decisive),
    // The agent's own usage limits (requests, tokens per run): another attempt spends more of the same.
    class("UsageLimitExceeded", PYDANTIC_AI, QuotaExhausted, Decisive),
    class("ModelConnectionError", PYDANTIC_AI, Network, Decisive), // its `__cause__` is the transport's
    class("ModelRequestTimeout", PYDANTIC_AI, Network, Decisive), // request_timeout over all attempts
    // LangChain (langchain_core.exceptions): provider integrations raise classes that are both the SDK's
    // exception and one of these, so the SDK's status and body are there too.
    class("ContextOverflowError", LANGCHAIN, ContextOverflow, Decisive),
    class("ModelConnectionError", LANGCHAIN, Network, Decisive),
    // A model that declined to answer (LangChain, OpenAI Agents): the same request declines again.
    class("ModelRefusalError", LANGCHAIN, ContentFiltered, Decisive),
    class(
        "ModelRefusalError",
        OPENAI_AGENTS,
        ContentFiltered,
        Decisive,
    ),
    // OpenAI Agents: a guardrail of the application's own tripped; the same input trips it again.
    class(
        "InputGuardrailTripwireTriggered",
        OPENAI_AGENTS,
        ContentFiltered,
        Decisive,
    ),
    class(
        "OutputGuardrailTripwireTriggered",
        OPENAI_AGENTS,
        ContentFiltered,
        Decisive,
    ),
    // pydantic-ai, LangChain and OpenAI Agents each have a ModelTimeoutError: one attempt timed out.
    class("ModelTimeoutError", ANY, Network, Decisive),
    // azure-core: no request was sent (ServiceRequestError), or its response could not be read
    // (ServiceResponseError, a dropped connection or a read timeout); azure-core's own policy retries both.
    class("ServiceRequestError", AZURE_CORE, Network, Decisive),
    class("ServiceResponseError", AZURE_CORE, Network, Decisive),
    // LiteLLM: a proxy budget is spent (its status is configurable, 400 by default).
    class("BudgetExceededError", LITELLM, QuotaExhausted, Decisive),
    // Client-side protocol misuse, under httpx's TransportError but not a network failure.
    class("LocalProtocolError", HTTPX, BadRequest, Decisive),
    class("UnsupportedProtocol", HTTPX, BadRequest, Decisive),
    // Network: connection failures and timeouts. builtins, requests and botocore all have a ConnectionError
    // and each means the same thing; plain OSError does not (trap 14: requests.HTTPError 401 is an OSError).
    class("ConnectionError", ANY, Network, Decisive),
    class("TimeoutError", ANY, Network, Decisive), // builtins, asyncio (<= 3.10), urllib3
    class("APIConnectionError", ANY, Network, Decisive), // Stainless SDKs: anthropic, openai, groq
    class("APITimeoutError", ANY, Network, Decisive),
    class("NoResponseError", ANY, Network, Decisive), // mistralai
    class("TimeoutException", HTTPX, Network, Decisive),
    class("ConnectTimeout", ANY, Network, Decisive), // httpx, requests
    class("ReadTimeout", ANY, Network, Decisive),
    class("WriteTimeout", ANY, Network, Decisive),
    class("PoolTimeout", ANY, Network, Decisive),
    class("Timeout", &["requests"], Network, Decisive),
    class("ConnectError", ANY, Network, Decisive),
    class("ReadError", HTTPX, Network, Decisive), // tarfile.ReadError is not
    class("WriteError", HTTPX, Network, Decisive),
    class("CloseError", HTTPX, Network, Decisive),
    class("NetworkError", ANY, Network, Decisive),
    class("RemoteProtocolError", ANY, Network, Decisive),
    class("ProxyError", ANY, Network, Decisive),
    class("TransportError", ANY, Network, Decisive), // httpx base, google.auth (retried by api-core)
    class("ChunkedEncodingError", ANY, Network, Decisive), // requests
    class("ClientConnectionError", &["aiohttp"], Network, Decisive),
    class("ClientConnectorError", &["aiohttp"], Network, Decisive),
    class("ClientOSError", &["aiohttp"], Network, Decisive),
    class("ServerDisconnectedError", &["aiohttp"], Network, Decisive),
    class("ServerConnectionError", &["aiohttp"], Network, Decisive),
    class("ServerTimeoutError", &["aiohttp"], Network, Decisive),
    class("SocketTimeoutError", &["aiohttp"], Network, Decisive),
    class("ConnectionTimeoutError", &["aiohttp"], Network, Decisive),
    class("ClientPayloadError", &["aiohttp"], Network, Decisive),
    class("NewConnectionError", ANY, Network, Decisive), // urllib3
    class("ProtocolError", &["urllib3"], Network, Decisive), // httpx's ProtocolError is the base of Local too
    class("MaxRetryError", &["urllib3"], Network, Decisive),
    class("IncompleteRead", ANY, Network, Decisive), // http.client, urllib3
    class("ReadTimeoutError", ANY, Network, Decisive), // urllib3, botocore
    class("ConnectTimeoutError", ANY, Network, Decisive), // urllib3, botocore
    class("EndpointConnectionError", &["botocore"], Network, Decisive),
    class("ConnectionClosedError", &["botocore"], Network, Decisive),
    class("ResponseStreamingError", &["botocore"], Network, Decisive),
    class("HTTPClientError", &["botocore"], Network, Decisive),
    class("ModelTimeoutException", ANY, Network, Decisive), // Bedrock errorfactory class
    // api-core's deadline family, code 504: REST 504 arrives as GatewayTimeout (the first class registered
    // for 504), gRPC DEADLINE_EXCEEDED as its subclass DeadlineExceeded. Both mean the call ran out of time.
    class("DeadlineExceeded", GOOGLE_API_CORE, Network, Decisive),
    class("GatewayTimeout", GOOGLE_API_CORE, Network, Decisive),
    // --- Generic: status classes, used only when no status was read (they always carry one). ---
    class("RateLimitError", ANY, RateLimited, Generic),
    class("TooManyRequestsError", ANY, RateLimited, Generic), // cohere
    class("OverloadedError", ANY, Overloaded, Generic),       // anthropic 529
    class("ServiceUnavailableError", ANY, Overloaded, Generic), // anthropic, cohere 503
    class("InternalServerError", ANY, ServerError, Generic), // openai: any >= 500; anthropic: base of 5xx
    class("GatewayTimeoutError", ANY, ServerError, Generic), // 504: the gateway's timeout, not ours
    class("ConflictError", ANY, ServerError, Generic),
    class("AuthenticationError", ANY, Auth, Generic),
    class("PermissionDeniedError", ANY, Auth, Generic),
    class("UnauthorizedError", ANY, Auth, Generic),
    class("ForbiddenError", ANY, Auth, Generic),
    class("PaymentRequiredError", ANY, QuotaExhausted, Generic),
    class("NotFoundError", ANY, NotFound, Generic),
    class("BadRequestError", ANY, BadRequest, Generic),
    class("UnprocessableEntityError", ANY, BadRequest, Generic),
    class("ContentTooLargeError", ANY, ContextOverflow, Generic),
    class("RequestTooLargeError", ANY, ContextOverflow, Generic),
    class("RequestTimeoutError", ANY, Network, Generic),
    class("HTTPNotImplementedError", ANY, BadRequest, Generic), // anthropic 501
    class("NotImplementedError", &["cohere"], BadRequest, Generic), // an HTTP 501 ApiError, not the builtin
    class("ServerError", &["google.genai"], ServerError, Generic),
    class("TooManyRequests", GOOGLE_API_CORE, RateLimited, Generic),
    class("ResourceExhausted", GOOGLE_API_CORE, RateLimited, Generic),
    class("ServiceUnavailable", GOOGLE_API_CORE, Overloaded, Generic),
    class("BadGateway", GOOGLE_API_CORE, ServerError, Generic),
    class("Unknown", GOOGLE_API_CORE, ServerError, Generic), // code None
    class("DataLoss", GOOGLE_API_CORE, ServerError, Generic), // code None
    class("Aborted", GOOGLE_API_CORE, ServerError, Generic),
    class("Conflict", GOOGLE_API_CORE, ServerError, Generic),
    class("Unauthenticated", GOOGLE_API_CORE, Auth, Generic),
    class("Unauthorized", GOOGLE_API_CORE, Auth, Generic),
    class("PermissionDenied", GOOGLE_API_CORE, Auth, Generic),
    class("Forbidden", GOOGLE_API_CORE, Auth, Generic),
    class("NotFound", GOOGLE_API_CORE, NotFound, Generic),
    class("BadRequest", GOOGLE_API_CORE, BadRequest, Generic),
    class("InvalidArgument", GOOGLE_API_CORE, BadRequest, Generic),
    class("FailedPrecondition", GOOGLE_API_CORE, BadRequest, Generic),
    class("OutOfRange", GOOGLE_API_CORE, BadRequest, Generic),
    class("MethodNotImplemented", GOOGLE_API_CORE, BadRequest, Generic),
    // The second ring's classes that restate a status (or give a kind where there is none: xAI's gRPC
    // errors reach pydantic-ai without an HTTP status of their own).
    class("ModelRateLimitError", ANY, RateLimited, Generic), // pydantic-ai, LangChain
    class("ModelOverloadedError", PYDANTIC_AI, Overloaded, Generic),
    class("ModelUnavailableError", PYDANTIC_AI, Overloaded, Generic),
    class("ModelServerError", PYDANTIC_AI, ServerError, Generic),
    class("ModelAuthenticationError", ANY, Auth, Generic), // pydantic-ai, LangChain
    class("ModelPermissionDeniedError", LANGCHAIN, Auth, Generic),
    class("ModelNotFoundError", ANY, NotFound, Generic),
    class(
        "ModelRequestRejectedError",
        PYDANTIC_AI,
        BadRequest,
        Generic,
    ),
    class("ModelInvalidRequestError", LANGCHAIN, BadRequest, Generic),
    class("ModelAPIError", LANGCHAIN, ServerError, Generic), // LangChain's 5xx (pydantic-ai's is the base)
    class("ClientAuthenticationError", AZURE_CORE, Auth, Generic),
    class("ResourceNotFoundError", AZURE_CORE, NotFound, Generic),
    class("ServerError", VOYAGEAI, ServerError, Generic),
    class("InvalidRequestError", VOYAGEAI, BadRequest, Generic),
    class("MalformedRequestError", VOYAGEAI, BadRequest, Generic),
    class("RouterRateLimitError", LITELLM, RateLimited, Generic), // status_code 429, a class attribute
    class("BadGatewayError", LITELLM, ServerError, Generic),
];

/// The last resort for class names: any class whose name contains this is a timeout (requests `Timeout`
/// subclasses, third-party `*TimeoutError`s). Weighed after the status, so `GatewayTimeoutError` (504) stays
/// a server error.
pub(super) const TIMEOUT_NAME_FRAGMENT: &str = "Timeout";

/// An HTTP status range and what it means when nothing more specific says otherwise.
pub(super) struct StatusRule {
    pub first: i64,
    pub last: i64,
    pub kind: ErrorKind,
}

const fn status(status: i64, kind: ErrorKind) -> StatusRule {
    StatusRule {
        first: status,
        last: status,
        kind,
    }
}

const fn statuses(first: i64, last: i64, kind: ErrorKind) -> StatusRule {
    StatusRule { first, last, kind }
}

/// First match wins. 1xx-3xx have no rule: a 200 is a stream that failed after it began, and its codes
/// decide. Statuses outside 100..=599 never reach this table.
pub(super) static STATUSES: &[StatusRule] = &[
    status(400, BadRequest),
    status(401, Auth),
    status(402, QuotaExhausted),
    status(403, Auth),
    status(404, NotFound),
    status(408, Network),
    status(409, ServerError), // a conflicting concurrent request; every Stainless SDK and cohere retry it
    status(410, NotFound),
    status(413, ContextOverflow),
    status(422, BadRequest),
    status(424, Unknown), // Bedrock ModelErrorException: the model failed; original_status may say more
    status(429, RateLimited),
    status(498, Unknown), // Groq capacity or cohere auth: only the provider can tell (ProviderStatusRule)
    status(499, Unknown), // client closed the request
    statuses(400, 499, BadRequest),
    status(501, BadRequest), // not implemented: retrying will not implement it
    status(503, Overloaded),
    status(529, Overloaded), // anthropic overloaded
    // Cloudflare in front of a provider (Together): 522 the origin did not accept the connection in time,
    // 524 it accepted and did not answer in time. Timeouts, so network failures; 520/521/523 stay 5xx.
    status(522, Network),
    status(524, Network),
    statuses(500, 599, ServerError),
];

/// A status whose meaning depends on the SDK that raised it (trap 4).
pub(super) struct ProviderStatusRule {
    /// Module prefix of some class in the MRO.
    pub module: &'static str,
    pub status: i64,
    pub kind: ErrorKind,
    pub meaning: &'static str,
}

pub(super) static PROVIDER_STATUSES: &[ProviderStatusRule] = &[
    ProviderStatusRule {
        module: "groq",
        status: 498,
        kind: Overloaded,
        meaning: "Groq's flex-tier capacity",
    },
    ProviderStatusRule {
        module: "cohere",
        status: 498,
        kind: Auth,
        meaning: "cohere's invalid token",
    },
    // Together documents its 403 as "the input token count plus max_tokens exceeds the context length".
    ProviderStatusRule {
        module: "together",
        status: 403,
        kind: ContextOverflow,
        meaning: "Together's token limit (input tokens plus max_tokens over the context length)",
    },
];

/// An exception that carries another one: its cause decides when it has no evidence of its own, or always
/// when `yields` (anthropic's APIConnectionError wraps whatever httpx2 raised).
pub(super) struct WrapperRule {
    pub name: &'static str,
    pub modules: Modules,
    /// How the reason names the link, e.g. "ConnectError (httpx2) via __cause__ of APIConnectionError".
    pub link: &'static str,
    pub yields: bool,
}

const fn wrapper(
    name: &'static str,
    modules: Modules,
    link: &'static str,
    yields: bool,
) -> WrapperRule {
    WrapperRule {
        name,
        modules,
        link,
        yields,
    }
}

pub(super) static WRAPPERS: &[WrapperRule] = &[
    wrapper("RetryError", &["google"], "via .cause of", false),
    wrapper("RetryError", &["tenacity"], "via .last_attempt of", false),
    wrapper("ExceptionGroup", ANY, "as a member of", false),
    wrapper("BaseExceptionGroup", ANY, "as a member of", false),
    wrapper(
        "ContinuationInterruptedError",
        ANY,
        "via __cause__ of",
        false,
    ),
    wrapper("APIConnectionError", ANY, "via __cause__ of", true),
];

/// The link named when no wrapper rule matches.
pub(super) const DEFAULT_LINK: &str = "via __cause__ of";

/// The evidence kinds in which a message phrase is looked for: only where the other evidence leaves
/// overflow, quota, auth or capacity possible.
pub(super) const IN_RATE_LIMITED: u8 = 1;
pub(super) const IN_BAD_REQUEST: u8 = 2;
pub(super) const IN_OVERLOADED: u8 = 4;
pub(super) const IN_AUTH: u8 = 8;

/// A phrase that providers put in the message and nowhere else. `text` is lower-case ASCII; matching
/// ignores ASCII case.
pub(super) struct PhraseRule {
    pub text: &'static str,
    pub kind: ErrorKind,
    /// `IN_*` bits: the kinds (from status or generic codes) the phrase may refine.
    pub within: u8,
    /// A second phrase that must also appear.
    pub with: Option<&'static str>,
    /// The match must not run on into a digit or '.' ("limit: 0" is not "limit: 05" or "limit: 0.5").
    pub whole_number: bool,
}

const fn phrase(text: &'static str, kind: ErrorKind, within: u8) -> PhraseRule {
    PhraseRule {
        text,
        kind,
        within,
        with: None,
        whole_number: false,
    }
}

const RL: u8 = IN_RATE_LIMITED;
const BR: u8 = IN_BAD_REQUEST;
const OV: u8 = IN_OVERLOADED;
const AU: u8 = IN_AUTH;

pub(super) static PHRASES: &[PhraseRule] = &[
    // Gemini 429 RESOURCE_EXHAUSTED on a model the tier has no quota for; it still carries a RetryInfo delay.
    PhraseRule {
        whole_number: true,
        ..phrase("limit: 0", QuotaExhausted, RL)
    },
    phrase("/ month", QuotaExhausted, RL), // cohere 429 "Trial key ... 1000 API calls / month"
    phrase("credit balance is too low", QuotaExhausted, RL | BR), // anthropic 400 invalid_request_error
    // openai 429 / groq 413 "Request too large ... Limit 6000, Requested 12000": a single request bigger
    // than the per-minute budget never fits, however long one waits.
    PhraseRule {
        with: Some("requested"),
        ..phrase("request too large", ContextOverflow, RL | BR)
    },
    // Mistral: type=invalid_request_error, status 429 or 503; only the message says capacity (trap 22).
    phrase("service tier capacity exceeded", Overloaded, RL | BR | OV),
    // Context overflow as each provider words it (trap 6).
    phrase("prompt is too long", ContextOverflow, BR), // anthropic, Bedrock Claude
    phrase("input is too long", ContextOverflow, BR),  // Bedrock ValidationException
    phrase("exceeds the maximum number of tokens", ContextOverflow, BR), // Gemini
    phrase("maximum context length", ContextOverflow, BR), // Mistral, openai-compatible servers
    phrase("exceed context limit", ContextOverflow, BR), // anthropic "input length and max_tokens exceed"
    phrase("too many tokens", ContextOverflow, BR), // cohere 400 (a throttling message says it too)
    phrase("exceeds the context length", ContextOverflow, BR), // ollama "input length exceeds the ..."
    phrase("exceeds the context window", ContextOverflow, BR), // openai Responses, via langchain-openai
    phrase(
        "input tokens exceed the configured limit",
        ContextOverflow,
        BR,
    ), // OpenAI-compatible servers
    // Text Generation Inference (Hugging Face endpoints, Together's 403): "Input validation error: `inputs`
    // tokens + `max_new_tokens` must be <= 4096".
    phrase(
        "tokens + `max_new_tokens` must be",
        ContextOverflow,
        BR | AU,
    ),
    phrase(
        "max allowed tokens per submitted batch",
        ContextOverflow,
        BR,
    ), // voyageai 400
    phrase("maximum prompt length", ContextOverflow, BR), // xAI INVALID_ARGUMENT (gRPC) and 400
    // Not "exceeded your current quota": openai's insufficient_quota says it, and so does Gemini's
    // per-minute RESOURCE_EXHAUSTED, which a minute cures.
    phrase("insufficient balance", QuotaExhausted, RL | BR), // DeepSeek 402, and gateways that restate it
    // Auth that arrives as a 400 (trap 5).
    phrase("user location is not supported", Auth, BR), // Gemini FAILED_PRECONDITION
    phrase("api key not valid", Auth, BR),              // Gemini INVALID_ARGUMENT
    // gRPC UNAVAILABLE "failed to connect to all addresses" is a connection failure, not load.
    phrase("failed to connect", Network, OV),
];

/// Google `QuotaFailure` quota ids that reset daily: waiting a minute cannot help
/// (e.g. "GenerateRequestsPerDayPerProjectPerModel-FreeTier"). Matched ignoring ASCII case.
pub(super) const PER_DAY_QUOTA_MARKER: &str = "perday";
