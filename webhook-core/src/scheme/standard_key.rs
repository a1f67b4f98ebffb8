//! Standard Webhooks keys: `whsec_` (HMAC-SHA256, `v1`), `whsk_` and `whpk_` (ed25519, `v1a`).
//!
//! The spec serializes every key as a prefix and standard, padded base64, and the prefix is
//! what tells the algorithm: "having a unique and consistent secret format allows
//! implementations to correctly use the correct scheme without additional configuration".
//! So keys stay [`Secret`] values everywhere (receivers, fakes, the CLI) and this module reads
//! the prefix when a key is used.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{SECRET_KEY_LENGTH, SigningKey, VerifyingKey};

use crate::Secret;

/// The prefix of a shared HMAC secret; optional, bare base64 is a symmetric secret too.
const SYMMETRIC_PREFIX: &str = "whsec_";
/// The prefix of an ed25519 secret key.
const SECRET_KEY_PREFIX: &str = "whsk_";
/// The prefix of an ed25519 public key.
const PUBLIC_KEY_PREFIX: &str = "whpk_";

/// The length of an ed25519 public key, and of the seed a `whsk_` key holds.
const ED25519_KEY_LENGTH: usize = 32;
/// The length of a `whsk_` key in libsodium's form: the seed, then the public key.
const KEYPAIR_LENGTH: usize = 64;

/// The longest run of letters before a `_` that is read as a (foreign) prefix.
const LONGEST_PREFIX: usize = 8;

/// What a Standard Webhooks key is, as its prefix says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StandardKeyKind {
    /// `whsec_` (or bare base64): a secret shared with the sender, HMAC-SHA256. Signs and
    /// verifies `v1` signatures.
    Symmetric,
    /// `whsk_`: an ed25519 secret key. Signs `v1a` signatures, and verifies them through its
    /// public key. Only the sender needs it.
    Ed25519Secret,
    /// `whpk_`: an ed25519 public key. Verifies `v1a` signatures and cannot make them: what a
    /// receiver configures.
    Ed25519Public,
}

impl StandardKeyKind {
    /// The prefix the spec writes before the base64: `whsec_`, `whsk_` or `whpk_`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Symmetric => SYMMETRIC_PREFIX,
            Self::Ed25519Secret => SECRET_KEY_PREFIX,
            Self::Ed25519Public => PUBLIC_KEY_PREFIX,
        }
    }

    /// The signature version the key signs or verifies: `v1` or `v1a`.
    pub fn signature_version(self) -> &'static str {
        match self {
            Self::Symmetric => "v1",
            Self::Ed25519Secret | Self::Ed25519Public => "v1a",
        }
    }

    /// How a message names a key of this kind.
    fn subject(self) -> &'static str {
        match self {
            Self::Symmetric => "the `whsec_` secret",
            Self::Ed25519Secret => "the `whsk_` key",
            Self::Ed25519Public => "the `whpk_` key",
        }
    }

    /// What to write instead, for a message.
    fn what_to_write(self) -> &'static str {
        match self {
            Self::Symmetric => {
                "write `whsec_` followed by the standard, padded base64 of the secret, as the \
                 sender shows it"
            }
            Self::Ed25519Secret => {
                "write `whsk_` followed by the standard, padded base64 of the 32-byte ed25519 seed"
            }
            Self::Ed25519Public => {
                "write `whpk_` followed by the standard, padded base64 of the 32-byte ed25519 \
                 public key"
            }
        }
    }
}

/// Why a key cannot be used by Standard Webhooks: what is wrong, and what to write instead.
///
/// The messages name the key's prefix and its decoded length, never its content.
///
/// ```
/// use webhook_core::Secret;
/// use webhook_core::scheme::StandardKey;
///
/// let short = Secret::new("whpk_AAAA").unwrap();
/// let error = StandardKey::for_verifying(&short).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "the `whpk_` key is 3 bytes long, and an ed25519 public key is 32: write `whpk_` \
///      followed by the standard, padded base64 of the 32-byte ed25519 public key"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StandardKeyError {
    /// The key starts with a prefix that is none of the spec's (such as `whpub_` or `WHSK_`).
    #[error(
        "the key starts with `{prefix}`, which is not a standard webhooks prefix: write \
         `whsec_` for a shared secret, `whsk_` for an ed25519 secret key or `whpk_` for an \
         ed25519 public key, followed by standard, padded base64"
    )]
    UnknownPrefix {
        /// The prefix found, `_` included (a few letters: never key material).
        prefix: String,
    },
    /// What follows the prefix is not standard, padded base64.
    #[error("{} is not valid base64: {}", .kind.subject(), .kind.what_to_write())]
    Base64 {
        /// The kind the prefix announced.
        kind: StandardKeyKind,
    },
    /// The base64 decodes to a length the kind of key cannot have.
    #[error("{}", length_message(*.kind, *.length))]
    Length {
        /// The kind the prefix announced.
        kind: StandardKeyKind,
        /// How many bytes the base64 decodes to.
        length: usize,
    },
    /// A 64-byte `whsk_` key whose second half is not the public key of its first.
    #[error(
        "the 64-byte `whsk_` key does not end with the public key of the seed it starts with: \
         write `whsk_` followed by the standard, padded base64 of the 32-byte seed alone"
    )]
    MismatchedKeyPair,
    /// A `whpk_` key that is not a point on the curve, or a weak (small-order) one that
    /// would accept forged signatures.
    #[error(
        "the `whpk_` key is not a usable ed25519 public key (not a curve point, or a weak one \
         of small order): write `whpk_` followed by the base64 of the public key the sender \
         publishes"
    )]
    InvalidPublicKey,
    /// A `whpk_` key was given to sign with.
    #[error(
        "a `whpk_` public key verifies `v1a` signatures but cannot make them: sign with the \
         `whsk_` secret key it belongs to"
    )]
    PublicKeyCannotSign,
}

