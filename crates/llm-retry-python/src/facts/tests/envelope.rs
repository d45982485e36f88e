//! The JSON error envelope, its inner dict, flat bodies and str bodies.

use super::fixtures::{codes, messages, statuses, with_attrs};

#[test]
fn reads_the_anthropic_envelope() {
    let facts = with_attrs(
        "body = {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}",
    );
    assert_eq!(codes(&facts), [("body.error.type", "overloaded_error")]);
    assert_eq!(messages(&facts), [("body.error.message", "Overloaded")]);
}

#[test]
fn reads_the_openai_inner_dict() {
    let facts = with_attrs(
        "body = {'message': 'You exceeded your current quota', 'type': 'insufficient_quota', 'code': 'insufficient_quota'}",
    );
    assert_eq!(
        codes(&facts),
        [
            ("body.type", "insufficient_quota"),
            ("body.code", "insufficient_quota")
        ]
    );
}

#[test]
fn an_int_code_in_the_google_envelope_is_a_status() {
    let facts = with_attrs(
        "body = {'error': {'code': 429, 'status': 'RESOURCE_EXHAUSTED', 'message': 'Quota exceeded'}}",
    );
    assert_eq!(statuses(&facts), [("body.error.code", 429)]);
    assert_eq!(codes(&facts), [("body.error.status", "RESOURCE_EXHAUSTED")]);
}

#[test]
fn reads_a_json_str_body() {
    let facts = with_attrs("body = '{\"error\": {\"code\": \"rate_limit_exceeded\"}}'");
    assert_eq!(codes(&facts), [("body.error.code", "rate_limit_exceeded")]);
}

#[test]
fn a_plain_str_body_is_a_message() {
    let facts = with_attrs("body = 'upstream overloaded, try later'");
    assert_eq!(
        messages(&facts),
        [("body", "upstream overloaded, try later")]
    );
}

#[test]
fn a_str_error_field_is_a_message() {
    let facts = with_attrs("body = {'error': 'Service Unavailable'}");
    assert_eq!(messages(&facts), [("body.error", "Service Unavailable")]);
}

#[test]
fn reads_azure_innererror_and_cohere_details() {
    let facts = with_attrs(
        "body = {'error': {'code': 'content_filter', 'innererror': {'code': 'ResponsibleAIPolicyViolation'}}}",
    );
    assert_eq!(
        codes(&facts),
        [
            ("body.error.code", "content_filter"),
            ("body.error.innererror.code", "ResponsibleAIPolicyViolation")
        ]
    );
    let cohere = with_attrs("body = {'details': {'error_code': 'too_many_tokens'}}");
    assert_eq!(
        codes(&cohere),
        [("body.details.error_code", "too_many_tokens")]
    );
}

#[test]
fn a_type_of_error_is_not_a_code() {
    let facts = with_attrs("body = {'type': 'error'}");
    assert!(facts.codes.is_empty());
}

#[test]
fn a_big_body_dict_is_read_by_name() {
    let facts = with_attrs("body = {**{f'k{i}': i for i in range(200)}, 'code': 'server_error'}");
    assert_eq!(codes(&facts), [("body.code", "server_error")]);
}

#[test]
fn a_broken_json_body_is_a_message() {
    let facts = with_attrs("body = '{not json'");
    assert_eq!(messages(&facts), [("body", "{not json")]);
}

#[test]
fn the_same_message_is_kept_once() {
    let facts = with_attrs("message = 'Overloaded'\nbody = {'error': {'message': 'Overloaded'}}");
    assert_eq!(messages(&facts), [(".message", "Overloaded")]);
}
