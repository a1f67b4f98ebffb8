//! The console's queries on Postgres (see [`crate::console_query`]).

use super::PostgresInbox;
use crate::console_query::{Dialect, console_queries};

console_queries!(
    PostgresInbox,
    Dialect::Postgres,
    "SELECT body FROM webhook_inbox WHERE id = $1"
);
