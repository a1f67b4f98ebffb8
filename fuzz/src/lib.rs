//! What the fuzz targets share: how fuzz bytes become a delivery, and the properties
//! each target checks on top of "never panics".
//!
//! Every target is a few lines over one of [`schemes`], [`envelopes`] or [`payloads`];
//! the seed generator (`cargo run --example seeds`) writes real-shaped inputs in the
//! same format, so the fuzzer starts from deliveries that pass and fails from there.

pub mod delivery;
pub mod envelopes;
pub mod payloads;
pub mod schemes;
