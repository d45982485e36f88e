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
