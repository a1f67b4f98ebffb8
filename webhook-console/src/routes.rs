//! Who may do what, and which page answers which request.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{Method, Request, Response, StatusCode};
use webhook_inbox::{Activity, InboxError, Replay, Stats};

use crate::auth::{self, CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE};
use crate::form::{self, Filter};
use crate::pages::{self, Ctx};
use crate::respond::{Reply, cookie};
use crate::{Access, Inner, MountPath, assets, time};

/// How long a sign-in lasts.
const SESSION_SECS: u64 = 12 * 3600;

/// The header the live refresh sends to get the live region alone.
const FRAGMENT_HEADER: &str = "x-console-fragment";

/// How a request was let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// `Authorization: Bearer`: no browser sends it on its own, so no CSRF token.
    Bearer,
    /// The session cookie.
    Session,
    /// The app's own authentication.
    App,
}

pub(crate) async fn handle(inner: &Inner, request: Request<Bytes>) -> Response<Bytes> {
    let base = request
        .extensions()
        .get::<MountPath>()
        .map(|mount| mount.0.trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let path = match request.uri().path().trim_end_matches('/') {
        "" => "/".to_owned(),
        path => path.to_owned(),
    };
    let method = request.method().clone();

    if let Some(name) = path.strip_prefix("/assets/") {
        if method != Method::GET && method != Method::HEAD {
            return method_not_allowed("GET");
        }
        return match assets::asset(name) {
            Some(reply) => reply.finish("private, max-age=300"),
            None => Reply::text(StatusCode::NOT_FOUND, "no such asset").finish("no-store"),
        };
    }

    let headers = request.headers();
    let secure = is_https(&request);
    let (nonce, fresh_nonce) = match auth::cookie(headers, CSRF_COOKIE)
        .filter(|nonce| nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        Some(nonce) => (nonce.to_owned(), false),
        None => (auth::new_nonce(), true),
    };
    let mut ctx = Ctx {
        csrf: auth::csrf_token(&inner.csrf_key, &nonce),
        base,
        read_only: inner.read_only,
        signed_in: false,
        now: SystemTime::now(),
        refresh_ms: inner.refresh.as_millis(),
        fragment: headers.contains_key(FRAGMENT_HEADER),
    };
    let set_nonce =
        fresh_nonce.then(|| cookie(CSRF_COOKIE, &nonce, &ctx.base, secure, SESSION_SECS));
    let mut reply = route(inner, &request, &path, &method, &nonce, &mut ctx, secure).await;
    if let Some(set_nonce) = set_nonce {
        reply = reply.header(header::SET_COOKIE, set_nonce);
    }
    if ctx.fragment {
        reply = reply.header(header::VARY, FRAGMENT_HEADER);
    }
    reply.finish("no-store")
}

/// Whether the request reached the server over HTTPS (directly, or as a proxy says).
fn is_https(request: &Request<Bytes>) -> bool {
    request.uri().scheme_str() == Some("https")
        || request
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    Reply::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        .header(header::ALLOW, allow)
        .finish("no-store")
}

/// Whether a browser says the request comes from another site (a forged form).
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() == b"cross-site")
}