/// The message of [`StandardKeyError::Length`].
fn length_message(kind: StandardKeyKind, length: usize) -> String {
    let (subject, write) = (kind.subject(), kind.what_to_write());
    match kind {
        StandardKeyKind::Symmetric => format!("{subject} decodes to no bytes: {write}"),
        StandardKeyKind::Ed25519Secret => format!(
            "{subject} is {length} bytes long, and an ed25519 secret key is 32 (the seed) or 64 \
             (the seed, then the public key): {write}"
        ),
        StandardKeyKind::Ed25519Public => {
            format!("{subject} is {length} bytes long, and an ed25519 public key is 32: {write}")
        }
    }
}

/// The usable form of a key.
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    /// The HMAC-SHA256 key bytes.
    Hmac(Vec<u8>),
    /// An ed25519 key pair (wiped when dropped).
    Signing(SigningKey),
    /// An ed25519 public key.
    Public(VerifyingKey),
}

/// A Standard Webhooks key, parsed from its [`Secret`] and checked.
///
/// Keys are configured as [`Secret`] values whatever their kind, and the prefix tells the
/// algorithm, as the spec intends:
///
/// | secret | kind | signs | verifies |
/// | --- | --- | --- | --- |
/// | `whsec_<base64>` or bare base64 | [`StandardKeyKind::Symmetric`] | `v1` | `v1` |
/// | `whsk_<base64 of the 32-byte seed>` | [`StandardKeyKind::Ed25519Secret`] | `v1a` | `v1a` |
/// | `whpk_<base64 of the 32-byte public key>` | [`StandardKeyKind::Ed25519Public`] | — | `v1a` |
///
/// [`StandardWebhooksScheme`](super::StandardWebhooksScheme) reads keys this way on every
/// call; parse one yourself to check configuration at startup and get a message that says
/// what is wrong ([`StandardKeyError`]), where verification only says
/// [`VerifyError::InvalidSecret`](super::VerifyError::InvalidSecret). A `whsk_` key of 64
/// bytes (libsodium's form: the seed, then the public key) is accepted too.
///
/// `Debug` shows the kind only.
///
/// ```
/// use webhook_core::Secret;
/// use webhook_core::scheme::{StandardKey, StandardKeyKind};
///
/// // The sender generates a key pair and keeps the `whsk_` key...
/// let key = StandardKey::generate();
/// let signing = key.to_secret();
/// // ...and gives receivers the `whpk_` key, which verifies but cannot sign.
/// let public = Secret::new(key.public_key().unwrap()).unwrap();
/// let parsed = StandardKey::for_verifying(&public).unwrap();
/// assert_eq!(parsed.kind(), StandardKeyKind::Ed25519Public);
/// assert!(StandardKey::for_signing(&public).is_err());
/// assert!(StandardKey::for_signing(&signing).is_ok());
/// assert_eq!(format!("{key:?}"), "StandardKey(whsk_..)");
/// ```
#[derive(Clone)]
pub struct StandardKey {
    material: KeyMaterial,
}

impl StandardKey {
    /// The key in `secret`, for verifying: any of the three kinds.
    pub fn for_verifying(secret: &Secret) -> Result<Self, StandardKeyError> {
        parse(secret.expose_bytes()).map(|material| Self { material })
    }

    /// The key in `secret`, for signing: a `whpk_` public key is refused.
    pub fn for_signing(secret: &Secret) -> Result<Self, StandardKeyError> {
        let key = Self::for_verifying(secret)?;
        match key.material {
            KeyMaterial::Public(_) => Err(StandardKeyError::PublicKeyCannotSign),
            _ => Ok(key),
        }
    }

    /// A fresh ed25519 key pair, its seed from the operating system's random source.
    ///
    /// # Panics
    ///
    /// When the operating system cannot provide randomness (`getrandom` fails), which no
    /// supported platform does once booted.
    pub fn generate() -> Self {
        let mut seed = [0u8; SECRET_KEY_LENGTH];
        getrandom::fill(&mut seed).expect("the operating system provides randomness");
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Self {
            material: KeyMaterial::Signing(key),
        }
    }

