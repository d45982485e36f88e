//! What only a message or a quota id says: context overflow (trap 6), billing (trap 7), spent quotas (trap
//! 2), capacity typed as a bad request (trap 22), auth with a 400 (trap 5); and where phrases are not read.

use super::fixtures::*;

const QUOTA_MESSAGE: &str =
    "You exceeded your current quota, please check your plan and billing details.";

#[test]
fn quota_ids_and_phrases_that_mean_the_quota_is_spent() {
    let resource_exhausted =
        |message: &str| genai("ClientError", 429, "RESOURCE_EXHAUSTED", message);
    let mut per_day = resource_exhausted(QUOTA_MESSAGE)
        .quota_id("GenerateRequestsPerDayPerProjectPerModel-FreeTier");
    per_day.body_retry_delay = Some("35s".into());
    let trial_key = |message| {
        cohere(
            "TooManyRequestsError",
            "cohere.errors.too_many_requests_error",
            429,
            message,
        )
    };
    let limit_zero = "Quota exceeded for metric: generativelanguage.googleapis.com/\
                      generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro";
    check(
        &default_rules(),
        [
            row("Gemini per-day quota despite its retry delay", per_day, QuotaExhausted, false)
                .says("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
            row(
                "Gemini per-minute quota",
                resource_exhausted(QUOTA_MESSAGE)
                    .quota_id("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
                RateLimited,
                true,
            ),
            row("Gemini limit: 0", resource_exhausted(limit_zero), QuotaExhausted, false)
                .says("'limit: 0'"),
            row("Gemini limit: 05", resource_exhausted("limit: 05, model"), RateLimited, true),
            row("Gemini limit: 0.5", resource_exhausted("limit: 0.5 per second"), RateLimited, true),
            row("Gemini LIMIT: 0", resource_exhausted("LIMIT: 0"), QuotaExhausted, false),
            row(
                "cohere trial key per month",
                trial_key("You are using a Trial key, which is limited to 1000 API calls / month."),
                QuotaExhausted,
                false,
            ),
            row(
                "cohere trial key per minute",
                trial_key("You are using a Trial key, which is limited to 20 API calls / minute."),
                RateLimited,
                true,
            ),
            row(
                "anthropic credit balance is too low",
                anthropic(
                    &["BadRequestError"],
                    400,
                    "invalid_request_error",
                    "Your credit balance is too low to access the Anthropic API.",
                ),
                QuotaExhausted,
                false,
            )
            .reads(
                "400 from status_code, but the message (.message) says 'credit balance is too low': \
                 quota_exhausted, never retried",
            ),
            row(
                "anthropic 402 billing_error",
                anthropic(&["PaymentRequiredError"], 402, "billing_error", "Payment required."),
                QuotaExhausted,
                false,
            ),
        ],
    );
}

#[test]
fn a_request_too_large_for_the_per_minute_budget_never_fits() {
    check(
        &default_rules(),
        [
            row(
                "openai 429 request too large",
                openai(
                    "RateLimitError",
                    429,
                    Some("tokens"),
                    Some("rate_limit_exceeded"),
                    "Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit \
                     30000, Requested 52000.",
                ),
                ContextOverflow,
                false,
            ),
            // An ordinary TPM limit says "Requested" too, but not "Request too large".
            row(
                "openai 429 ordinary TPM limit",
                openai(
                    "RateLimitError",
                    429,
                    Some("tokens"),
                    Some("rate_limit_exceeded"),
                    "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, \
                     Requested 1500.",
                ),
                RateLimited,
                true,
            ),
            // Groq sends it as a 413 with code rate_limit_exceeded: the status says overflow, text or not.
            row(
                "groq 413 rate_limit_exceeded",
                groq("APIStatusError", 413, "tokens", Some("rate_limit_exceeded"), ""),
                ContextOverflow,
                false,
            ),
        ],
    );
}

#[test]
fn context_overflow_phrasings_of_every_provider() {
    let bad_request =
        |message| anthropic(&["BadRequestError"], 400, "invalid_request_error", message);
    check(
        &default_rules(),
        [
            row(
                "anthropic prompt is too long",
                bad_request("prompt is too long: 208310 tokens > 200000 maximum"),
                ContextOverflow,
                false,
            ),
            row(
                "anthropic exceed context limit",
                bad_request("input length and `max_tokens` exceed context limit: 197626 + 8192 > 200000"),
                ContextOverflow,
                false,
            ),
            row(
                "Bedrock ValidationException input is too long",
                boto("ValidationException", Some(400), "Input is too long for requested model.", true),
                ContextOverflow,
                false,
            ),
            row(
                "Bedrock Claude prompt is too long",
                boto(
                    "ValidationException",
                    Some(400),
                    "prompt is too long: 215325 tokens > 200000 maximum",
                    false,
                ),
                ContextOverflow,
                false,
            ),
            row(
                "Gemini exceeds the maximum number of tokens",
                genai(
                    "ClientError",
                    400,
                    "INVALID_ARGUMENT",
                    "The input token count (1288576) exceeds the maximum number of tokens allowed \
                     (1048576).",
                ),
                ContextOverflow,
                false,
            ),
            row(
                "Mistral maximum context length",
                mistral(
                    400,
                    "invalid_request_error",
                    "Prompt contains 140000 tokens, too large for model with 131072 maximum context length",
                ),
                ContextOverflow,
                false,
            ),
            row(
                "cohere too many tokens",
                cohere(
                    "BadRequestError",
                    "cohere.errors.bad_request_error",
                    400,
                    "too many tokens: size limit exceeded by 1024 tokens.",
                ),
                ContextOverflow,
                false,
            ),
            row(
                "openai context_length_exceeded",
                openai(
                    "BadRequestError",
                    400,
                    Some("invalid_request_error"),
                    Some("context_length_exceeded"),
                    "This model's maximum context length is 128000 tokens.",
                ),
                ContextOverflow,
                false,
            ),
            row(
                "groq context_length_exceeded",
                groq(
                    "BadRequestError",
                    400,
                    "invalid_request_error",
                    Some("context_length_exceeded"),
                    "Please reduce the length of the messages or completion.",
                ),
                ContextOverflow,
                false,
            ),
            row(
                "Bedrock event stream validationException",
                event_stream("validationException", "Input is too long for requested model."),
                ContextOverflow,
                false,
            ),
        ],
    );
}

#[test]
fn phrases_that_change_a_bad_request_or_an_overload() {
    let capacity = "Service tier capacity exceeded for this model.";
    check(
        &default_rules(),
        [
            // Trap 5: the message alone is enough when ErrorInfo was not read.
            row(
                "Gemini api key not valid",
                genai(
                    "ClientError",
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid key.",
                ),
                Auth,
                false,
            ),
            row(
                "Gemini user location is not supported",
                genai(
                    "ClientError",
                    400,
                    "FAILED_PRECONDITION",
                    "User location is not supported for the API use.",
                ),
                Auth,
                false,
            ),
            // Trap 22: Mistral's capacity is typed invalid_request_error.
            row("Mistral capacity 429", mistral(429, "invalid_request_error", capacity), Overloaded, true)
                .at_status(429),
            row("Mistral capacity 503", mistral(503, "invalid_request_error", capacity), Overloaded, true),
            // An upstream 503 that merely mentions connecting stays overloaded.
            row(
                "Mistral upstream connect error 503",
                mistral(503, "", "upstream connect error or disconnect/reset before headers"),
                Overloaded,
                true,
            ),
            // gRPC UNAVAILABLE "failed to connect to all addresses" is a connection failure, not load.
            row(
                "gRPC UNAVAILABLE failed to connect",
                exc(&[("grpc._channel", "_InactiveRpcError"), ("grpc", "RpcError")])
                    .code("code()", "UNAVAILABLE")
                    .message(
                        "details()",
                        "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: \
                         Connection refused",
                    ),
                Network,
                true,
            )
            .says("'failed to connect'"),
        ],
    );
}

#[test]
fn phrases_are_not_read_where_the_kind_forbids_them() {
    check(
        &default_rules(),
        [
            // A throttling message that says "too many tokens" is still throttling (decisive code).
            row(
                "ThrottlingException saying too many tokens",
                boto(
                    "ThrottlingException",
                    Some(429),
                    "Too many tokens, please wait.",
                    true,
                ),
                RateLimited,
                true,
            ),
            // A 500 whose text mentions the prompt being too long stays a server error.
            row(
                "a 500 saying prompt is too long",
                anthropic(
                    &["InternalServerError"],
                    500,
                    "api_error",
                    "prompt is too long",
                ),
                ServerError,
                true,
            ),
            // A ValueError that happens to say so is not an API error.
            row(
                "a ValueError saying prompt is too long",
                sdk("builtins", &["ValueError"]).message("str(exc)", "prompt is too long"),
                Unknown,
                false,
            ),
        ],
    );
}