/// A path to return to after signing in: a console path, never another site.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// The console path and query of the request (what `next` holds).
fn here(request: &Request<Bytes>, path: &str) -> String {
    match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

async fn route(
    inner: &Inner,
    request: &Request<Bytes>,
    path: &str,
    method: &Method,
    nonce: &str,
    ctx: &mut Ctx,
    secure: bool,
) -> Reply {
    let headers = request.headers();
    let csrf_ok = |fields: &std::collections::HashMap<String, String>| {
        !cross_site(headers)
            && fields
                .get(CSRF_FIELD)
                .is_some_and(|token| auth::csrf_valid(&inner.csrf_key, nonce, token))
    };

    // Signing in and out come before the access check.
    match (method, path) {
        (&Method::GET, "/login") => {
            return match &inner.access {
                Access::Token(_) => Reply::html(StatusCode::OK, pages::sign_in(ctx, "/", false)),
                _ => Reply::see_other(ctx.url("/")),
            };
        }
        (&Method::POST, "/login") => {
            let Access::Token(token) = &inner.access else {
                return Reply::see_other(ctx.url("/"));
            };
            let fields = form::params(request.body());
            let next = safe_next(fields.get("next").map_or("/", String::as_str));
            if !csrf_ok(&fields) {
                return forbidden_csrf(ctx);
            }
            let given = fields.get("token").map_or("", String::as_str);
            if !token.matches(given) {
                return Reply::html(StatusCode::UNAUTHORIZED, pages::sign_in(ctx, &next, true));
            }
            let session = cookie(
                SESSION_COOKIE,
                &token.session_value(),
                &ctx.base,
                secure,
                SESSION_SECS,
            );
            return Reply::see_other(ctx.url(&next)).header(header::SET_COOKIE, session);
        }
        (&Method::POST, "/logout") => {
            let fields = form::params(request.body());
            if !csrf_ok(&fields) {
                return forbidden_csrf(ctx);
            }
            let gone = cookie(SESSION_COOKIE, "", &ctx.base, secure, 0);
            return Reply::see_other(ctx.url("/")).header(header::SET_COOKIE, gone);
        }
        _ => {}
    }

    let entry = match &inner.access {
        Access::Closed => return Reply::html(StatusCode::UNAUTHORIZED, pages::closed(ctx)),
        Access::App => Entry::App,
        Access::Token(token) => {
            if let Some(given) = auth::bearer(headers) {
                if !token.matches(given) {
                    return Reply::text(StatusCode::UNAUTHORIZED, "wrong token")
                        .header(header::WWW_AUTHENTICATE, "Bearer");
                }
                Entry::Bearer
            } else if auth::cookie(headers, SESSION_COOKIE)
                .is_some_and(|value| auth::session_valid(token, value))
            {
                Entry::Session
            } else if ctx.fragment {
                return Reply::text(StatusCode::UNAUTHORIZED, "signed out")
                    .header(header::WWW_AUTHENTICATE, "Bearer");
            } else {
                let next = if method == Method::GET {
                    here(request, path)
                } else {
                    "/".to_owned()
                };
                return Reply::html(StatusCode::UNAUTHORIZED, pages::sign_in(ctx, &next, false))
                    .header(header::WWW_AUTHENTICATE, "Bearer");
            }
        }
    };
    ctx.signed_in = entry == Entry::Session;

    let query = form::params(request.uri().query().unwrap_or("").as_bytes());
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();

    if method == Method::POST {
        if inner.read_only {
            return Reply::html(
                StatusCode::FORBIDDEN,
                pages::error(ctx, "Read-only console", "This console takes no action."),
            );
        }
        let fields = form::params(request.body());
        if entry != Entry::Bearer && !csrf_ok(&fields) {
            return forbidden_csrf(ctx);
        }
        // An action changes the figures: the next overview reads them again.
        *inner.overview.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let result = match segments.as_slice() {
            ["deliveries", id, "replay"] => match id.parse() {
                Ok(id) => replay_one(inner, ctx, id).await,
                Err(_) => Ok(not_found(ctx)),
            },
            ["replay"] => replay_matching(inner, ctx, &fields).await,
            ["purge"] => purge(inner, ctx, &fields).await,
            _ => Ok(not_found(ctx)),
        };
        return result.unwrap_or_else(|error| failed(ctx, &error));
    }
    if method != Method::GET && method != Method::HEAD {
        return Reply::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
            .header(header::ALLOW, "GET, POST");
    }

    let result = match segments.as_slice() {
        [""] => overview(inner, ctx).await,
        ["deliveries"] => deliveries(inner, ctx, &query).await,
        ["deliveries", id] => match id.parse() {
            Ok(id) => delivery(inner, ctx, id, &query).await,
            Err(_) => Ok(not_found(ctx)),
        },
        ["deliveries", id, "body"] => match id.parse() {
            Ok(id) => raw_body(inner, ctx, id).await,
            Err(_) => Ok(not_found(ctx)),
        },
        ["replay"] if !inner.read_only => replay_confirm(inner, ctx, &query).await,
        ["purge"] if !inner.read_only => purge_form(inner, ctx, &query).await,
        ["refused"] => Ok(refused(inner, ctx)),
        _ => Ok(not_found(ctx)),
    };
    result.unwrap_or_else(|error| failed(ctx, &error))
}

fn forbidden_csrf(ctx: &Ctx) -> Reply {
    Reply::html(
        StatusCode::FORBIDDEN,
        pages::error(
            ctx,
            "Form expired",
            "The form's CSRF token is missing or wrong (forms from other sites are refused). Go back, reload the page and try again.",
        ),
    )
}

fn not_found(ctx: &Ctx) -> Reply {
    Reply::html(
        StatusCode::NOT_FOUND,
        pages::error(ctx, "Not found", "There is no such page or delivery."),
    )
}

fn failed(ctx: &Ctx, error: &InboxError) -> Reply {
    Reply::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::error(ctx, "The inbox did not answer", &error.to_string()),
    )
}

