//! Circuit breaker state machine. PLACEHOLDER: being written.
