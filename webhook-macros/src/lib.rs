//! `#[webhook_handler]`: typed routing, dispatch and test fakes from an `impl` block of
//! async handler methods. Use it as `webhook_core::webhook_handler`.
//!
//! Each `async fn(&self, payload)` of the block handles the event types its payload
//! names: an `Event` type names its own (`ChargeSucceeded` is `charge.succeeded`), any
//! other `Deserialize` type is named with `#[event("..")]`. The macro makes the type a
//! `Handler`, so a `Receiver` verifies, routes, stores and retries for it.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use serde::{Deserialize, Serialize};
//! use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
//! use webhook_core::testing::test_secret;
//! use webhook_core::{Context, HandlerResult, Receiver, UnknownEvent, webhook_handler};
//!
//! /// A payload type of our own, routed by name.
//! #[derive(Default, Serialize, Deserialize)]
//! struct Customer {
//!     email: String,
//! }
//!
//! #[derive(Default)]
//! struct Payments {
//!     paid: AtomicU64,
//! }
//!
//! #[webhook_handler(provider = ModemPay)]
//! impl Payments {
//!     // `charge.succeeded`, named by the payload's `Event` impl.
//!     async fn charge_succeeded(&self, charge: ChargeSucceeded) -> HandlerResult {
//!         self.paid.fetch_add(charge.amount as u64, Ordering::Relaxed);
//!         Ok(())
//!     }
//!
//!     // Named by hand, with the delivery's context.
//!     #[event("customer.created", "customer.updated")]
//!     async fn customer(&self, customer: Customer, ctx: Context) {
//!         println!("{}: {} (attempt {})", ctx.event_type(), customer.email, ctx.attempt());
//!     }
//!
//!     // Every event type not routed above (without it, those are answered 200 and ignored).
//!     #[fallback]
//!     async fn other(&self, event: UnknownEvent) {
//!         println!("unhandled {}", event.event_type);
//!     }
//!
//!     // Not a handler.
//!     #[webhook(skip)]
//!     fn paid(&self) -> u64 {
//!         self.paid.load(Ordering::Relaxed)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // A signed fake delivery, straight into the handler: no HTTP, no queue.
//! let payments = Payments::default();
//! let fake = Payments::fakes().charge_succeeded().with(|charge| charge.amount = 500.0);
//! fake.run(&payments).await.unwrap();
//! assert_eq!(payments.paid(), 500);
//!
//! // Through a receiver, as the sender would see it.
//! let receiver = Receiver::builder(Payments::default()).secret(test_secret()).build();
//! assert_eq!(Payments::fakes().customer().send(&receiver).await.status(), 200);
//! assert_eq!(Payments::fakes().customer().tampered().send(&receiver).await.status(), 401);
//! receiver.idle().await;
//! # }
//! ```
//!
//! # What the macro generates
//!
//! For `impl Payments`, next to the block itself (unchanged but for the helper
//! attributes `#[event]`, `#[fallback]` and `#[webhook]`, which it takes off):
//!
//! - `impl Handler for Payments`: `EVENTS` lists the routed event types in the block's
//!   order; `route` answers `Some(Ack)` for them (and for everything else when there is a
//!   fallback); `read` reads the envelope and, in the same pass over the body, the routed
//!   method's payload (with a generated `PayloadSeed`, through the provider's
//!   `envelope_with_payload`), for a sink that runs the handler in this process; `handle`
//!   takes that payload, or parses the delivery when there is none (a retry, a durable
//!   sink), and awaits the method. The body is parsed once per attempt, at most.
//! - `enum PaymentsEvent`, one variant per handler method named after it
//!   (`ChargeSucceeded(ChargeSucceeded)`, `Customer(Customer)`, `Other(UnknownEvent)`),
//!   with `PaymentsEvent::try_from(&verified)` to parse a delivery into it.
//! - `Payments::fakes()`, a `PaymentsFakes` with one method per routed handler method,
//!   named after it, returning a signed `FakeDelivery` of its first event type. The
//!   payload is the event's catalogue sample for an `Event` type, `{}` for a
//!   `serde_json::Value`, else the type's `Sample` impl, else its `Default`; a type with
//!   none of those (or not `Serialize`) panics when faked, naming the fix.
//! - Compile-time checks: a payload with no event type, one that is not `Deserialize`,
//!   a return type other than `()`, `HandlerResult` or `Result<(), E: Display>`, and two
//!   methods routing the same event type through `Event` types fail the build at the
//!   user's code.
//!
//! The generated enum, fakes type and `fakes()` are `pub(crate)` unless `vis = ..` says
//! otherwise: an attribute on an `impl` block cannot see the type's own visibility, and
//! `pub(crate)` never trips `unreachable_pub`. Pass `vis = pub` when the type is part of
//! a library's API (for instance to use its fakes from `tests/`). The names `fakes`,
//! `PaymentsEvent` and `PaymentsFakes` must be free.
//!
//! # Expanded output
//!
//! Abridged, for the example above (`#wc` stands for `::webhook_core`, `#p` for
//! `::webhook_core::__private`):
//!
//! ```text
//! impl Payments { /* the methods as written */ }
//!
//! /// The events `Payments` handles, one variant per handler method. ...
//! pub(crate) enum PaymentsEvent {
//!     /// The `ChargeSucceeded` event: handled by `Payments::charge_succeeded`.
//!     ChargeSucceeded(ChargeSucceeded),
//!     /// `customer.created`, `customer.updated`: handled by `Payments::customer`.
//!     Customer(Customer),
//!     /// Any event type no other method routes: handled by `Payments::other`.
//!     Other(UnknownEvent),
//! }
//!
//! /// Signed fake deliveries for `Payments`'s handler methods, ...
//! pub(crate) struct PaymentsFakes;
//!
//! const _: () = {
//!     // Fails, spanned on the type, when it is not an `Event`.
//!     const __WEBHOOK_EVENT_0: &str = <ChargeSucceeded as #p::EventType>::NAME;
//!     const _: () = assert!(
//!         !#p::routes_same(&[__WEBHOOK_EVENT_0], &["customer.created", "customer.updated"]),
//!         "handler methods `charge_succeeded` and `customer` route the same event type; ..."
//!     );
//!
//!     impl #wc::Handler for Payments {
//!         type Provider = ModemPay;
//!         const EVENTS: &'static [&'static str] = &[__WEBHOOK_EVENT_0, "customer.created", "customer.updated"];
//!
//!         fn route(&self, __event_type: &str) -> Option<#wc::Ack> {
//!             if __event_type == __WEBHOOK_EVENT_0 { return Some(#wc::Ack::Immediate); }
//!             if __event_type == "customer.created" || __event_type == "customer.updated" {
//!                 return Some(#wc::Ack::Immediate);
//!             }
//!             Some(#wc::Ack::Immediate) // the fallback's; `None` without one
//!         }
//!
//!         fn handle<'__a>(&'__a self, __delivery: &'__a #wc::Verified, __ctx: #wc::Context)
//!             -> #p::BoxFuture<'__a, Result<(), #wc::DispatchError>> {
//!             #p::boxed(async move {
//!                 // The payload read at receive, else a parse of the body.
//!                 let __event = match #p::take_parsed::<PaymentsEvent>(__delivery) {
//!                     Some(__event) => __event,
//!                     None => PaymentsEvent::try_from(__delivery)?,
//!                 };
//!                 match __event {
//!                     PaymentsEvent::ChargeSucceeded(__payload) => {
//!                         let __returned = Self::charge_succeeded(self, __payload).await;
//!                         #p::into_handler_result(__returned)
//!                     }
//!                     PaymentsEvent::Customer(__payload) => { /* Self::customer(self, __payload, __ctx) */ }
//!                     PaymentsEvent::Other(__payload) => { /* Self::other(self, __payload) */ }
//!                 }
//!             })
//!         }
//!
//!         fn read(&self, __provider: &ModemPay, __headers: &HeaderMap, __body: &Bytes)
//!             -> Result<(#wc::Envelope, Option<#wc::Parsed>), #wc::EnvelopeError> {
//!             #p::read(__provider, __headers, __body, &__WebhookPayloadSeed)
//!         }
//!     }
//!
//!     // Selects a routed method by event type and reads its payload (not the fallback's).
//!     struct __WebhookPayloadSeed;
//!     impl #wc::PayloadSeed for __WebhookPayloadSeed {
//!         type Value = PaymentsEvent;
//!         fn select(&self, __event_type: &str) -> Option<usize> {
//!             if __event_type == __WEBHOOK_EVENT_0 { return Some(0); }
//!             if __event_type == "customer.created" || __event_type == "customer.updated" {
//!                 return Some(1);
//!             }
//!             None
//!         }
//!         fn deserialize<'__de, __D: Deserializer<'__de>>(&self, __selected: usize, __data: __D)
//!             -> Result<PaymentsEvent, __D::Error> {
//!             match __selected {
//!                 0 => Ok(PaymentsEvent::ChargeSucceeded(ChargeSucceeded::deserialize(__data)?)),
//!                 1 => Ok(PaymentsEvent::Customer(Customer::deserialize(__data)?)),
//!                 _ => Err(#p::unselected(__selected)),
//!             }
//!         }
//!     }
//!
//!     impl<'__a> TryFrom<&'__a #wc::Verified> for PaymentsEvent {
//!         type Error = #wc::DispatchError;
//!         fn try_from(__delivery: &'__a #wc::Verified) -> Result<Self, #wc::DispatchError> {
//!             let __event_type = __delivery.event_type();
//!             if __event_type == __WEBHOOK_EVENT_0 {
//!                 return Ok(Self::ChargeSucceeded(#p::parse::<ChargeSucceeded>(__delivery)?));
//!             }
//!             // ... one `if` per routed method ...
//!             Ok(Self::Other(#p::unknown_event::<UnknownEvent>(__delivery)?)) // or `Err(Unrouted)`
//!         }
//!     }
//!
//!     impl Payments {
//!         pub(crate) fn fakes() -> PaymentsFakes { PaymentsFakes }
//!     }
//!
//!     impl PaymentsFakes {
//!         pub(crate) fn charge_succeeded(&self) -> #wc::testing::FakeDelivery<ChargeSucceeded> {
//!             // `Event::sample()`, else `{}` for JSON, else `Sample`, else `Default`
//!             (&&&&&#p::FakeProbe::<ChargeSucceeded>(PhantomData)).fake(ModemPay::default(), __WEBHOOK_EVENT_0)
//!         }
//!         pub(crate) fn customer(&self) -> #wc::testing::FakeDelivery<Customer> { /* "customer.created" */ }
//!     }
//! };
//! ```

