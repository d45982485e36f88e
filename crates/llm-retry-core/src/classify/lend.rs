//! When an error the verdict did not come from may still lend its delay hint: an explicit cause, or the
//! implicit `__context__`, of an error that is itself a recognised provider failure of the same status.
//!
//! Why only a hint, and only then. The implicit `__context__` is whatever was being handled when the error
//! was raised: a bug inside an `except` block, or an unrelated failure while handling a 429, is not a 429,
//! so the context never decides a kind or whether to retry. But wrappers such as LiteLLM raise their own
//! error inside the `except` that caught the provider's, copy its status, and keep the original only as the
//! context, on a response they made up without a single header: the provider's `retry-after` (or Google
//! `RetryInfo`) survives only there. When the outer error already says, by itself, that this is a provider
//! failure with status S, and the context carries the same status S, the two are the same failure told
//! twice, and the context's hint is the server's. A different status (LiteLLM rewrites Anthropic's 529 as
//! a 500), no status, or a kind that is not a provider failure lends nothing: the hint is then as likely to
//! belong to another request. The bindings read the context only in that narrow case (see
//! `ErrorFacts::context`), and a suppressed one (`raise ... from None`) never.

use super::verdict::Verdict;
use super::{ErrorFacts, ErrorKind};
use crate::hints;

/// The hint lent to `verdict` (whose `path` runs from the outermost wrapper to the facts that decided) by
/// an explicit cause or the context of one of those facts, innermost first; None when nothing may lend.
pub(super) fn lent_hint(
    verdict: &Verdict<'_>,
    path: &[&ErrorFacts],
    now_unix_s: f64,
) -> Option<f64> {
    if !verdict.kind.is_provider_failure() {
        return None;
    }
    let status = verdict.status?.value;
    let rate_limited = verdict.kind == ErrorKind::RateLimited;
    let lenders = path.iter().rev().flat_map(|facts| {
        (facts.causes.iter())
            .chain(facts.context.as_deref())
            .filter(move |lender| lender.is_exception && same_status(lender, status))
    });
    for lender in lenders {
        let hint = hints::server_delay_s(lender, rate_limited, now_unix_s)
            .map(|e| e.value)
            .filter(|s| s.is_finite() && *s >= 0.0);
        if hint.is_some() {
            return hint;
        }
    }
    None
}

/// Whether the lender's own most trusted valid status is `status`.
fn same_status(lender: &ErrorFacts, status: i64) -> bool {
    lender
        .statuses
        .iter()
        .find(|s| (100..=599).contains(&s.value))
        .is_some_and(|s| s.value == status)
}
