//! Reads an `ErrorFacts` off any Python object. It never fails and never raises: an attribute that is
//! missing, raises, or has the wrong type is absent evidence. No provider SDK is imported; only class
//! names, attributes, dict keys and mapping `.get()` are used.
//!
//! | room         | what it knows                                                            |
//! |--------------|--------------------------------------------------------------------------|
//! | `exception`  | one exception: its own attributes, then each family's place, then causes |
//! | `classes`    | what a class contributes (MRO names, family, attributes), cached by type |
//! | `causes`     | which objects are an exception's explicit causes                         |
//! | `envelope`   | the JSON error envelope and its variants                                 |
//! | `google`     | `google.rpc` details, as JSON or protobuf                                |
//! | `aws`        | botocore's parsed response, `x-amzn-errortype`                           |
//! | `http`       | response objects and header mappings of the HTTP clients                 |
//! | `values`     | ints, bounded texts, enum names                                          |
//! | `attributes` | failure-free attribute and dict reads; every `unsafe` block              |

use pyo3::prelude::*;

use llm_retry_core::classify::ErrorFacts;

mod attributes;
mod aws;
mod causes;
mod classes;
mod envelope;
mod exception;
mod google;
mod http;
mod values;

#[cfg(test)]
mod tests;

/// Facts of `obj`, following explicit causes.
pub fn facts_of(obj: &Bound<'_, PyAny>) -> ErrorFacts {
    let mut seen = Vec::new();
    exception::facts_at(obj, 0, &mut seen)
}
