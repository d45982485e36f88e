//! The second ring's knowledge (frameworks and providers beyond the first eight), as the bindings read it
//! off their errors; the same shapes are built by the packages' own code in tests/conformance (ring 2),
//! except LiteLLM's, which does not co-install with the first suite's pins.

use super::fixtures::*;

fn litellm(class: &str, status: i64, error_type: &str, message: &str) -> ErrorFacts {
    sdk(
        "litellm.exceptions",
        &[class, "APIStatusError", "APIError", "OpenAIError"],
    )
    .status("status_code", status)
    .code(".type", error_type)
    .message(".message", message)
}

#[test]
fn litellm_shapes() {
    let router = sdk(
        "litellm.types.router",
        &["RouterRateLimitError", "ValueError"],
    )
    .status("status_code", 429)
    .code(".type", "all_deployments_in_cooldown");
    let mut router_with_cooldown = router.clone();
    router_with_cooldown.stated_delay = Some(Evidence::new(".cooldown_time", 5.0));
    let budget = sdk("litellm.exceptions", &["BudgetExceededError"])
        .status("status_code", 400)
        .message(
            ".message",
            "Budget has been exceeded! Current cost: 1.2, Max budget: 1.0",
        );
    let quota_body = litellm(
        "RateLimitError",
        429,
        "throttling_error",
        "OpenAIException - quota",
    )
    .code("body.code", "insufficient_quota");
    // A refused connection: LiteLLM's APIConnectionError carries status_code 500.
    let refused = sdk(
        "litellm.exceptions",
        &[
            "APIConnectionError",
            "APIConnectionError",
            "APIError",
            "OpenAIError",
        ],
    )
    .status("status_code", 500);
    check(
        &default_rules(),
        [
            row("Router cooldown", router, RateLimited, true).at_status(429),
            row("LiteLLM budget", budget, QuotaExhausted, false).says("BudgetExceededError"),
            row(
                "LiteLLM keeps insufficient_quota in its body",
                quota_body,
                QuotaExhausted,
                false,
            ),
            row("LiteLLM refused connection", refused, Network, true),
            row(
                "LiteLLM mid-stream 200 without status",
                sdk("litellm.exceptions", &["RateLimitError"]).code(".type", "throttling_error"),
                RateLimited,
                false,
            ),
        ],
    );
    let c = judged(&router_with_cooldown);
    assert_eq!(c.retry_after_s, Some(5.0));
    // With the framework names listed (DefaultPreset does), a status-less throttling_error is retried.
    let c = judged_with(
        &sdk("litellm.exceptions", &["RateLimitError"]).code(".type", "throttling_error"),
        &names(&["throttling_error"]),
    );
    assert_verdict(&c, RateLimited, true);
}

#[test]
fn framework_categories_that_say_more_than_the_status() {
    let pydantic = |class: &str, status: i64| {
        sdk(
            "pydantic_ai.exceptions",
            &[
                class,
                "_CategorizedHTTPError",
                "ModelHTTPError",
                class,
                "ModelAPIError",
            ],
        )
        .status("status_code", status)
    };
    let langchain =
        |classes: &[(&str, &str)], status: i64| exc(classes).status("status_code", status);
    check(
        &default_rules(),
        [
            row(
                "pydantic-ai quota on a 429",
                pydantic("ModelQuotaExceededError", 429),
                QuotaExhausted,
                false,
            ),
            row(
                "pydantic-ai context window on a 400",
                pydantic("ModelContextWindowExceededError", 400),
                ContextOverflow,
                false,
            ),
            row(
                "pydantic-ai rate limit restates 429",
                pydantic("ModelRateLimitError", 429),
                RateLimited,
                true,
            )
            .says("429 from status_code"),
            row(
                "pydantic-ai content filter after 200",
                sdk(
                    "pydantic_ai.exceptions",
                    &["ContentFilterError", "UnexpectedModelBehavior"],
                ),
                ContentFiltered,
                false,
            ),
            row(
                "LangChain overflow, also anthropic's BadRequestError",
                langchain(
                    &[
                        (
                            "langchain_anthropic.chat_models",
                            "AnthropicContextOverflowError",
                        ),
                        ("anthropic", "BadRequestError"),
                        ("langchain_core.exceptions", "ContextOverflowError"),
                    ],
                    400,
                ),
                ContextOverflow,
                false,
            ),
            row(
                "OpenAI Agents guardrail",
                sdk(
                    "agents.exceptions",
                    &["InputGuardrailTripwireTriggered", "AgentsException"],
                ),
                ContentFiltered,
                false,
            ),
            row(
                "azure-core ServiceRequestError",
                sdk(
                    "azure.core.exceptions",
                    &["ServiceRequestError", "AzureError"],
                ),
                Network,
                true,
            ),
        ],
    );
}

