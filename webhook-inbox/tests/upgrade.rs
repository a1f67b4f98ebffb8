//! The versioned schema: the databases of the release before it had a version (the
//! committed v0 fixtures, both backends) upgrade in place keeping every row's meaning; a
//! newer schema is refused untouched; without automatic migration a pending one refuses
//! to open until migrated; replicas opening together migrate once.

mod common;

use std::time::Duration;

use webhook_core::futures::future::join_all;
use webhook_inbox::{Admin, AttemptOutcome, Inbox, InboxError, Replay, State};

use common::handler::{Behaviour, Probe};
use common::{Db, charge, config, eventually, idle, key, receiver, rows};

/// Long enough that the fixtures' done rows are never pruned as too old.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The fixture's charges, by the state each row was left in.
const DONE: [&str; 2] = ["ch_done_1", "ch_done_2"];
const DEAD: [&str; 2] = ["ch_dead_1", "ch_dead_2"];
const FAILED: [&str; 2] = ["ch_failed_1", "ch_failed_2"];
const RUNNING: [&str; 1] = ["ch_running_1"];
const PENDING: [&str; 2] = ["ch_pending_1", "ch_pending_2"];

/// The schema version of this release.
const LATEST: u32 = 2;

async fn v0_fixture_upgrades_in_place_keeping_every_rows_meaning(db: &Db) {
    let before = Inbox::schema_status(&db.address()).await.unwrap();
    assert_eq!((before.version, before.latest), (0, LATEST), "{before:?}");
    assert_eq!(before.pending.len(), 2);

    let inbox = db.open(config().retention(CENTURY)).await;
    let after = Inbox::schema_status(&db.address()).await.unwrap();
    assert!(after.is_current() && after.version == LATEST, "{after:?}");

    // Every row as it was left, before any worker runs.
    let states: Vec<(String, State)> = rows(&inbox)
        .await
        .into_iter()
        .map(|row| (row.dedupe_key, row.state))
        .collect();
    let expected = [
        (&DONE[..], State::Done),
        (&DEAD[..], State::Dead),
        (&FAILED[..], State::Failed),
        (&RUNNING[..], State::Running),
        (&PENDING[..], State::Pending),
    ];
    for (ids, state) in expected {
        for id in ids {
            assert!(
                states.contains(&(key(id), state)),
                "{id} not {state:?}: {states:?}"
            );
        }
    }
    assert_eq!(states.len(), 9);

    // The failed rows fall due (as their hour passes), the running row's lease ran out
    // long ago: those and the pending rows run once each; done and dead rows do not.
    db.execute("UPDATE webhook_inbox SET retry_at = 0 WHERE state = 'failed'")
        .await;
    let probe = Probe::new();
    let receiver = receiver(inbox.clone(), Behaviour::Succeed, &probe);
    let to_run: Vec<String> = [&FAILED[..], &RUNNING, &PENDING]
        .concat()
        .iter()
        .map(|id| key(id))
        .collect();
    eventually("the outstanding rows ran", async || {
        probe.succeeded().len() == to_run.len()
    })
    .await;
    idle(&receiver).await;
    let mut started: Vec<String> = probe.started().into_iter().map(|(k, _)| k).collect();
    started.sort();
    let mut expected_runs = to_run.clone();
    expected_runs.sort();
    assert_eq!(
        started, expected_runs,
        "each outstanding row runs once, nothing else"
    );
    let attempt_of_running = probe
        .started()
        .into_iter()
        .find(|(k, _)| *k == key(RUNNING[0]));
    assert_eq!(
        attempt_of_running.map(|(_, a)| a),
        Some(2),
        "the crashed attempt counts"
    );
    assert_eq!(
        common::outcomes(&common::timeline_of(&inbox, RUNNING[0]).await)
            .into_iter()
            .map(|(attempt, outcome, _)| (attempt, outcome))
            .collect::<Vec<_>>(),
        [(1, AttemptOutcome::Lost), (2, AttemptOutcome::Done)],
        "the crashed attempt is on the upgraded row's timeline"
    );

    // Dead rows stay dead and replayable; dedupe holds for every stored key.
    for id in DEAD {
        assert_eq!(common::row_of(&inbox, id).await.state, State::Dead);
    }
    let dead_id = common::row_of(&inbox, DEAD[0]).await.id;
    assert_eq!(inbox.replay(dead_id).await.unwrap(), Replay::Replayed);
    for id in [&DONE[..], &FAILED, &RUNNING, &PENDING].concat() {
        assert_eq!(charge(id).send(&receiver).await.status(), 200);
    }
    idle(&receiver).await;
    assert_eq!(
        probe.succeeded().get(&key(DONE[0])),
        None,
        "a done row never runs again"
    );
    assert_eq!(
        probe.succeeded().get(&key(DEAD[0])),
        Some(&1),
        "the replay ran"
    );
    assert_eq!(
        probe.succeeded().get(&key(PENDING[0])),
        Some(&1),
        "a duplicate ran nothing"
    );
    let stats = inbox.stats().await.unwrap();
    assert_eq!(
        (stats.done, stats.dead, stats.total()),
        (8, 1, 9),
        "{stats:?}"
    );
    receiver.shutdown(Duration::from_secs(5)).await;
}

