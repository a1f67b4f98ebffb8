use webhook_core::providers::modem_pay::ChargeSucceeded;
use webhook_core::webhook_handler;

struct Payments<Db>(Db);

#[webhook_handler(provider = webhook_core::providers::ModemPay)]
impl<Db> Payments<Db> {
    async fn charge_succeeded(&self, _: ChargeSucceeded) {}
}

fn main() {}
