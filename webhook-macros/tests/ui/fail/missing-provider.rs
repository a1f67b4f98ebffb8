use webhook_core::providers::modem_pay::ChargeSucceeded;
use webhook_core::webhook_handler;

struct Payments;

#[webhook_handler]
impl Payments {
    async fn charge_succeeded(&self, _: ChargeSucceeded) {}
}

fn main() {}