/// The overview's figures, and when they were read.
pub(crate) struct Overview {
    read_at: Instant,
    stats: Stats,
    activity: Activity,
}

/// How long the overview's figures are shared before they are read again.
const OVERVIEW_FRESH: Duration = Duration::from_secs(2);

async fn overview(inner: &Inner, ctx: &Ctx) -> Result<Reply, InboxError> {
    let since = ctx.now - Duration::from_secs(3600);
    let cached = {
        let cache = inner.overview.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .as_ref()
            .filter(|figures| figures.read_at.elapsed() < OVERVIEW_FRESH)
            .map(|figures| (figures.stats, figures.activity.clone()))
    };
    let (stats, activity) = match cached {
        Some(figures) => figures,
        None => {
            let (stats, activity) = webhook_core::futures::future::try_join(
                inner.inbox.stats(),
                inner.inbox.activity(since),
            )
            .await?;
            *inner.overview.lock().unwrap_or_else(|e| e.into_inner()) = Some(Overview {
                read_at: Instant::now(),
                stats,
                activity: activity.clone(),
            });
            (stats, activity)
        }
    };
    let refused = inner.refused.as_ref().map(|log| {
        log.recent()
            .iter()
            .filter(|entry| entry.at >= since)
            .count()
    });
    Ok(Reply::html(
        StatusCode::OK,
        pages::overview(ctx, &stats, &activity, refused),
    ))
}

async fn deliveries(
    inner: &Inner,
    ctx: &Ctx,
    query: &std::collections::HashMap<String, String>,
) -> Result<Reply, InboxError> {
    let filter = Filter::of(query);
    let before = query.get("before").and_then(|before| before.parse().ok());
    let providers = inner.inbox.providers().await?;
    let mut rows = inner
        .inbox
        .deliveries(filter.to_inbox(ctx.now), before, inner.page_size + 1)
        .await?;
    let more = rows.len() > inner.page_size as usize;
    rows.truncate(inner.page_size as usize);
    let notice = query
        .get("replayed")
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| format!("Replayed {n} deliveries: they are pending again."));
    Ok(Reply::html(
        StatusCode::OK,
        pages::deliveries(ctx, &filter, &providers, &rows, before, more, notice),
    ))
}

async fn delivery(
    inner: &Inner,
    ctx: &Ctx,
    id: i64,
    query: &std::collections::HashMap<String, String>,
) -> Result<Reply, InboxError> {
    let Some(entry) = inner.inbox.get(id).await? else {
        return Ok(not_found(ctx));
    };
    let body_len = inner.inbox.raw_body(id).await?.map(|body| body.len());
    let notice = match query.get("replay").map(String::as_str) {
        Some("replayed") => Some("Replayed: the delivery is pending again.".to_owned()),
        Some("running") => Some("Not replayed: a worker is running it now.".to_owned()),
        _ => None,
    };
    Ok(Reply::html(
        StatusCode::OK,
        pages::delivery(ctx, &entry, body_len, notice),
    ))
}

