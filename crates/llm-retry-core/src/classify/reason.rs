//! The reason: one sentence naming the rule that decided and the evidence with its source, e.g.
//! "429 from status_code, but error code 'insufficient_quota' (.code) means the quota is spent: ...".

use std::fmt::Write as _;

use super::phrases::Refinement;
use super::retryable::{Decision, ListedName};
use super::verdict::{Basis, StatusPick, Verdict};
use super::{ClassName, ErrorFacts, ErrorKind, RetryRules};

/// Values quoted in a reason are cut to this many bytes (at a char boundary).
const MAX_QUOTED_BYTES: usize = 80;

/// Why a `BaseException` that is not an `Exception` (or no exception at all) is never retried.
pub(super) fn not_an_exception_reason(facts: &ErrorFacts) -> String {
    let mut reason = String::with_capacity(160);
    match facts.classes.first() {
        Some(class) => push_class(&mut reason, class),
        None => reason.push_str("the object"),
    }
    if facts.has_class("BaseException") {
        reason.push_str(
            " is a BaseException that is not an Exception (interrupt, exit or cancellation): unknown, \
             never retried",
        );
    } else {
        reason.push_str(" is not an exception: unknown, never retried");
    }
    reason
}

/// The sentence for a verdict and its decision.
pub(super) fn reason(verdict: &Verdict<'_>, decision: Decision, rules: &RetryRules) -> String {
    let mut out = String::with_capacity(160);
    if let Decision::ServerSays(retry) = decision {
        out.push_str(if retry {
            "x-should-retry: true overrides "
        } else {
            "x-should-retry: false overrides "
        });
    }
    // Through a wrapper, name the exception that decided before its evidence.
    if !verdict.links.is_empty() && !matches!(verdict.basis, Basis::Class(_)) {
        if let Some(class) = verdict.facts.classes.first() {
            push_class(&mut out, class);
            out.push_str(" with ");
        }
    }
    // A name in retryable_names retried it: say which, never that it carries nothing.
    let listed = match decision {
        Decision::Name(listed) => Some(listed),
        _ => None,
    };
    match listed {
        Some(listed) if matches!(verdict.basis, Basis::Nothing) => push_listed(&mut out, listed),
        _ => push_evidence(&mut out, verdict),
    }
    for link in &verdict.links {
        out.push(' ');
        out.push_str(link.phrase);
        out.push(' ');
        match link.outer.classes.first() {
            Some(class) => push_clipped(&mut out, &class.name),
            None => out.push_str("its wrapper"),
        }
    }
    if let Some(listed) = listed.filter(|l| !names_the_basis(*l, verdict.basis)) {
        out.push_str(", and ");
        push_listed(&mut out, listed);
    }
    out.push_str(": ");
    out.push_str(verdict.kind.as_str());
    out.push_str(match decision {
        Decision::Never => ", never retried",
        Decision::ServerSays(true) | Decision::Status | Decision::Network | Decision::Name(_) => {
            ", retried"
        }
        Decision::ServerSays(false) => ", not retried",
        Decision::NotListed if verdict.kind == ErrorKind::Network && !rules.retry_network => {
            ", not retried (network retries are off)"
        }
        Decision::NotListed if verdict.kind.is_provider_failure() => {
            ", not retried (this config lists neither its status nor its names)"
        }
        Decision::NotListed => ", not retried",
    });
    out
}

fn push_evidence(out: &mut String, verdict: &Verdict<'_>) {
    let status = verdict.status;
    match verdict.basis {
        Basis::Nothing => {
            match verdict.facts.classes.first() {
                Some(class) => {
                    push_class(out, class);
                    out.push_str(" carries");
                }
                None => out.push_str("the exception carries"),
            }
            out.push_str(" no status, error code or known class name");
        }
        Basis::Status { provider } => {
            if let Some(s) = status {
                push_status(out, s);
            }
            if let Some((module, meaning)) = provider {
                out.push_str(" in a ");
                push_clipped(out, module);
                out.push_str(" error, ");
                out.push_str(meaning);
            }
        }
        Basis::Code { .. } | Basis::Class(_) => {
            let disagrees =
                verdict.decisive && verdict.status_kind.is_some_and(|k| k != verdict.kind);
            match status {
                Some(s) if disagrees => {
                    push_status(out, s);
                    out.push_str(", but ");
                    push_basis(out, verdict.facts, verdict.basis, true);
                    out.push(' ');
                    out.push_str(verdict.kind.meaning());
                }
                Some(s) => {
                    push_basis(out, verdict.facts, verdict.basis, false);
                    if (200..=299).contains(&s.value) {
                        out.push_str(" in a stream that began with HTTP ");
                    } else {
                        out.push_str(" with HTTP ");
                    }
                    push_int(out, s.value);
                }
                None => push_basis(out, verdict.facts, verdict.basis, true),
            }
        }
    }
    match verdict.refinement {
        Some(Refinement::Phrase { text, source }) => {
            out.push_str(", but the message (");
            out.push_str(source);
            out.push_str(") says '");
            out.push_str(text);
            out.push('\'');
        }
        Some(Refinement::PerDayQuota(id)) => {
            out.push_str(", but quota id '");
            push_clipped(out, id);
            out.push_str("' (QuotaFailure) resets only daily");
        }
        None => {}
    }
}

