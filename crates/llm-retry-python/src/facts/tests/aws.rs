//! botocore's parsed response and the `x-amzn-errortype` header.

use super::fixtures::{codes, headers, messages, statuses, with_attrs};

#[test]
fn reads_a_bedrock_client_error() {
    let facts = with_attrs(
        "response = {'Error': {'Code': 'ThrottlingException', 'Message': 'Too many requests'}, 'ResponseMetadata': {'HTTPStatusCode': 429, 'RetryAttempts': 2, 'HTTPHeaders': {'retry-after': '3'}}}",
    );
    assert_eq!(
        codes(&facts),
        [("response['Error']['Code']", "ThrottlingException")]
    );
    assert_eq!(
        messages(&facts),
        [("response['Error']['Message']", "Too many requests")]
    );
    assert_eq!(
        statuses(&facts),
        [("response['ResponseMetadata']['HTTPStatusCode']", 429)]
    );
    assert_eq!(facts.sdk_retries, Some(2));
    assert_eq!(headers(&facts), [("retry-after", "3")]);
}

#[test]
fn reads_the_sagemaker_original_status() {
    let facts =
        with_attrs("response = {'Error': {'Code': 'ModelError'}, 'OriginalStatusCode': 503}");
    assert_eq!(facts.original_status.map(|e| e.value), Some(503));
}

#[test]
fn a_negative_retry_count_is_absent() {
    let facts = with_attrs("response = {'ResponseMetadata': {'RetryAttempts': -1}}");
    assert_eq!(facts.sdk_retries, None);
}

#[test]
fn the_errortype_header_gives_a_code() {
    let facts = with_attrs(
        "headers = {'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'}",
    );
    assert_eq!(
        codes(&facts),
        [("x-amzn-errortype header", "ThrottlingException")]
    );
}
