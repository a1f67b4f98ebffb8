//! `Secret`: the key material a scheme signs and verifies with.

use std::fmt;

/// Key material shared with a webhook sender.
///
/// Built from a string or bytes; an empty secret is refused. `Debug` prints
/// `Secret(..)` and there is no `Display`, so a secret cannot end up in a log line
/// or a response by accident.
///
/// ```
/// use webhook_core::Secret;
/// let secret = Secret::new("whsec_abc").unwrap();
/// assert_eq!(format!("{secret:?}"), "Secret(..)");
/// assert!(Secret::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

/// The secret given was empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("webhook secret is empty: configure the secret the sender shows in its dashboard")]
pub struct EmptySecret;

impl Secret {
    /// A secret from a string or bytes; refuses an empty one.
    pub fn new(key: impl AsRef<[u8]>) -> Result<Self, EmptySecret> {
        let key = key.as_ref();
        if key.is_empty() {
            return Err(EmptySecret);
        }
        Ok(Self(key.to_vec()))
    }

    /// The raw key bytes, as the sender configured them.
    ///
    /// Named loudly so reviewers see every place key material is read.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl TryFrom<&str> for Secret {
    type Error = EmptySecret;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for Secret {
    type Error = EmptySecret;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&[u8]> for Secret {
    type Error = EmptySecret;
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<Vec<u8>> for Secret {
    type Error = EmptySecret;
    fn try_from(value: Vec<u8>) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}
