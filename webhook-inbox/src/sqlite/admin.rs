//! The admin API on SQLite.

use super::{SqliteInbox, sql};

crate::admin::impl_admin!(SqliteInbox, sql);
