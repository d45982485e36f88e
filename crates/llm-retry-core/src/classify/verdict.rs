//! `Verdict`: what weighing the evidence found (the kind, the evidence it rests on, the status, the wrappers
//! it came through), as the decision and the reason read it.

use super::phrases::Refinement;
use super::{ClassName, ErrorFacts, ErrorKind, Evidence};

/// The status the decision uses, and where it came from.
#[derive(Clone, Copy, Debug)]
pub(super) struct StatusPick<'f> {
    pub value: i64,
    pub source: &'static str,
    /// For a nested status (SageMaker `OriginalStatusCode`): the outer status it was found inside.
    pub inside: Option<&'f Evidence<i64>>,
}

/// The evidence that gave the kind.
#[derive(Clone, Copy, Debug)]
pub(super) enum Basis<'f> {
    Code {
        code: &'f str,
        source: &'static str,
    },
    Class(&'f ClassName),
    Status {
        provider: Option<(&'f str, &'static str)>,
    },
    /// No status, code or known class name.
    Nothing,
}

/// A wrapper the verdict came through, and how the reason names the link.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link<'f> {
    pub outer: &'f ErrorFacts,
    pub phrase: &'static str,
}

#[derive(Debug)]
pub(super) struct Verdict<'f> {
    pub kind: ErrorKind,
    /// The facts whose evidence decided (the exception itself, or a cause).
    pub facts: &'f ErrorFacts,
    pub basis: Basis<'f>,
    /// The basis beat the status (or there was none to beat).
    pub decisive: bool,
    pub status: Option<StatusPick<'f>>,
    /// What the status alone would have said.
    pub status_kind: Option<ErrorKind>,
    pub refinement: Option<Refinement<'f>>,
    /// The wrappers the verdict came through, innermost first.
    pub links: Vec<Link<'f>>,
}
