//! The tables themselves: every kind reachable, no duplicate rules, phrases fit the bit set and are
//! lower-case, the status table covers 100..=599, and presets.py names every retryable code they know.

use super::fixtures::*;
use crate::classify::lookup::status_kind;
use crate::classify::tables::{CLASSES, CODES, PHRASES};

#[test]
fn every_kind_is_reachable() {
    let samples = [
        http_status_error("httpx", 429),
        http_status_error("httpx", 503),
        http_status_error("httpx", 500),
        http_status_error("httpx", 408),
        http_status_error("httpx", 401),
        http_status_error("httpx", 400),
        http_status_error("httpx", 404),
        http_status_error("httpx", 413),
        http_status_error("httpx", 402),
        sdk("openai", &["ContentFilterFinishReasonError"]),
        http_status_error("httpx", 499),
    ];
    let kinds: Vec<ErrorKind> = samples.iter().map(|f| judged(f).kind).collect();
    assert_eq!(kinds, ErrorKind::ALL.to_vec());
}

#[test]
fn tables_have_no_duplicates_and_phrases_are_indexed() {
    for (i, a) in CODES.iter().enumerate() {
        for b in &CODES[i + 1..] {
            assert!(
                !a.code.eq_ignore_ascii_case(b.code),
                "duplicate code {}",
                a.code
            );
        }
    }
    for (i, a) in CLASSES.iter().enumerate() {
        for b in &CLASSES[i + 1..] {
            assert!(
                !(a.name == b.name && a.modules == b.modules),
                "duplicate class {}",
                a.name
            );
        }
    }
    assert!(PHRASES.len() <= 64, "phrases are a u64 bit set");
    for phrase in PHRASES {
        assert!(
            phrase
                .text
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
                && phrase
                    .with
                    .is_none_or(|w| w.bytes().all(|b| !b.is_ascii_uppercase())),
            "{}: phrases are lower-case ASCII",
            phrase.text
        );
        assert!(phrase.within != 0, "{} applies nowhere", phrase.text);
    }
    for status in 100..=599 {
        let _ = status_kind(&ErrorFacts::default(), status);
    }
    assert_eq!(
        status_kind(&ErrorFacts::default(), 418).map(|k| k.0),
        Some(BadRequest)
    );
    assert_eq!(
        status_kind(&ErrorFacts::default(), 520).map(|k| k.0),
        Some(ServerError)
    );
    assert_eq!(status_kind(&ErrorFacts::default(), 200), None);
}

#[test]
fn presets_name_every_retryable_code_the_tables_know() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../python/llm_retry/presets.py"
    );
    let presets = std::fs::read_to_string(path)
        .expect("presets.py is readable")
        .to_ascii_lowercase();
    for rule in CODES {
        let retryable = rule.kind.is_provider_failure();
        if retryable {
            let quoted = format!("\"{}\"", rule.code.to_ascii_lowercase());
            assert!(
                presets.contains(&quoted),
                "presets.py does not list {}",
                rule.code
            );
        }
    }
    for name in DEFAULT_NAMES {
        assert!(
            presets.contains(&format!("\"{name}\"")),
            "presets.py does not list {name}"
        );
    }
}
