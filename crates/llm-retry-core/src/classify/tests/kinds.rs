//! `ErrorKind`: its Python names round-trip, and the provider-failure set is the four kinds that say
//! something about the provider's health.

use super::fixtures::*;

#[test]
fn kind_names_round_trip_and_provider_failures_are_the_four() {
    for kind in ErrorKind::ALL {
        assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(ErrorKind::from_name("RateLimited"), None);
    let failures: Vec<ErrorKind> = ErrorKind::ALL
        .into_iter()
        .filter(|k| k.is_provider_failure())
        .collect();
    assert_eq!(failures, [RateLimited, Overloaded, ServerError, Network]);
}