#[test]
fn provider_statuses_and_phrases_of_the_second_ring() {
    let together = |status: i64, message: &str| {
        sdk(
            "together",
            &[
                "PermissionDeniedError",
                "APIStatusError",
                "APIError",
                "TogetherError",
            ],
        )
        .status("status_code", status)
        .message(".message", message)
    };
    let tgi = "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096";
    check(
        &default_rules(),
        [
            row(
                "Together 403 is a token limit",
                together(403, "Forbidden"),
                ContextOverflow,
                false,
            )
            .says("Together's token limit"),
            row(
                "another SDK's 403 is auth",
                openai("PermissionDeniedError", 403, None, None, ""),
                Auth,
                false,
            ),
            row(
                "Cloudflare 524",
                exc(&[("httpx", "HTTPStatusError")]).status("response.status_code", 524),
                Network,
                true,
            ),
            row(
                "Cloudflare 520 is a server error, not listed",
                exc(&[("httpx", "HTTPStatusError")]).status("response.status_code", 520),
                ServerError,
                false,
            ),
            row(
                "TGI validation on a 422",
                exc(&[("huggingface_hub.errors", "HfHubHTTPError")])
                    .status("response.status_code", 422)
                    .message("str(exc)", tgi),
                ContextOverflow,
                false,
            ),
            row(
                "ollama context length",
                exc(&[("ollama._types", "ResponseError")])
                    .status("status_code", 400)
                    .message(".error", "the input length exceeds the context length"),
                ContextOverflow,
                false,
            ),
            row(
                "DeepSeek insufficient balance as a 400",
                openai("BadRequestError", 400, None, None, "Insufficient Balance"),
                QuotaExhausted,
                false,
            ),
            row(
                "ollama stream sentinel -1 is no status",
                exc(&[("ollama._types", "ResponseError")])
                    .status("status_code", -1)
                    .message(".error", "boom"),
                Unknown,
                false,
            )
            .no_status(),
        ],
    );
}

#[test]
fn instructor_retry_exception_takes_the_sdk_error_it_wraps() {
    // instructor 1.x: InstructorRetryException from tenacity's RetryError from the SDK's error (instructor
    // does not co-install with openai 3.54, so this shape is read from its source, not built by it).
    let wrap = |inner: ErrorFacts| {
        sdk(
            "instructor.core.exceptions",
            &["InstructorRetryException", "InstructorError"],
        )
        .cause(sdk("tenacity", &["RetryError"]).cause(inner))
    };
    let rate_limited = openai(
        "RateLimitError",
        429,
        Some("requests"),
        Some("rate_limit_exceeded"),
        "",
    )
    .header("retry-after", "3");
    let c = judged(&wrap(rate_limited));
    assert_verdict(&c, RateLimited, true);
    assert_eq!(c.retry_after_s, Some(3.0));
    let quota = openai(
        "RateLimitError",
        429,
        Some("insufficient_quota"),
        Some("insufficient_quota"),
        "",
    );
    assert_verdict(&judged(&wrap(quota)), QuotaExhausted, false);
    // Validation failures the model never fixed: nothing says a retry of the whole call would.
    let invalid = sdk(
        "pydantic_core._pydantic_core",
        &["ValidationError", "ValueError"],
    );
    assert_verdict(&judged(&wrap(invalid)), Unknown, false);
}