async fn a_newer_schema_is_refused_untouched(db: &Db) {
    db.open(config()).await;
    db.execute("INSERT INTO webhook_inbox_migration (version, name, applied_at) VALUES (99, 'from the future', 0)")
        .await;
    let before = db.snapshot().await;
    for error in [
        Inbox::open(&db.address()).await.map(drop).unwrap_err(),
        Inbox::schema_status(&db.address())
            .await
            .map(drop)
            .unwrap_err(),
        Inbox::migrate(&db.address()).await.map(drop).unwrap_err(),
    ] {
        assert!(
            matches!(
                error,
                InboxError::SchemaTooNew {
                    found: 99,
                    supported: LATEST
                }
            ),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("99") && message.contains(&LATEST.to_string()),
            "{message}"
        );
    }
    assert_eq!(db.snapshot().await, before, "the database was changed");
}

async fn without_auto_migrate_a_pending_schema_refuses_until_migrated(db: &Db) {
    let manual = || config().auto_migrate(false);
    let error = Inbox::open_with(&db.address(), manual())
        .await
        .map(drop)
        .unwrap_err();
    assert!(
        matches!(
            error,
            InboxError::MigrationsPending {
                found: 0,
                latest: LATEST
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("webhook inbox migrate"),
        "{error}"
    );
    assert_eq!(
        Inbox::schema_status(&db.address()).await.unwrap().version,
        0
    );

    let migrated = Inbox::migrate(&db.address()).await.unwrap();
    assert!(
        migrated.is_current() && migrated.version == LATEST,
        "{migrated:?}"
    );
    let inbox = Inbox::open_with(&db.address(), manual()).await.unwrap();
    assert_eq!(
        inbox.stats().await.unwrap().total(),
        9,
        "the rows are all there"
    );
}

async fn replicas_opening_together_migrate_once(db: &Db) {
    let address = db.address();
    let opens = (0..4).map(|_| Inbox::open(&address));
    for opened in join_all(opens).await {
        opened.expect("every replica opens");
    }
    assert_eq!(
        db.count("SELECT COUNT(*) FROM webhook_inbox_migration")
            .await,
        i64::from(LATEST)
    );
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::sync::Arc;

    use super::*;

    /// A copy of the committed v0 SQLite file.
    fn v0() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/v0/inbox.sqlite"
        );
        std::fs::copy(fixture, &path).unwrap();
        Db::Sqlite {
            _dir: Arc::new(dir),
            path,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn v0_sqlite_file_upgrades_in_place_keeping_every_rows_meaning() {
        v0_fixture_upgrades_in_place_keeping_every_rows_meaning(&v0()).await;
    }

    #[tokio::test]
    async fn a_newer_sqlite_schema_is_refused_untouched() {
        a_newer_schema_is_refused_untouched(&Db::sqlite()).await;
    }

    #[tokio::test]
    async fn without_auto_migrate_a_v0_sqlite_file_refuses_until_migrated() {
        without_auto_migrate_a_pending_schema_refuses_until_migrated(&v0()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_processes_opening_together_migrate_once() {
        replicas_opening_together_migrate_once(&Db::sqlite()).await;
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    /// The committed v0 Postgres dump, loaded into a fresh schema.
    async fn v0() -> Option<Db> {
        let db = Db::postgres()?;
        let (url, schema) = db.postgres_parts();
        let dump = include_str!("fixtures/v0/inbox.postgres.sql");
        // psql's meta-commands (`\restrict`) are not SQL.
        let sql: String = dump
            .lines()
            .filter(|line| !line.starts_with('\\'))
            .map(|line| line.replace("webhook_fixture_v0", schema) + "\n")
            .collect();
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::raw_sql(&sql)
            .execute(&pool)
            .await
            .expect("the dump loads");
        pool.close().await;
        Some(db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn v0_postgres_dump_upgrades_in_place_keeping_every_rows_meaning() {
        let Some(db) = v0().await else { return };
        v0_fixture_upgrades_in_place_keeping_every_rows_meaning(&db).await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn a_newer_postgres_schema_is_refused_untouched() {
        let Some(db) = Db::postgres() else { return };
        a_newer_schema_is_refused_untouched(&db).await;
        db.cleanup().await;
    }

    #[tokio::test]
    async fn without_auto_migrate_a_v0_postgres_schema_refuses_until_migrated() {
        let Some(db) = v0().await else { return };
        without_auto_migrate_a_pending_schema_refuses_until_migrated(&db).await;
        db.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_replicas_connecting_together_migrate_once() {
        let Some(db) = Db::postgres() else { return };
        db.create_schema().await;
        replicas_opening_together_migrate_once(&db).await;
        db.cleanup().await;
    }
}
