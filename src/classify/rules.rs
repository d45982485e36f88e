//! Facts → kind → retryable. PLACEHOLDER: being written; the signature is the contract.
use super::{Classification, ErrorFacts, ErrorKind, RetryRules};

pub fn classify(_facts: &ErrorFacts, _rules: &RetryRules, _now_unix_s: f64) -> Classification {
    Classification {
        kind: ErrorKind::Unknown,
        retryable: false,
        status: None,
        retry_after_s: None,
        reason: String::new(),
        sdk_retries: None,
    }
}
