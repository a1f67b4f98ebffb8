use webhook_core::webhook_handler;

#[webhook_handler(provider = webhook_core::providers::ModemPay)]
struct Payments;

fn main() {}
