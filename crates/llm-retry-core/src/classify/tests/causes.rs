//! The cause chain (trap 16): an exception without evidence of its own, or a wrapper that yields, takes its
//! explicit cause's verdict; group members, the most severe winning; bounded in depth and breadth.

use super::fixtures::*;
use crate::classify::MAX_CAUSE_DEPTH;

fn insufficient_quota() -> ErrorFacts {
    openai(
        "RateLimitError",
        429,
        Some("insufficient_quota"),
        Some("insufficient_quota"),
        "",
    )
}

fn group() -> ErrorFacts {
    sdk("builtins", &["ExceptionGroup", "BaseExceptionGroup"])
}

#[test]
fn wrappers_take_their_cause() {
    let unavailable = api_core(
        &["ServiceUnavailable", "ServerError"],
        Some(503),
        Some("UNAVAILABLE"),
        "The service is currently unavailable.",
    );
    let retry_error = sdk(
        "google.api_core.exceptions",
        &["RetryError", "GoogleAPIError"],
    )
    .message(
        ".message",
        "Timeout of 0.005s exceeded, last exception: 503 unavailable",
    )
    .cause(unavailable);
    let continuation = sdk("google.genai.errors", &["ContinuationInterruptedError"]).cause(genai(
        "ServerError",
        503,
        "UNAVAILABLE",
        "The model is overloaded.",
    ));
    let anthropic_connection = sdk(
        "anthropic",
        &["APIConnectionError", "APIError", "AnthropicError"],
    )
    .message(".message", "Connection error.")
    .cause(connect_error("httpx2"));
    check(
        &default_rules(),
        [
            row(
                "anthropic APIConnectionError around httpx2",
                anthropic_connection,
                Network,
                true,
            )
            .reads("ConnectError (httpx2) via __cause__ of APIConnectionError: network, retried"),
            // Without a cause it is network all the same.
            row(
                "anthropic APITimeoutError without a cause",
                sdk(
                    "anthropic",
                    &[
                        "APITimeoutError",
                        "APIConnectionError",
                        "APIError",
                        "AnthropicError",
                    ],
                ),
                Network,
                true,
            ),
            // A cause that says nothing does not turn it into unknown.
            row(
                "openai APIConnectionError around an SSL error",
                sdk("openai", &["APIConnectionError", "APIError", "OpenAIError"])
                    .cause(sdk("ssl", &["SSLCertVerificationError"])),
                Network,
                true,
            ),
            row("google RetryError", retry_error, Overloaded, true)
                .at_status(503)
                .says("via .cause of RetryError"),
            row(
                "tenacity RetryError",
                sdk("tenacity", &["RetryError"]).cause(http_status_error("httpx", 502)),
                ServerError,
                true,
            )
            .says("via .last_attempt of RetryError"),
            row(
                "genai ContinuationInterruptedError",
                continuation,
                Overloaded,
                true,
            ),
            row(
                "RuntimeError around a ConnectError",
                sdk("builtins", &["RuntimeError"])
                    .message("str(exc)", "completion failed")
                    .cause(connect_error("httpx2")),
                Network,
                true,
            ),
            // Trap 15: a TimeoutError whose cause is a CancelledError is a timeout.
            row(
                "TimeoutError caused by CancelledError",
                exc(&[("builtins", "TimeoutError"), ("builtins", "OSError")]).cause(
                    not_an_exception_named("asyncio.exceptions", "CancelledError"),
                ),
                Network,
                true,
            )
            .reads("TimeoutError (builtins): network, retried"),
            row(
                "a decisive outer exception ignores its cause",
                openai(
                    "RateLimitError",
                    429,
                    Some("tokens"),
                    Some("rate_limit_exceeded"),
                    "slow down",
                )
                .cause(http_status_error("httpx2", 500)),
                RateLimited,
                true,
            )
            .at_status(429),
            row(
                "a non-retryable cause beats the hints on its wrapper",
                sdk("myapp", &["LLMCallFailed"])
                    .header("retry-after", "5")
                    .header("x-should-retry", "true")
                    .cause(insufficient_quota()),
                QuotaExhausted,
                false,
            )
            .at_status(429),
            // bindings do not put __context__ in `causes`, so a bug inside an except block stays a bug.
            row(
                "the implicit context is never read",
                sdk("builtins", &["ValueError"]).message("str(exc)", "invalid literal for int()"),
                Unknown,
                false,
            ),
        ],
    );
}

#[test]
fn exception_group_members_decide_the_most_severe_winning() {
    check(
        &default_rules(),
        [
            row(
                "one ConnectError",
                group().cause(connect_error("httpx2")),
                Network,
                true,
            )
            .says("as a member of ExceptionGroup"),
            row(
                "a ConnectError, a spent quota and a ValueError",
                group()
                    .cause(connect_error("httpx2"))
                    .cause(insufficient_quota())
                    .cause(sdk("builtins", &["ValueError"])),
                QuotaExhausted,
                false,
            ),
        ],
    );
}

fn chain(depth: usize, innermost: ErrorFacts) -> ErrorFacts {
    (0..depth).fold(innermost, |inner, i| {
        let name = if i % 2 == 0 {
            "RuntimeError"
        } else {
            "RetryError"
        };
        sdk("builtins", &[name]).cause(inner)
    })
}

#[test]
fn deep_cause_chains_are_followed_to_a_bound() {
    let shallow = chain(MAX_CAUSE_DEPTH, http_status_error("httpx", 503));
    let c = judged(&shallow);
    assert_verdict(&c, Overloaded, true);
    assert!(
        c.reason.matches("via __cause__ of").count() == MAX_CAUSE_DEPTH,
        "{}",
        c.reason.len()
    );
    // Past MAX_CAUSE_DEPTH the cause is not read: the wrapper has no evidence of its own.
    let deep = chain(MAX_CAUSE_DEPTH + 10, http_status_error("httpx", 503));
    assert_verdict(&judged(&deep), Unknown, false);
}

#[test]
fn wide_exception_groups_are_bounded() {
    let mut wide = sdk("builtins", &["ExceptionGroup"]);
    for _ in 0..2_000 {
        wide = wide.cause(sdk("builtins", &["ValueError"]));
    }
    wide = wide.cause(http_status_error("httpx", 503));
    let mut nested = sdk("builtins", &["ExceptionGroup"]);
    for _ in 0..40 {
        let mut level = sdk("builtins", &["ExceptionGroup"]);
        for _ in 0..40 {
            level = level.cause(sdk("builtins", &["ValueError"]));
        }
        nested = nested.cause(level);
    }
    check(
        &default_rules(),
        [
            // The 2,001st member is past MAX_CAUSES_VISITED: the group is judged on what was read.
            row("2,001 members", wide, Unknown, false),
            row("40 groups of 40", nested, Unknown, false),
        ],
    );
}

#[test]
fn sdk_retries_come_from_the_deciding_facts_or_their_wrapper() {
    let own = boto(
        "ServiceUnavailableException",
        Some(503),
        "unavailable",
        true,
    )
    .sdk_retries(2);
    assert_eq!(judged(&own).sdk_retries, Some(2));
    let inner = boto("ThrottlingException", Some(429), "slow", true).sdk_retries(3);
    let c = judged(&sdk("tenacity", &["RetryError"]).cause(inner));
    assert_eq!(c.sdk_retries, Some(3));
    let outer = sdk("tenacity", &["RetryError"])
        .sdk_retries(1)
        .cause(http_status_error("httpx", 503));
    assert_eq!(judged(&outer).sdk_retries, Some(1));
}
