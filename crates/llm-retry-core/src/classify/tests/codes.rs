//! Error type / code strings: decisive ones beat the status (quota on a 429, throttling on a 400, auth on a
//! 400), generic ones decide where there is no status (mid-stream, gRPC); compared ignoring case.

use super::fixtures::*;
use crate::classify::lookup::code_key;

#[test]
fn decisive_codes_beat_the_status() {
    let quota = openai(
        "RateLimitError",
        429,
        Some("insufficient_quota"),
        Some("insufficient_quota"),
        "You exceeded your current quota, please check your plan and billing details.",
    )
    .header("retry-after", "20");
    let spend_limit = |code| {
        anthropic(&["RateLimitError"], 429, "rate_limit_error", "usage limits")
            .code(".error_code", code)
    };
    let plain_400 = |code| boto(code, Some(400), "Rate exceeded", false);
    check(
        &default_rules(),
        [
            // Trap 2: 429s that must not be retried.
            row("openai insufficient_quota with a retry-after", quota, QuotaExhausted, false)
                .at_status(429)
                .reads(
                    "429 from status_code, but error code 'insufficient_quota' (.code) means the quota \
                     is spent: quota_exhausted, never retried",
                ),
            row(
                "anthropic enforced_spend_limit_reached",
                spend_limit("enforced_spend_limit_reached"),
                QuotaExhausted,
                false,
            ),
            row(
                "anthropic contract_spend_limit_reached",
                spend_limit("contract_spend_limit_reached"),
                QuotaExhausted,
                false,
            ),
            // Trap 3: 4xx that should be retried.
            row(
                "Bedrock ThrottlingException 429",
                boto("ThrottlingException", Some(429), "Too many requests", true),
                RateLimited,
                true,
            )
            .reads("'ThrottlingException' (response['Error']['Code']) with HTTP 429: rate_limited, retried"),
            row("AWS Throttling 400", plain_400("Throttling"), RateLimited, true).at_status(400),
            row("AWS ThrottlingException 400", plain_400("ThrottlingException"), RateLimited, true)
                .at_status(400),
            row(
                "AWS TooManyRequestsException 400",
                plain_400("TooManyRequestsException"),
                RateLimited,
                true,
            )
            .at_status(400),
            row(
                "Bedrock ModelNotReadyException 429",
                boto("ModelNotReadyException", Some(429), "Model is not ready", true),
                Overloaded,
                true,
            ),
            // Trap 5: auth that is not 401/403.
            row(
                "Gemini API_KEY_INVALID with 400",
                genai(
                    "ClientError",
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                )
                .code("ErrorInfo.reason", "API_KEY_INVALID"),
                Auth,
                false,
            )
            .says("'API_KEY_INVALID' (ErrorInfo.reason)"),
            row(
                "AWS ExpiredTokenException with 400",
                boto("ExpiredTokenException", Some(400), "The security token is expired", false),
                Auth,
                false,
            )
            .says("means the credentials were refused"),
            row(
                "AWS UnrecognizedClientException 403",
                boto("UnrecognizedClientException", Some(403), "denied", true),
                Auth,
                false,
            ),
            row(
                "AWS AccessDeniedException 403",
                boto("AccessDeniedException", Some(403), "denied", true),
                Auth,
                false,
            ),
            // Trap 11: anthropic on Bedrock carries the AWS code in a header.
            row(
                "anthropic-bedrock x-amzn-errortype ThrottlingException with 400",
                sdk(
                    "anthropic",
                    &["RateLimitError", "APIStatusError", "APIError", "AnthropicError"],
                )
                .status("status_code", 400)
                .code(
                    "x-amzn-errortype header",
                    "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
                ),
                RateLimited,
                true,
            )
            .says("'ThrottlingException' (x-amzn-errortype header)"),
            // Trap 6: overflow by code.
            row(
                "anthropic 413 request_too_large",
                anthropic(
                    &["RequestTooLargeError"],
                    413,
                    "request_too_large",
                    "Request exceeds the maximum size",
                ),
                ContextOverflow,
                false,
            ),
        ],
    );
}

#[test]
fn botocore_client_errors_are_read_by_their_code() {
    let modeled = |code, status, message| boto(code, Some(status), message, true);
    check(
        &default_rules(),
        [
            row(
                "unmodeled ThrottlingException 429",
                boto("ThrottlingException", Some(429), "Rate exceeded", false),
                RateLimited,
                true,
            ),
            row(
                "ServiceQuotaExceededException 400",
                modeled(
                    "ServiceQuotaExceededException",
                    400,
                    "exceeds the service quota",
                ),
                QuotaExhausted,
                false,
            ),
            row(
                "InternalServerException 500",
                modeled("InternalServerException", 500, "error"),
                ServerError,
                true,
            ),
            row(
                "ServiceUnavailableException 503",
                modeled("ServiceUnavailableException", 503, "unavailable"),
                Overloaded,
                true,
            ),
            row(
                "ModelTimeoutException 408",
                modeled("ModelTimeoutException", 408, "Model has timed out"),
                Network,
                true,
            ),
            row(
                "ResourceNotFoundException 404",
                modeled("ResourceNotFoundException", 404, "Model not found."),
                NotFound,
                false,
            ),
        ],
    );
}

