//! Wake-ups across replicas: `LISTEN webhook_inbox`, whose notifications the table's
//! trigger sends when a row becomes pending.

use std::time::Duration;

use sqlx::postgres::PgListener;

use super::store::PgStore;
use crate::store::Store;

/// The channel the trigger notifies; the payload is the table's schema.
const CHANNEL: &str = "webhook_inbox";

/// Wakes the workers on every notification for this inbox's schema, reconnecting
/// after a pause when the connection fails (workers poll meanwhile).
pub(super) async fn wake_on_notify(store: PgStore, pause: Duration) {
    loop {
        if let Err(error) = listen(&store).await {
            tracing::warn!(%error, "inbox LISTEN connection failed; workers poll until it is back");
        }
        tokio::time::sleep(pause).await;
    }
}

async fn listen(store: &PgStore) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(store.pool()).await?;
    listener.listen(CHANNEL).await?;
    // Rows may have become pending while nobody listened.
    store.wakeup().notify_waiters();
    loop {
        let notification = listener.recv().await?;
        if notification.payload() == store.schema() {
            store.wakeup().notify_waiters();
        }
    }
}
