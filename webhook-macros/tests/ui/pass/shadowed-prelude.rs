// The generated code names everything by absolute path: shadowing the prelude (and
// common names) around the block changes nothing.
#![allow(dead_code, non_camel_case_types)]

use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::{HandlerResult, UnknownEvent, webhook_handler};

struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct Box;
struct Default;
struct TryFrom;
struct str;
mod core {}
mod std {}

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    async fn charge_succeeded(&self, _: ChargeSucceeded) -> HandlerResult {
        ::core::result::Result::Ok(())
    }

    #[event("customer.created", ack = "after_handler")]
    async fn customer(&self, _: serde_json::Value, _: webhook_core::Context) {}

    #[fallback]
    async fn other(&self, _: UnknownEvent) {}
}

fn main() {}
