// After a mistake, the block is still emitted (and the type still a `Handler`), so
// the mistake is the only error: uses of the methods and the type do not cascade.
use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::{Event, Receiver, webhook_handler};

struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    #[event("charge.succeeded")]
    async fn charge_succeeded(&self, _: ChargeSucceeded) {}

    #[event("charge.failed")]
    fn charge_failed(&self, _: serde_json::Value) {}
}

#[tokio::main]
async fn main() {
    Payments.charge_succeeded(ChargeSucceeded::sample()).await;
    Payments.charge_failed(serde_json::Value::Null);
    let _ = Receiver::builder(Payments);
}
