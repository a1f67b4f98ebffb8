//! The console in a real browser: headless Chromium driven through `chromedriver`
//! (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them).
//!
//! A receiver with a SQLite inbox takes signed deliveries, one of which its handler
//! fails until "the fix is out"; the console is served over HTTP at `/console` (token)
//! and `/ro` (read-only). The browser signs in, sees the counts, filters to the dead
//! deliveries, opens the failed one, replays it and sees it done; pages carrying XSS
//! payloads run nothing; the read-only console offers no action; a missing or wrong
//! token gets 401.
//!
//! Without the browser the test is skipped with a note, except under `CI`, where it
//! fails. `CONSOLE_SCREENSHOTS=<dir>` saves a screenshot of each page.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use webhook_console::{Console, ConsoleToken, MountPath, RefusedEntry, RefusedLog};
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, RetryPolicy, Verified};
use webhook_inbox::{Admin, DeliveryFilter, Inbox, InboxConfig, State};

use common::{Db, Seed, XSS_BODY, seed};
use webdriver::{Driver, Session};

const TOKEN: &str = "browser-test-token-0123456789";
const PATIENCE: Duration = Duration::from_secs(20);

/// Charges whose id starts with `ch_broken` fail until the fix is out.
struct Payments {
    fixed: Arc<AtomicBool>,
}

impl Handler for Payments {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        Self::EVENTS.contains(&event_type).then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            if delivery.dedupe_key().contains("ch_broken") && !self.fixed.load(Ordering::SeqCst) {
                return Err(DispatchError::failed(
                    "ledger unreachable: connection refused",
                ));
            }
            Ok(())
        })
    }
}

/// What the receiver refused, as a test log: a bad signature from a script-carrying
/// "reason", an oversized body.
struct Refused;

impl RefusedLog for Refused {
    fn recent(&self) -> Vec<RefusedEntry> {
        let now = std::time::SystemTime::now();
        vec![
            RefusedEntry {
                at: now - Duration::from_secs(42),
                provider: "modem-pay".into(),
                status: 401,
                reason: "signature mismatch <img src=x onerror=\"window.__xss='refused'\">".into(),
                size: Some(734),
                source: Some("203.0.113.9:40112".parse().unwrap()),
            },
            RefusedEntry {
                at: now - Duration::from_secs(600),
                provider: "bamotf".into(),
                status: 413,
                reason: "payload too large".into(),
                size: Some(2_400_000),
                source: Some("198.51.100.23:51200".parse().unwrap()),
            },
        ]
    }
}

