use serde::Deserialize;
use webhook_core::providers::modem_pay::ModemPay;
use webhook_core::webhook_handler;

#[derive(Deserialize)]
struct NewCustomer {}

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    async fn customer(&self, _: NewCustomer) {}
}

fn main() {}
