use webhook_core::providers::modem_pay::ModemPay;
use webhook_core::{UnknownEvent, webhook_handler};

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    #[fallback]
    async fn other(&self, _: UnknownEvent) {}

    #[fallback]
    async fn log(&self, _: UnknownEvent) {}
}

fn main() {}
