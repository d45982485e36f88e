//! Which evidence wins: decisive codes and classes over the status, the status over generic codes and
//! classes, and an exception's explicit causes when its own evidence is silent (the cause chain walk).

use super::lookup::{class_rule, code_key, code_rule, status_kind, wrapper_rule};
use super::phrases::refinement;
use super::tables::{Weight, DEFAULT_LINK, TIMEOUT_NAME_FRAGMENT};
use super::verdict::{Basis, Link, StatusPick, Verdict};
use super::{ErrorFacts, ErrorKind, MAX_CAUSE_DEPTH};

/// Causes read in all (exception groups can be wide and nested).
const MAX_CAUSES_VISITED: u32 = 512;

/// The verdict on an exception, its causes included.
pub(super) fn verdict_on(facts: &ErrorFacts) -> Verdict<'_> {
    let mut budget = MAX_CAUSES_VISITED;
    judge(facts, 0, &mut budget)
}

/// The verdict on `facts`, taking its causes' when its own evidence is silent.
fn judge<'f>(facts: &'f ErrorFacts, depth: usize, budget: &mut u32) -> Verdict<'f> {
    let own = weigh(facts);
    if facts.causes.is_empty() || depth >= MAX_CAUSE_DEPTH {
        return own;
    }
    let wrapper = wrapper_rule(facts);
    let yields = wrapper.is_some_and(|w| w.yields);
    // The outer exception wins when it is itself decisive: a TimeoutError whose cause is a CancelledError
    // is a timeout.
    if !matches!(own.basis, Basis::Nothing) && !yields {
        return own;
    }
    let mut best: Option<Verdict<'f>> = None;
    for cause in &facts.causes {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        if !cause.is_exception {
            continue;
        }
        let verdict = judge(cause, depth + 1, budget);
        let usable = if yields {
            verdict.kind != ErrorKind::Unknown
        } else {
            !matches!(verdict.basis, Basis::Nothing)
        };
        // Among exception-group members the most severe wins: one spent quota stops the retries.
        if usable && best.as_ref().is_none_or(|b| verdict.kind.outranks(b.kind)) {
            best = Some(verdict);
        }
    }
    match best {
        Some(mut verdict) => {
            verdict.links.push(Link {
                outer: facts,
                phrase: wrapper.map_or(DEFAULT_LINK, |w| w.link),
            });
            verdict
        }
        None => own,
    }
}

/// The verdict from one exception's own evidence, causes aside.
fn weigh(facts: &ErrorFacts) -> Verdict<'_> {
    let status = pick_status(facts);
    let status_meaning = status.and_then(|s| status_kind(facts, s.value));
    let status_kind = status_meaning.map(|(kind, _)| kind);

    let mut decisive: Option<(ErrorKind, Basis)> = None;
    let mut generic: Option<(ErrorKind, Basis)> = None;
    let mut previous: Option<&str> = None;
    for evidence in &facts.codes {
        // anthropic's `.type` repeats `body.error.type`: look each string up once.
        if previous == Some(evidence.value.as_str()) {
            continue;
        }
        previous = Some(&evidence.value);
        let key = code_key(&evidence.value);
        if let Some(rule) = code_rule(key) {
            let found = (
                rule.kind,
                Basis::Code {
                    code: key,
                    source: evidence.source,
                },
            );
            match rule.weight {
                Weight::Decisive => keep_most_severe(&mut decisive, found),
                Weight::Generic => keep_most_severe(&mut generic, found),
            }
        }
    }
    // The most-derived class with a rule speaks for the MRO.
    let mut generic_class: Option<(ErrorKind, Basis)> = None;
    for class in facts.classes.iter() {
        if let Some(rule) = class_rule(class) {
            match rule.weight {
                Weight::Decisive => {
                    keep_most_severe(&mut decisive, (rule.kind, Basis::Class(class)));
                    break;
                }
                Weight::Generic if generic_class.is_none() => {
                    generic_class = Some((rule.kind, Basis::Class(class)));
                }
                Weight::Generic => {}
            }
        }
    }

    let (kind, basis, is_decisive) = if let Some((kind, basis)) = decisive {
        (kind, basis, true)
    } else if let Some((kind, provider)) = status_meaning {
        (kind, Basis::Status { provider }, false)
    } else if let Some((kind, basis)) = generic.or(generic_class) {
        (kind, basis, false)
    } else if let Some(class) = facts
        .classes
        .iter()
        .find(|c| c.name.contains(TIMEOUT_NAME_FRAGMENT))
    {
        (ErrorKind::Network, Basis::Class(class), false)
    } else {
        (ErrorKind::Unknown, Basis::Nothing, false)
    };
    // Only a kind from a status or a generic code may be refined; a decisive one says all there is.
    let refined = if is_decisive {
        None
    } else {
        refinement(kind, facts)
    };
    let (kind, refinement) = match refined {
        Some((refined_kind, why)) => (refined_kind, Some(why)),
        None => (kind, None),
    };
    Verdict {
        kind,
        facts,
        basis,
        decisive: is_decisive,
        status,
        status_kind,
        refinement,
        links: Vec::new(),
    }
}

/// The nested real status if there is one (SageMaker ModelError), else the first valid status.
fn pick_status(facts: &ErrorFacts) -> Option<StatusPick<'_>> {
    if let Some(original) = facts
        .original_status
        .as_ref()
        .filter(|s| is_http_status(s.value))
    {
        return Some(StatusPick {
            value: original.value,
            source: original.source,
            inside: facts.statuses.iter().find(|s| is_http_status(s.value)),
        });
    }
    facts
        .statuses
        .iter()
        .find(|s| is_http_status(s.value))
        .map(|s| StatusPick {
            value: s.value,
            source: s.source,
            inside: None,
        })
}

fn is_http_status(value: i64) -> bool {
    (100..=599).contains(&value)
}

fn keep_most_severe<'f>(slot: &mut Option<(ErrorKind, Basis<'f>)>, found: (ErrorKind, Basis<'f>)) {
    if slot.is_none_or(|(kind, _)| found.0.outranks(kind)) {
        *slot = Some(found);
    }
}