async fn raw_body(inner: &Inner, ctx: &Ctx, id: i64) -> Result<Reply, InboxError> {
    let Some(body) = inner.inbox.raw_body(id).await? else {
        return Ok(not_found(ctx));
    };
    Ok(
        Reply::bytes(StatusCode::OK, "application/octet-stream", body)
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"delivery-{id}.body\""),
            )
            // Opened in a tab anyway, it can run nothing.
            .header(header::CONTENT_SECURITY_POLICY, "sandbox"),
    )
}

async fn replay_one(inner: &Inner, ctx: &Ctx, id: i64) -> Result<Reply, InboxError> {
    let outcome = match inner.inbox.replay(id).await? {
        Replay::Replayed => "replayed",
        Replay::Running => "running",
        Replay::NotFound => return Ok(not_found(ctx)),
    };
    Ok(Reply::see_other(
        ctx.url(&format!("/deliveries/{id}?replay={outcome}")),
    ))
}

async fn replay_confirm(
    inner: &Inner,
    ctx: &Ctx,
    query: &std::collections::HashMap<String, String>,
) -> Result<Reply, InboxError> {
    let filter = Filter::of(query);
    let (count, newest) = inner.inbox.count(filter.to_inbox(ctx.now)).await?;
    Ok(Reply::html(
        StatusCode::OK,
        pages::replay_confirm(ctx, &filter, count, newest),
    ))
}

async fn replay_matching(
    inner: &Inner,
    ctx: &Ctx,
    fields: &std::collections::HashMap<String, String>,
) -> Result<Reply, InboxError> {
    let filter = Filter::of(fields);
    let Some(up_to) = fields.get("up_to").and_then(|id| id.parse::<i64>().ok()) else {
        return Ok(Reply::html(
            StatusCode::BAD_REQUEST,
            pages::error(
                ctx,
                "Nothing to replay",
                "The form names no newest delivery.",
            ),
        ));
    };
    let replayed = inner
        .inbox
        .replay_matching(filter.to_inbox(ctx.now), up_to)
        .await?;
    Ok(Reply::see_other(ctx.url(&format!(
        "/deliveries?{}",
        filter.query(&[("replayed", replayed.to_string())])
    ))))
}

async fn purge_form(
    inner: &Inner,
    ctx: &Ctx,
    query: &std::collections::HashMap<String, String>,
) -> Result<Reply, InboxError> {
    let before = query.get("before").and_then(|date| time::parse(date));
    let count = match before {
        Some(before) => Some(inner.inbox.count_done_before(before).await?),
        None => None,
    };
    let notice = query
        .get("purged")
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| format!("Deleted {n} done deliveries."));
    Ok(Reply::html(
        StatusCode::OK,
        pages::purge(ctx, before, count, notice),
    ))
}

async fn purge(
    inner: &Inner,
    ctx: &Ctx,
    fields: &std::collections::HashMap<String, String>,
) -> Result<Reply, InboxError> {
    let Some(before) = fields.get("before").and_then(|date| time::parse(date)) else {
        return Ok(Reply::html(
            StatusCode::BAD_REQUEST,
            pages::error(
                ctx,
                "No date",
                "Choose the date before which done deliveries go.",
            ),
        ));
    };
    let purged = inner.inbox.purge_done_before(before).await?;
    Ok(Reply::see_other(
        ctx.url(&format!("/purge?purged={purged}")),
    ))
}

fn refused(inner: &Inner, ctx: &Ctx) -> Reply {
    let entries = inner.refused.as_ref().map(|log| {
        let mut entries = log.recent();
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
        entries
    });
    Reply::html(StatusCode::OK, pages::refused(ctx, entries.as_deref()))
}
