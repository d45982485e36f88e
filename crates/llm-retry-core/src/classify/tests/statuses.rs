//! The status decides when no decisive code or class outranks it: which status is read (the nested
//! original, the first valid one), what each means, and the 498 that depends on the SDK (trap 4).

use super::fixtures::*;

#[test]
fn an_http_status_error_is_decided_by_its_status() {
    let status_error = |status| http_status_error("httpx", status);
    let mut rows = vec![row(
        "httpx2 429",
        http_status_error("httpx2", 429),
        RateLimited,
        true,
    )
    .at_status(429)
    .reads("429 from response.status_code: rate_limited, retried")];
    for (status, kind, retryable) in [
        (503, Overloaded, true),
        (529, Overloaded, true),
        (500, ServerError, true),
        (502, ServerError, true),
        (504, ServerError, true),
        (409, ServerError, true),
        (408, Network, true),
        (401, Auth, false),
        (403, Auth, false),
        (404, NotFound, false),
        (400, BadRequest, false),
        (422, BadRequest, false),
        (501, BadRequest, false),
        (499, Unknown, false),
        (413, ContextOverflow, false),
        (402, QuotaExhausted, false),
        // A bare 498 is Groq's capacity or cohere's auth: only the SDK can tell.
        (498, Unknown, false),
    ] {
        rows.push(
            row("httpx status", status_error(status), kind, retryable).at_status(status as u16),
        );
    }
    // 1xx and 3xx say nothing about an error.
    for status in [100, 204, 302] {
        rows.push(row("1xx-3xx status", status_error(status), Unknown, false));
    }
    check(&default_rules(), rows);
}

#[test]
fn statuses_outside_http_are_ignored_and_the_first_valid_one_is_used() {
    let mut rows = Vec::new();
    for status in [-1, 0, 99, 600, 99_999, i64::MAX, i64::MIN] {
        rows.push(
            row(
                "absurd status",
                http_status_error("httpx", status),
                Unknown,
                false,
            )
            .no_status(),
        );
        let original = boto("ModelError", Some(status), "x", true).original_status("o", status);
        rows.push(row("absurd original status", original, Unknown, false).no_status());
    }
    let first_valid = sdk("x", &["E"])
        .status("code", -1)
        .status("response.status_code", 429);
    rows.push(row("the first valid status", first_valid, RateLimited, true).at_status(429));
    check(&default_rules(), rows);
}

#[test]
fn sagemaker_model_error_is_classified_by_its_original_status() {
    let model_error = |original| {
        boto(
            "ModelError",
            Some(424),
            "Received client error from primary",
            true,
        )
        .original_status("response['OriginalStatusCode']", original)
    };
    check(
        &default_rules(),
        [
            row("original 429", model_error(429), RateLimited, true)
                .at_status(429)
                .says("inside HTTP 424"),
            row("original 503", model_error(503), Overloaded, true)
                .at_status(503)
                .says("inside HTTP 424"),
            row("original 400", model_error(400), BadRequest, false)
                .at_status(400)
                .says("inside HTTP 424"),
            row(
                "Bedrock ModelErrorException 424",
                boto(
                    "ModelErrorException",
                    Some(424),
                    "The model returned an error.",
                    true,
                ),
                Unknown,
                false,
            )
            .at_status(424),
            // A nonsense original status is ignored.
            row(
                "original -7",
                boto("ModelError", Some(424), "x", true)
                    .original_status("response['OriginalStatusCode']", -7),
                Unknown,
                false,
            )
            .at_status(424),
        ],
    );
}

#[test]
fn the_sdk_decides_what_498_means() {
    let capacity = groq(
        "APIStatusError",
        498,
        "internal_server_error",
        Some("capacity_exceeded"),
        "The flex tier is at capacity.",
    );
    let cohere_token = cohere(
        "InvalidTokenError",
        "cohere.errors.invalid_token_error",
        498,
        "invalid api token",
    );
    check(
        &default_rules(),
        [
            row("groq 498 capacity_exceeded", capacity, Overloaded, true).at_status(498),
            row("cohere 498 InvalidTokenError", cohere_token, Auth, false),
        ],
    );
    // Without the code, groq's 498 is still capacity (the SDK decides it), retried where 498 is listed.
    let groq_rules = RetryRules {
        retryable_status_codes: vec![408, 409, 429, 498, 500, 502, 503, 504],
        ..default_rules()
    };
    let bare = groq(
        "APIStatusError",
        498,
        "internal_server_error",
        None,
        "at capacity",
    );
    check(&groq_rules, [row("groq bare 498", bare, Overloaded, true)]);
    // Even a config that lists 498 never retries cohere's.
    let rules = RetryRules {
        retryable_status_codes: vec![498],
        ..default_rules()
    };
    let plain_api_error = cohere(
        "ApiError",
        "cohere.core.api_error",
        498,
        "invalid api token",
    );
    check(
        &rules,
        [row(
            "cohere plain ApiError 498",
            plain_api_error,
            Auth,
            false,
        )],
    );
}

