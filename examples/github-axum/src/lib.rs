//! GitHub webhooks inside an axum app: the app's own payload types routed by event name
//! with `#[event(..)]`, several names on one handler, an answer-after-handler `ping`,
//! and a fallback for everything else.

use axum::Router;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use webhook_core::providers::GitHub;
use webhook_core::{Context, HandlerResult, Receiver, Sample, UnknownEvent, webhook_handler};

pub use example_support::Ledger;

/// The part of a `push` payload this app reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Push {
    /// The pushed ref, e.g. `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit the ref now points to.
    pub after: String,
    /// Where it was pushed.
    pub repository: Repository,
}

/// A repository, as GitHub's payloads carry it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
}

impl Sample for Push {
    fn sample() -> Self {
        Self {
            git_ref: "refs/heads/main".into(),
            after: "6113728f27ae82c7b1a177c8d03f9e96e0adf246".into(),
            repository: Repository {
                full_name: "octo-org/hello-world".into(),
            },
        }
    }
}

/// The app's GitHub handlers: they record what they saw, keyed by the delivery id.
#[derive(Debug, Clone, Default)]
pub struct Repo {
    /// What was handled.
    pub ledger: Ledger,
}

#[webhook_handler(provider = GitHub, vis = pub)]
impl Repo {
    #[event("push")]
    async fn push(&self, push: Push, ctx: Context) {
        tracing::info!(repository = %push.repository.full_name, git_ref = %push.git_ref, "push");
        self.ledger
            .handled(ctx.event_type(), Some(ctx.event_id()))
            .await;
    }

    #[event("issues.opened", "issues.reopened")]
    async fn issue(&self, issue: serde_json::Value, ctx: Context) -> HandlerResult {
        let number = issue["issue"]["number"]
            .as_u64()
            .ok_or("issue payload without a number")?;
        tracing::info!(number, "issue");
        self.ledger
            .handled(ctx.event_type(), Some(ctx.event_id()))
            .await;
        Ok(())
    }

    /// GitHub shows the answer to `ping` in its UI: answer only once it was handled.
    #[event("ping", ack = "after_handler")]
    async fn ping(&self, _ping: serde_json::Value, ctx: Context) {
        self.ledger
            .handled(ctx.event_type(), Some(ctx.event_id()))
            .await;
    }

    #[fallback]
    async fn other(&self, event: UnknownEvent, ctx: Context) {
        tracing::debug!(event_type = %event.event_type, "no specific handler");
        self.ledger
            .handled(ctx.event_type(), Some(ctx.event_id()))
            .await;
    }
}

/// The whole app: its own routes, and the webhook receiver at `/webhooks/github`.
pub fn app(receiver: Receiver) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .nest("/webhooks/github", webhook_axum::router(receiver))
}
