//! `sslmode` and `sslrootcert` in the Postgres inbox's URL, against the test cluster,
//! which scripts/ensure-postgres serves TLS with a certificate valid for `localhost`
//! only, signed by the CA at `WEBHOOK_TEST_PG_CA`; `WEBHOOK_TEST_PG_WRONG_CA` is
//! another CA, which signed nothing the server has.

#![cfg(feature = "postgres")]

use std::path::{Path, PathBuf};

use webhook_inbox::{InboxConfig, InboxError, PostgresInbox};

/// The test cluster and the two CAs, or `None` (the test is skipped) without them.
/// Under CI a missing variable fails the test instead.
struct Cluster {
    url: String,
    ca: PathBuf,
    wrong_ca: PathBuf,
}

fn cluster() -> Option<Cluster> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let vars = [
        "WEBHOOK_TEST_DATABASE_URL",
        "WEBHOOK_TEST_PG_CA",
        "WEBHOOK_TEST_PG_WRONG_CA",
    ];
    match vars.map(var) {
        [Some(url), Some(ca), Some(wrong_ca)] => Some(Cluster {
            url,
            ca: ca.into(),
            wrong_ca: wrong_ca.into(),
        }),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "{vars:?} not all set: CI must run the Postgres TLS tests (scripts/test sets them)"
            )
        }
        _ => {
            println!("skipped: {vars:?} not all set (scripts/test sets them)");
            None
        }
    }
}

impl Cluster {
    /// The test database's URL with `params` added to its query.
    fn url(&self, params: &[(&str, &str)]) -> String {
        with_params(&self.url, params)
    }
}

fn with_params(url: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(params);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{}", query.finish())
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn fresh_schema() -> String {
    format!("inbox_tls_test_{:016x}", fastrand::u64(..))
}

/// Connects an inbox at `url` in a fresh schema, reports whether its session is
/// encrypted, and drops the schema.
async fn connected_encrypted(url: &str) -> bool {
    let schema = fresh_schema();
    let inbox = PostgresInbox::connect_with_schema(url, &schema, InboxConfig::new())
        .await
        .unwrap_or_else(|error| panic!("connect with {url}: {error}"));
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(inbox.pool())
            .await
            .expect("the session's TLS state");
    let drop = format!("DROP SCHEMA {schema} CASCADE");
    sqlx::raw_sql(&drop)
        .execute(inbox.pool())
        .await
        .expect("the schema dropped");
    inbox.pool().close().await;
    encrypted
}

/// Connecting at `url` fails with [`InboxError::Tls`]: its `check`.
async fn refused_check(url: &str) -> String {
    let Err(error) =
        PostgresInbox::connect_with_schema(url, &fresh_schema(), InboxConfig::new()).await
    else {
        panic!("{url} connected");
    };
    let shown = error.to_string();
    match error {
        InboxError::Tls { check, .. } => {
            assert_eq!(shown, format!("TLS to the inbox database failed: {check}"));
            check
        }
        error => panic!("{url} failed, but not as a TLS check: {error:?}"),
    }
}

#[tokio::test]
async fn require_connects_encrypted() {
    let Some(cluster) = cluster() else { return };
    assert!(connected_encrypted(&cluster.url(&[("sslmode", "require")])).await);
}

#[tokio::test]
async fn disable_connects_unencrypted() {
    let Some(cluster) = cluster() else { return };
    assert!(!connected_encrypted(&cluster.url(&[("sslmode", "disable")])).await);
}

#[tokio::test]
async fn verify_ca_with_the_right_ca_connects_encrypted() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.url(&[
        ("sslmode", "verify-ca"),
        ("sslrootcert", path(&cluster.ca)),
        ("host", "localhost"),
    ]);
    assert!(connected_encrypted(&url).await);
}

/// Unlike libpq's, sqlx 0.8's `verify-ca` checks the host name with rustls 0.23.24 and
/// later (launchbadge/sqlx#3793); the message says so. When this connects, the
/// exception in the docs and in `connect.rs` can go.
#[tokio::test]
async fn verify_ca_to_a_host_the_certificate_does_not_list_is_refused_by_the_name_check_too() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.url(&[
        ("sslmode", "verify-ca"),
        ("sslrootcert", path(&cluster.ca)),
        ("host", "127.0.0.1"),
    ]);
    assert_eq!(
        refused_check(&url).await,
        "the server's certificate is not valid for host `127.0.0.1` (it lists localhost): connect by a name the certificate lists, or add `127.0.0.1` to its subjectAltName (here `sslmode=verify-ca` checks the name too, unlike libpq's)"
    );
}

