//! The verdict on one exception: `classify` weighs the evidence, decides whether to retry and says why;
//! `Verdict` is what the weighing found, as the decision and the reason read it.

use super::phrases::Refinement;
use super::reason::{not_an_exception_reason, reason};
use super::retryable::decide;
use super::weigh::verdict_on;
use super::{ClassName, Classification, ErrorFacts, ErrorKind, Evidence, RetryRules};
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
    let retry_after_s = path.iter().rev().find_map(|f| {
        hints::server_delay_s(f, verdict.kind == ErrorKind::RateLimited, now_unix_s)
            .map(|e| e.value)
            .filter(|s| s.is_finite() && *s >= 0.0)
    });
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

/// The status the decision uses, and where it came from.
#[derive(Clone, Copy, Debug)]
pub(super) struct StatusPick<'f> {
    pub value: i64,
    pub source: &'static str,
    /// For a nested status (SageMaker `OriginalStatusCode`): the outer status it was found inside.
    pub inside: Option<&'f Evidence<i64>>,
}

/// The evidence that gave the kind.
#[derive(Clone, Copy, Debug)]
pub(super) enum Basis<'f> {
    Code {
        code: &'f str,
        source: &'static str,
    },
    Class(&'f ClassName),
    Status {
        provider: Option<(&'f str, &'static str)>,
    },
    /// No status, code or known class name.
    Nothing,
}

/// A wrapper the verdict came through, and how the reason names the link.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link<'f> {
    pub outer: &'f ErrorFacts,
    pub phrase: &'static str,
}

#[derive(Debug)]
pub(super) struct Verdict<'f> {
    pub kind: ErrorKind,
    /// The facts whose evidence decided (the exception itself, or a cause).
    pub facts: &'f ErrorFacts,
    pub basis: Basis<'f>,
    /// The basis beat the status (or there was none to beat).
    pub decisive: bool,
    pub status: Option<StatusPick<'f>>,
    /// What the status alone would have said.
    pub status_kind: Option<ErrorKind>,
    pub refinement: Option<Refinement<'f>>,
    /// The wrappers the verdict came through, innermost first.
    pub links: Vec<Link<'f>>,
}
