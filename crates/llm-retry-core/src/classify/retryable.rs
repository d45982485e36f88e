//! Whether a classified error is retried under one `RetryRules`: never-retry kinds, the server's
//! `x-should-retry`, the config's statuses, network failures, and the names it lists, in that order.

use super::lookup::code_key;
use super::verdict::{Basis, Verdict};
use super::{ClassName, ErrorFacts, ErrorKind, RetryRules};
use crate::hints;

/// Which rule decided `retryable`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Decision<'f> {
    /// The kind is in `never_retry_kinds`.
    Never,
    /// `x-should-retry` said so.
    ServerSays(bool),
    Status,
    Network,
    /// A code or class in `retryable_names`.
    Name(ListedName<'f>),
    /// Neither the status, a name nor the network rule applied.
    NotListed,
}

/// The code or class that `retryable_names` listed, as the exception carried it.
#[derive(Clone, Copy, Debug)]
pub(super) enum ListedName<'f> {
    /// A code key (see `lookup::code_key`) and where it was read.
    Code { code: &'f str, source: &'static str },
    /// A class in the MRO of `facts` (the exception itself or a wrapper around the one that decided).
    Class {
        facts: &'f ErrorFacts,
        class: &'f ClassName,
    },
}

impl Decision<'_> {
    pub(super) fn retryable(self) -> bool {
        matches!(
            self,
            Decision::ServerSays(true) | Decision::Status | Decision::Network | Decision::Name(_)
        )
    }
}

/// The decision on `verdict`, whose `path` runs from the outermost wrapper to the facts that decided.
pub(super) fn decide<'f>(
    verdict: &Verdict<'f>,
    path: &[&'f ErrorFacts],
    rules: &RetryRules,
) -> Decision<'f> {
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
    if !status_decided {
        if let Some(listed) = path.iter().find_map(|f| listed_name(f, rules)) {
            return Decision::Name(listed);
        }
    }
    Decision::NotListed
}

/// The first code, else the first class in the MRO, that is in `retryable_names` (stored lower-case;
/// compared ignoring case).
fn listed_name<'f>(facts: &'f ErrorFacts, rules: &RetryRules) -> Option<ListedName<'f>> {
    if rules.retryable_names.is_empty() {
        return None;
    }
    let listed = |name: &str| {
        !name.is_empty()
            && rules
                .retryable_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
    };
    // Codes first: they are what names are usually listed for.
    let code = facts.codes.iter().find_map(|c| {
        let code = code_key(&c.value);
        listed(code).then_some(ListedName::Code {
            code,
            source: c.source,
        })
    });
    code.or_else(|| {
        (facts.classes.iter())
            .find(|c| listed(&c.name))
            .map(|class| ListedName::Class { facts, class })
    })
}
