//! `PoolStatements`: the statements both backends run on their connection pool
//! (counting and releasing rows, pruning, and the operators' reads, replays and purges),
//! written once in [`impl_pool_statements!`]: the SQL is the same in either dialect, and
//! so is the Rust around it but for the pool's type.

use std::future::Future;
use std::time::Duration;

use crate::error::InboxError;
use crate::row::{InboxEntry, InboxRow, ListFilter, Stats};

/// The statements of a backend's `sql` module that run on its pool, one call each.
pub(crate) trait PoolStatements {
    /// Rows still to be handled: pending, running or failed.
    fn outstanding(&self) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// Puts the running rows of every owner matching `pattern` (a `LIKE` pattern, see
    /// [`crate::lease::Instance::released`]) back to pending, not counting their
    /// abandoned attempt. Returns how many.
    fn release(&self, pattern: &str) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// Deletes done rows finished longer than `retention` ago. Returns how many.
    fn prune(&self, retention: Duration) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// How many rows are in each state.
    fn stats(&self) -> impl Future<Output = Result<Stats, InboxError>> + Send;

    /// The rows `filter` selects, newest first.
    fn list(
        &self,
        filter: &ListFilter,
    ) -> impl Future<Output = Result<Vec<InboxRow>, InboxError>> + Send;

    /// Row `id` in full, if there is one.
    fn get(&self, id: i64) -> impl Future<Output = Result<Option<InboxEntry>, InboxError>> + Send;

    /// Whether there is a row `id`.
    fn exists(&self, id: i64) -> impl Future<Output = Result<bool, InboxError>> + Send;

    /// Puts row `id` back to pending with its attempts reset, unless a worker holds
    /// it; false when it did not (held, or no such row).
    fn replay(&self, id: i64) -> impl Future<Output = Result<bool, InboxError>> + Send;

    /// Puts every dead row (of `event_type`, when given) back to pending. Returns how
    /// many.
    fn replay_dead(
        &self,
        event_type: Option<&str>,
    ) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// Deletes done rows finished before `before_ms` (epoch milliseconds). Returns how
    /// many.
    fn purge_done_before(
        &self,
        before_ms: i64,
    ) -> impl Future<Output = Result<u64, InboxError>> + Send;
}

/// Implements [`PoolStatements`] for the sqlx pool type `$pool` with the statements of
/// the backend's module `$sql` (see [`crate::sql::statements!`]).
macro_rules! impl_pool_statements {
    ($pool:ty, $sql:ident) => {
        impl $crate::pool_statements::PoolStatements for $pool {
            async fn outstanding(&self) -> Result<u64, $crate::error::InboxError> {
                let count: i64 = sqlx::query_scalar($sql::OUTSTANDING)
                    .fetch_one(self)
                    .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }

            async fn release(&self, pattern: &str) -> Result<u64, $crate::error::InboxError> {
                let released = sqlx::query($sql::RELEASE)
                    .bind(pattern)
                    .execute(self)
                    .await?;
                Ok(released.rows_affected())
            }

            async fn prune(
                &self,
                retention: std::time::Duration,
            ) -> Result<u64, $crate::error::InboxError> {
                let pruned = sqlx::query($sql::PRUNE)
                    .bind($crate::unix_ms::from_duration(retention))
                    .execute(self)
                    .await?;
                Ok(pruned.rows_affected())
            }

            async fn stats(&self) -> Result<$crate::row::Stats, $crate::error::InboxError> {
                let counts: Vec<(String, i64)> =
                    sqlx::query_as($sql::STATS).fetch_all(self).await?;
                $crate::row::Stats::from_counts(counts)
            }

            async fn list(
                &self,
                filter: &$crate::row::ListFilter,
            ) -> Result<Vec<$crate::row::InboxRow>, $crate::error::InboxError> {
                let records: Vec<$crate::record::RowRecord> = sqlx::query_as($sql::LIST)
                    .bind(filter.state.map(|state| state.as_str()))
                    .bind(filter.event_type.as_deref())
                    .bind(i64::from(filter.limit))
                    .fetch_all(self)
                    .await?;
                records
                    .into_iter()
                    .map($crate::row::InboxRow::try_from)
                    .collect()
            }

            async fn get(
                &self,
                id: i64,
            ) -> Result<Option<$crate::row::InboxEntry>, $crate::error::InboxError> {
                let record: Option<$crate::record::EntryRecord> = sqlx::query_as($sql::GET)
                    .bind(id)
                    .fetch_optional(self)
                    .await?;
                let Some(record) = record else {
                    return Ok(None);
                };
                let attempts = sqlx::query_as($crate::attempt::ATTEMPTS_OF_ROW)
                    .bind(id)
                    .fetch_all(self)
                    .await?;
                record.into_entry(attempts).map(Some)
            }

            async fn exists(&self, id: i64) -> Result<bool, $crate::error::InboxError> {
                let state: Option<String> = sqlx::query_scalar($sql::STATE_OF_ROW)
                    .bind(id)
                    .fetch_optional(self)
                    .await?;
                Ok(state.is_some())
            }

            async fn replay(&self, id: i64) -> Result<bool, $crate::error::InboxError> {
                let replayed = sqlx::query($sql::REPLAY).bind(id).execute(self).await?;
                Ok(replayed.rows_affected() == 1)
            }

            async fn replay_dead(
                &self,
                event_type: Option<&str>,
            ) -> Result<u64, $crate::error::InboxError> {
                let replayed = sqlx::query($sql::REPLAY_DEAD)
                    .bind(event_type)
                    .execute(self)
                    .await?;
                Ok(replayed.rows_affected())
            }

            async fn purge_done_before(
                &self,
                before_ms: i64,
            ) -> Result<u64, $crate::error::InboxError> {
                let purged = sqlx::query($sql::PURGE_DONE)
                    .bind(before_ms)
                    .execute(self)
                    .await?;
                Ok(purged.rows_affected())
            }
        }
    };
}

pub(crate) use impl_pool_statements;
