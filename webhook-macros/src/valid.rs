//! Checks on the parsed `impl` block; every independent mistake is recorded, each at
//! the token that is wrong. Checks needing types (is the payload an `Event`,
//! `Deserialize`?) are left to rustc, through the bound checks `expand` emits.

use std::collections::HashMap;

use syn::{Receiver, Type};

use crate::ast::{Input, Method, Route};
use crate::ctxt::Ctxt;

impl Input<'_> {
    pub(crate) fn validate(&self, cx: &Ctxt) {
        self.check_inherent(cx);
        for method in &self.methods {
            method.validate(cx);
        }
        self.check_names_unique(cx);
        self.check_one_fallback(cx);
        self.check_variants_unique(cx);
    }

    fn check_inherent(&self, cx: &Ctxt) {
        let original = self.original;
        if let Some((_, path, _)) = &original.trait_ {
            cx.error_spanned_by(
                path,
                "`#[webhook_handler]` goes on an inherent `impl` block, not a trait impl",
            );
        }
        if !original.generics.params.is_empty() || original.generics.where_clause.is_some() {
            let message = "`#[webhook_handler]` does not support generic `impl` blocks; implement it for a concrete type";
            cx.error_spanned_by(&original.generics, message);
        }
        if self.name().is_none() {
            cx.error_spanned_by(
                self.self_ty(),
                "`#[webhook_handler]` needs a named type, e.g. `impl Payments`",
            );
        }
    }

    /// The same literal event type routed twice. Names from `Event` types are only
    /// known to rustc: for them `expand` emits a const assertion instead.
    fn check_names_unique(&self, cx: &Ctxt) {
        let mut seen: HashMap<String, &syn::Ident> = HashMap::new();
        for method in self.routed() {
            let Route::Names(names) = method.route() else {
                continue;
            };
            for name in names {
                match seen.get(&name.value()) {
                    Some(first) if *first == method.ident() => {
                        let message = format!("event type `{}` is listed twice", name.value());
                        cx.error_spanned_by(name, message);
                    }
                    Some(first) => cx.error_spanned_by(name, already_routed(&name.value(), first)),
                    None => drop(seen.insert(name.value(), method.ident())),
                }
            }
        }
    }

    fn check_one_fallback(&self, cx: &Ctxt) {
        let mut fallbacks = self
            .handlers()
            .filter_map(|method| Some((method.ident(), method.attrs.fallback.as_ref()?)));
        let Some((first, _)) = fallbacks.next() else {
            return;
        };
        for (_, attr) in fallbacks {
            let message = format!(
                "only one `#[fallback]` method is allowed; `{first}` already takes unrouted events"
            );
            cx.error_spanned_by(attr, message);
        }
    }

    fn check_variants_unique(&self, cx: &Ctxt) {
        let mut seen = HashMap::new();
        for method in self.handlers() {
            let variant = method.variant();
            if let Some(first) = seen.insert(variant.to_string(), method.ident()) {
                let message = format!(
                    "`{first}` and `{}` both name the event enum's variant `{variant}`; rename one",
                    method.ident()
                );
                cx.error_spanned_by(method.ident(), message);
            }
        }
    }
}

fn already_routed(name: &str, first: &syn::Ident) -> String {
    format!(
        "event type `{name}` is already routed to `{first}`; route each event type to one method"
    )
}

impl Method<'_> {
    fn validate(&self, cx: &Ctxt) {
        if !self.is_handler() {
            return self.check_skipped(cx);
        }
        self.check_async(cx);
        self.check_receiver(cx);
        self.check_args(cx);
        self.check_not_generic(cx);
        if let (Some(_), Some(event)) = (&self.attrs.fallback, &self.attrs.event) {
            let message = "a `#[fallback]` method takes every event type not routed elsewhere; remove `#[event]`";
            cx.error_spanned_by(&event.original, message);
        }
    }

    fn check_skipped(&self, cx: &Ctxt) {
        let event = self
            .attrs
            .event
            .as_ref()
            .map(|event| (&event.original, "event"));
        let fallback = self.attrs.fallback.as_ref().map(|attr| (attr, "fallback"));
        for (attr, name) in event.into_iter().chain(fallback) {
            cx.error_spanned_by(
                attr,
                format_args!("`#[webhook(skip)]` methods are not handlers; remove `#[{name}]`"),
            );
        }
    }

    fn check_async(&self, cx: &Ctxt) {
        let sig = &self.original.sig;
        if sig.asyncness.is_none() {
            let message = "handler methods must be `async`; write `async fn`, or mark the method `#[webhook(skip)]`";
            cx.error_spanned_by(sig.fn_token, message);
        }
    }

    fn check_receiver(&self, cx: &Ctxt) {
        match self.original.sig.receiver() {
            None => {
                let message = "handler method has no `&self` receiver; write `(&self, payload: Type)`, \
                               or mark the method `#[webhook(skip)]`";
                cx.error_spanned_by(self.ident(), message);
            }
            Some(receiver) => check_shared_self(cx, receiver),
        }
    }

    fn check_args(&self, cx: &Ctxt) {
        let sig = &self.original.sig;
        if self.args().next().is_none() {
            let example = match self.route() {
                Route::Fallback => "event: UnknownEvent",
                _ => "event: ChargeSucceeded",
            };
            let message =
                format!("handler method takes no payload; add one, e.g. `(&self, {example})`");
            cx.syn_error(syn::Error::new(sig.paren_token.span.join(), message));
        }
        for extra in self.args().skip(2) {
            let message = "unexpected argument; handler methods take the payload and, optionally, a `Context`";
            cx.error_spanned_by(extra, message);
        }
    }

    fn check_not_generic(&self, cx: &Ctxt) {
        let generics = &self.original.sig.generics;
        if !generics.params.is_empty() {
            cx.error_spanned_by(
                generics,
                "handler methods cannot be generic; name the payload type",
            );
        }
    }
}

/// `&self` (or `self: &Self`) and nothing else.
fn check_shared_self(cx: &Ctxt, receiver: &Receiver) {
    let message = match &*receiver.ty {
        _ if receiver.colon_token.is_none() && receiver.reference.is_none() => {
            "`self` by value cannot be shared between deliveries; write `&self`"
        }
        Type::Reference(reference) if reference.mutability.is_some() => {
            "`&mut self` cannot be shared between concurrent deliveries; write `&self`, with any mutable state behind a lock"
        }
        Type::Reference(reference) if is_self(&reference.elem) => return,
        _ => "expected `&self`",
    };
    cx.error_spanned_by(receiver, message);
}

fn is_self(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self"))
}