/// Whether the evidence the reason already names is the listed name (or there is none to name).
fn names_the_basis(listed: ListedName<'_>, basis: Basis<'_>) -> bool {
    match (listed, basis) {
        (_, Basis::Nothing) => true,
        // Usually the very string the kind came from: compare the slices before their bytes.
        (ListedName::Code { code, .. }, Basis::Code { code: named, .. }) => {
            std::ptr::eq(code, named) || code.eq_ignore_ascii_case(named)
        }
        (ListedName::Class { class, .. }, Basis::Class(named)) => std::ptr::eq(class, named),
        _ => false,
    }
}

/// "'code' (source) is in retryable_exception_names", or the class that is, named after the exception's own
/// class when it is a base of it.
fn push_listed(out: &mut String, listed: ListedName<'_>) {
    match listed {
        ListedName::Code { code, source } => push_code(out, code, source),
        ListedName::Class { facts, class } => {
            push_class(out, class);
            if let Some(own) = facts
                .classes
                .first()
                .filter(|own| !std::ptr::eq(*own, class))
            {
                out.push_str(", a base class of ");
                push_clipped(out, &own.name);
                out.push(',');
            }
        }
    }
    out.push_str(" is in retryable_exception_names");
}

fn push_basis(out: &mut String, facts: &ErrorFacts, basis: Basis<'_>, say_error_code: bool) {
    match basis {
        Basis::Code { code, source } => {
            if say_error_code {
                out.push_str("error code ");
            }
            push_code(out, code, source);
        }
        Basis::Class(class) => push_matched_class(out, facts, class),
        Basis::Status { .. } | Basis::Nothing => {}
    }
}

/// "'ThrottlingException' (response['Error']['Code'])".
fn push_code(out: &mut String, code: &str, source: &str) {
    out.push('\'');
    push_clipped(out, code);
    out.push_str("' (");
    out.push_str(source);
    out.push(')');
}

/// The class that matched, named after the exception's own class when that is a subclass of it:
/// "ConnectionRefusedError (builtins), a ConnectionError".
fn push_matched_class(out: &mut String, facts: &ErrorFacts, class: &ClassName) {
    match facts.classes.first() {
        Some(own) if !std::ptr::eq(own, class) => {
            push_class(out, own);
            out.push_str(", a ");
            push_clipped(out, &class.name);
        }
        _ => push_class(out, class),
    }
}

fn push_status(out: &mut String, status: StatusPick<'_>) {
    match status.inside {
        Some(outer) => {
            let _ = write!(
                out,
                "original status {} from {} inside HTTP {} from {}",
                status.value, status.source, outer.value, outer.source
            );
        }
        None => {
            push_int(out, status.value);
            out.push_str(" from ");
            out.push_str(status.source);
        }
    }
}

fn push_class(out: &mut String, class: &ClassName) {
    if class.name.is_empty() {
        out.push_str("an unnamed class");
    } else {
        push_clipped(out, &class.name);
    }
    if !class.module.is_empty() {
        out.push_str(" (");
        push_clipped(out, &class.module);
        out.push(')');
    }
}

/// A value from Python, cut to `MAX_QUOTED_BYTES` at a char boundary and kept on one line.
fn push_clipped(out: &mut String, value: &str) {
    let mut end = value.len().min(MAX_QUOTED_BYTES);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let kept = &value[..end];
    // Class names, modules and codes are almost always plain printable ASCII: copy them whole.
    if kept.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.push_str(kept);
    } else {
        out.extend(kept.chars().map(|c| if c.is_control() { ' ' } else { c }));
    }
    if end < value.len() {
        out.push('…');
    }
}

/// A status (or any small integer) without going through `core::fmt`.
fn push_int(out: &mut String, value: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}
