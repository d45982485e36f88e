//! What went wrong, as a closed set: the kinds (`ErrorKind`), their names on the Python side, which of them
//! count as provider failures, which wins when evidence disagrees, and what each means in a reason.

/// What went wrong, in the domain's terms. The order is part of the Python contract: `bindings` maps the
/// discriminant to the members of `llm_retry.ErrorKind` by index, so append new kinds at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorKind {
    RateLimited = 0,
    Overloaded = 1,
    ServerError = 2,
    Network = 3,
    Auth = 4,
    BadRequest = 5,
    NotFound = 6,
    ContextOverflow = 7,
    QuotaExhausted = 8,
    ContentFiltered = 9,
    Unknown = 10,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::RateLimited,
        ErrorKind::Overloaded,
        ErrorKind::ServerError,
        ErrorKind::Network,
        ErrorKind::Auth,
        ErrorKind::BadRequest,
        ErrorKind::NotFound,
        ErrorKind::ContextOverflow,
        ErrorKind::QuotaExhausted,
        ErrorKind::ContentFiltered,
        ErrorKind::Unknown,
    ];

    /// The value of the matching `llm_retry.ErrorKind` member.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Network => "network",
            ErrorKind::Auth => "auth",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::NotFound => "not_found",
            ErrorKind::ContextOverflow => "context_overflow",
            ErrorKind::QuotaExhausted => "quota_exhausted",
            ErrorKind::ContentFiltered => "content_filtered",
            ErrorKind::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Failures that say something about the provider's health (what breakers and budgets count).
    pub fn is_provider_failure(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Overloaded
                | ErrorKind::ServerError
                | ErrorKind::Network
        )
    }

    /// Whether this kind wins over `other` when evidence disagrees (codes against codes, exception-group
    /// members, message phrases): what makes retrying useless beats what invites it.
    pub(super) fn outranks(self, other: ErrorKind) -> bool {
        self.severity() > other.severity()
    }

    fn severity(self) -> u8 {
        match self {
            ErrorKind::ContentFiltered => 10,
            ErrorKind::ContextOverflow => 9,
            ErrorKind::QuotaExhausted => 8,
            ErrorKind::Auth => 7,
            ErrorKind::NotFound => 6,
            ErrorKind::BadRequest => 5,
            ErrorKind::Overloaded => 4,
            ErrorKind::RateLimited => 3,
            ErrorKind::ServerError => 2,
            ErrorKind::Network => 1,
            ErrorKind::Unknown => 0,
        }
    }

    /// What decisive evidence of this kind means when it overrides the status, as a reason says it:
    /// "429 from status_code, but error code 'insufficient_quota' (.code) means the quota is spent".
    pub(super) fn meaning(self) -> &'static str {
        match self {
            ErrorKind::RateLimited => "means throttling",
            ErrorKind::Overloaded => "means the service is overloaded",
            ErrorKind::ServerError => "means a server fault",
            ErrorKind::Network => "means a timeout or a broken connection",
            ErrorKind::Auth => "means the credentials were refused",
            ErrorKind::BadRequest => "means the request is invalid",
            ErrorKind::NotFound => "means the resource does not exist",
            ErrorKind::ContextOverflow => "means the request can never fit",
            ErrorKind::QuotaExhausted => "means the quota is spent",
            ErrorKind::ContentFiltered => "means a content filter refused it",
            ErrorKind::Unknown => "says nothing more",
        }
    }
}
