//! Hostile facts: empty, odd and megabyte strings never panic and are cut short in the reason; the same
//! facts always get the same verdict.

use super::fixtures::*;

#[test]
fn empty_and_odd_strings_never_panic() {
    let facts = ErrorFacts {
        is_exception: true,
        classes: vec![class("", ""), class("", "Timeout"), class("é", "ü")].into(),
        ..ErrorFacts::default()
    }
    .code("", "")
    .code(".type", ":")
    .code(".type", "StatusCode.")
    .code(".type", "ümlaut_error")
    .message("", "")
    .message(".message", "é\u{0}\u{1F600}")
    .quota_id("")
    .header("", "");
    let c = judged(&facts);
    assert!(!c.reason.is_empty());
    let nameless = ErrorFacts {
        is_exception: true,
        ..ErrorFacts::default()
    };
    check(
        &default_rules(),
        [row(
            "an exception without classes",
            nameless,
            Unknown,
            false,
        )],
    );
}

#[test]
fn megabyte_strings_are_cut_short_and_never_panic() {
    let huge = "ä".repeat(512 * 1024); // 1 MiB of two-byte chars
    let facts = sdk("x", &[huge.as_str()])
        .status("status_code", 400)
        .code(".type", &huge)
        .message(".message", &huge);
    let c = judged(&facts);
    assert_verdict(&c, BadRequest, false);
    assert!(c.reason.len() < 1024, "{}", c.reason.len());
    // A phrase at the start of a long message is found; one buried past the scanned prefix is not.
    let filler = "x".repeat(1024 * 1024);
    let early = anthropic(
        &["BadRequestError"],
        400,
        "invalid_request_error",
        &format!("prompt is too long {filler}"),
    );
    assert_eq!(judged(&early).kind, ContextOverflow);
    let late = anthropic(
        &["BadRequestError"],
        400,
        "invalid_request_error",
        &format!("{filler} prompt is too long"),
    );
    assert_eq!(judged(&late).kind, BadRequest);
    // A megabyte code is quoted in the reason, cut short on a char boundary.
    let c = judged(&sdk("x", &["E"]).code(".type", &huge));
    assert_verdict(&c, Unknown, false);
}

#[test]
fn the_same_facts_give_the_same_verdict() {
    let facts = anthropic(&["RateLimitError"], 429, "rate_limit_error", "slow down");
    assert_eq!(judged(&facts), judged(&facts));
}
