//! `webhook inbox serve` as a child process: the console over a SQLite file or a
//! Postgres schema, open on loopback without a token, guarded by one when set.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use common::webhook;

const TOKEN: &str = "serve-test-token-0123456789";

/// A running `webhook inbox serve` and its address.
struct Serve {
    child: Child,
    address: String,
    lines: Vec<String>,
}

impl Serve {
    fn start(db: &str, args: &[&str], token: Option<&str>) -> Self {
        let binary = assert_cmd::cargo::cargo_bin("webhook");
        let mut command = Command::new(binary);
        command
            .args(["inbox", "serve", "--db", db, "--port", "0"])
            .args(args)
            .env_remove("WEBHOOK_CONSOLE_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(token) = token {
            command.env("WEBHOOK_CONSOLE_TOKEN", token);
        }
        let mut child = command.spawn().expect("serve starts");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("serve prints its address");
        let address = first
            .strip_prefix("console on http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("first line names the address: {first}"))
            .to_owned();
        let second = lines.recv_timeout(Duration::from_secs(5)).unwrap();
        Self {
            child,
            address,
            lines: vec![first, second],
        }
    }

    /// GETs `path`, with a bearer token when given: the status and body.
    fn get(&self, path: &str, bearer: Option<&str>) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(&self.address).unwrap();
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
            self.address
        );
        if let Some(token) = bearer {
            request.push_str(&format!("authorization: Bearer {token}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new SQLite inbox file (migrated, empty).
fn sqlite_inbox() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        webhook_inbox::SqliteInbox::open(&path).await.unwrap();
    });
    (dir, path.display().to_string())
}

#[test]
fn on_loopback_without_a_token_the_console_is_open() {
    let (_dir, db) = sqlite_inbox();
    let serve = Serve::start(&db, &[], None);
    assert!(serve.address.starts_with("127.0.0.1:"), "{}", serve.address);
    assert!(serve.lines[1].contains("no token"), "{:?}", serve.lines);
    let (status, body) = serve.get("/", None);
    assert_eq!(status, 200);
    assert!(body.contains("<h1>Overview</h1>"), "{body}");
    assert!(body.contains(r#"data-state="total">0<"#));
    let (status, body) = serve.get("/deliveries?state=dead", None);
    assert_eq!(status, 200);
    assert!(body.contains("No deliveries match."));
}

#[test]
fn with_a_token_the_console_lets_in_only_its_bearer() {
    let (_dir, db) = sqlite_inbox();
    let serve = Serve::start(&db, &["--read-only"], Some(TOKEN));
    assert!(
        serve.lines[1].contains("WEBHOOK_CONSOLE_TOKEN"),
        "{:?}",
        serve.lines
    );
    let (status, body) = serve.get("/", None);
    assert_eq!(status, 401);
    assert!(body.contains("Access token"));
    assert_eq!(serve.get("/", Some("serve-test-token-wrong-00000")).0, 401);
    let (status, body) = serve.get("/deliveries", Some(TOKEN));
    assert_eq!(status, 200);
    assert!(body.contains("Read-only"));
    assert!(!body.contains("method=\"post\""));
}

#[test]
fn binding_beyond_loopback_needs_a_token() {
    let (_dir, db) = sqlite_inbox();
    let output = webhook()
        .args([
            "inbox", "--db", &db, "serve", "--bind", "0.0.0.0", "--port", "0",
        ])
        .env_remove("WEBHOOK_CONSOLE_TOKEN")
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("set WEBHOOK_CONSOLE_TOKEN"), "{stderr}");
    // A token too short to be one is refused too.
    let output = webhook()
        .args([
            "inbox", "--db", &db, "serve", "--bind", "0.0.0.0", "--port", "0",
        ])
        .env("WEBHOOK_CONSOLE_TOKEN", "short")
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_console_serves_a_postgres_inbox() {
    let url = match std::env::var("WEBHOOK_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => {
            panic!("WEBHOOK_TEST_DATABASE_URL not set: CI must run the Postgres console test")
        }
        _ => {
            println!("skipped: WEBHOOK_TEST_DATABASE_URL not set");
            return;
        }
    };
    let schema = format!("serve_test_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        webhook_inbox::PostgresInbox::connect_with_schema(&url, &schema, Default::default())
            .await
            .unwrap();
    });
    let join = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{join}options=-c%20search_path%3D{schema}");
    {
        let serve = Serve::start(&db, &[], Some(TOKEN));
        let (status, body) = serve.get("/", Some(TOKEN));
        assert_eq!(status, 200);
        assert!(body.contains(r#"data-state="total">0<"#), "{body}");
        assert_eq!(serve.get("/deliveries?provider=x&q=y", Some(TOKEN)).0, 200);
    }
    runtime.block_on(async {
        // Not an inbox: that would migrate the database's default schema.
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        sqlx::raw_sql(&drop).execute(&pool).await.unwrap();
    });
}
