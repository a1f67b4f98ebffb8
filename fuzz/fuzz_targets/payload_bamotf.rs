//! `payload_bamotf`: every bamotf event type parses any JSON without panicking and
//! round-trips what it parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook_fuzz::payloads::{BAMOTF, check};

fuzz_target!(|data: &[u8]| check(BAMOTF, data));
