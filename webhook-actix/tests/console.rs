//! The console in an actix-web scope: paths, mount prefix and bodies cross unchanged.

#![cfg(feature = "console")]

use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use webhook_console::{Console, ConsoleToken};
use webhook_inbox::SqliteInbox;

const TOKEN: &str = "actix-console-token-0123456789";

#[actix_web::test]
async fn the_console_answers_under_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("inbox.db"))
        .await
        .unwrap();
    let console = Console::new(inbox).token(ConsoleToken::new(TOKEN).unwrap());
    let routes = webhook_actix::console_with(console);
    let app = test::init_service(
        App::new()
            .route("/", web::get().to(|| async { "the app" }))
            .service(web::scope("/admin/webhooks").configure(routes)),
    )
    .await;

    let response = test::call_service(
        &app,
        test::TestRequest::get().uri("/admin/webhooks").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Path=/admin/webhooks;")
    );
    let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
    assert!(body.contains(r#"action="/admin/webhooks/login""#), "{body}");

    for path in [
        "/admin/webhooks",
        "/admin/webhooks/",
        "/admin/webhooks/deliveries?state=dead",
    ] {
        let request = test::TestRequest::get()
            .uri(path)
            .insert_header(("authorization", format!("Bearer {TOKEN}")))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers().contains_key("content-security-policy"));
        let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
        assert!(
            body.contains(r#"href="/admin/webhooks/deliveries""#),
            "{path}: {body}"
        );
    }
    // The query string reaches the console: the filter is selected.
    let request = test::TestRequest::get()
        .uri("/admin/webhooks/deliveries?state=dead")
        .insert_header(("authorization", format!("Bearer {TOKEN}")))
        .to_request();
    let body = test::call_and_read_body(&app, request).await;
    assert!(String::from_utf8_lossy(&body).contains(r#"<option value="dead" selected>"#));

    // A POST's form body reaches the console: without its CSRF token it is refused.
    let request = test::TestRequest::post()
        .uri("/admin/webhooks/login")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(format!("token={TOKEN}"))
        .to_request();
    assert_eq!(
        test::call_service(&app, request).await.status(),
        StatusCode::FORBIDDEN
    );
    let body = test::call_and_read_body(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(&body[..], b"the app");
}
