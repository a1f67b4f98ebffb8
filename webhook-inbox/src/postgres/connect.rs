//! How the Postgres inbox connects: the URL read as libpq reads its `sslmode` and
//! `sslrootcert` (TLS on rustls), the pool with the inbox's session settings, and, when
//! TLS refuses the server, which check failed and what to do.

use std::str::FromStr;
use std::time::Duration;

use rustls::CertificateError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};

use crate::error::InboxError;

/// Connections in each replica's pool: workers, heartbeats, the listener, submits
/// and admin.
const MAX_CONNECTIONS: u32 = 16;

/// How long a submit waits for a connection before the sender is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The `sslmode` values libpq takes.
const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// The pool for the database at `url`, its connections' `search_path` set to `schema`
/// when given.
///
/// `sslmode` and `sslrootcert` mean what they mean to libpq: `disable` never encrypts,
/// `prefer` (the default) encrypts when the server offers TLS, `require` insists on TLS,
/// `verify-ca` also checks that a CA in `sslrootcert` signed the server's certificate
/// and `verify-full` also that the certificate is valid for the host connected to.
/// As with libpq, `require` with an `sslrootcert` checks the CA like `verify-ca`.
///
/// Where sqlx 0.8 on rustls differs from libpq: `allow` never encrypts; the verifying
/// modes trust the webpki roots (the public CAs) besides `sslrootcert`, and without
/// `sslrootcert` only those, never `~/.postgresql/root.crt`; and `verify-ca` checks the
/// host name too (see [`Target::not_valid_for`]).
pub(super) async fn pool(url: &str, schema: Option<&str>) -> Result<PgPool, InboxError> {
    let target = Target::parse(url)?;
    let mut options = target.options.clone();
    if let Some(schema) = schema {
        options = options.options([("search_path", schema)]);
    }
    with_settings(options)
        .await
        .map_err(|error| target.refused(error))
}

/// A pool whose every connection commits synchronously, whatever the server default,
/// and plans without bitmap scans.
///
/// Every claim and every settle leaves an old version of its row behind until a vacuum,
/// and the old versions of pending and running rows stay in the outstanding index. An
/// ordered index scan, the claim's plan, marks the entries of versions it finds dead in
/// the index, so the next claims step over them without reading the table; a bitmap
/// scan, which the planner prefers when it expects few outstanding rows, marks nothing
/// and reads every dead version in the table at every claim: 27 ms per claim after
/// 35 000 events, against 0.4 ms. None of the inbox's statements needs a bitmap scan.
async fn with_settings(options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.options([("synchronous_commit", "on"), ("enable_bitmapscan", "off")]))
        .await
}

/// The server to connect to and what the URL asks of TLS.
struct Target {
    options: PgConnectOptions,
    /// The `sslmode` asked for (before `require` with `sslrootcert` becomes `verify-ca`).
    asked: PgSslMode,
    /// `sslrootcert` as given (URL, else `PGSSLROOTCERT`), for the messages.
    root_cert: Option<RootCert>,
}

/// Where the CA certificates come from.
enum RootCert {
    File(String),
    /// PEM in `PGSSLROOTCERT` itself, which sqlx takes as well as a path.
    Pem(String),
}

impl RootCert {
    /// `PGSSLROOTCERT`, read as sqlx reads it.
    fn from_env() -> Option<Self> {
        let value = std::env::var("PGSSLROOTCERT").ok()?;
        let trimmed = value.trim();
        Some(
            if trimmed.starts_with("-----BEGIN") && trimmed.ends_with("-----") {
                Self::Pem(value)
            } else {
                Self::File(value)
            },
        )
    }
}

impl std::fmt::Display for RootCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "the `sslrootcert` file `{path}`"),
            Self::Pem(_) => f.write_str("the PEM in `PGSSLROOTCERT`"),
        }
    }
}

