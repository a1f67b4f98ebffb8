//! `InboxConfig`: workers, polling, leases, retention and capacity of a durable inbox.

use std::time::Duration;

/// How a durable inbox runs its workers and keeps its rows.
///
/// ```
/// use std::time::Duration;
/// use webhook_inbox::InboxConfig;
///
/// let config = InboxConfig::new()
///     .workers(8)
///     .poll_interval(Duration::from_millis(500))
///     .lease(Duration::from_secs(60))
///     .retention(Duration::from_secs(7 * 24 * 3600))
///     .max_pending(50_000);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct InboxConfig {
    pub(crate) workers: usize,
    pub(crate) poll_interval: Duration,
    pub(crate) lease: Duration,
    pub(crate) retention: Duration,
    pub(crate) prune_interval: Duration,
    pub(crate) max_pending: u64,
    pub(crate) claim_batch: usize,
    pub(crate) auto_migrate: bool,
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl InboxConfig {
    /// 4 workers claiming up to 32 rows at a time while their handlers are quick, a 1 s
    /// poll, 30 s leases, done rows kept 30 days (pruned hourly), at most 100 000 rows
    /// waiting, and pending schema migrations applied at open.
    pub fn new() -> Self {
        Self {
            workers: 4,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            retention: Duration::from_secs(30 * 24 * 3600),
            prune_interval: Duration::from_secs(3600),
            max_pending: 100_000,
            claim_batch: 32,
            auto_migrate: true,
        }
    }

    /// How many handlers run at once in this process (at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// The most rows one worker claims at once (at least 1). A worker claims one row at
    /// a time until its handlers prove quick: after a claim whose handlers took under a
    /// millisecond each on average it claims twice as many next time, up to this;
    /// after a slower one, one again. Quick handlers then drain the inbox at many rows
    /// per commit instead of one per worker, and slow ones still share a short backlog
    /// among all the workers.
    ///
    /// A worker's claimed rows are leased together (they are `running`, and kept by
    /// its heartbeat) and run one after another. On SQLite, a claim queued while
    /// deliveries arrive takes the oldest due rows first and then, with the room it has
    /// left, deliveries of the same commit as they are stored (written `running`, run
    /// from memory without being read back). A crash re-runs, after the lease,
    /// those whose outcome was not yet recorded; 1 keeps that to the rows whose handler
    /// was running.
    pub fn claim_batch(mut self, rows: usize) -> Self {
        self.claim_batch = rows.max(1);
        self
    }

    /// How often an idle worker looks for due rows when no wake-up came: retries fall
    /// due and other replicas' leases run out without one (at least 1 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How long a claim holds a row. A running handler extends it every third of
    /// the lease; when a worker dies, its rows are claimed again once the lease is
    /// over (at least 30 ms).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// How long done rows are kept, so that late redeliveries are still recognised
    /// as duplicates.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// How often done rows past the retention are deleted (at least 1 s).
    pub fn prune_interval(mut self, interval: Duration) -> Self {
        self.prune_interval = interval.max(Duration::from_secs(1));
        self
    }

    /// How many rows may wait (pending, running or failed) before new deliveries are
    /// refused with 503 (at least 1).
    ///
    /// Counting the backlog is a scan of it, so it is not counted on every delivery.
    /// SQLite: the inbox's writer makes every routine change and keeps the count itself,
    /// counts the table every second (for what other processes and admin replays
    /// change), and again before it refuses a delivery for want of room, at most every
    /// 10 ms: a delivery is refused only on a fresh count, and the cap is soft by what
    /// other processes added in the last second. Postgres (many replicas): while the
    /// backlog is under half of this it is counted every 100 ms (in between each
    /// replica adds what it stored), and on every submit above that, so the cap is
    /// exact near the limit.
    pub fn max_pending(mut self, rows: u64) -> Self {
        self.max_pending = rows.max(1);
        self
    }

    /// Whether opening the inbox applies pending schema migrations (the default), or
    /// refuses to open while any is pending ([`InboxError::MigrationsPending`]), for
    /// operators who migrate explicitly: `webhook inbox migrate --db <database>` or
    /// [`Inbox::migrate`](crate::Inbox::migrate), before the new release starts.
    ///
    /// Either way a database whose schema is newer than this release knows is refused
    /// untouched ([`InboxError::SchemaTooNew`]).
    ///
    /// [`InboxError::MigrationsPending`]: crate::InboxError::MigrationsPending
    /// [`InboxError::SchemaTooNew`]: crate::InboxError::SchemaTooNew
    pub fn auto_migrate(mut self, on: bool) -> Self {
        self.auto_migrate = on;
        self
    }

    /// What opening does about pending migrations.
    pub(crate) fn on_open(&self) -> crate::migrate::OnOpen {
        match self.auto_migrate {
            true => crate::migrate::OnOpen::Migrate,
            false => crate::migrate::OnOpen::Refuse,
        }
    }
}
