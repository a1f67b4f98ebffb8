use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::webhook_handler;

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    #[event(ack = "after-handler")]
    async fn charge_succeeded(&self, _: ChargeSucceeded) {}
}

fn main() {}
