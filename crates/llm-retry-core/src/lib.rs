//! llm-retry's core: every decision about a failed LLM call (what kind of error it is, whether and when
//! to retry, circuit-breaker, rate-limit-gate and retry-budget state) lives here, in plain Rust with no
//! Python in it. `bindings` is the only module that touches Python.

pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod classify;
pub mod gate;
pub mod hints;
pub mod policy;
