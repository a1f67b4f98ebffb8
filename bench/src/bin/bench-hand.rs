//! A hand-written minimal Modem Pay receiver on bare axum (`POST /webhooks/modem-pay`):
//! HMAC-SHA512 checked in constant time, typed parse into the fields a handler reads (`UserCharge`), a spawned no-op
//! handler. Env: `PORT` (3101), `MODEM_PAY_WEBHOOK_SECRET` (the testing kit's secret when
//! unset).

use webhook_bench::servers::{WEBHOOK_PATH, bind_from_env, hand_app, serve};
use webhook_core::testing::TEST_SECRET;

#[tokio::main]
async fn main() -> Result<(), String> {
    let secret =
        std::env::var("MODEM_PAY_WEBHOOK_SECRET").unwrap_or_else(|_| TEST_SECRET.to_owned());
    let listener = bind_from_env(3101).await?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("bench-hand listening on http://{address}{WEBHOOK_PATH}");
    serve(listener, hand_app(secret.as_bytes()))
        .await
        .map_err(|e| e.to_string())
}