#[tokio::test]
async fn verify_full_to_a_host_the_certificate_lists_connects_encrypted() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.url(&[
        ("sslmode", "verify-full"),
        ("sslrootcert", path(&cluster.ca)),
        ("host", "localhost"),
    ]);
    assert!(connected_encrypted(&url).await);
}

#[tokio::test]
async fn verify_full_to_a_host_the_certificate_does_not_list_is_refused_by_the_name_check() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.url(&[
        ("sslmode", "verify-full"),
        ("sslrootcert", path(&cluster.ca)),
        ("host", "127.0.0.1"),
    ]);
    assert_eq!(
        refused_check(&url).await,
        "the server's certificate is not valid for host `127.0.0.1` (it lists localhost): connect by a name the certificate lists, or add `127.0.0.1` to its subjectAltName"
    );
}

#[tokio::test]
async fn verify_ca_with_the_wrong_ca_is_refused_by_the_ca_check() {
    let Some(cluster) = cluster() else { return };
    let wrong_ca = path(&cluster.wrong_ca);
    let url = cluster.url(&[("sslmode", "verify-ca"), ("sslrootcert", wrong_ca)]);
    assert_eq!(
        refused_check(&url).await,
        format!(
            "the server's certificate is not signed by a CA in the `sslrootcert` file `{wrong_ca}`: point `sslrootcert` at the CA certificate that signed it, or ask the server's operator for it"
        )
    );
}

#[tokio::test]
async fn require_with_sslrootcert_checks_the_ca_as_libpq_does() {
    let Some(cluster) = cluster() else { return };
    let wrong_ca = path(&cluster.wrong_ca);
    let url = cluster.url(&[("sslmode", "require"), ("sslrootcert", wrong_ca)]);
    let check = refused_check(&url).await;
    assert!(
        check.starts_with("the server's certificate is not signed by a CA in the `sslrootcert`"),
        "{check}"
    );
    let right = cluster.url(&[
        ("sslmode", "require"),
        ("sslrootcert", path(&cluster.ca)),
        ("host", "localhost"),
    ]);
    assert!(connected_encrypted(&right).await);
}

#[tokio::test]
async fn a_missing_sslrootcert_file_is_named_before_connecting() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("ca.pem");
    let url = cluster.url(&[("sslmode", "verify-full"), ("sslrootcert", path(&missing))]);
    let check = refused_check(&url).await;
    let expected = format!("cannot read the `sslrootcert` file `{}` (", path(&missing));
    assert!(check.starts_with(&expected), "{check}");
    assert!(
        check.ends_with("give the path of the PEM file holding the CA certificate that signed the server's certificate"),
        "{check}"
    );
}

#[tokio::test]
async fn an_sslrootcert_without_a_certificate_is_named_before_connecting() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.der");
    std::fs::write(&not_pem, b"\x30\x82\x01\x0a").unwrap();
    let url = cluster.url(&[("sslmode", "verify-ca"), ("sslrootcert", path(&not_pem))]);
    assert_eq!(
        refused_check(&url).await,
        format!(
            "the `sslrootcert` file `{}` holds no `-----BEGIN CERTIFICATE-----` block: give the CA certificate that signed the server's certificate, in PEM",
            path(&not_pem)
        )
    );
}

#[tokio::test]
async fn an_unknown_sslmode_is_named() {
    // Refused while reading the URL: no server needed.
    let url = "postgres://postgres@127.0.0.1:1/test?sslmode=verify_full";
    assert_eq!(
        refused_check(url).await,
        "`sslmode=verify_full` is not a mode: use one of disable, allow, prefer, require, verify-ca, verify-full"
    );
}

/// A server that answers `N` (no TLS) to the TLS request, as Postgres does with
/// `ssl = off`.
#[tokio::test]
async fn a_server_without_tls_is_refused_when_the_sslmode_requires_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut ssl_request = [0u8; 8];
        socket.read_exact(&mut ssl_request).await.unwrap();
        socket.write_all(b"N").await.unwrap();
        let _ = socket.read(&mut [0u8; 64]).await;
        ssl_request
    });
    let url = format!("postgres://postgres@127.0.0.1:{port}/test?sslmode=require");
    assert_eq!(
        refused_check(&url).await,
        "the server at `127.0.0.1` does not accept TLS, which `sslmode=require` requires: turn `ssl = on` (with `ssl_cert_file` and `ssl_key_file`) in its postgresql.conf"
    );
    // Length 8, then the SSLRequest code 80877103.
    assert_eq!(server.await.unwrap(), [0, 0, 0, 8, 4, 210, 22, 47]);
}