impl Target {
    fn parse(url: &str) -> Result<Self, InboxError> {
        let query = url.split_once('?').map_or("", |(_, query)| query);
        let query = query.split_once('#').map_or(query, |(query, _)| query);
        let mut mode = None;
        let mut root_cert = RootCert::from_env();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "sslmode" | "ssl-mode" => mode = Some(value.into_owned()),
                "sslrootcert" | "ssl-root-cert" | "ssl-ca" => {
                    root_cert = Some(RootCert::File(value.into_owned()));
                }
                _ => {}
            }
        }
        let options = PgConnectOptions::from_str(url).map_err(|source| match mode {
            Some(mode) if !SSL_MODES.contains(&mode.to_ascii_lowercase().as_str()) => {
                InboxError::Tls {
                    check: format!(
                        "`sslmode={mode}` is not a mode: use one of {}",
                        SSL_MODES.join(", ")
                    ),
                    source,
                }
            }
            _ => InboxError::Database(source),
        })?;
        let asked = options.get_ssl_mode();
        let mut target = Self {
            options,
            asked,
            root_cert,
        };
        // libpq checks the CA under `require` too when it has a root certificate file.
        if matches!(asked, PgSslMode::Require) && target.root_cert.is_some() {
            target.options = target.options.ssl_mode(PgSslMode::VerifyCa);
        }
        if matches!(
            target.options.get_ssl_mode(),
            PgSslMode::VerifyCa | PgSslMode::VerifyFull
        ) {
            target.check_root_cert()?;
        }
        Ok(target)
    }

    /// Reads `sslrootcert` (a file, or PEM given inline) before connecting, so a wrong
    /// path is named as such rather than as a failed connection.
    fn check_root_cert(&self) -> Result<(), InboxError> {
        let Some(root_cert) = &self.root_cert else {
            return Ok(());
        };
        let pem = match root_cert {
            RootCert::Pem(pem) => pem.as_bytes().to_vec(),
            RootCert::File(path) => std::fs::read(path).map_err(|error| InboxError::Tls {
                check: format!(
                    "cannot read the `sslrootcert` file `{path}` ({error}): give the path of the PEM file holding the CA certificate that signed the server's certificate"
                ),
                source: sqlx::Error::Io(error),
            })?,
        };
        let why = match CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>() {
            Ok(certificates) if !certificates.is_empty() => return Ok(()),
            Ok(_) => "holds no `-----BEGIN CERTIFICATE-----` block".to_owned(),
            Err(error) => format!("is not valid PEM ({error})"),
        };
        let check = format!(
            "{root_cert} {why}: give the CA certificate that signed the server's certificate, in PEM"
        );
        Err(InboxError::Tls {
            source: sqlx::Error::Tls(check.clone().into()),
            check,
        })
    }

    /// The error for a failed connect: [`InboxError::Tls`] naming the check when TLS
    /// refused the server, [`InboxError::Database`] otherwise.
    fn refused(&self, error: sqlx::Error) -> InboxError {
        match self.failed_check(&error) {
            Some(check) => InboxError::Tls {
                check,
                source: error,
            },
            None => InboxError::Database(error),
        }
    }

    fn failed_check(&self, error: &sqlx::Error) -> Option<String> {
        let host = self.options.get_host();
        let tls = match error {
            // sqlx's words when the server answers `N` to the TLS request.
            sqlx::Error::Tls(inner) if inner.to_string() == "server does not support TLS" => {
                return Some(format!(
                    "the server at `{host}` does not accept TLS, which `sslmode={}` requires: turn `ssl = on` (with `ssl_cert_file` and `ssl_key_file`) in its postgresql.conf",
                    mode_name(self.asked)
                ));
            }
            sqlx::Error::Tls(inner) => return Some(format!("the TLS setup failed: {inner}")),
            sqlx::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>()?,
            _ => return None,
        };
        let rustls::Error::InvalidCertificate(certificate) = tls else {
            return Some(format!("the TLS handshake with `{host}` failed: {tls}"));
        };
        Some(match certificate {
            CertificateError::UnknownIssuer => match &self.root_cert {
                Some(root_cert) => format!(
                    "the server's certificate is not signed by a CA in {root_cert}: point `sslrootcert` at the CA certificate that signed it, or ask the server's operator for it"
                ),
                None => "the server's certificate is not signed by a public CA, and no `sslrootcert` names the CA that signed it: add `sslrootcert=/path/ca.pem` to the URL".to_owned(),
            },
            CertificateError::NotValidForName => self.not_valid_for(&[]),
            CertificateError::NotValidForNameContext { presented, .. } => {
                self.not_valid_for(presented)
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => format!(
                "the server's certificate is expired or not yet valid ({certificate}): renew it on the server, or check this machine's clock"
            ),
            _ => format!("the server's certificate was refused: {certificate}"),
        })
    }

    /// The name check's failure: what to connect by instead.
    ///
    /// sqlx 0.8's `verify-ca` skips the name check by ignoring rustls's
    /// `NotValidForName`, but rustls 0.23.24 and later report `NotValidForNameContext`
    /// instead, so `verify-ca` checks the name too; rustls before 0.23.24 comes with a
    /// rustls-webpki that has open advisories, so this is not pinned away.
    fn not_valid_for(&self, presented: &[String]) -> String {
        let host = self.options.get_host();
        let names = if presented.is_empty() {
            String::new()
        } else {
            // rustls writes them as `DnsName("db.internal")` or `IpAddress(10.0.0.5)`.
            let names: Vec<&str> = presented
                .iter()
                .map(|name| {
                    let inner = name
                        .split_once('(')
                        .map_or(name.as_str(), |(_, rest)| rest.trim_end_matches(')'));
                    inner.trim_matches('"')
                })
                .collect();
            format!(" (it lists {})", names.join(", "))
        };
        let verify_ca = match (self.asked, self.options.get_ssl_mode()) {
            (PgSslMode::Require, PgSslMode::VerifyCa) => {
                " (`sslmode=require` with `sslrootcert` checks as `verify-ca` does, and here `verify-ca` checks the name too, unlike libpq's)"
            }
            (_, PgSslMode::VerifyCa) => {
                " (here `sslmode=verify-ca` checks the name too, unlike libpq's)"
            }
            _ => "",
        };
        format!(
            "the server's certificate is not valid for host `{host}`{names}: connect by a name the certificate lists, or add `{host}` to its subjectAltName{verify_ca}"
        )
    }
}

fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}
