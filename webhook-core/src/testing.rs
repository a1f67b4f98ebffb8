//! The testing kit: signed fake deliveries, the test secret, and a way to run a
//! delivery straight into a handler. The macro's generated fakes are built on it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderMap;
use serde::Serialize;

use crate::answer::Answer;
use crate::delivery::{Request, Verified};
use crate::handler::{Context, DispatchError, Handler};
use crate::provider::Provider;
use crate::receiver::Receiver;
use crate::scheme::SignInput;
use crate::secret::Secret;

/// The secret fakes sign with unless told otherwise. It is a valid `whsec_` key, so it
/// works for every scheme, Standard Webhooks included.
pub const TEST_SECRET: &str = "whsec_dGVzdC1zZWNyZXQtZm9yLWZha2VzLW9r";

const WRONG_SECRET: &str = "whsec_YS13cm9uZy1zZWNyZXQtZm9yLWZha2Vz";

/// The ed25519 secret key `v1a` fakes sign with ([`FakeDelivery::v1a`]): Standard Webhooks
/// only, since it is the one scheme with asymmetric signatures.
pub const TEST_SIGNING_KEY: &str = "whsk_d2ViaG9vay1jb3JlIGZha2VzOiB2MWEgdGVzdCBrZXk=";

/// The public key of [`TEST_SIGNING_KEY`]: what the receiver under test verifies `v1a`
/// fakes with, as a real receiver holds only the sender's public key.
pub const TEST_PUBLIC_KEY: &str = "whpk_znLiSLL5/N7EXj6BJHMJKR6NAxnhrhWl6MfHvURQw9o=";

/// The key `wrong_secret()` signs `v1a` fakes with.
const WRONG_SIGNING_KEY: &str = "whsk_d2ViaG9vay1jb3JlIGZha2VzOiB2MWEgYmFkIGtleSE=";

/// [`TEST_SECRET`] as a [`Secret`], for the receiver under test.
pub fn test_secret() -> Secret {
    Secret::new(TEST_SECRET).expect("the test secret is not empty")
}

/// [`TEST_SIGNING_KEY`] as a [`Secret`].
pub fn test_signing_key() -> Secret {
    Secret::new(TEST_SIGNING_KEY).expect("the test key is not empty")
}

/// [`TEST_PUBLIC_KEY`] as a [`Secret`], for the receiver of `v1a` fakes.
pub fn test_public_key() -> Secret {
    Secret::new(TEST_PUBLIC_KEY).expect("the test key is not empty")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signing {
    Valid,
    Tampered,
    Unsigned,
    WrongSecret,
}

/// A delivery as the provider would send it, signed by the provider's real scheme.
///
/// ```
/// use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
/// use webhook_core::testing::FakeDelivery;
///
/// let fake = FakeDelivery::<ChargeSucceeded>::of(ModemPay::default()).with(|charge| charge.amount = 500.0);
/// let request = fake.into_request();
/// assert!(request.headers().contains_key("x-modem-signature"));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FakeDelivery<T> {
    provider: Arc<dyn Provider>,
    event_type: String,
    payload: T,
    secret: Secret,
    signing: Signing,
    signed_at: Option<SystemTime>,
    expired: bool,
    id: String,
}

impl<T: crate::Event> FakeDelivery<T> {
    /// The catalogue sample of event `T`.
    pub fn of(provider: impl Provider) -> Self {
        Self::new(provider, T::NAME, T::sample())
    }
}

impl<T: Serialize> FakeDelivery<T> {
    /// A delivery of `event_type` carrying `payload` as its data.
    pub fn new(provider: impl Provider, event_type: impl Into<String>, payload: T) -> Self {
        Self {
            provider: Arc::new(provider),
            event_type: event_type.into(),
            payload,
            secret: test_secret(),
            signing: Signing::Valid,
            signed_at: None,
            expired: false,
            id: format!("fake_{:016x}", fastrand::u64(..)),
        }
    }

    /// Edits the payload.
    pub fn with(mut self, edit: impl FnOnce(&mut T)) -> Self {
        edit(&mut self.payload);
        self
    }

    /// Replaces the payload.
    pub fn payload(mut self, payload: T) -> Self {
        self.payload = payload;
        self
    }

    /// The payload as it stands.
    pub fn payload_ref(&self) -> &T {
        &self.payload
    }

