//! The extraction on a real interpreter (embedded; `cargo test` links libpython): each room's shapes, built
//! in Python source as the SDKs build them (no SDK is imported), read into `ErrorFacts`.

mod fixtures;

mod attributes;
mod aws;
mod causes;
mod classes;
mod envelope;
mod google;
mod http;
mod second_ring;
mod values;
