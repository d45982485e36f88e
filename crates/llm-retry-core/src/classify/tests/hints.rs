//! With hints.rs: `x-should-retry` overrides the status both ways (but never a never-retry kind), and the
//! server's delay is reported, not decisive, from the deciding facts or their wrapper.

use super::fixtures::*;

#[test]
fn x_should_retry_overrides_the_status_both_ways() {
    check(
        &default_rules(),
        [
            row(
                "500 with x-should-retry: false",
                anthropic(&["InternalServerError"], 500, "api_error", "Internal error")
                    .header("x-should-retry", "false"),
                ServerError,
                false,
            )
            .reads(
                "x-should-retry: false overrides 500 from status_code: server_error, not retried",
            ),
            row(
                "400 with x-should-retry: true",
                anthropic(
                    &["BadRequestError"],
                    400,
                    "invalid_request_error",
                    "Try again",
                )
                .header("x-should-retry", "true"),
                BadRequest,
                true,
            ),
        ],
    );
}

#[test]
fn retry_after_is_reported_not_decisive() {
    let limited =
        anthropic(&["RateLimitError"], 429, "rate_limit_error", "slow").header("retry-after", "20");
    assert_eq!(judged(&limited).retry_after_s, Some(20.0));
    let quota = openai("RateLimitError", 429, None, Some("insufficient_quota"), "")
        .header("retry-after-ms", "1500");
    let c = judged(&quota);
    assert_verdict(&c, QuotaExhausted, false);
    assert_eq!(c.retry_after_s, Some(1.5));
}

#[test]
fn the_delay_comes_from_the_cause_or_its_wrapper() {
    let inner = http_status_error("httpx", 429).header("retry-after", "7");
    let wrapped = sdk("tenacity", &["RetryError"]).cause(inner);
    assert_eq!(judged(&wrapped).retry_after_s, Some(7.0));
    let bare_inner = http_status_error("httpx", 429);
    let hinted_wrapper = sdk("myapp", &["Wrapper"])
        .header("retry-after", "3")
        .cause(bare_inner);
    assert_eq!(judged(&hinted_wrapper).retry_after_s, Some(3.0));
}

#[test]
fn nan_and_infinite_clocks_are_harmless() {
    let facts = http_status_error("httpx", 429);
    for now in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0] {
        let c = classify(&facts, &default_rules(), now);
        assert_verdict(&c, RateLimited, true);
    }
}
