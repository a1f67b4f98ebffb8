use webhook_core::providers::modem_pay::ModemPay;
use webhook_core::webhook_handler;

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    #[event("charge.succeeded")]
    async fn charge_succeeded(&self) {}
}

fn main() {}
