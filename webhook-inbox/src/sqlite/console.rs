//! The console's queries on SQLite (see [`crate::console_query`]).

use super::SqliteInbox;
use crate::console_query::{Dialect, console_queries};

console_queries!(
    SqliteInbox,
    Dialect::Sqlite,
    "SELECT COALESCE((SELECT stored.body FROM webhook_inbox_body AS stored \
       WHERE stored.id = webhook_inbox.id), body) FROM webhook_inbox WHERE id = $1"
);

#[cfg(test)]
mod tests {
    use crate::console_query::{DeliveryFilter, Dialect, Param};
    use crate::sqlite::SqliteInbox;
    use crate::state::State;

    /// The steps of SQLite's plan for `built`.
    async fn plan(inbox: &SqliteInbox, sql: &str, params: Vec<Param>) -> Vec<String> {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
        for param in params {
            query = match param {
                Param::Text(text) => query.bind(text),
                Param::Int(int) => query.bind(int),
            };
        }
        let plan = query.fetch_all(inbox.pool()).await.expect("a plan");
        plan.into_iter().map(|(.., step)| step).collect()
    }

    /// A page of the done rows (most of a busy inbox) or of every row must walk the
    /// table by id and stop after the page, never sort the rows a filter matches.
    #[tokio::test]
    async fn pages_walk_by_id_without_sorting_and_searches_use_the_key_index() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let inbox = SqliteInbox::open(dir.path().join("plan.db"))
            .await
            .expect("the inbox opens");
        let providers = ["modem-pay".to_owned()];
        for state in [
            None,
            Some(State::Done),
            Some(State::Pending),
            Some(State::Failed),
        ] {
            let mut filter = DeliveryFilter::new().event_type("charge.succeeded");
            if let Some(state) = state {
                filter = filter.state(state);
            }
            let built = Dialect::Sqlite.page(&filter, &providers, Some(100), 50);
            let steps = plan(&inbox, &built.sql, built.params).await;
            assert!(
                !steps.iter().any(|step| step.contains("TEMP B-TREE")),
                "{state:?}: {steps:?}"
            );
        }
        let search = DeliveryFilter::new().dedupe_key("evt_1");
        let built = Dialect::Sqlite.page(&search, &providers, None, 50);
        let steps = plan(&inbox, &built.sql, built.params).await;
        assert!(
            steps
                .iter()
                .any(|step| step.contains("sqlite_autoindex_webhook_inbox")),
            "{steps:?}"
        );
        for sql in [
            Dialect::Sqlite.received_per_minute(),
            Dialect::Sqlite.failed_per_minute(),
            Dialect::Sqlite.done_per_minute(),
            Dialect::Sqlite.handler_per_minute(),
        ] {
            let binds = sql.matches('?').count();
            let steps = plan(&inbox, &sql, vec![Param::Int(0); binds]).await;
            assert!(
                steps
                    .iter()
                    .filter(|step| step.starts_with("SCAN") || step.starts_with("SEARCH"))
                    .all(|step| step.contains("INDEX") || step.contains("recent")),
                "{sql}: {steps:?}"
            );
        }
    }
}
