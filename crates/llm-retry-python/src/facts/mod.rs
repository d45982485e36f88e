//! Reads an `ErrorFacts` off any Python object. An attribute that is missing, raises an `Exception`, or has
//! the wrong type is absent evidence; a KeyboardInterrupt, SystemExit or cancellation raised while reading
//! stops the reading and is raised (`attributes`). No provider SDK is imported; only class names,
//! attributes, dict keys and mapping `.items()` are used, and only the head of any text is read.
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

/// Facts of `obj`, following explicit causes. Fails only with a `BaseException` that is not an `Exception`,
/// raised while reading (a Ctrl-C inside a property): that is never absent evidence.
pub fn facts_of(obj: &Bound<'_, PyAny>) -> PyResult<ErrorFacts> {
    attributes::stop_on_interrupt(|| {
        exception::facts_at(obj, 0, &mut Vec::new(), exception::Reached::Directly)
    })
}
