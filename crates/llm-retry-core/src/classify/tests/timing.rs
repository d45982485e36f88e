//! Nanoseconds per `classify` on the commonest real errors, run by hand:
//! `cargo test --release --lib classify -- --ignored --nocapture`.

use super::fixtures::*;

#[test]
#[ignore = "timing, run by hand in release mode"]
fn timing_of_common_cases() {
    let cases = [
        (
            "anthropic 429",
            anthropic(
                &["RateLimitError"],
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit.",
            ),
        ),
        (
            "openai 429",
            openai(
                "RateLimitError",
                429,
                Some("tokens"),
                Some("rate_limit_exceeded"),
                "Rate limit reached for gpt-4o in organization org-fake on tokens per min (TPM): Limit \
                 30000, Used 29000, Requested 1500. Please try again in 1s. Visit \
                 https://platform.openai.com/account/rate-limits to learn more.",
            ),
        ),
        ("httpx2 503", http_status_error("httpx2", 503)),
        ("httpx2 ConnectError", connect_error("httpx2")),
        (
            "bedrock 400 throttling",
            boto("ThrottlingException", Some(400), "Rate exceeded", false),
        ),
        (
            "anthropic APIConnectionError",
            sdk("anthropic", &["APIConnectionError", "APIError", "AnthropicError"])
                .cause(connect_error("httpx2")),
        ),
    ];
    let rules = default_rules();
    for (label, facts) in &cases {
        // The fastest of many short batches: the machine is shared, and only the floor is stable.
        let ns = (0..50)
            .map(|_| {
                let start = std::time::Instant::now();
                for _ in 0..2_000 {
                    std::hint::black_box(classify(std::hint::black_box(facts), &rules, NOW));
                }
                start.elapsed().as_nanos() / 2_000
            })
            .min()
            .unwrap_or(0);
        println!("{label:32} {ns:>6} ns");
    }
}
