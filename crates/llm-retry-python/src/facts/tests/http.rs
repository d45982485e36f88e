//! Response objects and header mappings of the HTTP clients, and which headers are kept.

use super::fixtures::{facts_from, headers, statuses, with_attrs};

/// A class with the shape of httpx's `Headers` (a `_list` of byte triples), defined in module `httpx`.
const HTTPX_HEADERS: &str = "class Headers:\n    def __init__(self, pairs):\n        self._list = [(k.encode(), k.lower().encode(), v.encode()) for k, v in pairs]\n    @property\n    def raw(self): raise AssertionError('the _list is enough')\nHeaders.__module__ = 'httpx'\n";

#[test]
fn reads_a_response_status_and_headers() {
    let facts = facts_from(&format!(
        "{HTTPX_HEADERS}class Response:\n    status_code = 429\n    headers = Headers([('Retry-After', '7'), ('Content-Type', 'application/json')])\nexc = Exception()\nexc.response = Response()\n"
    ));
    assert_eq!(statuses(&facts), [("response.status_code", 429)]);
    assert_eq!(headers(&facts), [("retry-after", "7")]);
}

#[test]
fn reads_aiohttp_shaped_status() {
    let facts = facts_from(
        "class Response:\n    status = 503\n    headers = {}\nexc = Exception()\nexc.response = Response()\n",
    );
    assert_eq!(statuses(&facts), [("response.status", 503)]);
}

#[test]
fn reads_raw_byte_pairs_and_items() {
    let raw = facts_from(
        "class H:\n    raw = [(b'retry-after-ms', b'1500')]\nexc = Exception()\nexc.headers = H()\n",
    );
    assert_eq!(headers(&raw), [("retry-after-ms", "1500")]);
    let items = facts_from(
        "class H:\n    def items(self): return [('X-RateLimit-Reset-Requests', '2s')]\nexc = Exception()\nexc.headers = H()\n",
    );
    assert_eq!(headers(&items), [("x-ratelimit-reset-requests", "2s")]);
}

#[test]
fn keeps_the_first_value_of_a_header_and_ignores_the_rest() {
    let facts =
        with_attrs("headers = {'retry-after': '1', 'Retry-After': '9', 'x-unrelated': 'y'}");
    assert_eq!(headers(&facts), [("retry-after", "1")]);
}

#[test]
fn an_httpx_list_of_another_shape_falls_back_to_items() {
    let facts = facts_from(
        "class Headers:\n    _list = 'not a list'\n    def items(self): return [('retry-after', '4')]\nHeaders.__module__ = 'httpx'\nexc = Exception()\nexc.headers = Headers()\n",
    );
    assert_eq!(headers(&facts), [("retry-after", "4")]);
}

#[test]
fn a_header_mapping_that_raises_is_absent() {
    let facts = facts_from(
        "class H:\n    def items(self): raise RuntimeError('broken')\nexc = Exception()\nexc.status_code = 500\nexc.headers = H()\n",
    );
    assert!(facts.headers.is_empty());
    assert_eq!(statuses(&facts), [("status_code", 500)]);
}

#[test]
fn reads_at_most_max_headers_items() {
    let facts =
        with_attrs("headers = {**{f'x-filler-{i}': 'v' for i in range(300)}, 'retry-after': '5'}");
    assert!(facts.headers.is_empty());
}
