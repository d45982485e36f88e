//! Where AWS keeps an error's fields: botocore's parsed `ClientError.response` dict (Bedrock, SageMaker) and
//! the `x-amzn-errortype` header that AnthropicBedrock and raw AWS responses carry.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use llm_retry_core::classify::{ErrorFacts, Evidence};

use super::attributes::get;
use super::http::read_headers;
use super::values::{int_of, text_of};

/// botocore `ClientError.response`: `Error.Code`, `ResponseMetadata`, SageMaker `OriginalStatusCode`.
pub(super) fn botocore_facts(response: &Bound<'_, PyDict>, facts: &mut ErrorFacts) {
    if let Some(error) =
        get(response, intern!(response.py(), "Error")).and_then(|e| e.cast_into::<PyDict>().ok())
    {
        if let Some(code) = get(&error, intern!(error.py(), "Code")).and_then(|v| text_of(&v)) {
            facts
                .codes
                .push(Evidence::new("response['Error']['Code']", code));
        }
        if let Some(message) = get(&error, intern!(error.py(), "Message")).and_then(|v| text_of(&v))
        {
            facts
                .messages
                .push(Evidence::new("response['Error']['Message']", message));
        }
    }
    if let Some(message) =
        get(response, intern!(response.py(), "message")).and_then(|v| text_of(&v))
    {
        facts
            .messages
            .push(Evidence::new("response['message']", message));
    }
    if let Some(n) =
        get(response, intern!(response.py(), "OriginalStatusCode")).and_then(|v| int_of(&v))
    {
        facts.original_status = Some(Evidence::new("response['OriginalStatusCode']", n));
    }
    let Some(meta) = get(response, intern!(response.py(), "ResponseMetadata"))
        .and_then(|m| m.cast_into::<PyDict>().ok())
    else {
        return;
    };
    if let Some(n) = get(&meta, intern!(meta.py(), "HTTPStatusCode")).and_then(|v| int_of(&v)) {
        facts.statuses.push(Evidence::new(
            "response['ResponseMetadata']['HTTPStatusCode']",
            n,
        ));
    }
    if let Some(n) = get(&meta, intern!(meta.py(), "RetryAttempts")).and_then(|v| int_of(&v)) {
        facts.sdk_retries = u32::try_from(n).ok();
    }
    if let Some(headers) = get(&meta, intern!(meta.py(), "HTTPHeaders")) {
        read_headers(&headers, facts);
    }
}

/// The error code in an `x-amzn-errortype` header already read: "ThrottlingException:http://internal..."
pub(super) fn errortype_header(facts: &mut ErrorFacts) {
    let Some(errortype) = facts.header("x-amzn-errortype") else {
        return;
    };
    let code = errortype.split(':').next().unwrap_or("").trim().to_owned();
    if !code.is_empty() {
        facts
            .codes
            .push(Evidence::new("x-amzn-errortype header", code));
    }
}
