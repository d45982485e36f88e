//! Whether a classified error is retried under one `RetryRules`: never-retry kinds, the server's
//! `x-should-retry`, the config's statuses, network failures, and the names it lists, in that order.

use super::lookup::code_key;
use super::verdict::{Basis, Verdict};
use super::{ErrorFacts, ErrorKind, RetryRules};
use crate::hints;

/// Which rule decided `retryable`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Decision {
    /// The kind is in `never_retry_kinds`.
    Never,
    /// `x-should-retry` said so.
    ServerSays(bool),
    Status,
    Network,
    Name,
    /// Neither the status, a name nor the network rule applied.
    NotListed,
}

impl Decision {
    pub(super) fn retryable(self) -> bool {
        matches!(
            self,
            Decision::ServerSays(true) | Decision::Status | Decision::Network | Decision::Name
        )
    }
}

/// The decision on `verdict`, whose `path` runs from the outermost wrapper to the facts that decided.
pub(super) fn decide(verdict: &Verdict<'_>, path: &[&ErrorFacts], rules: &RetryRules) -> Decision {
    if rules.never_retry_kinds.contains(&verdict.kind) {
        return Decision::Never;
    }
    if let Some(retry) = path.iter().find_map(|f| hints::should_retry(f)) {
        return Decision::ServerSays(retry);
    }
    if verdict
        .status
        .is_some_and(|s| rules.retryable_status_codes.contains(&s.value))
    {
        return Decision::Status;
    }
    if verdict.kind == ErrorKind::Network && rules.retry_network {
        return Decision::Network;
    }
    // A name speaks only where the status did not decide the kind: mid-stream errors, errors without a
    // status, and codes that outrank theirs (ThrottlingException on a 400). Where the status decided, the
    // config's status list is the whole list: `api_error` on a 501 is a 501, not a retryable name.
    let status_decided = matches!(verdict.basis, Basis::Status { .. });
    if !status_decided && path.iter().any(|f| names_retryable(f, rules)) {
        return Decision::Name;
    }
    Decision::NotListed
}

/// A class in the MRO or a code is in `retryable_names` (stored lower-case; compared ignoring case).
fn names_retryable(facts: &ErrorFacts, rules: &RetryRules) -> bool {
    if rules.retryable_names.is_empty() {
        return false;
    }
    let listed = |name: &str| {
        !name.is_empty()
            && rules
                .retryable_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
    };
    // Codes first: they are what names are usually listed for.
    facts.codes.iter().any(|c| listed(code_key(&c.value)))
        || facts.classes.iter().any(|c| listed(&c.name))
}
