use webhook_core::providers::modem_pay::ModemPay;
use webhook_core::webhook_handler;

struct NewCustomer {}

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    #[event("customer.created")]
    async fn customer(&self, _: NewCustomer) {}
}

fn main() {}
