use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::{Context, webhook_handler};

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    async fn charge_succeeded(&self, _: ChargeSucceeded, _: Context, _retries: u32) {}
}

fn main() {}