#[test]
fn mid_stream_errors_are_decided_by_their_type() {
    let openai_stream = sdk("openai", &["APIError", "OpenAIError"])
        .code(".type", "server_error")
        .message(
            ".message",
            "The server had an error while processing your request.",
        );
    let mut rows = vec![
        // Trap 8: errors after HTTP 200.
        row(
            "anthropic overloaded_error after 200",
            anthropic_mid_stream("overloaded_error").status("response.status_code", 200),
            Overloaded,
            true,
        )
        .at_status(200)
        .reads(
            "'overloaded_error' (.type) in a stream that began with HTTP 200: overloaded, retried",
        ),
        row(
            "anthropic api_error after 200",
            anthropic_mid_stream("api_error"),
            ServerError,
            true,
        ),
        row(
            "anthropic rate_limit_error after 200",
            anthropic_mid_stream("rate_limit_error"),
            RateLimited,
            true,
        ),
        row(
            "openai server_error without a status",
            openai_stream.clone(),
            ServerError,
            true,
        )
        .no_status(),
        row(
            "groq internal_server_error without a status",
            sdk("groq", &["APIError", "GroqError"]).code("body.type", "internal_server_error"),
            ServerError,
            true,
        ),
    ];
    for (code, kind, retryable) in [
        ("throttlingException", RateLimited, true),
        ("serviceUnavailableException", Overloaded, true),
        ("modelStreamErrorException", ServerError, true),
        ("internalServerException", ServerError, true),
        ("modelTimeoutException", Network, true),
        ("validationException", BadRequest, false),
    ] {
        rows.push(
            row(
                "Bedrock event-stream code (lowerCamel)",
                event_stream(code, "stream error"),
                kind,
                retryable,
            )
            .no_status(),
        );
    }
    check(&default_rules(), rows);
    // With no name listed, a mid-stream error is not retried (the SDKs never retry these either).
    check(
        &RetryRules::default(),
        [row(
            "openai server_error, no names",
            openai_stream,
            ServerError,
            false,
        )],
    );
}

#[test]
fn google_canonical_codes_and_grpc_status_names() {
    let raw = |code: &str, details: &str| {
        exc(&[("grpc._channel", "_InactiveRpcError"), ("grpc", "RpcError")])
            .code("code()", code)
            .message("details()", details)
    };
    check(
        &default_rules(),
        [
            row(
                "api-core TooManyRequests 429",
                api_core(
                    &["TooManyRequests", "ClientError"],
                    Some(429),
                    None,
                    "Quota exceeded per minute",
                ),
                RateLimited,
                true,
            ),
            row(
                "api-core Unknown, UNKNOWN",
                api_core(
                    &["Unknown", "ServerError"],
                    None,
                    Some("UNKNOWN"),
                    "Stream removed",
                ),
                ServerError,
                true,
            ),
            row(
                "api-core DataLoss, DATA_LOSS",
                api_core(
                    &["DataLoss", "ServerError"],
                    None,
                    Some("DATA_LOSS"),
                    "corrupted",
                ),
                ServerError,
                true,
            ),
            // The class alone, with neither code nor grpc_status_code, still says server error.
            row(
                "api-core Unknown, class only",
                api_core(&["Unknown", "ServerError"], None, None, "Stream removed"),
                ServerError,
                true,
            ),
            row(
                "api-core InternalServerError 500",
                api_core(
                    &["InternalServerError", "ServerError"],
                    Some(500),
                    Some("INTERNAL"),
                    "boom",
                ),
                ServerError,
                true,
            ),
            row(
                "api-core DeadlineExceeded 504",
                api_core(
                    &["DeadlineExceeded", "GatewayTimeout", "ServerError"],
                    Some(504),
                    Some("DEADLINE_EXCEEDED"),
                    "Deadline Exceeded",
                ),
                Network,
                true,
            ),
            row(
                "api-core GatewayTimeout 504",
                api_core(
                    &["GatewayTimeout", "ServerError"],
                    Some(504),
                    None,
                    "Deadline expired",
                ),
                Network,
                true,
            ),
            row(
                "api-core Cancelled 499",
                api_core(
                    &["Cancelled", "ClientError"],
                    Some(499),
                    Some("CANCELLED"),
                    "cancelled",
                ),
                Unknown,
                false,
            ),
            row(
                "api-core Aborted 409",
                api_core(
                    &["Aborted", "Conflict", "ClientError"],
                    Some(409),
                    Some("ABORTED"),
                    "aborted",
                ),
                ServerError,
                true,
            ),
            row(
                "raw gRPC UNAVAILABLE",
                raw("UNAVAILABLE", "The model is overloaded."),
                Overloaded,
                true,
            ),
            row(
                "raw gRPC StatusCode.UNAVAILABLE",
                raw("StatusCode.UNAVAILABLE", "overloaded"),
                Overloaded,
                true,
            ),
            row(
                "raw gRPC RESOURCE_EXHAUSTED",
                raw("RESOURCE_EXHAUSTED", "Quota exceeded."),
                RateLimited,
                true,
            ),
            row(
                "raw gRPC DEADLINE_EXCEEDED",
                raw("DEADLINE_EXCEEDED", "Deadline Exceeded"),
                Network,
                true,
            ),
            row(
                "raw gRPC PERMISSION_DENIED",
                raw("PERMISSION_DENIED", "denied"),
                Auth,
                false,
            ),
            row(
                "raw gRPC INVALID_ARGUMENT",
                raw("INVALID_ARGUMENT", "bad field"),
                BadRequest,
                false,
            ),
        ],
    );
    // Without its name listed and without network retries, a raw UNAVAILABLE is not retried.
    let no_names = RetryRules {
        retry_network: false,
        ..RetryRules::default()
    };
    check(
        &no_names,
        [row(
            "raw gRPC UNAVAILABLE, no names",
            raw("UNAVAILABLE", "overloaded"),
            Overloaded,
            false,
        )],
    );
}

