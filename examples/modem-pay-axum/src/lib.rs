//! Modem Pay webhooks inside an axum app: one typed handler per Modem Pay event, mounted
//! at `POST /webhooks/modem-pay` next to the app's own routes.

use axum::Router;
use axum::routing::get;
use webhook_core::providers::modem_pay::{
    ChargeCancelled, ChargeCreated, ChargeExpired, ChargeFailed, ChargeSucceeded, ChargeUpdated,
    CustomerCreated, CustomerDeleted, CustomerUpdated, InvoiceCreated, InvoiceDeleted,
    InvoiceUpdated, ModemPay, PaymentIntentCancelled, PaymentIntentCreated, PaymentIntentExpired,
    PaymentRequestSuccess, TransferCancelled, TransferFailed, TransferFlagged, TransferReversed,
    TransferSucceeded,
};
use webhook_core::{Context, Receiver, webhook_handler};

pub use example_support::Ledger;

/// The app's Modem Pay handlers. A real app would update orders, balances and so on;
/// these record what they handled.
#[derive(Debug, Clone, Default)]
pub struct Payments {
    /// What was handled.
    pub ledger: Ledger,
}

#[webhook_handler(provider = ModemPay, vis = pub)]
impl Payments {
    async fn customer_created(&self, ev: CustomerCreated, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn customer_updated(&self, ev: CustomerUpdated, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn customer_deleted(&self, ev: CustomerDeleted, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn payment_intent_created(&self, ev: PaymentIntentCreated, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn payment_intent_cancelled(&self, ev: PaymentIntentCancelled, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn payment_intent_expired(&self, ev: PaymentIntentExpired, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn charge_created(&self, ev: ChargeCreated, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn charge_updated(&self, ev: ChargeUpdated, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn charge_succeeded(&self, ev: ChargeSucceeded, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn charge_failed(&self, ev: ChargeFailed, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn charge_cancelled(&self, ev: ChargeCancelled, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn charge_expired(&self, ev: ChargeExpired, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn transfer_succeeded(&self, ev: TransferSucceeded, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn transfer_failed(&self, ev: TransferFailed, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn transfer_reversed(&self, ev: TransferReversed, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn transfer_cancelled(&self, ev: TransferCancelled, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn transfer_flagged(&self, ev: TransferFlagged, ctx: Context) {
        self.ledger.handled(ctx.event_type(), Some(&ev.id)).await;
    }

    async fn invoice_created(&self, ev: InvoiceCreated, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), ev.id.as_deref())
            .await;
    }

    async fn invoice_updated(&self, ev: InvoiceUpdated, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), ev.id.as_deref())
            .await;
    }

    async fn invoice_deleted(&self, ev: InvoiceDeleted, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), ev.id.as_deref())
            .await;
    }

    async fn payment_request_success(&self, ev: PaymentRequestSuccess, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), ev.id.as_deref())
            .await;
    }
}

/// The whole app: its own routes, and the webhook receiver at `/webhooks/modem-pay`.
pub fn app(receiver: Receiver) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "modem-pay-axum example: POST events to /webhooks/modem-pay\n" }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .nest("/webhooks/modem-pay", webhook_axum::router(receiver))
}
