//! `InboxError`: why opening or administering an inbox failed.

/// Why an inbox could not be opened, read or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The database refused or failed.
    #[error("inbox database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A Postgres schema name that is not a plain identifier.
    #[error(
        "`{0}` is not a usable schema name: use lowercase ASCII letters, digits and `_`, starting with a letter or `_`"
    )]
    SchemaName(String),
    /// The `--db` string needs a backend this build leaves out.
    #[error("`{db}` needs the `{feature}` feature of `webhook-inbox`: enable it in Cargo.toml")]
    FeatureDisabled {
        /// The feature to enable.
        feature: &'static str,
        /// The database string given.
        db: String,
    },
    /// A stored row cannot be read back (edited by hand, or written by another version).
    #[error("inbox row {id} is unreadable: {reason}")]
    Corrupt {
        /// The row's id.
        id: i64,
        /// What is wrong with it.
        reason: String,
    },
}

impl InboxError {
    pub(crate) fn corrupt(id: i64, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            id,
            reason: reason.to_string(),
        }
    }
}