#[test]
fn provider_codes_for_auth_not_found_and_content_filters() {
    check(
        &default_rules(),
        [
            row(
                "openai invalid_api_key 401",
                openai(
                    "AuthenticationError",
                    401,
                    Some("invalid_request_error"),
                    Some("invalid_api_key"),
                    "Incorrect API key provided",
                ),
                Auth,
                false,
            ),
            row(
                "openai unsupported_country_region_territory 403",
                openai(
                    "PermissionDeniedError",
                    403,
                    Some("request_forbidden"),
                    Some("unsupported_country_region_territory"),
                    "Country, region, or territory not supported",
                ),
                Auth,
                false,
            ),
            row(
                "groq model_not_found 404",
                groq("NotFoundError", 404, "invalid_request_error", Some("model_not_found"), "missing"),
                NotFound,
                false,
            ),
            row(
                "groq permissions_error 403",
                groq("PermissionDeniedError", 403, "permissions_error", None, "Forbidden"),
                Auth,
                false,
            ),
            row(
                "mistral rate_limited 429",
                mistral(429, "rate_limited", "Requests rate limit exceeded").code("body.code", "1300"),
                RateLimited,
                true,
            ),
            row(
                "Azure content_filter and ResponsibleAIPolicyViolation",
                openai(
                    "BadRequestError",
                    400,
                    None,
                    Some("content_filter"),
                    "The response was filtered due to the prompt triggering Azure OpenAI's content \
                     management policy.",
                )
                .code("body.innererror.code", "ResponsibleAIPolicyViolation"),
                ContentFiltered,
                false,
            ),
            row(
                "Azure ResponsibleAIPolicyViolation only",
                openai("BadRequestError", 400, None, None, "filtered")
                    .code("body.error.innererror.code", "ResponsibleAIPolicyViolation"),
                ContentFiltered,
                false,
            ),
            row(
                "openai invalid_prompt",
                openai(
                    "BadRequestError",
                    400,
                    Some("invalid_request_error"),
                    Some("invalid_prompt"),
                    "Invalid prompt: flagged",
                ),
                ContentFiltered,
                false,
            ),
        ],
    );
}

#[test]
fn codes_are_case_insensitive_and_trimmed() {
    let client_error =
        |code| sdk("botocore.exceptions", &["ClientError"]).code("response['Error']['Code']", code);
    check(
        &default_rules(),
        [
            row(
                "upper case",
                client_error("THROTTLINGEXCEPTION"),
                RateLimited,
                true,
            ),
            row(
                "padded",
                client_error(" throttlingexception "),
                RateLimited,
                true,
            ),
            row(
                "with a suffix",
                client_error("ThrottlingException:http://x/y"),
                RateLimited,
                true,
            ),
        ],
    );
    assert_eq!(code_key("StatusCode.UNAVAILABLE"), "UNAVAILABLE");
    assert_eq!(
        code_key("  ThrottlingException : http://x "),
        "ThrottlingException"
    );
    assert_eq!(code_key(""), "");
    assert_eq!(code_key(":"), "");
}
