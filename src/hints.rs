//! Server delay hints: retry-after, retry-after-ms, x-amz-retry-after, Google RetryInfo and the providers'
//! rate-limit reset headers, turned into a finite, non-negative number of seconds. Also x-should-retry.
//! PLACEHOLDER: being written; signatures are the contract.

use crate::classify::{ErrorFacts, Evidence};

/// The response headers `bindings` reads off an exception (lower-case). Nothing else is read.
pub const HEADER_NAMES: &[&str] = &[
    "retry-after-ms",
    "retry-after",
    "x-should-retry",
    "x-amz-retry-after",
    "x-amzn-errortype",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset",
    "x-ratelimit-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-input-tokens-reset",
    "anthropic-ratelimit-output-tokens-reset",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-output-tokens-remaining",
];

/// The server's requested delay in seconds and the header/body field it came from.
pub fn server_delay_s(_facts: &ErrorFacts, _rate_limited: bool, _now_unix_s: f64) -> Option<Evidence<f64>> {
    None
}

/// `x-should-retry: true|false`, if present and well-formed.
pub fn should_retry(_facts: &ErrorFacts) -> Option<bool> {
    None
}
