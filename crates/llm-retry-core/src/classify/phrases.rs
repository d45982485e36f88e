//! What only a message or a quota id says: the phrases (`tables::PHRASES`) and daily quota ids that refine a
//! kind from a status or a generic code, and the bounded, allocation-free scan of the messages for them.

use super::tables::{
    PhraseRule, IN_AUTH, IN_BAD_REQUEST, IN_OVERLOADED, IN_RATE_LIMITED, PER_DAY_QUOTA_MARKER,
    PHRASES,
};
use super::{ErrorFacts, ErrorKind};

/// Provider phrases sit near the start of a message; a megabyte of HTML is not read to the end.
const MAX_MESSAGE_BYTES_SCANNED: usize = 16 * 1024;
const MAX_MESSAGES_SCANNED: usize = 8;

/// A kind changed by evidence that only `quota_ids` or a message carries.
#[derive(Clone, Copy, Debug)]
pub(super) enum Refinement<'f> {
    Phrase {
        text: &'static str,
        source: &'static str,
    },
    PerDayQuota(&'f str),
}

/// The kind that quota ids and message phrases make of `kind`, and why; looked for only where `kind` leaves
/// quota, overflow, auth or capacity possible.
pub(super) fn refinement(
    kind: ErrorKind,
    facts: &ErrorFacts,
) -> Option<(ErrorKind, Refinement<'_>)> {
    let within = match kind {
        ErrorKind::RateLimited => IN_RATE_LIMITED,
        ErrorKind::BadRequest => IN_BAD_REQUEST,
        ErrorKind::Overloaded => IN_OVERLOADED,
        ErrorKind::Auth => IN_AUTH,
        _ => return None,
    };
    if kind == ErrorKind::RateLimited {
        if let Some(id) = facts
            .quota_ids
            .iter()
            .find(|id| contains_ignore_ascii_case(id.as_bytes(), PER_DAY_QUOTA_MARKER))
        {
            return Some((ErrorKind::QuotaExhausted, Refinement::PerDayQuota(id)));
        }
    }
    let active = phrases_that_may_change(within, kind);
    let mut best: Option<(&PhraseRule, &'static str)> = None;
    if active == 0 {
        return None;
    }
    let mut buffer = [0u8; LOWERED_ON_STACK];
    for message in facts.messages.iter().take(MAX_MESSAGES_SCANNED) {
        let mut spilled = Vec::new();
        let hay = lowered(&message.value, &mut buffer, &mut spilled);
        let mut found = find_phrases(hay, active);
        while found != 0 {
            let rule = &PHRASES[found.trailing_zeros() as usize];
            found &= found - 1;
            if rule.with.is_some_and(|with| !contains(hay, with)) {
                continue;
            }
            if best.is_none_or(|(b, _)| rule.kind.outranks(b.kind)) {
                best = Some((rule, message.source));
            }
        }
    }
    best.map(|(rule, source)| {
        (
            rule.kind,
            Refinement::Phrase {
                text: rule.text,
                source,
            },
        )
    })
}

/// The part of a message the phrase search reads.
fn scanned_part(message: &str) -> &str {
    let mut end = message.len().min(MAX_MESSAGE_BYTES_SCANNED);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

/// The phrases that may refine a kind (`IN_*` bit) into another kind.
/// A phrase that agrees with the kind (capacity on a 503) changes nothing, so it is not looked for.
fn phrases_that_may_change(within: u8, kind: ErrorKind) -> u64 {
    PHRASES
        .iter()
        .enumerate()
        .filter(|(_, p)| p.within & within != 0 && p.kind != kind)
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

/// Messages are lower-cased into a stack buffer up to this length (most are a sentence or two); longer
/// ones spill to the heap.
const LOWERED_ON_STACK: usize = 512;

/// The first `MAX_MESSAGE_BYTES_SCANNED` bytes of `message` (cut at a char boundary), ASCII lower-cased.
fn lowered<'b>(message: &str, buffer: &'b mut [u8], spilled: &'b mut Vec<u8>) -> &'b str {
    let bytes = scanned_part(message).as_bytes();
    let end = bytes.len();
    let out: &'b mut [u8] = if end <= buffer.len() {
        &mut buffer[..end]
    } else {
        spilled.resize(end, 0);
        spilled.as_mut_slice()
    };
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b.to_ascii_lowercase();
    }
    // Lower-casing ASCII bytes keeps UTF-8 valid; the fallback is never taken.
    std::str::from_utf8(out).unwrap_or("")
}

/// The `active` phrases (bit i = `PHRASES[i]`) in a lower-cased message. Each phrase is one substring
/// search, which the standard library runs over 16 bytes at a time: far cheaper than testing every
/// position of the message against every phrase.
fn find_phrases(hay: &str, active: u64) -> u64 {
    let mut found = 0u64;
    let mut left = active;
    while left != 0 {
        let i = left.trailing_zeros() as usize;
        left &= left - 1;
        let rule = &PHRASES[i];
        let present = if rule.whole_number {
            // "limit: 0" must not run on into "limit: 05" or "limit: 0.5".
            contains(hay, rule.text)
                && hay.match_indices(rule.text).any(|(at, text)| {
                    !hay.as_bytes()
                        .get(at + text.len())
                        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
                })
        } else {
            contains(hay, rule.text)
        };
        if present {
            found |= 1 << i;
        }
    }
    found
}

/// `hay.contains(needle)`. The standard library's vectorised search takes needles of up to 32 bytes and
/// builds a two-way searcher for longer ones, which costs more than the search: a longer phrase is looked
/// for by its first 32 bytes first.
fn contains(hay: &str, needle: &str) -> bool {
    match needle.get(..32) {
        Some(head) if head.len() < needle.len() => hay.contains(head) && hay.contains(needle),
        _ => hay.contains(needle),
    }
}

/// `needle` (lower-case ASCII) in `hay`, ignoring ASCII case, without a lower-cased copy.
fn contains_ignore_ascii_case(hay: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    match needle.first() {
        None => true,
        Some(&first) => {
            hay.len() >= needle.len()
                && (0..=hay.len() - needle.len()).any(|at| {
                    hay[at].to_ascii_lowercase() == first
                        && hay[at..at + needle.len()].eq_ignore_ascii_case(needle)
                })
        }
    }
}
