//! The retry decision for one failed attempt. PLACEHOLDER: being written; signatures are the contract.