/// Serves `/console/...` (token) and `/ro/...` (read-only) on a free local port.
async fn serve(console: Console, read_only: Console) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (console, read_only) = (console.clone(), read_only.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let (console, read_only) = (console.clone(), read_only.clone());
                    async move {
                        let (mut parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let path = parts.uri.path().to_owned();
                        let (console, mount) = if path.starts_with("/ro") {
                            (read_only, "/ro")
                        } else {
                            (console, "/console")
                        };
                        let relative = match path.strip_prefix(mount).unwrap_or("/") {
                            "" => "/",
                            rest => rest,
                        };
                        let target = match parts.uri.query() {
                            Some(query) => format!("{relative}?{query}"),
                            None => relative.to_owned(),
                        };
                        parts.uri = target.parse().unwrap();
                        parts.extensions.insert(MountPath(mount.to_owned()));
                        let response = console.handle(http::Request::from_parts(parts, body)).await;
                        Ok::<_, Infallible>(response.map(Full::new))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{address}")
}

/// GETs `url` with an optional bearer token; the status.
fn status_of(url: &str, bearer: Option<&str>) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (address, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
    if let Some(token) = bearer {
        request.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    stream
        .write_all(format!("{request}\r\n").as_bytes())
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

/// Nothing from a delivery ran on the current page: no marker set, no alert, no
/// element with an event handler, no injected image, no `javascript:` link, no script
/// but the console's own.
fn assert_nothing_ran(browser: &Session<'_>, mount: &str) {
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !browser.alert_open(),
        "an alert opened on {}",
        browser.url()
    );
    let found = browser.run(
        "return {
            xss: window.__xss === undefined ? null : String(window.__xss),
            handlers: document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover]').length,
            images: document.querySelectorAll('img').length,
            links: document.querySelectorAll('a[href^=\"javascript:\" i]').length,
            scripts: Array.from(document.scripts).map(s => s.getAttribute('src')),
        };",
        vec![],
    );
    assert_eq!(found["xss"], Value::Null, "{found} on {}", browser.url());
    assert_eq!(found["handlers"], json!(0), "{found}");
    assert_eq!(found["images"], json!(0), "{found}");
    assert_eq!(found["links"], json!(0), "{found}");
    assert_eq!(
        found["scripts"],
        json!([format!("{mount}/assets/console.js")]),
        "{found}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_console_in_a_browser() {
    let (chromium, chromedriver) = match webdriver::find_browser() {
        Ok(found) => found,
        Err(missing) if std::env::var_os("CI").is_some() => {
            panic!("the browser test must run under CI: {missing}")
        }
        Err(missing) => {
            println!("skipped: {missing}");
            return;
        }
    };

    // The receiver, its inbox, and deliveries: three good charges and a broken one.
    let db = Db::sqlite();
    let inbox: Inbox = db
        .open_with(
            InboxConfig::new()
                .poll_interval(Duration::from_millis(50))
                .lease(Duration::from_secs(10)),
        )
        .await;
    let fixed = Arc::new(AtomicBool::new(false));
    let receiver = Receiver::builder(Payments {
        fixed: Arc::clone(&fixed),
    })
    .secret(test_secret())
    .retry(RetryPolicy::default().max_attempts(1))
    .sink(inbox.clone())
    .build();
    for id in ["ch_ok_1", "ch_ok_2", "ch_ok_3", "ch_broken_1"] {
        let delivery = FakeDelivery::new(
            ModemPay::default(),
            "charge.succeeded",
            json!({ "id": id, "amount": 1200, "currency": "GMD" }),
        );
        assert_eq!(delivery.send(&receiver).await.status(), 200);
    }
    let settled = |stats: webhook_inbox::Stats| stats.done == 3 && stats.dead == 1;
    for _ in 0..200 {
        if settled(inbox.stats().await.unwrap()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        settled(inbox.stats().await.unwrap()),
        "{:?}",
        inbox.stats().await
    );
    let broken = inbox
        .deliveries(DeliveryFilter::new().state(State::Dead), None, 10)
        .await
        .unwrap()[0]
        .id;
    // A dead delivery carrying XSS payloads in every field an attacker controls.
    let xss = seed(
        &inbox,
        &[Seed::new(
            "modem-pay",
            "<script>window.__xss='key';alert('key')</script>",
            "\"><img src=x onerror=\"window.__xss='type';alert('type')\">",
            "dead",
        )
        .body(XSS_BODY)
        .error("<img src=x onerror=\"window.__xss='error'\"> javascript:alert(1)")],
    )
    .await[0];

    let signature = inbox
        .get(broken)
        .await
        .unwrap()
        .unwrap()
        .headers
        .into_iter()
        .find(|(name, _)| name == "x-modem-signature")
        .expect("the delivery was signed")
        .1;
    let console = Console::new(inbox.clone())
        .token(ConsoleToken::new(TOKEN).unwrap())
        .refresh_every(Duration::from_secs(1))
        .refused_log(Refused);
    let read_only = Console::new(inbox.clone())
        .behind_app_auth()
        .read_only(true);
    let site = serve(console, read_only).await;
    let shots = std::env::var_os("CONSOLE_SCREENSHOTS").map(PathBuf::from);
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Handle::current();

    tokio::task::spawn_blocking(move || {
        let base = format!("{site}/console");
        let shot = |browser: &Session<'_>, name: &str| {
            if let Some(dir) = &shots {
                browser.screenshot(dir, name);
            }
        };

        // A missing or wrong token: 401, for scripts and browsers alike.
        assert_eq!(status_of(&format!("{base}/"), None), 401);
        assert_eq!(status_of(&format!("{base}/deliveries"), Some("browser-test-token-wrong-000")), 401);
        assert_eq!(status_of(&format!("{base}/deliveries"), Some(TOKEN)), 200);

        let driver = Driver::start(&chromedriver);
        let browser = driver.session(&chromium, profile.path());
        browser.goto(&format!("{base}/"));
        assert_eq!(browser.status(), 401);
        assert!(browser.title().starts_with("Sign in"), "{}", browser.title());
        shot(&browser, "sign-in");
        browser.type_into(&browser.one("#token"), "browser-test-token-wrong-000");
        browser.click_to_page(&browser.one("form.signin button[type=submit]"));
        assert_eq!(browser.status(), 401);
        assert!(browser.text_of("[role=alert]").contains("not right"));
        browser.type_into(&browser.one("#token"), TOKEN);
        browser.click_to_page(&browser.one("form.signin button[type=submit]"));

        // The overview and its counts.
        assert_eq!(browser.status(), 200);
        assert_eq!(browser.title(), "Overview · Webhook inbox");
        let count = |browser: &Session<'_>, state: &str| {
            browser.text_of(&format!("[data-state={state}]"))
        };
        assert_eq!(count(&browser, "dead"), "2");
        assert_eq!(count(&browser, "done"), "3");
        assert_eq!(count(&browser, "total"), "5");
        assert_eq!(browser.all("svg.chart").len(), 3);
        assert_nothing_ran(&browser, "/console");
        shot(&browser, "overview");

        // It refreshes itself without reloading the page.
        browser.run("window.__samePage = 'yes';", vec![]);
        runtime.block_on(seed(&inbox, &[Seed::new("bamotf", "pi_late", "payment_intent.created", "dead")]));
        browser.wait_for("the live dead count", PATIENCE, |b| count(b, "dead") == "3");
        assert_eq!(browser.run("return window.__samePage;", vec![]), json!("yes"));

        // Filter to the dead deliveries, through the form.
        browser.click_to_page(&browser.one("header nav a[href$='/deliveries']"));
        browser.click(&browser.one("#f-state option[value=dead]"));
        browser.click_to_page(&browser.one("form.filters button[type=submit]"));
        assert!(browser.url().contains("state=dead"), "{}", browser.url());
        let states: Vec<String> = browser
            .all("table.deliveries tbody .badge")
            .iter()
            .map(|badge| browser.text(badge))
            .collect();
        assert_eq!(states, ["dead", "dead", "dead"]);
        assert_nothing_ran(&browser, "/console");
        shot(&browser, "deliveries-dead");

        // Open the broken one: what failed and why.
        browser.click_to_page(&browser.one(&format!("tr[data-id='{broken}'] a")));
        assert_eq!(browser.title(), format!("Delivery {broken} · Webhook inbox"));
        let page = browser.text_of("main");
        assert!(page.contains("ledger unreachable: connection refused"), "{page}");
        assert!(page.contains("ch_broken_1"));
        assert!(page.contains("masked"), "the signature header is not masked: {page}");
        assert!(!browser.run("return document.documentElement.outerHTML;", vec![]).as_str().unwrap().contains(&signature));
        shot(&browser, "delivery-dead");

        // The fix is out: replay it, and see it done.
        fixed.store(true, Ordering::SeqCst);
        browser.click_to_page(&browser.one("#replay"));
        browser.wait_for("the replay's notice", PATIENCE, |b| {
            b.all("p.notice[role=status]")
                .first()
                .is_some_and(|notice| b.text(notice).contains("Replayed"))
        });
        browser.wait_for("the replayed delivery to be done", PATIENCE, |b| {
            b.refresh();
            b.text_of("h1 .badge") == "done"
        });
        // Its timeline: the attempts that failed before the fix, each with its error,
        // then the replayed attempt that succeeded.
        let outcomes = browser.run(
            "return Array.from(document.querySelectorAll('ol.timeline li.attempt'), li => li.dataset.outcome).join(',');",
            vec![],
        );
        let outcomes = outcomes.as_str().unwrap_or_default().to_owned();
        assert!(
            outcomes.ends_with("dead,done") && outcomes.split(',').count() >= 2,
            "{outcomes}"
        );
        let timeline = browser.text_of("ol.timeline");
        assert!(timeline.contains("ledger unreachable: connection refused"), "{timeline}");
        assert!(timeline.contains("Replayed"), "{timeline}");
        shot(&browser, "delivery-done");

        // The payloads are shown as text and run nothing, on every page that shows them.
        browser.goto(&format!("{base}/deliveries/{xss}"));
        assert_eq!(
            browser.text_of("#dedupe-key"),
            "<script>window.__xss='key';alert('key')</script>"
        );
        assert!(browser.text_of("pre.body").contains("<img src=x onerror="));
        assert_nothing_ran(&browser, "/console");
        shot(&browser, "delivery-xss");
        for path in ["/", "/deliveries", "/deliveries?state=dead", "/replay?state=dead", "/refused"] {
            browser.goto(&format!("{base}{path}"));
            assert_eq!(browser.status(), 200, "{path}");
            assert_nothing_ran(&browser, "/console");
            let name = path.trim_start_matches('/').replace(['?', '=', '/'], "-");
            shot(&browser, &format!("page-{name}"));
        }
        // The refused requests are listed, newest first.
        let refused = browser.text_of("main table");
        assert!(refused.contains("203.0.113.9:40112"), "{refused}");
        assert!(refused.find("modem-pay").unwrap() < refused.find("bamotf").unwrap());
        // And the policy would stop a script even if markup got in.
        browser.run(
            "document.body.insertAdjacentHTML('beforeend', '<img src=\"nothing.png\" onerror=\"window.__csp=1\">');",
            vec![],
        );
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(browser.run("return window.__csp === undefined;", vec![]), json!(true));

        // The read-only console offers no action.
        browser.goto(&format!("{site}/ro/deliveries/{xss}"));
        assert_eq!(browser.status(), 200);
        assert!(browser.text_of("header").to_lowercase().contains("read-only"));
        assert!(browser.all("form[method=post]").is_empty());
        assert!(browser.all("#replay").is_empty());
        browser.goto(&format!("{site}/ro/"));
        assert!(browser.all("form[method=post]").is_empty());
        assert!(browser.all("a[href*='/replay']").is_empty());
        assert!(browser.all("a[href$='/purge']").is_empty());
        shot(&browser, "read-only");
    })
    .await
    .expect("the browser script passes");

    receiver.shutdown(Duration::from_secs(5)).await;
}
