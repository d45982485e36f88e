//! Retry budget. PLACEHOLDER: being written.
