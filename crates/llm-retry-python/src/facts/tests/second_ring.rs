//! Where the second ring keeps what the first eight SDKs keep elsewhere: voyageai's `http_status`,
//! replicate's `detail`, pydantic-ai's provider codes and `retry_after`, LiteLLM's `cooldown_time` and
//! `litellm_response_headers`, azure-core's parsed OData `error`, ollama's `error` text, and Hugging Face's
//! `estimated_time` in a body kept only by the response.

use super::fixtures::{codes, facts_from, headers, messages, statuses, with_attrs};

#[test]
fn voyageai_http_status_and_replicate_detail() {
    let facts = with_attrs("http_status = 429\ndetail = 'Request was throttled.'");
    assert_eq!(statuses(&facts), [("http_status", 429)]);
    assert_eq!(messages(&facts)[0], (".detail", "Request was throttled."));
}

#[test]
fn pydantic_ai_provider_codes_and_stated_delays() {
    let facts = with_attrs(
        "status_code = 429\nprovider_error_code = 'rate_limit_exceeded'\nprovider_error_type = 'requests'\nretry_after = 7.5",
    );
    assert_eq!(
        codes(&facts),
        [
            (".provider_error_code", "rate_limit_exceeded"),
            (".provider_error_type", "requests")
        ]
    );
    let stated = facts.stated_delay.as_ref().expect("retry_after is read");
    assert_eq!((stated.source, stated.value), (".retry_after", 7.5));
    let router = with_attrs("status_code = 429\ncooldown_time = 5");
    assert_eq!(router.stated_delay.map(|s| s.value), Some(5.0));
    // Not a number of seconds: no stated delay.
    for bad in ["'7'", "True", "float('nan')", "None"] {
        let facts = with_attrs(&format!("retry_after = {bad}"));
        assert!(facts.stated_delay.is_none(), "{bad}");
    }
}

#[test]
fn litellm_response_headers() {
    let facts = with_attrs("status_code = 429\nlitellm_response_headers = {'retry-after': '7'}");
    assert_eq!(headers(&facts), [("retry-after", "7")]);
}

#[test]
fn azure_core_odata_error_and_ollama_error_text() {
    let facts = facts_from(
        r#"
import warnings
class ODataV4Format:
    def __init__(self):
        self.code = 'content_filter'
        self.message = 'The response was filtered'
        self.innererror = {'code': 'ResponsibleAIPolicyViolation'}
    @property
    def error(self):
        warnings.warn('error.error is deprecated', DeprecationWarning)
        return self
class HttpResponseError(Exception): pass
exc = HttpResponseError('(content_filter) The response was filtered')
exc.status_code = 400
exc.error = ODataV4Format()
"#,
    );
    assert_eq!(
        codes(&facts),
        [
            (".error.code", "content_filter"),
            (".error.innererror.code", "ResponsibleAIPolicyViolation")
        ]
    );
    assert!(messages(&facts).contains(&(".error.message", "The response was filtered")));
    let ollama = with_attrs("status_code = -1\nerror = 'model runner has unexpectedly stopped'");
    assert_eq!(statuses(&ollama), [("status_code", -1)]);
    assert_eq!(
        messages(&ollama)[0],
        (".error", "model runner has unexpectedly stopped")
    );
}

#[test]
fn a_body_kept_only_by_an_httpx_response() {
    let facts = facts_from(
        r#"
class Response:
    status_code = 503
    headers = {}
    content = b'{"error": "Model x is currently loading", "estimated_time": 20.0}'
Response.__module__ = 'httpx2._models'
class HfHubHTTPError(Exception): pass
exc = HfHubHTTPError('503 Server Error')
exc.response = Response()
"#,
    );
    let stated = facts.stated_delay.as_ref().expect("estimated_time is read");
    assert_eq!((stated.source, stated.value), ("body.estimated_time", 20.0));
    assert!(messages(&facts).contains(&("body.error", "Model x is currently loading")));
    // Another client's response body is never read (requests' `.content` would read the stream).
    let requests = facts_from(
        r#"
class Response:
    status_code = 503
    headers = {}
    @property
    def content(self):
        raise RuntimeError('read from the network')
Response.__module__ = 'requests.models'
class HTTPError(Exception): pass
exc = HTTPError('503')
exc.response = Response()
"#,
    );
    assert!(requests.stated_delay.is_none());
}

#[test]
fn litellm_keeps_the_providers_body_inside_its_message() {
    let facts = facts_from(
        r#"
class RateLimitError(Exception): pass
RateLimitError.__module__ = 'litellm.exceptions'
exc = RateLimitError()
exc.status_code = 429
exc.message = 'litellm.RateLimitError: AnthropicException - {"type": "error", "error": {"type": "rate_limit_error", "message": "spend", "details": {"error_code": "enforced_spend_limit_reached"}}}'
exc.body = None
"#,
    );
    assert!(codes(&facts).contains(&(
        "body.error.details.error_code",
        "enforced_spend_limit_reached"
    )));
    // Another package's message is never parsed, and nor is one that does not end with the object.
    let other = facts_from(
        "class E(Exception): pass\nexc = E()\nexc.status_code = 429\nexc.message = 'x - {\"error\": {\"code\": \"insufficient_quota\"}}'\n",
    );
    assert!(codes(&other).is_empty());
    let trailing = facts_from(
        "class E(Exception): pass\nE.__module__ = 'litellm.exceptions'\nexc = E()\nexc.status_code = 429\nexc.message = 'x - {\"error\": {\"code\": \"insufficient_quota\"}} and more'\n",
    );
    assert!(codes(&trailing).is_empty());
}
