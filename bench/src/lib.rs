//! The load benchmark of the webhook framework.
//!
//! `scripts/load-bench` builds this crate's binaries and the example servers, starts each
//! server pinned to one core, and drives it from another core with `bench-load`:
//!
//! - `bench-bare`: axum reading the body and answering 200, the HTTP ceiling;
//! - `bench-hand`: a hand-written minimal Modem Pay receiver on axum (HMAC-SHA512 in
//!   constant time, typed parse, the handler spawned), the best a user could write alone;
//! - `bench-load`: the generator ([`load`]), closed loop (max throughput over N
//!   connections) or open loop (a fixed offered rate), with distinct signed deliveries
//!   ([`deliveries`]) and every status checked.
//!
//! `scripts/callgrind-bench` runs `bench-hand` and the modem-pay example (memory sink)
//! under callgrind, driven by `bench-load`, and prints the instructions per delivery of
//! each by component.
//!
//! Nothing here asserts on speed: the tests only keep the generator honest.

pub mod deliveries;
pub mod load;
pub mod servers;
