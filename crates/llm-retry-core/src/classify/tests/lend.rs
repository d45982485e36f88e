//! When a cause or the implicit `__context__` lends its delay hint (classify::lend), and when it does not:
//! only a hint, only to a provider failure, only from the same status, and never a kind.

use super::fixtures::*;

/// LiteLLM's own RateLimitError: status 429 on a response it made up, no header, no hint of its own.
fn litellm_rate_limit(status: i64) -> ErrorFacts {
    sdk(
        "litellm.exceptions",
        &[
            "RateLimitError",
            "APIStatusError",
            "APIError",
            "OpenAIError",
        ],
    )
    .status("status_code", status)
    .code(".type", "throttling_error")
    .message(
        ".message",
        "litellm.RateLimitError: OpenAIException - Rate limit reached",
    )
    .status("response.status_code", status)
}

/// The provider's error that LiteLLM was handling, with the server's hint.
fn provider_error(status: i64, retry_after: &str) -> ErrorFacts {
    sdk("litellm.llms.openai.common_utils", &["OpenAIError"])
        .status("status_code", status)
        .header("retry-after", retry_after)
}

fn with_context(mut outer: ErrorFacts, context: ErrorFacts) -> ErrorFacts {
    outer.context = Some(Box::new(context));
    outer
}

#[test]
fn the_context_lends_its_hint_to_a_provider_failure_of_the_same_status() {
    let facts = with_context(litellm_rate_limit(429), provider_error(429, "7"));
    let c = judged(&facts);
    assert_verdict(&c, RateLimited, true);
    assert_eq!(c.retry_after_s, Some(7.0));
    assert_eq!(c.status, Some(429));
}

#[test]
fn a_context_of_another_status_lends_nothing() {
    // LiteLLM rewrites Anthropic's 529 as a 500: the hint may belong to another failure.
    let outer = sdk(
        "litellm.exceptions",
        &[
            "InternalServerError",
            "APIStatusError",
            "APIError",
            "OpenAIError",
        ],
    )
    .status("status_code", 500);
    let facts = with_context(outer, provider_error(529, "30"));
    let c = judged(&facts);
    assert_verdict(&c, ServerError, true);
    assert_eq!(c.retry_after_s, None);
}

#[test]
fn a_context_never_decides_the_kind() {
    // A bug raised while handling a 429 is not a 429: neither its kind nor its hint is borrowed.
    let bug = exc(&[("builtins", "KeyError"), ("builtins", "LookupError")]);
    let facts = with_context(
        bug,
        openai(
            "RateLimitError",
            429,
            Some("requests"),
            Some("rate_limit_exceeded"),
            "",
        )
        .header("retry-after", "7"),
    );
    let c = judged(&facts);
    assert_verdict(&c, Unknown, false);
    assert_eq!(c.retry_after_s, None);
    // And a spent quota in the context does not turn the outer failure into one.
    let facts = with_context(
        litellm_rate_limit(500),
        openai(
            "RateLimitError",
            429,
            Some("insufficient_quota"),
            Some("insufficient_quota"),
            "",
        ),
    );
    assert_verdict(&judged(&facts), ServerError, true);
}

#[test]
fn no_hint_is_lent_to_an_error_that_is_not_retried() {
    let outer = openai(
        "BadRequestError",
        400,
        Some("invalid_request_error"),
        None,
        "bad",
    );
    let facts = with_context(outer, provider_error(400, "7"));
    let c = judged(&facts);
    assert_verdict(&c, BadRequest, false);
    assert_eq!(c.retry_after_s, None);
}

#[test]
fn the_outer_errors_own_hint_wins() {
    let facts = with_context(
        litellm_rate_limit(429).header("retry-after", "2"),
        provider_error(429, "7"),
    );
    assert_eq!(judged(&facts).retry_after_s, Some(2.0));
}

#[test]
fn an_explicit_cause_of_the_same_status_lends_too() {
    // A wrapper that decides by itself (pydantic-ai's 429 without headers) and chains the SDK's error.
    let outer = sdk(
        "pydantic_ai.exceptions",
        &["ModelRateLimitError", "ModelHTTPError", "ModelAPIError"],
    )
    .status("status_code", 429);
    let facts = outer.clone().cause(provider_error(429, "4"));
    assert_eq!(judged(&facts).retry_after_s, Some(4.0));
    let facts = outer.cause(provider_error(503, "4"));
    assert_eq!(judged(&facts).retry_after_s, None);
}

#[test]
fn a_context_that_is_not_an_exception_lends_nothing() {
    let mut cancelled = provider_error(429, "7");
    cancelled.is_exception = false;
    let facts = with_context(litellm_rate_limit(429), cancelled);
    assert_eq!(judged(&facts).retry_after_s, None);
}
