//! A web console for a durable webhook inbox: watch, search and replay deliveries.
//!
//! When webhooks go wrong it is at night, under pressure: what failed, why, since when,
//! and can it be replayed once the fix is out. The console answers each of those
//! questions on a page of its own, server-rendered HTML with a little embedded
//! JavaScript (no CDN, no build step):
//!
//! - **Overview**: rows by state, deliveries received and done and attempts failed per
//!   minute over the last hour, how long deliveries took from receipt to done and how
//!   long the handler ran per attempt (percentile charts), the oldest
//!   delivery still waiting, the dead letters by event type. It refreshes itself while
//!   open.
//! - **Deliveries**: filter by provider, event type, state and receive time, search by
//!   dedupe key (the provider's event id); filters live in the URL; pages by keyset.
//! - **One delivery**: its facts and timeline (each attempt with its outcome, error and
//!   the handler's run), its headers (signature values masked),
//!   its body pretty-printed and as raw bytes to download.
//! - **Actions**: replay one delivery; replay everything a filter matches (after a page
//!   that says how many); purge done rows older than a date. None in read-only mode.
//! - **Refused**: the requests the receiver refused recently, from a [`RefusedLog`].
//!
//! [`Console`] is the one implementation; it takes an [`http::Request`] with the path
//! relative to where it is mounted and returns an [`http::Response`]. The adapters
//! translate: `webhook_axum::console` and `webhook_actix::console` (feature `console`
//! of each), and the standalone `webhook inbox serve`.
//!
//! # Access
//!
//! A console built with [`Console::new`] lets nobody in until it is told how requests
//! are authenticated:
//!
//! - [`Console::token`]: a [`ConsoleToken`] that scripts send as
//!   `Authorization: Bearer <token>` and people type once into the sign-in form, which
//!   sets an `HttpOnly`, `SameSite=Strict` session cookie (an HMAC of the token, not the
//!   token itself).
//! - [`Console::behind_app_auth`]: the app mounts the console behind its own
//!   authentication layers and the console checks nothing itself.
//!
//! Every state-changing action is a `POST` that carries a CSRF token bound to a cookie
//! (requests authenticated by a bearer token need none: no browser sends one on its
//! own); `GET` never changes anything. Every page is sent with a strict
//! Content-Security-Policy (scripts and styles from the console itself only, no inline
//! code), and every value from a delivery is escaped. No secret is ever rendered, and
//! the values of signature headers (and of `authorization`, `cookie` and any header
//! naming a token, secret or key) are masked.
//!
//! ```
//! use std::time::Duration;
//! use webhook_console::{Console, ConsoleToken};
//! use webhook_inbox::SqliteInbox;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let inbox = SqliteInbox::open(dir.path().join("webhooks.db")).await?;
//! let console = Console::new(inbox)
//!     .token(ConsoleToken::new("a-long-random-operator-token")?)
//!     .refresh_every(Duration::from_secs(5));
//!
//! let request = http::Request::get("/deliveries?state=dead")
//!     .header("authorization", "Bearer a-long-random-operator-token")
//!     .body(bytes::Bytes::new())?;
//! let response = console.handle(request).await;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```

mod assets;
mod auth;
mod chart;
mod form;
mod pages;
mod refused;
mod respond;
mod routes;
mod time;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use webhook_inbox::Admin;

pub use auth::{ConsoleToken, TokenError};
pub use refused::{RefusedEntry, RefusedLog};

/// Where a console is mounted, as a request extension: the absolute path of its root
/// without a trailing slash (`/admin/webhooks`; empty when mounted at the site's root).
///
/// The adapters set it from the framework's routing; links, forms and cookies use it.
/// Without it the console assumes it is mounted at the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountPath(pub String);

impl MountPath {
    /// The mount path of a request whose full path is `full_path` and whose path
    /// relative to the console is `relative_path`: what the full path has before the
    /// relative one, without a trailing slash.
    ///
    /// ```
    /// use webhook_console::MountPath;
    ///
    /// assert_eq!(MountPath::from_paths("/admin/webhooks/deliveries", "/deliveries").0, "/admin/webhooks");
    /// assert_eq!(MountPath::from_paths("/console", "/").0, "/console");
    /// assert_eq!(MountPath::from_paths("/console/", "/").0, "/console");
    /// ```
    pub fn from_paths(full_path: &str, relative_path: &str) -> Self {
        let relative = relative_path.trim_end_matches('/');
        let full = full_path.trim_end_matches('/');
        let base = full.strip_suffix(relative).unwrap_or(full);
        Self(base.trim_end_matches('/').to_owned())
    }
}

/// Who may use the console.
#[derive(Clone)]
pub(crate) enum Access {
    /// Nobody: neither a token nor the app's own authentication was configured.
    Closed,
    /// Whoever has the token (bearer header or session cookie).
    Token(Arc<ConsoleToken>),
    /// Whoever the app's own layers let through.
    App,
}

