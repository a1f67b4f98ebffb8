//! The console nested in an axum app: paths, mount prefix and bodies cross unchanged.

#![cfg(feature = "console")]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use webhook_console::{Console, ConsoleToken};
use webhook_inbox::SqliteInbox;

const TOKEN: &str = "axum-console-token-0123456789";

async fn app() -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("inbox.db"))
        .await
        .unwrap();
    let console = Console::new(inbox).token(ConsoleToken::new(TOKEN).unwrap());
    let app = Router::new()
        .route("/", axum::routing::get(|| async { "the app" }))
        .nest("/admin/webhooks", webhook_axum::console_with(console));
    (dir, app)
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn the_console_answers_under_its_mount_path() {
    let (_dir, app) = app().await;
    let get = |path: &str, bearer: bool| {
        let mut request = Request::get(path);
        if bearer {
            request = request.header("authorization", format!("Bearer {TOKEN}"));
        }
        request.body(Body::empty()).unwrap()
    };

    let (status, headers, body) = call(&app, get("/admin/webhooks", false)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains(r#"action="/admin/webhooks/login""#), "{body}");
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Path=/admin/webhooks;")
    );

    for path in ["/admin/webhooks", "/admin/webhooks/deliveries?state=dead"] {
        let (status, headers, body) = call(&app, get(path, true)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers.contains_key("content-security-policy"));
        assert!(
            body.contains(r#"href="/admin/webhooks/deliveries""#),
            "{path}: {body}"
        );
    }
    let (status, _, body) = call(&app, get("/admin/webhooks/assets/console.js", false)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("x-console-fragment"));

    // A POST's form body reaches the console: without its CSRF token it is refused.
    let post = Request::post("/admin/webhooks/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={TOKEN}")))
        .unwrap();
    assert_eq!(call(&app, post).await.0, StatusCode::FORBIDDEN);
    let (status, _, body) = call(&app, get("/", false)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "the app"));
}

#[tokio::test]
async fn console_without_a_token_is_for_mounting_behind_the_apps_own_auth() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("inbox.db"))
        .await
        .unwrap();
    let app: Router = Router::new().nest("/ops", webhook_axum::console(inbox));
    let (status, _, body) = call(
        &app,
        Request::get("/ops/refused").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Refused requests"));
}
