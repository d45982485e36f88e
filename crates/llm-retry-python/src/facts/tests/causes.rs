//! Explicit causes, bounded, each read once; never the implicit context.

use super::fixtures::{facts_from, statuses};

#[test]
fn follows_dunder_cause() {
    let facts = facts_from(
        "class E(Exception): pass\ninner = E()\ninner.status_code = 529\ntry:\n    raise RuntimeError('outer') from inner\nexcept RuntimeError as e:\n    exc = e\n",
    );
    assert_eq!(facts.causes.len(), 1);
    assert_eq!(statuses(&facts.causes[0]), [("status_code", 529)]);
}

#[test]
fn never_follows_the_implicit_context() {
    let facts = facts_from(
        "try:\n    try:\n        raise ValueError('first')\n    except ValueError:\n        raise RuntimeError('second')\nexcept RuntimeError as e:\n    exc = e\n",
    );
    assert!(facts.causes.is_empty());
}

#[test]
fn follows_exception_group_members_up_to_eight() {
    let facts = facts_from(
        "class E(Exception): pass\nmembers = []\nfor i in range(12):\n    m = E()\n    m.status_code = 500 + i\n    members.append(m)\nexc = ExceptionGroup('many', members)\n",
    );
    assert_eq!(facts.causes.len(), 8);
    assert_eq!(statuses(&facts.causes[7]), [("status_code", 507)]);
}

#[test]
fn follows_a_cause_attribute_and_tenacity_last_attempt() {
    let facts = facts_from(
        "class E(Exception): pass\ninner = E()\ninner.status_code = 503\nclass Future:\n    def exception(self): return inner\nclass RetryError(Exception): pass\nRetryError.__module__ = 'tenacity'\nexc = RetryError()\nexc.last_attempt = Future()\n",
    );
    assert_eq!(facts.causes.len(), 1);
    assert_eq!(statuses(&facts.causes[0]), [("status_code", 503)]);
}

#[test]
fn a_cycle_is_read_once() {
    let facts = facts_from(
        "a = RuntimeError('a')\nb = RuntimeError('b')\na.__cause__ = b\nb.__cause__ = a\nexc = a\n",
    );
    assert_eq!(facts.causes.len(), 1);
    assert!(facts.causes[0].causes.is_empty());
}

#[test]
fn a_member_listed_twice_is_read_once() {
    let facts = facts_from("m = ValueError('x')\nexc = ExceptionGroup('twice', [m, m])\n");
    assert_eq!(facts.causes.len(), 1);
}

#[test]
fn depth_is_bounded() {
    let facts = facts_from(
        "exc = RuntimeError('top')\ncur = exc\nfor i in range(100):\n    nxt = RuntimeError(str(i))\n    cur.__cause__ = nxt\n    cur = nxt\n",
    );
    let mut depth = 0;
    let mut level = &facts;
    while let Some(next) = level.causes.first() {
        depth += 1;
        level = next;
    }
    assert_eq!(depth, llm_retry_core::classify::MAX_CAUSE_DEPTH);
}

#[test]
fn a_cause_that_is_not_an_exception_is_skipped() {
    let facts = facts_from("exc = RuntimeError('x')\nexc.cause = 'not an exception'\n");
    assert!(facts.causes.is_empty());
}

/// LiteLLM's shape: its own 429 raised while handling the provider's, on a response without headers.
const WRAPPED_429: &str = r#"
class Response:
    def __init__(self, status_code, headers):
        self.status_code = status_code
        self.headers = headers
class ProviderError(Exception): pass
class GatewayError(Exception): pass
provider = ProviderError('429')
provider.status_code = 429
provider.headers = {'retry-after': '7'}
def wrap(status, headers, suppress=False, explicit=False):
    try:
        raise provider
    except ProviderError as e:
        outer = GatewayError('gateway')
        outer.status_code = status
        outer.response = Response(status, headers)
        try:
            if suppress:
                raise outer from None
            if explicit:
                raise outer from e
            raise outer
        except GatewayError as raised:
            return raised
"#;

fn wrapped(call: &str) -> llm_retry_core::classify::ErrorFacts {
    facts_from(&format!("{WRAPPED_429}exc = {call}\n"))
}

#[test]
fn reads_the_context_of_an_error_whose_made_up_response_has_no_header() {
    let facts = wrapped("wrap(429, {})");
    let context = facts.context.as_ref().expect("the context is read");
    assert_eq!(statuses(context), [("status_code", 429)]);
    assert_eq!(context.header("retry-after"), Some("7"));
    assert!(facts.causes.is_empty());
}

#[test]
fn never_reads_a_suppressed_context_nor_one_behind_real_headers() {
    assert!(wrapped("wrap(429, {}, suppress=True)").context.is_none());
    assert!(wrapped("wrap(429, {'content-type': 'application/json'})")
        .context
        .is_none());
    // The explicit cause is followed instead.
    let explicit = wrapped("wrap(429, {}, explicit=True)");
    assert!(explicit.context.is_none());
    assert_eq!(explicit.causes.len(), 1);
}

#[test]
fn never_reads_the_context_of_an_error_without_a_status_or_with_a_hint() {
    let no_status = facts_from(&format!(
        "{WRAPPED_429}try:\n    raise provider\nexcept ProviderError:\n    try:\n        raise KeyError('bug')\n    except KeyError as e:\n        exc = e\n"
    ));
    assert!(no_status.context.is_none());
    let with_hint = wrapped("(lambda e: (setattr(e, 'retry_after', 3.0), e)[1])(wrap(429, {}))");
    assert!(with_hint.context.is_none());
}

#[test]
fn a_contexts_own_context_is_never_read() {
    let facts = facts_from(&format!(
        "{WRAPPED_429}first = wrap(429, {{}})\ntry:\n    raise first\nexcept GatewayError:\n    try:\n        outer = GatewayError('again')\n        outer.status_code = 429\n        outer.response = Response(429, {{}})\n        raise outer\n    except GatewayError as e:\n        exc = e\n"
    ));
    let context = facts.context.as_ref().expect("the context is read");
    assert!(context.context.is_none());
}
