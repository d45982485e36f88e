//! `classify`, the one way through the rooms, in order: weigh the evidence into a `Verdict`, decide whether
//! to retry, read the server's hint, and say why.

use super::lend::lent_hint;
use super::reason::{not_an_exception_reason, reason};
use super::retryable::decide;
use super::weigh::verdict_on;
use super::{Classification, ErrorFacts, ErrorKind, RetryRules};
use crate::hints;

/// The verdict on one exception: `retryable` is decided by `rules`; `retry_after_s` is reported only.
pub fn classify(facts: &ErrorFacts, rules: &RetryRules, now_unix_s: f64) -> Classification {
    if !facts.is_exception {
        return not_an_exception(facts);
    }
    let verdict = verdict_on(facts);
    // Outermost first: the wrappers down to the facts that decided (no allocation without wrappers).
    let chain: Vec<&ErrorFacts>;
    let path: &[&ErrorFacts] = if verdict.links.is_empty() {
        std::slice::from_ref(&verdict.facts)
    } else {
        chain = (verdict.links.iter().rev().map(|l| l.outer))
            .chain(std::iter::once(verdict.facts))
            .collect();
        &chain
    };

    let decision = decide(&verdict, path, rules);
    let retry_after_s = path
        .iter()
        .rev()
        .find_map(|f| {
            hints::server_delay_s(f, verdict.kind == ErrorKind::RateLimited, now_unix_s)
                .map(|e| e.value)
                .filter(|s| s.is_finite() && *s >= 0.0)
        })
        .or_else(|| lent_hint(&verdict, path, now_unix_s));
    let sdk_retries = path.iter().rev().find_map(|f| f.sdk_retries);
    Classification {
        kind: verdict.kind,
        retryable: decision.retryable(),
        status: verdict.status.and_then(|s| u16::try_from(s.value).ok()),
        retry_after_s,
        reason: reason(&verdict, decision, rules),
        sdk_retries,
    }
}

/// A `BaseException` that is not an `Exception`, or no exception at all: never retried, whatever it carries.
fn not_an_exception(facts: &ErrorFacts) -> Classification {
    Classification {
        kind: ErrorKind::Unknown,
        retryable: false,
        status: None,
        retry_after_s: None,
        reason: not_an_exception_reason(facts),
        sdk_retries: facts.sdk_retries,
    }
}
