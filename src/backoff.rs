//! Full-jitter exponential backoff. PLACEHOLDER: being written; signatures are the contract.
use rand::rngs::SmallRng;

pub fn new_rng(_seed: Option<u64>) -> SmallRng {
    todo!()
}

pub fn ceiling_s(_attempt: u32, _base_delay_s: f64, _max_delay_s: f64) -> f64 {
    todo!()
}

pub fn full_jitter_s(_attempt: u32, _base_delay_s: f64, _max_delay_s: f64, _rng: &mut SmallRng) -> f64 {
    todo!()
}
