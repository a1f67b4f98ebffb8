//! The admin API on Postgres (replays wake other replicas through the table's trigger).

use super::{PostgresInbox, sql};

crate::admin::impl_admin!(PostgresInbox, sql);
