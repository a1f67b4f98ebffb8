//! The access token, the session cookie derived from it, and the CSRF tokens.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The cookie a browser signed in with: an HMAC of the token.
pub(crate) const SESSION_COOKIE: &str = "webhook_console_session";

/// The cookie a CSRF token is bound to: a random nonce.
pub(crate) const CSRF_COOKIE: &str = "webhook_console_csrf";

/// The form field carrying the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";

/// The secret that lets an operator into a [`Console`](crate::Console): sent as
/// `Authorization: Bearer <token>` by scripts, typed into the sign-in form by people.
///
/// Its `Debug` output hides it; [`ConsoleToken::expose`] is the one way to read it (to
/// print a generated token once at start).
///
/// ```
/// use webhook_console::ConsoleToken;
///
/// assert!(ConsoleToken::new("short").is_err());
/// let token = ConsoleToken::generate();
/// assert_eq!(token.expose().len(), 64);
/// assert!(!format!("{token:?}").contains(token.expose()));
/// ```
#[derive(Clone)]
pub struct ConsoleToken(String);

/// Why a string cannot be a [`ConsoleToken`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Shorter than 16 characters: too easy to guess.
    TooShort,
    /// Contains whitespace or a control character, which headers and forms mangle.
    BadCharacter,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooShort => f.write_str("a console token needs at least 16 characters"),
            Self::BadCharacter => {
                f.write_str("a console token cannot contain whitespace or control characters")
            }
        }
    }
}

impl std::error::Error for TokenError {}

impl std::fmt::Debug for ConsoleToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsoleToken(<redacted>)")
    }
}

impl ConsoleToken {
    /// `token`, if it has at least 16 characters and no whitespace or control
    /// characters.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let token = token.into();
        if token.chars().count() < 16 {
            return Err(TokenError::TooShort);
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::BadCharacter);
        }
        Ok(Self(token))
    }

    /// A fresh token from the operating system's random source: 32 bytes as 64 hex
    /// digits.
    pub fn generate() -> Self {
        Self(hex::encode(random_key()))
    }

    /// The token itself, e.g. to print a generated one once at start.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the token (in constant time).
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }

    /// An HMAC of `purpose` keyed by the token.
    pub(crate) fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        mac(self.0.as_bytes(), purpose)
    }

    /// The value of a signed-in browser's session cookie.
    pub(crate) fn session_value(&self) -> String {
        hex::encode(self.derive(b"webhook-console session v1"))
    }
}

/// A key for `purpose` derived from `secret`.
pub(crate) fn derive_key(secret: &[u8], purpose: &[u8]) -> [u8; 32] {
    mac(secret, purpose)
}

/// HMAC-SHA256 of `message` under `key`.
fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// 32 bytes from the operating system's random source.
pub(crate) fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system provides randomness");
    key
}

/// A fresh CSRF nonce, for a browser that has none.
pub(crate) fn new_nonce() -> String {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).expect("the operating system provides randomness");
    hex::encode(nonce)
}

/// The CSRF token of the forms shown to the browser whose CSRF cookie is `nonce`.
pub(crate) fn csrf_token(key: &[u8; 32], nonce: &str) -> String {
    hex::encode(mac(key, nonce.as_bytes()))
}

/// Whether `token` is the CSRF token bound to `nonce` (in constant time).
pub(crate) fn csrf_valid(key: &[u8; 32], nonce: &str, token: &str) -> bool {
    !nonce.is_empty()
        && csrf_token(key, nonce)
            .as_bytes()
            .ct_eq(token.as_bytes())
            .into()
}

/// The value of cookie `name` in `headers`, if sent.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The bearer token of the `Authorization` header, if one was sent.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether a session cookie value is the one `token` gives (in constant time).
pub(crate) fn session_valid(token: &ConsoleToken, value: &str) -> bool {
    token
        .session_value()
        .as_bytes()
        .ct_eq(value.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_need_sixteen_plain_characters() {
        assert_eq!(
            ConsoleToken::new("0123456789abcde").unwrap_err(),
            TokenError::TooShort
        );
        assert_eq!(
            ConsoleToken::new("0123456789 abcdef").unwrap_err(),
            TokenError::BadCharacter
        );
        let token = ConsoleToken::new("0123456789abcdef").unwrap();
        assert!(token.matches("0123456789abcdef"));
        assert!(!token.matches("0123456789abcdeF"));
    }

    #[test]
    fn the_session_cookie_is_not_the_token_and_depends_on_it() {
        let token = ConsoleToken::new("0123456789abcdef").unwrap();
        let other = ConsoleToken::new("0123456789abcdeg").unwrap();
        assert_ne!(token.session_value(), token.expose());
        assert_ne!(token.session_value(), other.session_value());
        assert!(session_valid(&token, &token.session_value()));
        assert!(!session_valid(&other, &token.session_value()));
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_nonce_and_key() {
        let key = random_key();
        let token = csrf_token(&key, "nonce-a");
        assert!(csrf_valid(&key, "nonce-a", &token));
        assert!(!csrf_valid(&key, "nonce-b", &token));
        assert!(!csrf_valid(&random_key(), "nonce-a", &token));
        assert!(!csrf_valid(&key, "", &csrf_token(&key, "")));
    }

    #[test]
    fn cookies_and_bearer_tokens_are_read_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            "a=1; webhook_console_csrf=abc; b=2".parse().unwrap(),
        );
        headers.insert("authorization", "bearer  tok".parse().unwrap());
        assert_eq!(cookie(&headers, CSRF_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
        assert_eq!(bearer(&headers), Some("tok"));
    }
}
