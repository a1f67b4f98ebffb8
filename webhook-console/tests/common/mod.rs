//! Shared by the console's tests: a database per test (a SQLite file, or a fresh
//! Postgres schema), rows in every state, and a client that keeps cookies.

#![allow(dead_code)] // each test file uses its own part

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use webhook_console::{Console, MountPath};
use webhook_inbox::Inbox;

/// The body of the delivery that carries the XSS payloads.
pub(crate) const XSS_BODY: &str = r#"{"id":"evt_xss","type":"charge.succeeded","data":{"name":"<script>window.__xss='body';alert('body')</script>","link":"javascript:window.__xss='link'","img":"\"><img src=x onerror=\"window.__xss='img';alert('img')\">"}}"#;

/// The signature header value of every seeded row: must never be rendered.
pub(crate) const SIGNATURE: &str = "t=1767225600,v1=5ecre7516na7ure0fdeadbeef";

/// A database for one test.
pub(crate) enum Db {
    Sqlite {
        _dir: Arc<tempfile::TempDir>,
        path: std::path::PathBuf,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

impl Db {
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("inbox.db");
        Self::Sqlite {
            _dir: Arc::new(dir),
            path,
        }
    }

    /// A fresh schema, or `None` (the test is skipped) without
    /// `WEBHOOK_TEST_DATABASE_URL`. Under CI a missing URL fails the test instead.
    pub(crate) fn postgres() -> Option<Self> {
        match std::env::var("WEBHOOK_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = format!("console_test_{:016x}", fastrand::u64(..));
                Some(Self::Postgres { url, schema })
            }
            _ if std::env::var_os("CI").is_some() => {
                panic!("WEBHOOK_TEST_DATABASE_URL not set: CI must run the Postgres console tests")
            }
            _ => {
                println!("skipped: WEBHOOK_TEST_DATABASE_URL not set");
                None
            }
        }
    }

    pub(crate) async fn open(&self) -> Inbox {
        self.open_with(webhook_inbox::InboxConfig::new()).await
    }

    /// Opens an inbox on this database, run as `config` says.
    pub(crate) async fn open_with(&self, config: webhook_inbox::InboxConfig) -> Inbox {
        match self {
            Self::Sqlite { path, .. } => webhook_inbox::SqliteInbox::open_with(path, config)
                .await
                .expect("open sqlite")
                .into(),
            Self::Postgres { url, schema } => {
                webhook_inbox::PostgresInbox::connect_with_schema(url, schema, config)
                    .await
                    .expect("connect postgres")
                    .into()
            }
        }
    }