    /// What the key is.
    pub fn kind(&self) -> StandardKeyKind {
        match self.material {
            KeyMaterial::Hmac(_) => StandardKeyKind::Symmetric,
            KeyMaterial::Signing(_) => StandardKeyKind::Ed25519Secret,
            KeyMaterial::Public(_) => StandardKeyKind::Ed25519Public,
        }
    }

    /// The `whpk_…` public key of an ed25519 key, to give receivers; `None` for a
    /// symmetric secret, which has none.
    pub fn public_key(&self) -> Option<String> {
        let public = match &self.material {
            KeyMaterial::Hmac(_) => return None,
            KeyMaterial::Signing(key) => key.verifying_key(),
            KeyMaterial::Public(key) => *key,
        };
        Some(format!(
            "{PUBLIC_KEY_PREFIX}{}",
            BASE64.encode(public.as_bytes())
        ))
    }

    /// The key in its canonical text form, prefix included (`whsec_…`, `whsk_…` with the
    /// 32-byte seed, or `whpk_…`).
    pub fn to_secret(&self) -> Secret {
        let (prefix, bytes) = match &self.material {
            KeyMaterial::Hmac(bytes) => (SYMMETRIC_PREFIX, bytes.as_slice()),
            KeyMaterial::Signing(key) => (SECRET_KEY_PREFIX, key.as_bytes().as_slice()),
            KeyMaterial::Public(key) => (PUBLIC_KEY_PREFIX, key.as_bytes().as_slice()),
        };
        let text = format!("{prefix}{}", BASE64.encode(bytes));
        Secret::new(text).expect("a prefixed key is not empty")
    }

    /// The usable key.
    pub(crate) fn material(&self) -> &KeyMaterial {
        &self.material
    }
}

impl fmt::Debug for StandardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StandardKey({}..)", self.kind().prefix())
    }
}

/// Reads the prefix, decodes the base64 and checks the key for its kind.
fn parse(text: &[u8]) -> Result<KeyMaterial, StandardKeyError> {
    let (kind, encoded) = split_prefix(text)?;
    let bytes = BASE64
        .decode(encoded)
        .map_err(|_| StandardKeyError::Base64 { kind })?;
    let length = bytes.len();
    let wrong_length = StandardKeyError::Length { kind, length };
    match kind {
        StandardKeyKind::Symmetric if bytes.is_empty() => Err(wrong_length),
        StandardKeyKind::Symmetric => Ok(KeyMaterial::Hmac(bytes)),
        StandardKeyKind::Ed25519Secret => signing_key(&bytes)
            .ok_or(wrong_length)?
            .map(KeyMaterial::Signing),
        StandardKeyKind::Ed25519Public => {
            let bytes: &[u8; ED25519_KEY_LENGTH] =
                bytes.as_slice().try_into().map_err(|_| wrong_length)?;
            let key =
                VerifyingKey::from_bytes(bytes).map_err(|_| StandardKeyError::InvalidPublicKey)?;
            if key.is_weak() {
                return Err(StandardKeyError::InvalidPublicKey);
            }
            Ok(KeyMaterial::Public(key))
        }
    }
}

/// The signing key of a 32-byte seed or a 64-byte key pair; `None` for another length.
fn signing_key(bytes: &[u8]) -> Option<Result<SigningKey, StandardKeyError>> {
    match bytes.len() {
        ED25519_KEY_LENGTH => {
            let seed: &[u8; ED25519_KEY_LENGTH] = bytes.try_into().ok()?;
            Some(Ok(SigningKey::from_bytes(seed)))
        }
        KEYPAIR_LENGTH => {
            let pair: &[u8; KEYPAIR_LENGTH] = bytes.try_into().ok()?;
            Some(
                SigningKey::from_keypair_bytes(pair)
                    .map_err(|_| StandardKeyError::MismatchedKeyPair),
            )
        }
        _ => None,
    }
}

/// The kind a key's prefix announces, and the base64 after it.
///
/// No prefix is a symmetric key (the libraries accept bare base64). A few letters and a `_`
/// that are not one of the spec's prefixes are refused: base64 has no `_`, so such a key
/// could not decode anyway, and naming the prefix is the useful message.
fn split_prefix(text: &[u8]) -> Result<(StandardKeyKind, &[u8]), StandardKeyError> {
    let kinds = [
        StandardKeyKind::Symmetric,
        StandardKeyKind::Ed25519Secret,
        StandardKeyKind::Ed25519Public,
    ];
    for kind in kinds {
        if let Some(rest) = text.strip_prefix(kind.prefix().as_bytes()) {
            return Ok((kind, rest));
        }
    }
    let letters = text.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let foreign = (2..=LONGEST_PREFIX).contains(&letters) && text.get(letters) == Some(&b'_');
    if foreign {
        let prefix = String::from_utf8_lossy(&text[..=letters]).into_owned();
        return Err(StandardKeyError::UnknownPrefix { prefix });
    }
    Ok((StandardKeyKind::Symmetric, text))
}
