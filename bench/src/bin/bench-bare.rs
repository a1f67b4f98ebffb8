//! The HTTP ceiling: axum reading the body of `POST /webhooks/modem-pay` and answering
//! 200, nothing else. Env: `PORT` (3100).

#[tokio::main]
async fn main() -> Result<(), String> {
    let listener = webhook_bench::servers::bind_from_env(3100).await?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "bench-bare listening on http://{address}{}",
        webhook_bench::servers::WEBHOOK_PATH
    );
    webhook_bench::servers::serve(listener, webhook_bench::servers::bare_app())
        .await
        .map_err(|e| e.to_string())
}
