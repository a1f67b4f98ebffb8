// `crate = path` points the generated code at a renamed or re-exported `webhook_core`.
extern crate webhook_core as renamed;

mod reexport {
    pub use ::webhook_core as hooks;
}

use renamed::providers::modem_pay::{ChargeSucceeded, ModemPay};
use renamed::webhook_handler;

struct Payments;

#[webhook_handler(provider = ModemPay, crate = renamed)]
impl Payments {
    async fn charge_succeeded(&self, _: ChargeSucceeded) {}
}

struct Audit;

#[webhook_handler(crate = crate::reexport::hooks, provider = ModemPay)]
impl Audit {
    async fn charge_succeeded(&self, _: ChargeSucceeded) {}
}

fn main() {
    let _ = renamed::Receiver::builder(Payments);
    let _ = renamed::Receiver::builder(Audit);
}
