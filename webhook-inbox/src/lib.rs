//! Durable inboxes for webhook receivers: every acknowledged delivery is on disk first.
//!
//! A [`Sink`](webhook_core::Sink) from this crate commits the verified raw delivery
//! (provider, event type, dedupe key, headers, body, receive time) before
//! [`submit`](webhook_core::Sink::submit) returns `Ok`, so the sender's 200 always
//! stands for a committed row. Workers then claim rows with a lease, run the handler
//! through the receiver's [`Dispatcher`](webhook_core::Dispatcher) and record the
//! verdict (a worker whose handlers prove quick claims several rows at a time, see
//! [`InboxConfig::claim_batch`]):
//!
//! ```text
//! pending -> running -> done
//!                    -> failed (retry_at) -> running -> ... -> dead
//! ```
//!
//! - [`SqliteInbox`] (feature `sqlite`, default): one file on one machine, WAL with
//!   `synchronous = FULL` on every connection, concurrent deliveries sharing one
//!   commit (group commit).
//! - [`PostgresInbox`] (feature `postgres`): one table shared by many replicas; claims
//!   with `FOR UPDATE SKIP LOCKED`, wake-ups with `LISTEN/NOTIFY`.
//! - [`Inbox`]: either one, chosen from a `--db` string.
//!
//! Each takes its [`InboxConfig`] (workers, leases, retention, capacity) when it is
//! opened: [`SqliteInbox::open_with`], [`PostgresInbox::connect_with`],
//! [`Inbox::open_with`]; `open` and `connect` take the default.
//!
//! Both keep one row per `(provider, dedupe_key)`: a redelivery of a stored event is a
//! duplicate (answered 200, no new work) unless the event is dead, in which case it is
//! revived. Operators inspect and replay rows through the [`Admin`] trait.
//!
//! # The table
//!
//! Both backends keep the events in one table, `webhook_inbox`, which can be read with
//! `sqlite3` or `psql`:
//!
//! | column | holds |
//! | --- | --- |
//! | `id` | row id, never reused |
//! | `provider`, `dedupe_key` | the event's identity, unique together |
//! | `event_type` | e.g. `charge.succeeded` |
//! | `headers` | JSON array of `[name, value]` pairs, in order (SQLite: in `webhook_inbox_body`, see below) |
//! | `body` | the raw verified body (SQLite: likewise) |
//! | `data_start`, `data_end` / `data` | where the envelope's data lies in the body, or the data itself when it is not a slice of it |
//! | `received_at` | when the receiver verified it |
//! | `state` | `pending`, `running`, `done`, `failed` or `dead` |
//! | `attempts` | attempts started since stored, revived or replayed |
//! | `retry_at` | when a `failed` row is due |
//! | `lease_owner`, `lease_expires_at` | the worker holding a `running` row (`<instance>/<claim>/<row id>`, or `<instance>/<claim>/new<n>` for a SQLite row handed to a waiting claim as it was stored), and until when |
//! | `last_error` | why the last attempt failed |
//! | `updated_at`, `finished_at` | last change; when it became `done` or `dead` |
//!
//! Times are milliseconds since the Unix epoch.
//!
//! SQLite keeps a delivery's `headers` and `body` in a second table,
//! `webhook_inbox_body (id, headers, body)`, written once, so that each change of a
//! row's state rewrites a small record (the row's own `headers` and `body` are then `''`
//! and `x''`; rows stored by earlier versions keep theirs inline). Deleting a row deletes
//! its body (a trigger).
//!
//! # Schema versions
//!
//! The schema is versioned: numbered migrations, recorded in `webhook_inbox_migration
//! (version, name, applied_at)`. Opening applies the pending ones in order, each in a
//! transaction (Postgres: under an advisory lock, so replicas starting together migrate
//! once), unless [`InboxConfig::auto_migrate`] is off; then [`Inbox::migrate`] (or
//! `webhook inbox migrate`) applies them. A database from before the schema had a
//! version is upgraded in place; one written by a newer release is refused untouched
//! ([`InboxError::SchemaTooNew`]). [`Inbox::schema_status`] says where a database
//! stands.
//!
//! ```no_run
//! # use webhook_core::futures::future::BoxFuture;
//! # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
//! use std::time::Duration;
//! use webhook_core::{Receiver, Secret};
//! use webhook_inbox::{InboxConfig, SqliteInbox};
//! # struct Payments;
//! # impl Handler for Payments {
//! #     type Provider = webhook_core::providers::ModemPay;
//! #     const EVENTS: &'static [&'static str] = &[];
//! #     fn route(&self, _: &str) -> Option<Ack> { None }
//! #     fn handle<'a>(&'a self, _: &'a Verified, _: Context) -> BoxFuture<'a, Result<(), DispatchError>> {
//! #         Box::pin(async { Ok(()) })
//! #     }
//! # }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let inbox = SqliteInbox::open_with("webhooks.db", InboxConfig::new().workers(8)).await?;
//! let receiver = Receiver::builder(Payments)
//!     .secret(Secret::new("my-modem-pay-secret")?)
//!     .sink(inbox)
//!     .build();
//! // ... serve, then on SIGTERM:
//! receiver.shutdown(Duration::from_secs(20)).await;
//! # Ok(()) }
//! ```

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!(
    "`webhook-inbox` needs a backend: enable its `sqlite` feature, its `postgres` feature, or both"
);

// How the crate reads: `store` is the contract a backend fulfils (`Store`, with the
// statements every backend runs on its pool in `pool_statements`); `engine` runs any
// store as a `Sink` (workers from `worker`, the lease rule in `lease`) and `admin` as an
// `Admin`. What the backends share of group commit is in `group_commit` and `backlog`,
// their SQL in `sql` (multi-row statements put together by `multi_row`), rows and
// deliveries in `record`. Then each backend: `sqlite` (its `writer` runs every change)
// and `postgres`.

// The public API.
mod admin;
mod attempt;
mod config;
mod error;
mod inbox;
mod row;
mod state;

// The contract and the engine over it.
mod engine;
mod lease;
mod pool_statements;
mod store;
mod worker;

// The schema's versions, and the console's queries.
mod console_query;
mod migrate;

// What the backends share.
mod backlog;
mod group_commit;
mod multi_row;
mod record;
mod sql;
mod unix_ms;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use admin::Admin;
pub use attempt::{Attempt, AttemptOutcome};
pub use config::InboxConfig;
pub use console_query::{Activity, DeliveryFilter, MinuteActivity, SETTLE_BUCKETS_MS};
pub use error::InboxError;
pub use inbox::Inbox;
pub use migrate::{MigrationInfo, SchemaStatus};
#[cfg(feature = "postgres")]
pub use postgres::PostgresInbox;
pub use row::{InboxEntry, InboxRow, ListFilter, Replay, Stats};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteInbox;
pub use state::{ParseStateError, State};
