// Independent mistakes are all reported by one build.
use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::{UnknownEvent, webhook_handler};

struct Payments;

#[webhook_handler(provider = ModemPay, crate = ::webhook_core, krate = ::webhook_core)]
impl Payments {
    fn charge_succeeded(&self, _: ChargeSucceeded) {}

    async fn charge_failed(&mut self, _: serde_json::Value) {}

    #[fallback]
    async fn other(&self, _: UnknownEvent) {}

    #[fallback]
    async fn rest(&self) {}
}

fn main() {}