    /// Sends it as another event type (for handlers routed to several names).
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = event_type.into();
        self
    }

    /// The delivery id the sender assigns (dedupe key for header-keyed providers).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Signs (and verifies, in [`FakeDelivery::run`]) with `secret` instead of
    /// [`TEST_SECRET`].
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secret = secret;
        self
    }

    /// Signs with the ed25519 [`TEST_SIGNING_KEY`], so a Standard Webhooks fake carries a
    /// `v1a` signature, which a receiver configured with [`TEST_PUBLIC_KEY`] accepts. The same
    /// as `.secret(test_signing_key())`; any `whsk_` key given to [`FakeDelivery::secret`]
    /// signs `v1a` too. [`FakeDelivery::wrong_secret`] then signs with another ed25519 key.
    ///
    /// ```
    /// use serde_json::json;
    /// use webhook_core::providers::StandardWebhooks;
    /// use webhook_core::scheme::{Scheme, StandardWebhooksScheme};
    /// use webhook_core::testing::{FakeDelivery, test_public_key};
    ///
    /// let fake = FakeDelivery::new(StandardWebhooks::new(), "user.created", json!({"id": 1}));
    /// let (headers, body) = fake.v1a().to_parts();
    /// assert!(headers["webhook-signature"].to_str().unwrap().starts_with("v1a,"));
    /// let scheme = StandardWebhooksScheme::new();
    /// assert!(scheme.verify(&[test_public_key()], &headers, &body).is_ok());
    /// ```
    pub fn v1a(self) -> Self {
        self.secret(test_signing_key())
    }

    /// Signs as of `at` instead of now.
    pub fn signed_at(mut self, at: SystemTime) -> Self {
        self.signed_at = Some(at);
        self
    }

    /// The body changes after signing: the signature no longer matches.
    pub fn tampered(mut self) -> Self {
        self.signing = Signing::Tampered;
        self
    }

    /// Signed an hour past the scheme's tolerance. Schemes that sign no time (Modem Pay,
    /// GitHub) cannot express expiry: for them the delivery stays valid.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// No signature headers at all.
    pub fn unsigned(mut self) -> Self {
        self.signing = Signing::Unsigned;
        self
    }

    /// Signed with a secret the receiver does not know.
    pub fn wrong_secret(mut self) -> Self {
        self.signing = Signing::WrongSecret;
        self
    }

    /// The headers and body the sender would send.
    pub fn to_parts(&self) -> (HeaderMap, Bytes) {
        let data = serde_json::to_value(&self.payload).expect("fake payloads serialize to JSON");
        let (mut body, mut headers) = self.provider.compose(&self.event_type, &data, &self.id);
        if self.signing != Signing::Unsigned {
            let input = SignInput {
                now: self.signing_time(),
                id: Some(&self.id),
            };
            headers.extend(
                self.provider
                    .scheme()
                    .sign_at(&self.signing_secret(), &body, input),
            );
        }
        if self.signing == Signing::Tampered {
            // Still valid JSON, so the signature check is what fails.
            body.push(b' ');
        }
        (headers, Bytes::from(body))
    }

    fn signing_secret(&self) -> Secret {
        // A wrong ed25519 key for a `v1a` fake, so the refusal is the `v1a` check's.
        let ed25519 = self.secret.expose_bytes().starts_with(b"whsk_");
        match (self.signing, ed25519) {
            (Signing::WrongSecret, true) => Secret::new(WRONG_SIGNING_KEY).expect("not empty"),
            (Signing::WrongSecret, false) => Secret::new(WRONG_SECRET).expect("not empty"),
            _ => self.secret.clone(),
        }
    }

    fn signing_time(&self) -> SystemTime {
        let at = self.signed_at.unwrap_or_else(SystemTime::now);
        match (self.expired, self.provider.scheme().tolerance()) {
            (true, Some(tolerance)) => at - tolerance - Duration::from_secs(3600),
            _ => at,
        }
    }

    /// An `http::Request` (POST `/`) as the sender would send it.
    pub fn into_request(self) -> http::Request<Bytes> {
        let (headers, body) = self.to_parts();
        let mut request = http::Request::post("/")
            .body(body)
            .expect("a valid request");
        *request.headers_mut() = headers;
        request
    }

    /// Sends it through `receiver`: the answer the sender would see. With the default
    /// acknowledgement the handler runs afterwards; await [`Receiver::idle`] for it.
    pub async fn send(self, receiver: &Receiver) -> Answer {
        let (headers, body) = self.to_parts();
        receiver.receive(Request::new(headers, body)).await
    }

    /// Verifies it and runs it straight into `handler`, awaiting the handler: the
    /// handler's result.
    ///
    /// # Panics
    ///
    /// When the delivery is refused (tampered, unsigned, wrong secret, expired, or a
    /// provider that does not match): test those paths with [`FakeDelivery::send`].
    pub async fn run<H: Handler>(self, handler: &H) -> Result<(), DispatchError> {
        let (headers, body) = self.to_parts();
        let request = Request::new(headers, body);
        let secrets = [self.secret.clone()];
        let delivery = Verified::check(&*self.provider, &secrets, request, SystemTime::now())
            .unwrap_or_else(|rejection| panic!("fake delivery was refused: {rejection}; use `.send(&receiver)` for refused deliveries"));
        handler.handle(&delivery, Context::new(&delivery, 1)).await
    }
}
