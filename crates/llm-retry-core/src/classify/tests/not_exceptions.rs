//! Rule 1: a `BaseException` that is not an `Exception` (interrupt, exit, cancellation), or no exception at
//! all, is never retried, whatever it carries.

use super::fixtures::*;

#[test]
fn interrupts_cancellations_and_non_exceptions_are_never_retried() {
    let base = |module, name| not_an_exception_named(module, name);
    check(
        &default_rules(),
        [
            row(
                "KeyboardInterrupt",
                base("builtins", "KeyboardInterrupt"),
                Unknown,
                false,
            )
            .begins("KeyboardInterrupt")
            .says("never retried")
            .says("is a BaseException that is not an Exception"),
            row("SystemExit", base("builtins", "SystemExit"), Unknown, false)
                .begins("SystemExit")
                .says("never retried"),
            row(
                "GeneratorExit",
                base("builtins", "GeneratorExit"),
                Unknown,
                false,
            )
            .begins("GeneratorExit")
            .says("never retried"),
            row(
                "asyncio CancelledError",
                base("asyncio.exceptions", "CancelledError"),
                Unknown,
                false,
            )
            .begins("CancelledError")
            .says("never retried"),
            row("trio Cancelled", base("trio", "Cancelled"), Unknown, false)
                .begins("Cancelled")
                .says("never retried"),
            row(
                "an object that is not an exception",
                ErrorFacts::of_classes(false, vec![class("mylib", "Oops")].into()),
                Unknown,
                false,
            )
            .reads("Oops (mylib) is not an exception: unknown, never retried"),
            row(
                "an object without classes",
                ErrorFacts::of_classes(false, Vec::new().into()),
                Unknown,
                false,
            )
            .begins("the object is not an exception"),
            // ErrorFacts::default() is a BaseException too: facts that say nothing are never retried.
            row("default facts", ErrorFacts::default(), Unknown, false)
                .begins("the object is not an exception"),
        ],
    );
}

#[test]
fn a_base_exception_is_never_retried_even_when_everything_says_retry() {
    let facts = ErrorFacts {
        is_exception: false,
        ..sdk("asyncio.exceptions", &["CancelledError"])
            .status("status_code", 503)
            .code(".type", "overloaded_error")
            .header("x-should-retry", "true")
    };
    let rules = RetryRules {
        retryable_names: vec!["cancellederror".into()],
        ..default_rules()
    };
    check(
        &rules,
        [row(
            "CancelledError with 503 and x-should-retry",
            facts,
            Unknown,
            false,
        )],
    );
}
