//! bamotf webhooks inside an actix-web app: one typed handler per payment intent event,
//! mounted at `POST /webhooks/bamotf` next to the app's own routes.

use actix_web::web::{self, ServiceConfig};
use webhook_core::providers::bamotf::{
    Bamotf, PaymentIntentCanceled, PaymentIntentCreated, PaymentIntentPending,
    PaymentIntentProcessing, PaymentIntentSucceeded,
};
use webhook_core::{Context, Receiver, webhook_handler};

pub use example_support::Ledger;

/// The app's bamotf handlers: they record the payment intents they saw.
#[derive(Debug, Clone, Default)]
pub struct Checkout {
    /// What was handled.
    pub ledger: Ledger,
}

#[webhook_handler(provider = Bamotf, vis = pub)]
impl Checkout {
    async fn created(&self, ev: PaymentIntentCreated, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), Some(&ev.payment_intent.id))
            .await;
    }

    async fn pending(&self, ev: PaymentIntentPending, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), Some(&ev.payment_intent.id))
            .await;
    }

    async fn processing(&self, ev: PaymentIntentProcessing, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), Some(&ev.payment_intent.id))
            .await;
    }

    async fn succeeded(&self, ev: PaymentIntentSucceeded, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), Some(&ev.payment_intent.id))
            .await;
    }

    async fn canceled(&self, ev: PaymentIntentCanceled, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), Some(&ev.payment_intent.id))
            .await;
    }
}

/// The whole app, for `App::new().configure(app(receiver))`: its own routes, and the
/// webhook receiver at `/webhooks/bamotf`.
pub fn app(receiver: Receiver) -> impl Fn(&mut ServiceConfig) + Clone {
    let webhooks = webhook_actix::configure(receiver);
    move |config: &mut ServiceConfig| {
        config
            .route(
                "/",
                web::get()
                    .to(|| async { "bamotf-actix example: POST events to /webhooks/bamotf\n" }),
            )
            .route("/healthz", web::get().to(|| async { "ok\n" }))
            .service(web::scope("/webhooks/bamotf").configure(webhooks.clone()));
    }
}
