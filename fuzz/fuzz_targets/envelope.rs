//! `envelope`: every provider's envelope parser never panics and returns usable envelopes.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use webhook_core::Provider;
use webhook_fuzz::envelopes::{EnvelopeTarget, build_all, check};

static PROVIDERS: LazyLock<Vec<(Box<dyn Provider>, &EnvelopeTarget)>> = LazyLock::new(build_all);

fuzz_target!(|data: &[u8]| check(&PROVIDERS, data));
