//! The classifier's tests, by the evidence that decides (statuses, codes, classes, phrases, causes) and by
//! the decision and its reason; facts are built by the SDK builders in `fixtures`.

mod fixtures;

mod causes;
mod classes;
mod codes;
mod hints;
mod hostile;
mod kinds;
mod lend;
mod not_exceptions;
mod phrases;
mod retryable;
mod second_ring;
mod statuses;
mod tables;
mod timing;
