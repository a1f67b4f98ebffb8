//! Jobs and a database for the writer's tests.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderMap;
use tokio::sync::oneshot;
use webhook_core::Envelope;
use webhook_core::dangerous::restore_verified;

use super::queue::{ClaimJob, Job, SettleJob, SubmitJob};
use crate::lease::{Claim, Outcome, Settle};
use crate::record::NewRow;
use crate::sqlite::connection;

/// A delivery of Modem Pay charge `key`, its answer dropped.
pub(super) fn submit(key: &str) -> Job {
    let body = Bytes::from(format!(
        r#"{{"event":"charge.succeeded","payload":{{"id":"{key}"}}}}"#
    ));
    let data = body.slice(41..body.len() - 1);
    let delivery = restore_verified(
        "modem-pay",
        HeaderMap::new(),
        body,
        Envelope::new("charge.succeeded", key, data),
        SystemTime::now(),
    );
    Job::Submit(SubmitJob {
        row: NewRow::of(&delivery),
        delivery: Some(delivery),
        reply: oneshot::channel().0,
    })
}

/// A claim named `name` of up to `limit` rows for 30 s.
pub(super) fn claim(name: &str, limit: usize) -> Job {
    Job::Claim(ClaimJob {
        claim: Claim {
            name: name.to_owned(),
            lease: Duration::from_secs(30),
            limit,
        },
        reply: oneshot::channel().0,
    })
}

/// Row `id` done, held by `claim/<id>`.
pub(super) fn done(id: i64) -> Job {
    Job::Settle(SettleJob {
        settle: Settle {
            id,
            owner: format!("claim/{id}"),
            outcome: Outcome::Done,
            took: std::time::Duration::from_micros(250),
        },
        reply: oneshot::channel().0,
    })
}

/// The writer's connection to a new inbox file (with the directory that holds it).
pub(super) fn writer_on_new_file() -> (tempfile::TempDir, rusqlite::Connection) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let connection =
        connection::open_writer(&dir.path().join("inbox.db")).expect("the writer opens");
    connection
        .execute_batch(crate::migrate::sqlite::MIGRATIONS[0].sql)
        .expect("the schema is created");
    (dir, connection)
}
