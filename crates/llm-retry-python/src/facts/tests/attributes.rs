//! Instance dicts, properties, class attributes, `__getattr__`, `__slots__`: each read the same way.

use super::fixtures::{codes, facts_from, raised_by, statuses, with_attrs};

#[test]
fn reads_instance_attributes() {
    let facts = with_attrs("status_code = 429\ntype = 'rate_limit_error'");
    assert_eq!(statuses(&facts), [("status_code", 429)]);
    assert_eq!(codes(&facts), [(".type", "rate_limit_error")]);
}

#[test]
fn none_is_absent() {
    let facts = with_attrs("status_code = None\ncode = None");
    assert!(facts.statuses.is_empty());
    assert!(facts.codes.is_empty());
}

#[test]
fn reads_properties_and_class_attributes() {
    let facts = facts_from(
        "class E(Exception):\n    code = 'overloaded_error'\n    @property\n    def status_code(self): return 529\nexc = E()\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 529)]);
    assert_eq!(codes(&facts), [(".code", "overloaded_error")]);
}

#[test]
fn a_raising_property_is_absent_and_the_rest_is_read() {
    let facts = facts_from(
        "class E(Exception):\n    @property\n    def status_code(self): raise RuntimeError('no')\nexc = E()\nexc.type = 'overloaded_error'\n",
    );
    assert!(facts.statuses.is_empty());
    assert_eq!(codes(&facts), [(".type", "overloaded_error")]);
}

#[test]
fn reads_through_a_custom_getattr() {
    let facts = facts_from(
        "class E(Exception):\n    def __getattr__(self, name):\n        if name == 'status_code': return 503\n        raise AttributeError(name)\nexc = E()\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 503)]);
}

#[test]
fn a_getattr_that_raises_anything_is_absent() {
    let facts = facts_from(
        "class E(Exception):\n    def __getattr__(self, name): raise ValueError(name)\nexc = E()\nexc.status_code = 500\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 500)]);
}

#[test]
fn reads_slots() {
    let facts = facts_from(
        "class E(Exception):\n    __slots__ = ('status_code',)\nexc = E()\nexc.status_code = 502\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 502)]);
}

#[test]
fn a_big_instance_dict_is_looked_up_by_name() {
    let facts = facts_from(
        "class E(Exception): pass\nexc = E()\nfor i in range(200): setattr(exc, f'a{i}', i)\nexc.status_code = 408\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 408)]);
}

#[test]
fn non_str_keys_in_the_instance_dict_are_skipped() {
    let facts = facts_from(
        "class E(Exception): pass\nexc = E()\nexc.__dict__[1] = 2\nexc.__dict__['status_code'] = 429\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 429)]);
}

#[test]
fn an_interrupt_in_a_property_is_raised_not_absent() {
    for interrupt in ["KeyboardInterrupt", "SystemExit", "GeneratorExit"] {
        let source = format!(
            "class E(Exception):\n    @property\n    def status_code(self): raise {interrupt}()\nexc = E()\n"
        );
        assert_eq!(raised_by(&source).as_deref(), Some(interrupt));
    }
}

#[test]
fn nothing_is_read_after_an_interrupt() {
    let source = "reads = []\nclass E(Exception):\n    def __getattribute__(self, name):\n        reads.append(name)\n        if len(reads) == 2: raise KeyboardInterrupt\n        return object.__getattribute__(self, name)\nexc = E()\n";
    assert_eq!(raised_by(source).as_deref(), Some("KeyboardInterrupt"));
}

#[test]
fn an_exception_in_a_property_is_absent_not_raised() {
    let source = "class E(Exception):\n    @property\n    def status_code(self): raise MemoryError()\nexc = E()\n";
    assert_eq!(raised_by(source), None);
}
