//! `google.rpc` details: RetryInfo, QuotaFailure and ErrorInfo, as JSON dicts and as protobuf messages.

use super::fixtures::{codes, facts_from, with_attrs};

#[test]
fn reads_json_details_in_a_genai_body() {
    let facts = with_attrs(
        "details = {'error': {'code': 429, 'details': [
            {'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '20s'},
            {'@type': 'type.googleapis.com/google.rpc.QuotaFailure', 'violations': [{'quotaId': 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'}]},
            {'@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'RATE_LIMIT_EXCEEDED'}]}}"
            .replace('\n', " ")
            .as_str(),
    );
    assert_eq!(facts.body_retry_delay.as_deref(), Some("20s"));
    assert_eq!(
        facts.quota_ids,
        ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"]
    );
    assert_eq!(codes(&facts), [("ErrorInfo.reason", "RATE_LIMIT_EXCEEDED")]);
}

#[test]
fn reads_an_api_core_detail_list() {
    let facts = with_attrs(
        "details = [{'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '1.5s'}]",
    );
    assert_eq!(facts.body_retry_delay.as_deref(), Some("1.5s"));
}

#[test]
fn reads_protobuf_details() {
    let facts = facts_from(
        "class Duration:\n    seconds = 3\n    nanos = 500000000\nclass RetryInfo:\n    retry_delay = Duration()\nclass Violation:\n    quota_id = 'PerMinute'\nclass QuotaFailure:\n    violations = [Violation()]\nclass ErrorInfo:\n    reason = 'RATE_LIMIT_EXCEEDED'\nexc = Exception()\nexc.details = [RetryInfo(), QuotaFailure(), ErrorInfo()]\n",
    );
    assert_eq!(facts.body_retry_delay.as_deref(), Some("3.500000000s"));
    assert_eq!(facts.quota_ids, ["PerMinute"]);
    assert_eq!(codes(&facts), [("ErrorInfo.reason", "RATE_LIMIT_EXCEEDED")]);
}

#[test]
fn a_negative_or_malformed_duration_is_ignored() {
    let facts = facts_from(
        "class Duration:\n    seconds = -1\n    nanos = 0\nclass RetryInfo:\n    retry_delay = Duration()\nexc = Exception()\nexc.details = [RetryInfo()]\n",
    );
    assert_eq!(facts.body_retry_delay, None);
}

#[test]
fn the_first_retry_delay_wins() {
    let facts = with_attrs(
        "details = [{'@type': 'x.RetryInfo', 'retryDelay': '5s'}, {'@type': 'x.RetryInfo', 'retryDelay': '9s'}]",
    );
    assert_eq!(facts.body_retry_delay.as_deref(), Some("5s"));
}
