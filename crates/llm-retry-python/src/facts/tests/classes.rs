//! What a class contributes: MRO names with modules, the `Exception` flag, the family it belongs to.

use super::fixtures::{codes, facts_from, statuses};

#[test]
fn names_the_mro_most_derived_first_without_object() {
    let facts = facts_from(
        "class APIError(Exception): pass\nclass RateLimitError(APIError): pass\nRateLimitError.__module__ = 'openai'\nexc = RateLimitError()\n",
    );
    let names: Vec<_> = facts
        .classes
        .iter()
        .map(|c| (c.module.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("openai", "RateLimitError"),
            ("sdk", "APIError"),
            ("builtins", "Exception"),
            ("builtins", "BaseException"),
        ]
    );
    assert!(facts.is_exception);
}

#[test]
fn a_base_exception_is_not_an_exception() {
    let facts = facts_from("exc = KeyboardInterrupt()\n");
    assert!(!facts.is_exception);
}

#[test]
fn a_non_exception_gives_its_class_names_only() {
    let facts = facts_from("class Thing:\n    status_code = 429\nexc = Thing()\n");
    assert!(!facts.is_exception);
    assert!(facts.statuses.is_empty());
    assert_eq!(facts.classes[0].name, "Thing");
}

#[test]
fn an_instance_value_shadows_a_class_attribute() {
    let facts = facts_from(
        "class E(Exception):\n    status_code = 500\nexc = E()\nexc.status_code = 429\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 429)]);
    let plain = facts_from("class E(Exception):\n    status_code = 500\nexc = E()\n");
    assert_eq!(statuses(&plain), [("status_code", 500)]);
}

#[test]
fn a_property_wins_over_the_instance_dict() {
    let facts = facts_from(
        "class E(Exception):\n    @property\n    def status_code(self): return 529\nexc = E()\nexc.__dict__['status_code'] = 429\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 529)]);
}

#[test]
fn a_grpc_error_has_its_code_and_details_called() {
    let facts = facts_from(
        "import enum\nclass StatusCode(enum.Enum):\n    UNAVAILABLE = 14\nclass RpcError(Exception):\n    def code(self): return StatusCode.UNAVAILABLE\n    def details(self): return 'upstream connect error'\nRpcError.__module__ = 'grpc'\nexc = RpcError()\n",
    );
    assert_eq!(codes(&facts), [("code()", "UNAVAILABLE")]);
    assert_eq!(facts.messages[0].value, "upstream connect error");
}

#[test]
fn a_method_named_code_is_not_called_outside_grpc() {
    let facts = facts_from(
        "class E(Exception):\n    def code(self): raise SystemExit('called')\nexc = E()\n",
    );
    assert!(facts.codes.is_empty());
}

#[test]
fn an_aiohttp_error_is_read_without_its_deprecated_code() {
    let facts = facts_from(
        "class ClientResponseError(Exception):\n    status = 429\n    @property\n    def code(self): raise SystemExit('the deprecated alias was read')\nClientResponseError.__module__ = 'aiohttp.client_exceptions'\nexc = ClientResponseError()\n",
    );
    assert_eq!(statuses(&facts), [("status", 429)]);
}

#[test]
fn the_class_cache_stays_within_its_bounds_and_cuts_long_names() {
    use pyo3::prelude::*;
    use pyo3::types::PyDict;

    Python::initialize();
    Python::attach(|py| {
        let globals = PyDict::new(py);
        let make = std::ffi::CString::new(
            "def make(i):\n    return type(f'E{i}' + 'x' * 100_000, (Exception,), {'status_code': 503})()\n",
        )
        .expect("no NUL");
        py.run(&make, Some(&globals), None).expect("defines make");
        let make = globals.get_item("make").expect("lookup").expect("make");
        // 6 000 classes with 100 KB names, each dropped after it is read: far more than the cache may hold.
        for i in 0..6000 {
            let exc = make.call1((i,)).expect("makes an exception");
            let facts = crate::facts::facts_of(&exc).expect("no interrupt");
            assert_eq!(facts.classes[0].name.len(), 256);
            let (types, bytes) = crate::facts::classes::cache_size();
            let (max_types, max_bytes) = crate::facts::classes::CACHE_BOUNDS;
            assert!(
                types <= max_types && bytes <= max_bytes,
                "{types} types, {bytes} bytes"
            );
        }
    });
}
