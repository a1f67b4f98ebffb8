//! `console`: the inbox console (webhook-console) as an axum `Router` to nest.

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use webhook_console::{Console, MountPath};
use webhook_inbox::Admin;

/// The most a console form may send.
const FORM_LIMIT: usize = 64 * 1024;

/// The inbox console over `inbox`, as a [`Router`] to `nest` (e.g. at
/// `/admin/webhooks`) **behind the app's own authentication layers**: it checks no
/// credential itself ([`Console::behind_app_auth`]). Its forms still carry CSRF tokens.
/// For a console guarded by a token of its own, use [`console_with`].
///
/// Nested at `/admin/webhooks`, it answers `/admin/webhooks` and every path below it
/// (axum routes no trailing-slash `/admin/webhooks/` into a nest).
///
/// ```
/// use axum::Router;
/// use webhook_inbox::SqliteInbox;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// # let dir = tempfile::tempdir().unwrap();
/// let inbox = SqliteInbox::open(dir.path().join("webhooks.db")).await?;
/// // Put your authentication layer on the nested router (or on the app).
/// let app: Router = Router::new().nest("/admin/webhooks", webhook_axum::console(inbox));
/// # let _ = app; Ok(()) }
/// ```
pub fn console<S>(inbox: impl Admin + 'static) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    console_with(Console::new(inbox).behind_app_auth())
}

/// `console` as configured: a token, read-only, a refused-request log.
///
/// ```
/// use axum::Router;
/// use webhook_console::{Console, ConsoleToken};
/// use webhook_inbox::SqliteInbox;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let inbox = SqliteInbox::open(dir.path().join("webhooks.db")).await?;
/// let token = ConsoleToken::new(std::env::var("WEBHOOK_CONSOLE_TOKEN").unwrap_or_else(|_| "a-long-random-operator-token".into()))?;
/// let console = Console::new(inbox).token(token).read_only(true);
/// let app: Router = Router::new().nest("/console", webhook_axum::console_with(console));
/// # let _ = app; Ok(()) }
/// ```
pub fn console_with<S>(console: Console) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", any(serve))
        .route("/{*rest}", any(serve))
        .with_state(console)
}

/// Translates the request for the console and its answer back; nothing else.
async fn serve(State(console): State<Console>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let full = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |uri| uri.path().to_owned());
    let mount = MountPath::from_paths(&full, parts.uri.path());
    let Ok(body) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
    };
    parts.extensions.insert(mount);
    console
        .handle(axum::http::Request::from_parts(parts, body))
        .await
        .map(Body::from)
}
