//! `verify_custom`: header parsing and verification never panic; a scheme accepts its own signature.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use webhook_core::Scheme;
use webhook_fuzz::schemes::{SchemeTarget, target};

static TARGET: LazyLock<(&SchemeTarget, Box<dyn Scheme>)> = LazyLock::new(|| {
    let target = target("verify_custom");
    (target, (target.scheme)())
});

fuzz_target!(|data: &[u8]| {
    let (target, scheme) = &*TARGET;
    webhook_fuzz::schemes::check(&**scheme, target.headers, data);
});
