//! Every page and action of the console, on SQLite and on Postgres.

mod common;

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use webhook_console::{Console, ConsoleToken, RefusedEntry, RefusedLog};
use webhook_inbox::{Admin, Inbox};

use common::{Client, Db, SIGNATURE, Seed, XSS_BODY, seed, state_of};

const TOKEN: &str = "console-test-token-0123456789";

/// Runs each scenario against a SQLite file and a Postgres schema.
macro_rules! on_both {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let db = super::Db::sqlite();
                    super::$scenario(&db).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let Some(db) = super::Db::postgres() else { return };
                    super::$scenario(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

on_both!(
    overview_shows_counts_charts_oldest_and_dead_letters,
    deliveries_filter_search_and_page_by_keyset,
    a_delivery_shows_facts_masked_headers_and_escaped_body,
    the_raw_body_downloads_byte_for_byte,
    replaying_one_needs_a_post_with_its_csrf_token,
    replaying_everything_matching_shows_the_count_first,
    purging_counts_then_deletes_old_done_rows,
    a_read_only_console_offers_and_takes_no_action,
    live_refresh_gets_the_region_alone,
    links_forms_and_cookies_follow_the_mount_path,
);

/// The standard rows: done, dead (two types), pending, failed, an old done row, and the
/// delivery carrying the XSS payloads. Returns (inbox, ids in that order).
async fn standard(db: &Db) -> (Inbox, Vec<i64>) {
    let inbox = db.open().await;
    let ids = seed(
        &inbox,
        &[
            Seed::new("modem-pay", "evt_done_1", "charge.succeeded", "done"),
            Seed::new("modem-pay", "evt_dead_1", "charge.failed", "dead")
                .error("handler failed: ledger <unreachable>"),
            Seed::new("modem-pay", "evt_dead_2", "customer.created", "dead")
                .error("payload: missing field `id`"),
            Seed::new("bamotf", "pi_pending", "payment_intent.created", "pending")
                .received_ago(Duration::from_secs(600)),
            Seed::new("bamotf", "pi_failed", "payment_intent.succeeded", "failed")
                .error("timeout after 30 s"),
            Seed::new("modem-pay", "evt_old", "charge.succeeded", "done")
                .received_ago(Duration::from_secs(40 * 86_400)),
            Seed::new(
                "modem-pay",
                "<script>window.__xss='key'</script>",
                "\"><img src=x onerror=\"window.__xss='type'\">",
                "dead",
            )
            .body(XSS_BODY)
            .error("<img src=x onerror=\"window.__xss='error'\">"),
        ],
    )
    .await;
    (inbox, ids)
}

fn console(inbox: &Inbox) -> Console {
    Console::new(inbox.clone()).token(ConsoleToken::new(TOKEN).unwrap())
}

/// Every page carries the strict policy and the other security headers.
fn assert_secured(page: &common::Page) {
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["cache-control"], "no-store");
}

/// No delivery value reaches the page unescaped, and no signature value at all.
fn assert_inert(html: &str) {
    assert!(!html.contains("<script>window"), "unescaped script");
    assert!(!html.contains("<img src=x"), "unescaped img");
    assert!(!html.contains("onerror=\"window"), "unescaped handler");
    assert!(!html.contains("href=\"javascript:"), "javascript: link");
    assert!(!html.contains(SIGNATURE), "a signature value was rendered");
    assert!(!html.contains(TOKEN), "the token was rendered");
}

async fn overview_shows_counts_charts_oldest_and_dead_letters(db: &Db) {
    let (inbox, _) = standard(db).await;
    let mut client = Client::new(console(&inbox)).bearer(TOKEN);
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_secured(&page);
    let html = page.text();
    assert_inert(&html);
    for (state, count) in [
        ("pending", 1),
        ("running", 0),
        ("failed", 1),
        ("dead", 3),
        ("done", 2),
        ("total", 7),
    ] {
        assert!(
            html.contains(&format!(r#"data-state="{state}">{count}<"#)),
            "{state} {count}: {html}"
        );
    }
    // The three charts, the received and failed series, the quantiles of the hour:
    // receipt to done, and the handler's run of each attempt.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3, "{html}");
    assert!(html.contains("class=\"bar received\""));
    assert!(html.contains("class=\"bar failed\""));
    assert!(
        html.contains(r#"p50 <strong data-quantile="p50">≤ 150 ms</strong>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"p50 <strong data-quantile="p50">≤ 3 ms</strong>"#),
        "{html}"
    );
    // The pending row is ten minutes old.
    assert!(html.contains("10 min "), "{html}");
    // Dead letters by type, each linking to its filtered list.
    assert!(
        html.contains("deliveries?event=charge.failed&amp;state=dead"),
        "{html}"
    );
    assert!(html.contains("customer.created"));
    assert!(html.contains("No refused-request log"));
}

async fn deliveries_filter_search_and_page_by_keyset(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut client = Client::new(console(&inbox).page_size(2)).bearer(TOKEN);
    let rows = |html: &str| -> Vec<i64> {
        html.match_indices("<tr data-id=\"")
            .map(|(at, m)| {
                let rest = &html[at + m.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    };

    // Newest first, two a page, "Older" continues below the last id.
    let first = client.get("/deliveries").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_secured(&first);
    assert_inert(&first.text());
    assert_eq!(rows(&first.text()), [ids[6], ids[5]]);
    let older = format!("deliveries?before={}", ids[5]);
    assert!(first.text().contains(&older), "{}", first.text());
    let second = client.get(&format!("/deliveries?before={}", ids[5])).await;
    assert_eq!(rows(&second.text()), [ids[4], ids[3]]);
    assert!(second.text().contains("← Newest"));

    let mut client = Client::new(console(&inbox)).bearer(TOKEN);
    for (query, expected) in [
        ("state=dead", vec![ids[6], ids[2], ids[1]]),
        ("state=dead&event=charge.failed", vec![ids[1]]),
        ("provider=bamotf", vec![ids[4], ids[3]]),
        ("state=failed", vec![ids[4]]),
        ("state=pending&provider=bamotf", vec![ids[3]]),
        ("q=evt_dead_2", vec![ids[2]]),
        ("q=pi_failed&provider=bamotf", vec![ids[4]]),
        ("q=pi_failed&provider=modem-pay", vec![]),
        (
            "since=1h",
            vec![ids[6], ids[4], ids[3], ids[2], ids[1], ids[0]],
        ),
        ("since=15m&state=done", vec![ids[0]]),
        ("to=2000-01-01T00:00", vec![]),
        ("from=2000-01-01T00:00&state=done", vec![ids[5], ids[0]]),
    ] {
        let page = client.get(&format!("/deliveries?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(rows(&page.text()), expected, "{query}");
    }
    // The filter stays in the form.
    let page = client
        .get("/deliveries?state=dead&event=charge.failed")
        .await;
    assert!(
        page.text().contains(r#"<option value="dead" selected>"#),
        "{}",
        page.text()
    );
    assert!(page.text().contains(r#"value="charge.failed""#));
    // Providers come from the inbox for the select.
    assert!(page.text().contains(r#"<option value="bamotf">"#));
}

async fn a_delivery_shows_facts_masked_headers_and_escaped_body(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut client = Client::new(console(&inbox)).bearer(TOKEN);
    let page = client.get(&format!("/deliveries/{}", ids[6])).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_secured(&page);
    let html = page.text();
    assert_inert(&html);
    // Escaped, so shown as text.
    assert!(
        html.contains("&lt;script&gt;window.__xss='key'&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("javascript:window.__xss='link'"));
    // The signature header is listed, its value masked; other headers shown.
    assert!(html.contains("x-modem-signature"));
    assert!(
        html.contains(&format!("masked ({} characters)", SIGNATURE.len())),
        "{html}"
    );
    assert!(html.contains("ModemPay-Webhooks/1.0"));
    // Pretty-printed JSON body, the facts, the timeline.
    assert!(html.contains("(JSON, pretty-printed)"));
    assert!(html.contains("\n  &quot;data&quot;: {"), "{html}");
    assert!(html.contains("Dedupe key"));
    assert!(html.contains("Dead-lettered"));
    // The dead attempt, its duration and its (escaped) error.
    assert!(
        html.contains(r#"<li class="attempt" data-outcome="dead">"#),
        "{html}"
    );
    assert!(html.contains("Attempt 1 failed for good"), "{html}");
    assert!(
        html.contains("ran <span class=\"took\">2.5 ms</span>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=&quot;window.__xss='error'&quot;&gt;"),
        "{html}"
    );
    assert!(html.contains("Download raw body ("));
    assert!(html.contains("id=\"replay\""));

    let done = client.get(&format!("/deliveries/{}", ids[0])).await.text();
    assert!(done.contains("Attempt 1 succeeded"), "{done}");
    assert!(done.contains("150 ms from receipt"), "{done}");
    let failed = client.get(&format!("/deliveries/{}", ids[4])).await.text();
    assert!(
        failed.contains(r#"data-outcome="failed""#) && failed.contains("timeout after 30 s"),
        "{failed}"
    );
    assert!(failed.contains("Next attempt"));

    assert_eq!(
        client.get("/deliveries/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/deliveries/nope").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn the_raw_body_downloads_byte_for_byte(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut client = Client::new(console(&inbox)).bearer(TOKEN);
    let page = client.get(&format!("/deliveries/{}/body", ids[6])).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, XSS_BODY.as_bytes());
    assert_eq!(page.headers["content-type"], "application/octet-stream");
    assert_eq!(
        page.headers["content-disposition"],
        format!("attachment; filename=\"delivery-{}.body\"", ids[6])
    );
    assert!(
        page.headers
            .get_all("content-security-policy")
            .iter()
            .any(|value| value == "sandbox")
    );
}

async fn replaying_one_needs_a_post_with_its_csrf_token(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let dead = ids[1];
    // A browser: signs in, so its requests carry cookies, not a bearer token.
    let mut browser = Client::new(console(&inbox));
    let form = browser.get("/login").await;
    let signed_in = browser
        .post(
            "/login",
            &[("token", TOKEN), ("csrf", &form.csrf()), ("next", "/")],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);

    // GET changes nothing.
    let get = browser.get(&format!("/deliveries/{dead}/replay")).await;
    assert_eq!(get.status, StatusCode::NOT_FOUND);
    assert_eq!(state_of(&inbox, dead).await, "dead");

    // A POST without the token, or with another browser's, is refused.
    let page = browser.get(&format!("/deliveries/{dead}")).await;
    let csrf = page.csrf();
    let forged = browser
        .post(&format!("/deliveries/{dead}/replay"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = browser
        .post(
            &format!("/deliveries/{dead}/replay"),
            &[("csrf", &"0".repeat(64))],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut other = Client::new(console(&inbox));
    other.cookies = browser.cookies.clone();
    other.cookies.remove("webhook_console_csrf");
    let stolen = other
        .post(&format!("/deliveries/{dead}/replay"), &[("csrf", &csrf)])
        .await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&inbox, dead).await, "dead");

    // The page's own form replays it.
    let replayed = browser
        .post(&format!("/deliveries/{dead}/replay"), &[("csrf", &csrf)])
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        replayed.location(),
        format!("/deliveries/{dead}?replay=replayed")
    );
    assert_eq!(state_of(&inbox, dead).await, "pending");
    let after = browser.get(replayed.location()).await;
    assert!(
        after
            .text()
            .contains("Replayed: the delivery is pending again.")
    );

    // Scripts with the bearer token need no CSRF token: no browser sends one alone.
    let mut script = Client::new(console(&inbox)).bearer(TOKEN);
    let replayed = script
        .post(&format!("/deliveries/{}/replay", ids[2]), &[])
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&inbox, ids[2]).await, "pending");
    assert_eq!(
        script.post("/deliveries/999999/replay", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn replaying_everything_matching_shows_the_count_first(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut browser = Client::new(Console::new(inbox.clone()).behind_app_auth());
    let confirm = browser.get("/replay?state=dead&provider=modem-pay").await;
    assert_eq!(confirm.status, StatusCode::OK);
    let html = confirm.text();
    assert!(
        html.contains(r#"<strong id="match-count">3</strong>"#),
        "{html}"
    );
    assert!(html.contains("state dead, provider modem-pay"));
    assert!(html.contains(&format!(r#"name="up_to" value="{}""#, ids[6])));
    // GET changed nothing.
    assert_eq!(
        inbox
            .count(webhook_inbox::DeliveryFilter::new().state(webhook_inbox::State::Dead))
            .await
            .unwrap()
            .0,
        3
    );

    // A dead letter that arrives after the confirmation is left alone.
    let late = seed(
        &inbox,
        &[Seed::new("modem-pay", "evt_late", "charge.failed", "dead")],
    )
    .await[0];
    let done = browser
        .post(
            "/replay",
            &[
                ("csrf", &confirm.csrf()),
                ("state", "dead"),
                ("provider", "modem-pay"),
                ("up_to", &ids[6].to_string()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location(),
        "/deliveries?provider=modem-pay&state=dead&replayed=3"
    );
    for id in [ids[1], ids[2], ids[6]] {
        assert_eq!(state_of(&inbox, id).await, "pending");
    }
    assert_eq!(state_of(&inbox, late).await, "dead");
    assert_eq!(state_of(&inbox, ids[0]).await, "done");
    let list = browser.get(done.location()).await;
    assert!(list.text().contains("Replayed 3 deliveries"));

    let none = browser
        .get("/replay?state=dead&provider=nobody")
        .await
        .text();
    assert!(none.contains("nothing to replay"), "{none}");
    assert!(!none.contains("confirm-replay"));
}

async fn purging_counts_then_deletes_old_done_rows(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut browser = Client::new(Console::new(inbox.clone()).behind_app_auth());
    let cutoff =
        webhook_core::rfc3339(SystemTime::now() - Duration::from_secs(86_400))[..10].to_owned();
    let form = browser.get(&format!("/purge?before={cutoff}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text()
            .contains("<strong>1</strong> done deliveries finished before"),
        "{}",
        form.text()
    );
    assert!(inbox.get(ids[5]).await.unwrap().is_some());
    let done = browser
        .post("/purge", &[("csrf", &form.csrf()), ("before", &cutoff)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/purge?purged=1");
    assert!(inbox.get(ids[5]).await.unwrap().is_none());
    assert!(inbox.get(ids[0]).await.unwrap().is_some());
    assert!(
        browser
            .get(done.location())
            .await
            .text()
            .contains("Deleted 1 done deliveries.")
    );
    let bad = browser
        .post("/purge", &[("csrf", &form.csrf()), ("before", "soon")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn a_read_only_console_offers_and_takes_no_action(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut browser = Client::new(
        Console::new(inbox.clone())
            .behind_app_auth()
            .read_only(true),
    );
    for path in [
        "/".to_owned(),
        "/deliveries".to_owned(),
        format!("/deliveries/{}", ids[1]),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let html = page.text();
        assert!(html.contains("Read-only"), "{path}");
        assert!(!html.contains("method=\"post\""), "{path}: a form posts");
        assert!(!html.contains("Replay"), "{path}: offers a replay");
        assert!(!html.contains("/purge"), "{path}: links to purge");
    }
    assert_eq!(
        browser.get("/replay?state=dead").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(browser.get("/purge").await.status, StatusCode::NOT_FOUND);
    let csrf = {
        // A token from a writable console of the same process would not help either.
        let mut writable = Client::new(Console::new(inbox.clone()).behind_app_auth());
        writable
            .get(&format!("/deliveries/{}", ids[1]))
            .await
            .csrf()
    };
    for path in [
        format!("/deliveries/{}/replay", ids[1]),
        "/replay".to_owned(),
        "/purge".to_owned(),
    ] {
        let refused = browser
            .post(
                &path,
                &[("csrf", &csrf), ("up_to", "999"), ("before", "2100-01-01")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(state_of(&inbox, ids[1]).await, "dead");
    assert!(inbox.get(ids[5]).await.unwrap().is_some());
}

async fn live_refresh_gets_the_region_alone(db: &Db) {
    let (inbox, _) = standard(db).await;
    let mut client = Client::new(console(&inbox)).bearer(TOKEN);
    let full = client.get("/").await.text();
    assert!(full.contains("<!DOCTYPE html>"));
    assert!(full.contains(r#"data-live="/""#));
    let fragment = client.get_with("/", ("x-console-fragment", "1")).await;
    assert_eq!(fragment.status, StatusCode::OK);
    let html = fragment.text();
    assert!(!html.contains("<html"), "{html}");
    assert!(html.contains(r#"data-state="dead">3<"#));
    let list = client
        .get_with("/deliveries?state=dead", ("x-console-fragment", "1"))
        .await
        .text();
    assert!(list.starts_with("<table"), "{list}");
    assert_inert(&list);
    // A signed-out browser's refresh gets 401, not a sign-in page to swap in.
    let mut signed_out = Client::new(console(&inbox));
    let refused = signed_out.get_with("/", ("x-console-fragment", "1")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(!refused.text().contains("<form"));
}

async fn links_forms_and_cookies_follow_the_mount_path(db: &Db) {
    let (inbox, ids) = standard(db).await;
    let mut browser = Client::new(console(&inbox)).mounted_at("/admin/webhooks");
    let login = browser.get(&format!("/deliveries/{}", ids[1])).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    let html = login.text();
    assert!(html.contains(r#"action="/admin/webhooks/login""#), "{html}");
    assert!(html.contains(r#"href="/admin/webhooks/assets/console.css""#));
    assert!(html.contains(&format!(r#"name="next" value="/deliveries/{}""#, ids[1])));
    let set = login.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("Path=/admin/webhooks;"), "{set}");
    let signed_in = browser
        .post(
            "/login",
            &[
                ("token", TOKEN),
                ("csrf", &login.csrf()),
                ("next", &format!("/deliveries/{}", ids[1])),
            ],
        )
        .await;
    assert_eq!(
        signed_in.location(),
        format!("/admin/webhooks/deliveries/{}", ids[1])
    );
    let page = browser.get(&format!("/deliveries/{}", ids[1])).await.text();
    assert!(page.contains(&format!(
        r#"action="/admin/webhooks/deliveries/{}/replay""#,
        ids[1]
    )));
    assert!(page.contains(r#"action="/admin/webhooks/logout""#));
}

// Access: one backend is enough, the rules are the console's own.

#[tokio::test]
async fn a_console_without_token_or_app_auth_lets_nobody_in() {
    let db = Db::sqlite();
    let inbox = db.open().await;
    let mut client = Client::new(Console::new(inbox.clone()));
    for path in ["/", "/deliveries", "/refused", "/login"] {
        let page = client.get(path).await;
        if path == "/login" {
            assert_eq!(page.status, StatusCode::SEE_OTHER);
            continue;
        }
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(page.text().contains("No access configured"));
    }
    let mut client = Client::new(Console::new(inbox)).bearer(TOKEN);
    assert_eq!(client.get("/").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_missing_or_wrong_token_gets_401_and_the_right_one_gets_in() {
    let db = Db::sqlite();
    let (inbox, _) = standard(&db).await;
    let console = console(&inbox);

    let mut anonymous = Client::new(console.clone());
    let page = anonymous.get("/deliveries?state=dead").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert_secured(&page);
    assert!(page.text().contains("Access token"));
    assert!(!page.text().contains("evt_dead_1"));
    assert_eq!(page.headers["www-authenticate"], "Bearer");

    let mut wrong = Client::new(console.clone()).bearer("console-test-token-0123456780");
    let page = wrong.get("/").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert_eq!(page.text(), "wrong token");
    assert_eq!(
        wrong.post("/deliveries/1/replay", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );

    let mut right = Client::new(console.clone()).bearer(TOKEN);
    assert_eq!(right.get("/").await.status, StatusCode::OK);

    // The form: a wrong token is refused, the right one sets the session cookie.
    let mut browser = Client::new(console.clone());
    let form = browser.get("/login").await;
    assert_eq!(form.status, StatusCode::OK);
    let refused = browser
        .post(
            "/login",
            &[("token", "not-the-token-at-all"), ("csrf", &form.csrf())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.text().contains("That token is not right."));
    assert!(!browser.cookies.contains_key("webhook_console_session"));
    let no_csrf = browser.post("/login", &[("token", TOKEN)]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let signed_in = browser
        .post(
            "/login",
            &[
                ("token", TOKEN),
                ("csrf", &form.csrf()),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location(), "/");
    let set = signed_in.headers["set-cookie"].to_str().unwrap();
    assert!(set.starts_with("webhook_console_session="), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains(TOKEN), "the cookie holds the token itself");
    assert_eq!(browser.get("/").await.status, StatusCode::OK);

    // A forged cookie does not get in; signing out drops the cookie.
    let mut forged = Client::new(console.clone());
    forged
        .cookies
        .insert("webhook_console_session".into(), "0".repeat(64));
    assert_eq!(forged.get("/").await.status, StatusCode::UNAUTHORIZED);
    let page = browser.get("/").await;
    let out = browser.post("/logout", &[("csrf", &page.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key("webhook_console_session"));
    assert_eq!(browser.get("/").await.status, StatusCode::UNAUTHORIZED);

    // HTTPS behind a proxy: the cookies are Secure.
    let request = http::Request::get("/login")
        .header("x-forwarded-proto", "https")
        .body(bytes::Bytes::new())
        .unwrap();
    let response = console.handle(request).await;
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_valid_token() {
    let db = Db::sqlite();
    let (inbox, ids) = standard(&db).await;
    let console = Console::new(inbox.clone()).behind_app_auth();
    let mut browser = Client::new(console.clone());
    let csrf = browser.get(&format!("/deliveries/{}", ids[1])).await.csrf();
    let cookie: Vec<String> = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let request = http::Request::post(format!("/deliveries/{}/replay", ids[1]))
        .header("cookie", cookie.join("; "))
        .header("sec-fetch-site", "cross-site")
        .body(bytes::Bytes::from(format!("csrf={csrf}")))
        .unwrap();
    assert_eq!(
        console.handle(request).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(state_of(&inbox, ids[1]).await, "dead");
}

#[derive(Default)]
struct Recent(Mutex<Vec<RefusedEntry>>);

impl RefusedLog for Recent {
    fn recent(&self) -> Vec<RefusedEntry> {
        self.0.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn refused_requests_are_listed_newest_first_and_escaped() {
    let db = Db::sqlite();
    let inbox = db.open().await;
    let log = std::sync::Arc::new(Recent::default());
    let now = SystemTime::now();
    log.0.lock().unwrap().extend([
        RefusedEntry {
            at: now - Duration::from_secs(7200),
            provider: "bamotf".into(),
            status: 413,
            reason: "payload too large".into(),
            size: Some(2_000_000),
            source: None,
        },
        RefusedEntry {
            at: now - Duration::from_secs(30),
            provider: "modem-pay".into(),
            status: 401,
            reason: "signature mismatch <img src=x onerror=alert(1)>".into(),
            size: Some(512),
            source: Some("203.0.113.9:40112".parse().unwrap()),
        },
    ]);
    let mut client = Client::new(
        Console::new(inbox)
            .behind_app_auth()
            .refused_log(log.clone()),
    );
    let html = client.get("/refused").await.text();
    assert!(html.contains("203.0.113.9:40112"));
    assert!(html.contains("payload too large"));
    assert!(
        html.contains("signature mismatch &lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(html.find("modem-pay").unwrap() < html.find("bamotf").unwrap());
    let overview = client.get("/").await.text();
    assert!(
        overview.contains("<strong>1</strong> refused in the last hour"),
        "{overview}"
    );

    let mut without = Client::new(Console::new(db.open().await).behind_app_auth());
    assert!(
        without
            .get("/refused")
            .await
            .text()
            .contains("No refused-request log")
    );
}

#[tokio::test]
async fn assets_are_embedded_and_served_without_sign_in() {
    let db = Db::sqlite();
    let mut client = Client::new(console(&db.open().await));
    for (path, kind) in [
        ("/assets/console.css", "text/css"),
        ("/assets/console.js", "text/javascript"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let asset = client.get(path).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}");
        assert!(
            asset.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(!asset.body.is_empty());
    }
    assert_eq!(
        client.get("/assets/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.post("/assets/console.js", &[]).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn replicas_sharing_a_csrf_secret_accept_each_others_forms() {
    let db = Db::sqlite();
    let (inbox, ids) = standard(&db).await;
    let replica = || {
        Console::new(inbox.clone())
            .behind_app_auth()
            .csrf_secret("the app's own session secret")
    };
    let mut first = Client::new(replica());
    let csrf = first.get(&format!("/deliveries/{}", ids[1])).await.csrf();
    // The same browser (its cookies), served next by another replica.
    let mut second = Client::new(replica());
    second.cookies = first.cookies.clone();
    let replayed = second
        .post(
            &format!("/deliveries/{}/replay", ids[1]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&inbox, ids[1]).await, "pending");
    // Without the shared secret, each process has its own key.
    let mut third = Client::new(Console::new(inbox.clone()).behind_app_auth());
    third.cookies = first.cookies.clone();
    let refused = third
        .post(
            &format!("/deliveries/{}/replay", ids[2]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
