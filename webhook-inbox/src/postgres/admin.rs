//! The admin API on Postgres (replays wake other replicas through the table's trigger).

use std::time::SystemTime;

use webhook_core::futures::future::BoxFuture;

use super::{PostgresInbox, sql};
use crate::admin::Admin;
use crate::error::InboxError;
use crate::record::{EntryRecord, RowRecord};
use crate::row::{InboxEntry, InboxRow, ListFilter, Replay, Stats};
use crate::unix_ms;

impl Admin for PostgresInbox {
    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>> {
        Box::pin(async move {
            let counts: Vec<(String, i64)> =
                sqlx::query_as(sql::STATS).fetch_all(self.pool()).await?;
            crate::admin::stats_from(counts)
        })
    }

    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>> {
        Box::pin(async move {
            let records: Vec<RowRecord> = sqlx::query_as(sql::LIST)
                .bind(filter.state.map(|state| state.as_str()))
                .bind(filter.event_type.as_deref())
                .bind(i64::from(filter.limit))
                .fetch_all(self.pool())
                .await?;
            records.into_iter().map(InboxRow::try_from).collect()
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<InboxEntry>, InboxError>> {
        Box::pin(async move {
            let record: Option<EntryRecord> = sqlx::query_as(sql::GET)
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            record.map(InboxEntry::try_from).transpose()
        })
    }

    fn replay(&self, id: i64) -> BoxFuture<'_, Result<Replay, InboxError>> {
        Box::pin(async move {
            if sqlx::query(sql::REPLAY)
                .bind(id)
                .execute(self.pool())
                .await?
                .rows_affected()
                == 1
            {
                return Ok(Replay::Replayed);
            }
            let state: Option<String> = sqlx::query_scalar(sql::STATE_OF_ROW)
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            Ok(if state.is_some() {
                Replay::Running
            } else {
                Replay::NotFound
            })
        })
    }

    fn replay_dead<'a>(
        &'a self,
        event_type: Option<&'a str>,
    ) -> BoxFuture<'a, Result<u64, InboxError>> {
        Box::pin(async move {
            let replayed = sqlx::query(sql::REPLAY_DEAD)
                .bind(event_type)
                .execute(self.pool())
                .await?
                .rows_affected();
            Ok(replayed)
        })
    }

    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(async move {
            let purged = sqlx::query(sql::PURGE_DONE)
                .bind(unix_ms::from_time(before))
                .execute(self.pool())
                .await?;
            Ok(purged.rows_affected())
        })
    }
}