    /// The database as `webhook inbox --db` takes it.
    pub(crate) fn address(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => path.display().to_string(),
            Self::Postgres { url, schema } => {
                let join = if url.contains('?') { '&' } else { '?' };
                format!("{url}{join}options=-c%20search_path%3D{schema}")
            }
        }
    }

    pub(crate) async fn cleanup(self) {
        if let Self::Postgres { url, schema } = self {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            sqlx::raw_sql(&drop).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// One row to seed.
pub(crate) struct Seed {
    pub(crate) provider: &'static str,
    pub(crate) key: String,
    pub(crate) event_type: &'static str,
    pub(crate) state: &'static str,
    pub(crate) attempts: i64,
    pub(crate) last_error: Option<&'static str>,
    pub(crate) received_ago: Duration,
    pub(crate) finished_after: Option<Duration>,
    /// How long the handler ran in the row's last attempt.
    pub(crate) took: Duration,
    pub(crate) body: String,
}

impl Seed {
    pub(crate) fn new(
        provider: &'static str,
        key: &str,
        event_type: &'static str,
        state: &'static str,
    ) -> Self {
        Self {
            provider,
            key: key.to_owned(),
            event_type,
            state,
            attempts: u32::from(state != "pending").into(),
            last_error: None,
            received_ago: Duration::from_secs(120),
            finished_after: matches!(state, "done" | "dead").then(|| Duration::from_millis(150)),
            took: Duration::from_micros(2_500),
            body: format!(r#"{{"id":"{key}","type":"{event_type}","data":{{"amount":1200}}}}"#),
        }
    }

    pub(crate) fn error(mut self, error: &'static str) -> Self {
        self.last_error = Some(error);
        self
    }

    pub(crate) fn received_ago(mut self, ago: Duration) -> Self {
        self.received_ago = ago;
        self
    }

    pub(crate) fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }
}

fn ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Inserts `rows` as the inbox would have stored and settled them; returns their ids.
/// A failed or dead row is inserted running and then settled, so that the schema's
/// trigger records its last attempt as a worker's settle does.
pub(crate) async fn seed(inbox: &Inbox, rows: &[Seed]) -> Vec<i64> {
    let now = SystemTime::now();
    let mut ids = Vec::new();
    for row in rows {
        let received = now - row.received_ago;
        let finished = row.finished_after.map(|after| ms(received + after));
        let updated = finished.unwrap_or(ms(now - Duration::from_secs(5)));
        let retry = (row.state == "failed").then(|| ms(now + Duration::from_secs(600)));
        let headers = serde_json::to_string(&[
            ("content-type", "application/json"),
            ("x-modem-signature", SIGNATURE),
            ("user-agent", "ModemPay-Webhooks/1.0"),
        ])
        .unwrap();
        let settled = matches!(row.state, "failed" | "dead");
        let sql = "INSERT INTO webhook_inbox (provider, dedupe_key, event_type, headers, body, \
                   received_at, state, attempts, last_error, updated_at, finished_at, retry_at, \
                   last_attempt_us) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
        let settle = "UPDATE webhook_inbox SET state = $1 WHERE id = $2";
        let took = i64::try_from(row.took.as_micros()).unwrap();
        macro_rules! insert {
            ($pool:expr) => {{
                let id = sqlx::query_scalar::<_, i64>(sql)
                    .bind(row.provider)
                    .bind(&row.key)
                    .bind(row.event_type)
                    .bind(&headers)
                    .bind(row.body.as_bytes())
                    .bind(ms(received))
                    .bind(if settled { "running" } else { row.state })
                    .bind(row.attempts)
                    .bind(row.last_error)
                    .bind(updated)
                    .bind(finished)
                    .bind(retry)
                    .bind(took)
                    .fetch_one($pool)
                    .await
                    .expect("a seeded row");
                if settled {
                    sqlx::query(settle)
                        .bind(row.state)
                        .bind(id)
                        .execute($pool)
                        .await
                        .expect("a seeded row settled");
                }
                id
            }};
        }
        let id = match inbox {
            Inbox::Sqlite(inbox) => insert!(inbox.pool()),
            Inbox::Postgres(inbox) => insert!(inbox.pool()),
            _ => unreachable!("both backends are enabled"),
        };
        ids.push(id);
    }
    ids
}

/// The state of row `id`.
pub(crate) async fn state_of(inbox: &Inbox, id: i64) -> String {
    use webhook_inbox::Admin;
    inbox
        .get(id)
        .await
        .unwrap()
        .expect("the row exists")
        .row
        .state
        .to_string()
}

/// A browser-like client: keeps cookies, sends a bearer token when given one.
pub(crate) struct Client {
    pub(crate) console: Console,
    pub(crate) base: String,
    pub(crate) cookies: HashMap<String, String>,
    pub(crate) bearer: Option<String>,
}

/// A response read as text.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl Page {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the first `name="csrf" value="…"`.
    pub(crate) fn csrf(&self) -> String {
        let text = self.text();
        let at = text
            .find(r#"name="csrf" value=""#)
            .expect("a form with a CSRF token");
        let rest = &text[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub(crate) fn location(&self) -> &str {
        self.headers["location"].to_str().unwrap()
    }
}

impl Client {
    pub(crate) fn new(console: Console) -> Self {
        Self {
            console,
            base: String::new(),
            cookies: HashMap::new(),
            bearer: None,
        }
    }

    pub(crate) fn mounted_at(mut self, base: &str) -> Self {
        self.base = base.to_owned();
        self
    }

    pub(crate) fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }

    async fn send(&mut self, mut request: Request<Bytes>) -> Page {
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request
                .headers_mut()
                .insert("cookie", cookies.join("; ").parse().unwrap());
        }
        if let Some(token) = &self.bearer {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        request
            .extensions_mut()
            .insert(MountPath(self.base.clone()));
        let response: Response<Bytes> = self.console.handle(request).await;
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let (parts, body) = response.into_parts();
        Page {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = Request::get(path).body(Bytes::new()).unwrap();
        self.send(request).await
    }

    pub(crate) async fn get_with(&mut self, path: &str, header: (&str, &str)) -> Page {
        let request = Request::get(path)
            .header(header.0, header.1)
            .body(Bytes::new())
            .unwrap();
        self.send(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(body))
            .unwrap();
        self.send(request).await
    }
}
