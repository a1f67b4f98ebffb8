//! `console`: the inbox console (webhook-console) as an actix-web service
//! configuration for a scope.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use webhook_console::{Console, MountPath};
use webhook_inbox::Admin;

use crate::headers::headers;

/// The inbox console over `inbox`, for [`Scope::configure`](actix_web::Scope::configure)
/// (e.g. `web::scope("/admin/webhooks")`) **behind the app's own authentication**
/// (a middleware on the scope): it checks no credential itself
/// ([`Console::behind_app_auth`]). Its forms still carry CSRF tokens. For a console
/// guarded by a token of its own, use [`console_with`].
///
/// ```
/// use actix_web::{App, web};
/// use webhook_inbox::SqliteInbox;
///
/// # #[actix_web::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// # let dir = tempfile::tempdir().unwrap();
/// let inbox = SqliteInbox::open(dir.path().join("webhooks.db")).await?;
/// let console = webhook_actix::console(inbox);
/// let app = App::new().service(web::scope("/admin/webhooks").configure(console));
/// # let _ = app; Ok(()) }
/// ```
pub fn console(
    inbox: impl Admin + 'static,
) -> impl Fn(&mut ServiceConfig) + Clone + Send + Sync + 'static {
    console_with(Console::new(inbox).behind_app_auth())
}

/// `console` as configured: a token, read-only, a refused-request log. Make it once in
/// `main` and clone it into the app factory: every worker shares the one console.
///
/// ```
/// use actix_web::{App, web};
/// use webhook_console::{Console, ConsoleToken};
/// use webhook_inbox::SqliteInbox;
///
/// # #[actix_web::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let inbox = SqliteInbox::open(dir.path().join("webhooks.db")).await?;
/// let console = Console::new(inbox).token(ConsoleToken::generate());
/// let routes = webhook_actix::console_with(console);
/// let app = App::new().service(web::scope("/console").configure(routes));
/// # let _ = app; Ok(()) }
/// ```
pub fn console_with(
    console: Console,
) -> impl Fn(&mut ServiceConfig) + Clone + Send + Sync + 'static {
    move |config: &mut ServiceConfig| {
        let root = console.clone();
        let rest = console.clone();
        config.service(
            web::resource("").to(move |request: HttpRequest, body: web::Bytes| {
                serve(root.clone(), request, body)
            }),
        );
        config.service(
            web::resource("/{tail:.*}").to(move |request: HttpRequest, body: web::Bytes| {
                serve(rest.clone(), request, body)
            }),
        );
    }
}

/// Translates the request for the console and its answer back; nothing else.
async fn serve(console: Console, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let relative = format!("/{}", request.match_info().get("tail").unwrap_or_default());
    let mount = MountPath::from_paths(request.path(), &relative);
    let target = match request.query_string() {
        "" => relative,
        query => format!("{relative}?{query}"),
    };
    let method =
        http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or(http::Method::GET);
    let mut translated = http::Request::new(bytes::Bytes::from(body.to_vec()));
    *translated.method_mut() = method;
    *translated.uri_mut() = target.parse().unwrap_or_default();
    *translated.headers_mut() = headers(request.headers());
    translated.extensions_mut().insert(mount);

    let answer = console.handle(translated).await;
    let status = StatusCode::from_u16(answer.status().as_u16())
        .expect("`http` 0.2 and 1 accept the same status codes");
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            response.append_header((name, value));
        }
    }
    response.body(answer.into_body())
}
