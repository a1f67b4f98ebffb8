//! `payload_modem_pay`: every Modem Pay event type parses any JSON without panicking and
//! round-trips what it parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook_fuzz::payloads::{MODEM_PAY, check};

fuzz_target!(|data: &[u8]| check(MODEM_PAY, data));