mod args;
mod ast;
mod attr;
mod checks;
mod ctxt;
mod event_enum;
mod expand;
mod fake;
mod fallback;
mod handler;
mod seed;
mod suggest;
mod valid;

use proc_macro::TokenStream;

/// Turns an `impl` block of async event handlers into a webhook `Handler`.
///
/// ```text
/// #[webhook_handler(provider = Type [, crate = path] [, vis = visibility])]
/// impl SelfType { methods }
/// ```
///
/// - `provider` (required): the provider type, `Provider + Default`, e.g. `ModemPay`.
/// - `crate`: where `webhook_core` is found, for crates that rename or re-export it
///   (default `::webhook_core`).
/// - `vis`: the visibility of the generated event enum, fakes type and `fakes()`
///   (default `pub(crate)`).
///
/// # Methods
///
/// Every method of the block is a handler unless marked `#[webhook(skip)]`:
///
/// ```text
/// [#[event("name", ... [, ack = "immediate" | "after_handler"])] | #[fallback]]
/// async fn name(&self, payload: Type [, ctx: Context]) [-> R]
/// ```
///
/// - The payload's type names the event when it implements `Event`; otherwise
///   `#[event(..)]` lists the names, one or more, for any `Deserialize` type (your own
///   struct, or `serde_json::Value`). `#[event(ack = "after_handler")]` alone keeps the
///   `Event` type's name.
/// - `ack = "after_handler"`: the sender's answer waits for the method, whose error then
///   answers 500 and leaves the retry to the sender. The default, `"immediate"`, answers
///   200 once the event is stored and retries failed attempts locally.
/// - `R` is `()`, `HandlerResult`, or `Result<(), E>` with `E: Display`; an `Err` means
///   "retry me".
/// - At most one `#[fallback]` method, taking `UnknownEvent`, gets every event type no
///   other method routes; without one, those are answered 200 and ignored.
/// - A method that is not `async`, has no `&self`, or takes `self` or `&mut self` is an
///   error, not silently skipped: mark helpers `#[webhook(skip)]`. Helper attributes
///   are taken off the emitted block, and the methods stay callable as written.
///
/// # Errors
///
/// Mistakes are reported together, each at the offending token: a method that is not
/// `async`, a missing or wrong receiver, no payload or an extra argument, an event type
/// routed twice, two fallbacks, an unknown argument or option (with "did you mean"), a
/// missing `provider`, a generic or trait `impl`. rustc reports, at the payload or
/// return type, a payload that is neither an `Event` nor named by `#[event]`, one that
/// is not `Deserialize`, a fallback not taking `UnknownEvent`, and an unsupported return
/// type. With errors, the block is still emitted (with a stub `Handler` impl), so one
/// mistake gives one error.
///
/// ```
/// use webhook_core::providers::bamotf::{Bamotf, PaymentIntentSucceeded};
/// use webhook_core::{Context, webhook_handler};
///
/// struct Intents;
///
/// #[webhook_handler(provider = Bamotf)]
/// impl Intents {
///     #[event(ack = "after_handler")]
///     async fn succeeded(&self, intent: PaymentIntentSucceeded, ctx: Context) -> Result<(), String> {
///         println!("{} paid ({})", intent.payment_intent.id, ctx.event_id());
///         Ok(())
///     }
/// }
///
/// assert_eq!(<Intents as webhook_core::Handler>::EVENTS, ["payment_intent.succeeded"]);
/// ```
#[proc_macro_attribute]
pub fn webhook_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::webhook_handler(args.into(), item.into()).into()
}