/// The inbox console: one value that answers every page and action, whichever server
/// it is mounted in. Cheap to clone (the clones share everything).
///
/// See the [crate docs](crate) for what it shows and how access works.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) inbox: Arc<dyn Admin>,
    pub(crate) access: Access,
    pub(crate) read_only: bool,
    pub(crate) refused: Option<Arc<dyn RefusedLog>>,
    pub(crate) refresh: Duration,
    pub(crate) page_size: u32,
    /// The key of the CSRF tokens: derived from the access token when there is one (so
    /// every replica of an app agrees), random per process otherwise.
    pub(crate) csrf_key: [u8; 32],
    /// Whether [`Console::csrf_secret`] chose the CSRF key (a token then leaves it).
    pub(crate) csrf_pinned: bool,
    /// The overview's figures of the last few seconds, shared by every open overview,
    /// so that many viewers cost the database what one does.
    pub(crate) overview: std::sync::Mutex<Option<routes::Overview>>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let access = match &self.inner.access {
            Access::Closed => "closed",
            Access::Token(_) => "token",
            Access::App => "app",
        };
        f.debug_struct("Console")
            .field("access", &access)
            .field("read_only", &self.inner.read_only)
            .field("refused_log", &self.inner.refused.is_some())
            .field("refresh", &self.inner.refresh)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console over `inbox` (any [`Admin`]: [`webhook_inbox::Inbox`],
    /// [`webhook_inbox::SqliteInbox`], [`webhook_inbox::PostgresInbox`]). It answers
    /// every request 401 until [`Console::token`] or [`Console::behind_app_auth`] says
    /// who may use it.
    pub fn new<A>(inbox: A) -> Self
    where
        A: Admin + 'static,
    {
        Self {
            inner: Arc::new(Inner {
                inbox: Arc::new(inbox),
                access: Access::Closed,
                read_only: false,
                refused: None,
                refresh: Duration::from_secs(5),
                page_size: 50,
                csrf_key: auth::random_key(),
                csrf_pinned: false,
                overview: std::sync::Mutex::new(None),
            }),
        }
    }

    fn edit(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => change(inner),
            None => {
                let inner = &*self.inner;
                let mut copy = Inner {
                    inbox: Arc::clone(&inner.inbox),
                    access: inner.access.clone(),
                    read_only: inner.read_only,
                    refused: inner.refused.clone(),
                    refresh: inner.refresh,
                    page_size: inner.page_size,
                    csrf_key: inner.csrf_key,
                    csrf_pinned: inner.csrf_pinned,
                    overview: std::sync::Mutex::new(None),
                };
                change(&mut copy);
                self.inner = Arc::new(copy);
            }
        }
        self
    }

    /// Lets in whoever presents `token`: as `Authorization: Bearer <token>`, or through
    /// the sign-in form (which sets a session cookie).
    #[must_use]
    pub fn token(self, token: ConsoleToken) -> Self {
        self.edit(|inner| {
            if !inner.csrf_pinned {
                inner.csrf_key = token.derive(b"webhook-console csrf v1");
            }
            inner.access = Access::Token(Arc::new(token));
        })
    }

    /// Derives the CSRF tokens' key from `secret` (at least 16 bytes, e.g. the app's own
    /// session secret), so that every replica of the app accepts the forms any of them
    /// served. Without it the key comes from the console token, or, behind the app's
    /// own authentication, is random per process: then a form served by one replica is
    /// refused by another (403, "Form expired") unless requests stick to a replica.
    ///
    /// # Panics
    ///
    /// When `secret` is shorter than 16 bytes.
    #[must_use]
    pub fn csrf_secret(self, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        assert!(secret.len() >= 16, "a CSRF secret needs at least 16 bytes");
        let key = auth::derive_key(secret, b"webhook-console csrf v1");
        self.edit(|inner| {
            inner.csrf_key = key;
            inner.csrf_pinned = true;
        })
    }

    /// Lets in every request that reaches it: for a console mounted behind the app's
    /// own authentication (a tower or actix middleware, a reverse proxy). State-changing
    /// actions still need their CSRF token.
    #[must_use]
    pub fn behind_app_auth(self) -> Self {
        self.edit(|inner| inner.access = Access::App)
    }

    /// With `true`, shows no action and refuses every `POST` but signing in and out
    /// (403).
    #[must_use]
    pub fn read_only(self, read_only: bool) -> Self {
        self.edit(|inner| inner.read_only = read_only)
    }

    /// Lists the requests the receiver refused, as `log` keeps them (without one, the
    /// Refused page says there is none).
    #[must_use]
    pub fn refused_log(self, log: impl RefusedLog + 'static) -> Self {
        self.edit(|inner| inner.refused = Some(Arc::new(log)))
    }

    /// How often an open overview, or the first page of deliveries, refreshes itself
    /// (5 s by default; at least 1 s).
    #[must_use]
    pub fn refresh_every(self, every: Duration) -> Self {
        self.edit(|inner| inner.refresh = every.max(Duration::from_secs(1)))
    }

    /// How many deliveries a page lists (50 by default, 1 to 500).
    #[must_use]
    pub fn page_size(self, rows: u32) -> Self {
        self.edit(|inner| inner.page_size = rows.clamp(1, 500))
    }

    /// Whether the console shows no action.
    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// Answers one request. Its path is relative to where the console is mounted
    /// (`/`, `/deliveries`, `/deliveries/42`, …); a [`MountPath`] extension says where
    /// that is. Never fails: errors are answered as error pages (a database error is a
    /// 500 with the error's text).
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        routes::handle(&self.inner, request).await
    }
}
