//! The helper attributes on methods: `#[event(..)]`, `#[fallback]`, `#[webhook(skip)]`.
//! They are taken off the methods here, so the emitted `impl` never carries them.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Meta, Token};

use crate::ctxt::Ctxt;
use crate::suggest;

const EVENT_KEYS: &[&str] = &["ack"];
const ACKS: &[&str] = &["immediate", "after_handler"];
const WEBHOOK_KEYS: &[&str] = &["skip"];

/// When the sender gets its answer for a method's events.
#[derive(Clone, Copy)]
pub(crate) enum Ack {
    Immediate,
    AfterHandler,
}

/// `#[event("a.b", "c.d", ack = "after_handler")]`.
pub(crate) struct EventAttr {
    pub(crate) original: Attribute,
    pub(crate) names: Vec<LitStr>,
    pub(crate) ack: Ack,
}

/// The helper attributes of one method.
#[derive(Default)]
pub(crate) struct MethodAttrs {
    pub(crate) event: Option<EventAttr>,
    pub(crate) fallback: Option<Attribute>,
    pub(crate) skip: Option<Attribute>,
}

impl MethodAttrs {
    /// Removes the helper attributes from `attrs` and parses them.
    pub(crate) fn take(cx: &Ctxt, attrs: &mut Vec<Attribute>) -> Self {
        let mut found = Self::default();
        attrs.retain(|attr| !found.absorb(cx, attr));
        found
    }

    /// Parses `attr` if it is a helper attribute; true when it was.
    fn absorb(&mut self, cx: &Ctxt, attr: &Attribute) -> bool {
        let path = attr.path();
        if path.is_ident("event") {
            let parsed = cx.ok(parse_event(attr));
            set(
                cx,
                &mut self.event,
                attr,
                parsed.unwrap_or_else(|| EventAttr::empty(attr)),
            );
        } else if path.is_ident("fallback") {
            cx.ok(attr.meta.require_path_only().map(drop));
            set(cx, &mut self.fallback, attr, attr.clone());
        } else if path.is_ident("webhook") {
            cx.ok(parse_webhook(attr));
            set(cx, &mut self.skip, attr, attr.clone());
        } else {
            return false;
        }
        true
    }
}

/// Stores an attribute, reporting one given twice on the same method.
fn set<T>(cx: &Ctxt, slot: &mut Option<T>, attr: &Attribute, value: T) {
    if slot.is_some() {
        let name = attr
            .path()
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        cx.error_spanned_by(attr, duplicate_message(&name));
    } else {
        *slot = Some(value);
    }
}

fn duplicate_message(name: &str) -> String {
    match name {
        "event" => {
            "duplicate `#[event]` attribute; list every event type in one: `#[event(\"a\", \"b\")]`"
                .into()
        }
        other => format!("duplicate `#[{other}]` attribute"),
    }
}

impl EventAttr {
    fn empty(attr: &Attribute) -> Self {
        Self {
            original: attr.clone(),
            names: Vec::new(),
            ack: Ack::Immediate,
        }
    }
}

/// One item of `#[event(..)]`: a name, or `ack = ".."`.
enum EventItem {
    Name(LitStr),
    Ack(Ack),
}

fn parse_event(attr: &Attribute) -> syn::Result<EventAttr> {
    let Meta::List(list) = &attr.meta else {
        return Err(syn::Error::new_spanned(attr, EVENT_NEEDS_NAMES));
    };
    let items = list.parse_args_with(Punctuated::<EventItem, Token![,]>::parse_terminated)?;
    let (mut event, mut ack_given) = (EventAttr::empty(attr), false);
    for item in items {
        match item {
            EventItem::Name(name) => event.names.push(name),
            EventItem::Ack(ack) => (event.ack, ack_given) = (ack, true),
        }
    }
    if event.names.is_empty() && !ack_given {
        return Err(syn::Error::new_spanned(attr, EVENT_NEEDS_NAMES));
    }
    Ok(event)
}

const EVENT_NEEDS_NAMES: &str =
    "`#[event]` needs the event types it routes, e.g. `#[event(\"customer.created\")]`";

impl syn::parse::Parse for EventItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return parse_name(input).map(Self::Name);
        }
        let key: Ident = input.parse()?;
        if key != "ack" {
            return Err(syn::Error::new_spanned(
                &key,
                suggest::unknown("`#[event]` option", &key.to_string(), EVENT_KEYS),
            ));
        }
        input.parse::<Token![=]>()?;
        parse_ack(&input.parse()?).map(Self::Ack)
    }
}

fn parse_name(input: ParseStream<'_>) -> syn::Result<LitStr> {
    let name: LitStr = input.parse()?;
    if name.value().is_empty() {
        return Err(syn::Error::new(
            name.span(),
            "event type names cannot be empty",
        ));
    }
    Ok(name)
}

fn parse_ack(value: &LitStr) -> syn::Result<Ack> {
    match value.value().as_str() {
        "immediate" => Ok(Ack::Immediate),
        "after_handler" => Ok(Ack::AfterHandler),
        other => Err(syn::Error::new(
            value.span(),
            suggest::unknown("`ack` value", other, ACKS),
        )),
    }
}

/// `#[webhook(skip)]`, the only `#[webhook]` option.
fn parse_webhook(attr: &Attribute) -> syn::Result<()> {
    let mut skip = false;
    attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("skip") {
            skip = true;
            return Ok(());
        }
        let written = meta
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        Err(meta.error(suggest::unknown(
            "`#[webhook]` option",
            &written,
            WEBHOOK_KEYS,
        )))
    })?;
    match skip {
        true => Ok(()),
        false => Err(syn::Error::new_spanned(attr, "expected `#[webhook(skip)]`")),
    }
}