#[test]
fn status_classes_restate_their_status() {
    let anthropic_rows = [
        (
            "anthropic 529 OverloadedError",
            &["OverloadedError", "InternalServerError"][..],
            529,
            "overloaded_error",
            Overloaded,
            true,
        ),
        (
            "anthropic 503 ServiceUnavailableError",
            &["ServiceUnavailableError", "InternalServerError"],
            503,
            "api_error",
            Overloaded,
            true,
        ),
        (
            "anthropic 500 InternalServerError",
            &["InternalServerError"],
            500,
            "api_error",
            ServerError,
            true,
        ),
        (
            "anthropic 504 GatewayTimeoutError",
            &["GatewayTimeoutError", "InternalServerError"],
            504,
            "timeout_error",
            ServerError,
            true,
        ),
        (
            "anthropic 404",
            &["NotFoundError"],
            404,
            "not_found_error",
            NotFound,
            false,
        ),
        (
            "anthropic 403",
            &["PermissionDeniedError"],
            403,
            "permission_error",
            Auth,
            false,
        ),
        (
            "anthropic 422",
            &["UnprocessableEntityError"],
            422,
            "invalid_request_error",
            BadRequest,
            false,
        ),
        (
            "anthropic bare 431",
            &[],
            431,
            "invalid_request_error",
            BadRequest,
            false,
        ),
        (
            "anthropic 408 RequestTimeoutError",
            &["RequestTimeoutError"],
            408,
            "timeout_error",
            Network,
            true,
        ),
        (
            "anthropic 409 ConflictError",
            &["ConflictError"],
            409,
            "conflict_error",
            ServerError,
            true,
        ),
    ];
    let mut rows: Vec<Row> = anthropic_rows
        .into_iter()
        .map(|(name, chain, status, error_type, kind, retryable)| {
            row(
                name,
                anthropic(chain, status, error_type, "x"),
                kind,
                retryable,
            )
        })
        .collect();
    rows.extend([
        row(
            "openai 503 InternalServerError (any >= 500)",
            openai(
                "InternalServerError",
                503,
                Some("server_error"),
                None,
                "overloaded",
            ),
            Overloaded,
            true,
        ),
        row(
            "cohere 503 ServiceUnavailableError",
            cohere(
                "ServiceUnavailableError",
                "cohere.errors.service_unavailable_error",
                503,
                "service unavailable",
            ),
            Overloaded,
            true,
        ),
        // cohere errors are read from status and body, not str().
        row(
            "cohere plain ApiError 502",
            exc(&[("cohere.core.api_error", "ApiError")])
                .status("status_code", 502)
                .message("body", "Bad Gateway"),
            ServerError,
            true,
        ),
        row(
            "mistral 401",
            sdk("mistralai.client.errors", &["SDKError", "MistralError"])
                .status("status_code", 401)
                .message("body.message", "Unauthorized"),
            Auth,
            false,
        ),
        row(
            "requests HTTPError 401, though it is an OSError (trap 14)",
            exc(&[
                ("requests.exceptions", "HTTPError"),
                ("requests.exceptions", "RequestException"),
                ("builtins", "OSError"),
            ])
            .status("response.status_code", 401),
            Auth,
            false,
        ),
        row(
            "cohere NotImplementedError 501",
            cohere(
                "NotImplementedError",
                "cohere.errors.not_implemented_error",
                501,
                "not implemented",
            ),
            BadRequest,
            false,
        ),
        // Trap 10: `.status` is a reason phrase in genai, an int in aiohttp.
        row(
            "genai 502 'Bad Gateway'",
            genai("ServerError", 502, "Bad Gateway", "<html>502</html>"),
            ServerError,
            true,
        ),
        row(
            "aiohttp int status 503",
            sdk(
                "aiohttp.client_exceptions",
                &["ClientResponseError", "ClientError"],
            )
            .status("status", 503)
            .status("code", 503),
            Overloaded,
            true,
        ),
        // Trap 8: genai's stream error carries its own code besides the response's 200.
        row(
            "genai stream error 503 inside a 200",
            sdk("google.genai.errors", &["ServerError", "APIError"])
                .status("code", 503)
                .code(".status", "UNAVAILABLE")
                .status("response.status_code", 200),
            Overloaded,
            true,
        )
        .at_status(503),
        // anthropic's 413 from Cloudflare is HTML without a type: the status says overflow.
        row(
            "anthropic 413 Cloudflare HTML",
            sdk(
                "anthropic",
                &[
                    "RequestTooLargeError",
                    "APIStatusError",
                    "APIError",
                    "AnthropicError",
                ],
            )
            .status("status_code", 413)
            .message(
                "body",
                "<html><head><title>413 Request Entity Too Large</title></head></html>",
            ),
            ContextOverflow,
            false,
        ),
    ]);
    // Proxies answer with HTML: the status decides.
    for (name, status, kind) in [
        ("proxy 502", 502, ServerError),
        ("proxy 504", 504, ServerError),
        ("proxy 503", 503, Overloaded),
    ] {
        let facts = sdk(
            "openai",
            &[
                "InternalServerError",
                "APIStatusError",
                "APIError",
                "OpenAIError",
            ],
        )
        .status("status_code", status)
        .message(
            "body",
            "<html><center><h1>502 Bad Gateway</h1></center>cloudflare</html>",
        );
        rows.push(row(name, facts, kind, true));
    }
    check(&default_rules(), rows);
}
