//! The retry decision under a configuration: never-retry kinds first, then the status list (the whole
//! list where the status decided), network retries, and names; and the reason that says which applied.

use super::fixtures::*;

#[test]
fn a_config_status_list_is_the_whole_list() {
    let rules = RetryRules {
        retryable_status_codes: vec![429, 500, 529],
        ..default_rules()
    };
    // anthropic's HTTPNotImplementedError is an InternalServerError with type api_error: even a config that
    // lists both names leaves a 501 alone, because the status decided the kind.
    let both_names = RetryRules {
        retryable_names: vec!["internalservererror".into(), "api_error".into()],
        ..default_rules()
    };
    check(
        &rules,
        [
            row(
                "httpx 502, not listed",
                http_status_error("httpx", 502),
                ServerError,
                false,
            )
            .says("lists neither"),
            // Names do not widen it where the status decided: anthropic's 502 api_error stays unretried.
            row(
                "anthropic 502 api_error, not listed",
                anthropic(&["InternalServerError"], 502, "api_error", "Bad gateway"),
                ServerError,
                false,
            ),
            row(
                "httpx 529, listed",
                http_status_error("httpx", 529),
                Overloaded,
                true,
            ),
        ],
    );
    check(
        &both_names,
        [
            row(
                "anthropic 501 HTTPNotImplementedError",
                anthropic(
                    &["HTTPNotImplementedError", "InternalServerError"],
                    501,
                    "api_error",
                    "Not implemented",
                ),
                BadRequest,
                false,
            ),
            row(
                "anthropic 499 api_error",
                anthropic(&["ClientClosedRequestError"], 499, "api_error", "closed"),
                Unknown,
                false,
            ),
        ],
    );
}

#[test]
fn a_code_outranking_its_status_needs_its_name_listed() {
    // The contract: kinds that come from a code with no matching status are retried by name only.
    check(
        &RetryRules::default(),
        [row(
            "AWS ThrottlingException 400, no names",
            boto("ThrottlingException", Some(400), "Rate exceeded", false),
            RateLimited,
            false,
        )
        .says("lists neither")],
    );
}

#[test]
fn network_retries_can_be_turned_off_and_names_turn_them_back_on() {
    let off = RetryRules {
        retry_network: false,
        ..RetryRules::default()
    };
    check(
        &off,
        [row(
            "network retries off",
            connect_error("httpx2"),
            Network,
            false,
        )
        .says("network retries are off")],
    );
    let named = RetryRules {
        retryable_names: vec!["connecterror".into()],
        ..off
    };
    check(
        &named,
        [row(
            "network retries off, ConnectError named",
            connect_error("httpx2"),
            Network,
            true,
        )],
    );
}

#[test]
fn never_retry_kinds_win_over_statuses_names_and_server_hints() {
    let rules = RetryRules {
        retryable_status_codes: vec![401, 429],
        retryable_names: vec!["authenticationerror".into(), "insufficient_quota".into()],
        ..RetryRules::default()
    };
    let auth = anthropic(
        &["AuthenticationError"],
        401,
        "authentication_error",
        "bad key",
    );
    check(
        &rules,
        [row(
            "401 listed by status and name",
            auth.clone(),
            Auth,
            false,
        )],
    );
    check(
        &default_rules(),
        [row(
            "401 with x-should-retry: true and a retry-after",
            anthropic(
                &["AuthenticationError"],
                401,
                "authentication_error",
                "invalid x-api-key",
            )
            .header("x-should-retry", "true")
            .header("retry-after", "1"),
            Auth,
            false,
        )
        .ends("never retried")],
    );
    // A config may choose to retry a kind the defaults never retry.
    let lenient = RetryRules {
        never_retry_kinds: vec![],
        ..rules
    };
    check(
        &lenient,
        [row("401, no never-retry kinds", auth, Auth, true)],
    );
}

#[test]
fn custom_names_retry_custom_exceptions() {
    let facts = sdk("myapp.errors", &["TransientBackendError"]);
    check(
        &default_rules(),
        [row("not named", facts.clone(), Unknown, false)],
    );
    check(
        &names(&["transientbackenderror"]),
        [row("named", facts.clone(), Unknown, true)],
    );
    // Names are compared ignoring case, whatever case the rules hold.
    check(
        &names(&["TRANSIENTBACKENDERROR"]),
        [row("named in upper case", facts, Unknown, true)],
    );
}

#[test]
fn a_retry_by_name_says_which_name_matched() {
    let cases = [
        (
            "a class name",
            sdk("myapp.errors", &["TransientBackendError"]),
            names(&["transientbackenderror"]),
            "TransientBackendError (myapp.errors) is in retryable_exception_names: unknown, retried",
        ),
        (
            "a base class name",
            sdk("myapp.errors", &["ReplicaLagError", "TransientBackendError"]),
            names(&["transientbackenderror"]),
            "TransientBackendError (myapp.errors), a base class of ReplicaLagError, is in \
             retryable_exception_names: unknown, retried",
        ),
        (
            "a code string",
            sdk("myapp.errors", &["BackendError"]).code(".code", "replica_lag"),
            names(&["REPLICA_LAG"]),
            "'replica_lag' (.code) is in retryable_exception_names: unknown, retried",
        ),
        (
            "a wrapper's class name, its cause deciding the kind",
            sdk("myapp", &["LLMCallFailed"]).cause(
                sdk("openai", &["APIError", "OpenAIError"]).code(".type", "server_error"),
            ),
            names(&["llmcallfailed"]),
            "APIError (openai) with error code 'server_error' (.type) via __cause__ of LLMCallFailed, \
             and LLMCallFailed (myapp) is in retryable_exception_names: server_error, retried",
        ),
        (
            "the code that decided the kind is not named twice",
            sdk("openai", &["APIError", "OpenAIError"]).code(".type", "server_error"),
            names(&["server_error"]),
            "error code 'server_error' (.type): server_error, retried",
        ),
    ];
    for (name, facts, rules, reason) in cases {
        let c = judged_with(&facts, &rules);
        assert!(c.retryable, "{name}: {}", c.reason);
        assert_eq!(c.reason, reason, "{name}");
        assert!(
            !c.reason.contains("carries no status"),
            "{name}: {}",
            c.reason
        );
    }
}
