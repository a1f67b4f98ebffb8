//! The inbox's versioned schema: numbered migrations, applied in order and recorded in
//! a table of their own (`webhook_inbox_migration`), never run against a newer schema.
//!
//! Each backend keeps its own list (`migrations/<backend>/NNNN_<name>.sql`) and applies
//! it with its own runner ([`sqlite`], [`postgres`]); what is pending and whether the
//! database is too new is decided here, the same for both. Migration 1 is the schema as
//! it was before it had a version, written idempotently, so a database from then (no
//! version record) is upgraded in place by applying it.

#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use crate::error::InboxError;

/// Every migration, in order, from the folder of backend `$dir` (`migrations/<dir>/`):
/// the versions and names are written once, so both backends have the same steps.
macro_rules! migrations {
    ($dir:literal) => {
        [
            $crate::migrate::Migration {
                version: 1,
                name: "baseline",
                sql: include_str!(concat!("../../migrations/", $dir, "/0001_baseline.sql")),
            },
            $crate::migrate::Migration {
                version: 2,
                name: "attempts",
                sql: include_str!(concat!("../../migrations/", $dir, "/0002_attempts.sql")),
            },
        ]
    };
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
use migrations;

/// One step of a backend's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Migration {
    /// Its number: the schema's version once it is applied.
    pub(crate) version: u32,
    /// What it does, in a few words.
    pub(crate) name: &'static str,
    /// The statements, run in one transaction.
    pub(crate) sql: &'static str,
}

/// A migration by number and name, as [`SchemaStatus`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct MigrationInfo {
    /// Its number.
    pub version: u32,
    /// What it does.
    pub name: &'static str,
}

/// Where an inbox database's schema stands against this release.
///
/// ```no_run
/// use webhook_inbox::Inbox;
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let status = Inbox::schema_status("webhooks.db").await?;
/// for migration in &status.pending {
///     println!("pending: {} {}", migration.version, migration.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SchemaStatus {
    /// The version recorded in the database; 0 when it records none (a new database, or
    /// one written before the schema had a version).
    pub version: u32,
    /// The newest version this release knows.
    pub latest: u32,
    /// The migrations this release would apply, in order.
    pub pending: Vec<MigrationInfo>,
}

impl SchemaStatus {
    /// Where a database at `version` stands against `migrations`; refused when it is
    /// newer than all of them.
    pub(crate) fn of(version: u32, migrations: &[Migration]) -> Result<Self, InboxError> {
        let latest = migrations.last().map_or(0, |last| last.version);
        if version > latest {
            return Err(InboxError::SchemaTooNew {
                found: version,
                supported: latest,
            });
        }
        let pending = migrations
            .iter()
            .filter(|migration| migration.version > version)
            .map(|migration| MigrationInfo {
                version: migration.version,
                name: migration.name,
            })
            .collect();
        Ok(Self {
            version,
            latest,
            pending,
        })
    }

    /// True when no migration is pending.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

/// What opening does about pending migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnOpen {
    /// Apply them ([`InboxConfig::auto_migrate`](crate::InboxConfig::auto_migrate) on).
    Migrate,
    /// Refuse to open while any is pending.
    Refuse,
}

impl OnOpen {
    /// Whether to go on to apply `status`'s pending migrations, or the error to open with.
    pub(crate) fn check(self, status: &SchemaStatus) -> Result<(), InboxError> {
        match self {
            Self::Refuse if !status.is_current() => Err(InboxError::MigrationsPending {
                found: status.version,
                latest: status.latest,
            }),
            _ => Ok(()),
        }
    }
}

/// Wraps a migration's failure with its number and name.
pub(crate) fn failed(migration: &Migration, source: impl Into<InboxError>) -> InboxError {
    InboxError::Migration {
        version: migration.version,
        name: migration.name,
        source: Box::new(source.into()),
    }
}

/// The table that records each applied migration, the same on both backends.
pub(crate) const HISTORY: &str = "webhook_inbox_migration";

/// Creates [`HISTORY`] if missing (inside the first migration's transaction).
pub(crate) const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS webhook_inbox_migration (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at BIGINT  NOT NULL
)";

/// The highest recorded version, once the table is known to exist.
pub(crate) const CURRENT: &str =
    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM webhook_inbox_migration";

/// Milliseconds since the Unix epoch, for `applied_at`.
pub(crate) fn now_ms() -> i64 {
    crate::unix_ms::from_time(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::{Migration, OnOpen, SchemaStatus};
    use crate::error::InboxError;

    const THREE: [Migration; 3] = [
        Migration {
            version: 1,
            name: "baseline",
            sql: "",
        },
        Migration {
            version: 2,
            name: "second",
            sql: "",
        },
        Migration {
            version: 3,
            name: "third",
            sql: "",
        },
    ];

    #[test]
    fn pending_migrations_are_those_above_the_recorded_version_in_order() {
        let status = SchemaStatus::of(1, &THREE).unwrap();
        let pending: Vec<u32> = status.pending.iter().map(|m| m.version).collect();
        assert_eq!((status.version, status.latest, pending), (1, 3, vec![2, 3]));
        assert!(SchemaStatus::of(3, &THREE).unwrap().is_current());
        assert_eq!(SchemaStatus::of(0, &THREE).unwrap().pending.len(), 3);
    }

    #[test]
    fn a_newer_schema_is_refused_naming_both_versions() {
        let error = SchemaStatus::of(7, &THREE).unwrap_err();
        assert!(matches!(
            error,
            InboxError::SchemaTooNew {
                found: 7,
                supported: 3
            }
        ));
        let message = error.to_string();
        assert!(
            message.contains("version 7") && message.contains("(3)"),
            "{message}"
        );
    }

    #[test]
    fn without_auto_migrate_a_pending_migration_refuses_to_open() {
        let behind = SchemaStatus::of(1, &THREE).unwrap();
        let error = OnOpen::Refuse.check(&behind).unwrap_err();
        assert!(
            error.to_string().contains("webhook inbox migrate"),
            "{error}"
        );
        assert!(OnOpen::Migrate.check(&behind).is_ok());
        assert!(
            OnOpen::Refuse
                .check(&SchemaStatus::of(3, &THREE).unwrap())
                .is_ok()
        );
    }
}
