//! The only module that touches Python. PLACEHOLDER.
