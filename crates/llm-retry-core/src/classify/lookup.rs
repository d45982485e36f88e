//! Finding the rule in `tables` for a code, a class, a status or a wrapper, without hashing or lower-casing:
//! code and class rules are bucketed by (length, first letter) once, on first use.

use std::sync::OnceLock;

use super::tables::{
    ClassRule, CodeRule, WrapperRule, CLASSES, CODES, PROVIDER_STATUSES, STATUSES, WRAPPERS,
};
use super::{ClassName, ErrorFacts, ErrorKind};

/// The comparable part of a code: x-amzn-errortype's "ThrottlingException:http://internal.amazon.com/…"
/// and gRPC's "StatusCode.UNAVAILABLE" are read as "ThrottlingException" and "UNAVAILABLE".
pub(super) fn code_key(raw: &str) -> &str {
    let code = raw.trim();
    let code = code.strip_prefix("StatusCode.").unwrap_or(code);
    match code.find(':') {
        Some(end) => code[..end].trim_end(),
        None => code,
    }
}

/// The rule for a code key (see `code_key`), compared ignoring ASCII case.
pub(super) fn code_rule(key: &str) -> Option<&'static CodeRule> {
    index()
        .codes
        .candidates(key)
        .iter()
        .map(|&i| &CODES[usize::from(i)])
        .find(|r| r.code.eq_ignore_ascii_case(key))
}

/// The rule for a class, by exact name and, where the rule says, package.
pub(super) fn class_rule(class: &ClassName) -> Option<&'static ClassRule> {
    index()
        .classes
        .candidates(&class.name)
        .iter()
        .map(|&i| &CLASSES[usize::from(i)])
        .find(|r| r.name == class.name && module_matches(r.modules, &class.module))
}

/// The wrapper rule of the first class in the MRO that has one.
pub(super) fn wrapper_rule(facts: &ErrorFacts) -> Option<&'static WrapperRule> {
    facts.classes.iter().find_map(|c| {
        WRAPPERS
            .iter()
            .find(|w| w.name == c.name && module_matches(w.modules, &c.module))
    })
}

/// What a status means, and the SDK that gave it that meaning when it depends on the SDK (498).
pub(super) fn status_kind(
    facts: &ErrorFacts,
    status: i64,
) -> Option<(ErrorKind, Option<(&str, &'static str)>)> {
    for rule in PROVIDER_STATUSES.iter().filter(|r| r.status == status) {
        if let Some(class) = facts
            .classes
            .iter()
            .find(|c| c.module.starts_with(rule.module))
        {
            return Some((rule.kind, Some((class.module.as_str(), rule.meaning))));
        }
    }
    STATUSES
        .iter()
        .find(|r| (r.first..=r.last).contains(&status))
        .map(|r| (r.kind, None))
}

fn module_matches(modules: &[&str], module: &str) -> bool {
    modules.is_empty() || modules.iter().any(|m| module.starts_with(m))
}

/// Rule indices grouped by `bucket(key)`, stored flat: bucket b holds `rules[starts[b]..starts[b + 1]]`.
struct Buckets {
    starts: Vec<u16>,
    rules: Vec<u16>,
}

/// Keys longer than this match no rule (the longest is 38 bytes).
const MAX_KEY_LEN: usize = 63;

/// Length and the first byte's low five bits: 'a' and 'A' land together, so codes can be compared
/// ignoring case, and a bucket rarely holds more than one rule.
fn bucket(key: &[u8]) -> Option<usize> {
    let first = *key.first()?;
    (key.len() <= MAX_KEY_LEN).then(|| (key.len() << 5) | usize::from(first & 0x1f))
}

impl Buckets {
    fn new<'k>(keys: impl Iterator<Item = &'k str> + Clone) -> Buckets {
        let mut starts = vec![0u16; ((MAX_KEY_LEN + 1) << 5) + 1];
        for key in keys.clone() {
            if let Some(b) = bucket(key.as_bytes()) {
                starts[b + 1] += 1;
            }
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut filled = starts.clone();
        let mut rules = vec![0u16; usize::from(starts[starts.len() - 1])];
        for (i, key) in keys.enumerate() {
            if let Some(b) = bucket(key.as_bytes()) {
                rules[usize::from(filled[b])] = i as u16;
                filled[b] += 1;
            }
        }
        Buckets { starts, rules }
    }

    fn candidates(&self, key: &str) -> &[u16] {
        match bucket(key.as_bytes()) {
            Some(b) => &self.rules[usize::from(self.starts[b])..usize::from(self.starts[b + 1])],
            None => &[],
        }
    }
}

struct Index {
    codes: Buckets,
    classes: Buckets,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| Index {
        codes: Buckets::new(CODES.iter().map(|r| r.code)),
        classes: Buckets::new(CLASSES.iter().map(|r| r.name)),
    })
}
