//! What counts as an int, a text and an enum name, and how long a text may be.

use super::fixtures::{codes, facts_from, messages, statuses, with_attrs};
use crate::facts::values::MAX_TEXT;

#[test]
fn a_bool_is_not_a_status() {
    let facts = with_attrs("status_code = True");
    assert!(facts.statuses.is_empty());
}

#[test]
fn an_int_subclass_is_a_status_and_a_huge_int_is_not() {
    let facts = facts_from(
        "import enum\nclass S(enum.IntEnum):\n    TOO_MANY = 429\nexc = Exception()\nexc.status_code = S.TOO_MANY\nexc.code = 10**30\n",
    );
    assert_eq!(statuses(&facts), [("status_code", 429)]);
}

#[test]
fn a_long_text_is_cut_on_a_char_boundary() {
    let facts = with_attrs("message = 'é' * 5000");
    let (_, text) = messages(&facts)[0];
    assert!(text.len() <= MAX_TEXT && text.len() > MAX_TEXT - 2);
    assert!(text.chars().all(|c| c == 'é'));
}

#[test]
fn a_str_that_cannot_be_encoded_is_absent() {
    let facts = with_attrs("message = '\\ud800 lone surrogate'\ntype = 'overloaded_error'");
    // The message is absent, so `str(exc)` stands in for it.
    assert_eq!(messages(&facts), [("str(exc)", "boom")]);
    assert_eq!(codes(&facts), [(".type", "overloaded_error")]);
}

#[test]
fn a_str_status_is_a_code() {
    let facts = with_attrs("status = 'RESOURCE_EXHAUSTED'");
    assert_eq!(codes(&facts), [(".status", "RESOURCE_EXHAUSTED")]);
}
