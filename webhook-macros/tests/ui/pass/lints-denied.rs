//! The generated items are documented and reachable, so a crate that denies these
//! lints builds.
#![deny(
    missing_docs,
    unreachable_pub,
    unused,
    rust_2018_idioms,
    unused_qualifications,
    clippy::all
)]

use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::webhook_handler;

/// Handlers exported from the crate, with public generated types.
pub mod public {
    use super::*;

    /// The payment handlers.
    pub struct Payments;

    #[webhook_handler(provider = ModemPay, vis = pub)]
    impl Payments {
        async fn charge_succeeded(&self, _: ChargeSucceeded) {}

        #[event("customer.created")]
        async fn customer(&self, _: serde_json::Value) -> Result<(), String> {
            Ok(())
        }
    }
}

mod internal {
    use super::*;

    pub(crate) struct Audit;

    #[webhook_handler(provider = ModemPay)]
    impl Audit {
        async fn charge_succeeded(&self, charge: ChargeSucceeded) {
            self.log(&charge.id);
        }

        #[webhook(skip)]
        fn log(&self, id: &str) {
            println!("{id}");
        }
    }
}

fn main() {
    let _ = webhook_core::Receiver::builder(public::Payments);
    let _ = webhook_core::Receiver::builder(internal::Audit);
}
