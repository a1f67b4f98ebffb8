//! A typed view of the annotated `impl` block: the self type and its handler methods,
//! each keeping the original syntax for spans.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, LitStr, PatType, ReturnType, Type};

use crate::attr::{Ack, MethodAttrs};
use crate::ctxt::Ctxt;

/// The `impl` block.
pub(crate) struct Input<'a> {
    pub(crate) original: &'a ItemImpl,
    /// Every method, with its helper attributes (already taken off `original`).
    pub(crate) methods: Vec<Method<'a>>,
}

/// One method of the block.
pub(crate) struct Method<'a> {
    pub(crate) original: &'a ImplItemFn,
    pub(crate) attrs: MethodAttrs,
    /// Position among the handler methods, for generated names.
    pub(crate) index: usize,
}

/// How a handler method is reached.
pub(crate) enum Route<'a> {
    /// By the names in `#[event(..)]`.
    Names(&'a [LitStr]),
    /// By its payload type's `Event::NAME`.
    EventType,
    /// By every event type nothing else routes.
    Fallback,
}

/// Takes the helper attributes off every method of `item`, in order.
pub(crate) fn take_attrs(cx: &Ctxt, item: &mut ItemImpl) -> Vec<MethodAttrs> {
    let fns = item.items.iter_mut().filter_map(|item| match item {
        ImplItem::Fn(method) => Some(method),
        _ => None,
    });
    fns.map(|method| MethodAttrs::take(cx, &mut method.attrs))
        .collect()
}

impl<'a> Input<'a> {
    /// Pairs `original`'s methods with the attributes `take_attrs` took off them.
    pub(crate) fn from_syn(original: &'a ItemImpl, attrs: Vec<MethodAttrs>) -> Self {
        let fns = original.items.iter().filter_map(|item| match item {
            ImplItem::Fn(method) => Some(method),
            _ => None,
        });
        let mut index = 0;
        let methods = fns
            .zip(attrs)
            .map(|(original, attrs)| {
                let method = Method {
                    original,
                    attrs,
                    index,
                };
                index += usize::from(method.is_handler());
                method
            })
            .collect();
        Self { original, methods }
    }

    /// The methods that handle events (every one not `#[webhook(skip)]`).
    pub(crate) fn handlers(&self) -> impl Iterator<Item = &Method<'a>> {
        self.methods.iter().filter(|method| method.is_handler())
    }

    /// The handler methods routed by name or type (not the fallback).
    pub(crate) fn routed(&self) -> impl Iterator<Item = &Method<'a>> {
        self.handlers()
            .filter(|method| !matches!(method.route(), Route::Fallback))
    }

    /// The `#[fallback]` method, if any.
    pub(crate) fn fallback(&self) -> Option<&Method<'a>> {
        self.handlers()
            .find(|method| matches!(method.route(), Route::Fallback))
    }

    /// The self type.
    pub(crate) fn self_ty(&self) -> &'a Type {
        &self.original.self_ty
    }

    /// The self type's name (`Payments`), the stem of generated type names.
    pub(crate) fn name(&self) -> Option<&'a Ident> {
        match self.self_ty() {
            Type::Path(path) if path.qself.is_none() => path.path.segments.last().map(|s| &s.ident),
            _ => None,
        }
    }

    /// `PaymentsEvent`.
    pub(crate) fn event_enum(&self) -> Ident {
        self.derived_name("Event")
    }

    /// `PaymentsFakes`.
    pub(crate) fn fakes_struct(&self) -> Ident {
        self.derived_name("Fakes")
    }

    fn derived_name(&self, suffix: &str) -> Ident {
        let name = self
            .name()
            .expect("validated: the self type is a named type");
        format_ident!("{}{suffix}", name.unraw(), span = name.span())
    }
}

impl<'a> Method<'a> {
    /// False for `#[webhook(skip)]` methods.
    pub(crate) fn is_handler(&self) -> bool {
        self.attrs.skip.is_none()
    }

    pub(crate) fn ident(&self) -> &'a Ident {
        &self.original.sig.ident
    }

    /// The arguments after the receiver.
    pub(crate) fn args(&self) -> impl Iterator<Item = &'a PatType> {
        self.original.sig.inputs.iter().filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
    }

    /// The payload type (validated to exist).
    pub(crate) fn payload(&self) -> &'a Type {
        &self
            .args()
            .next()
            .expect("validated: a handler takes a payload")
            .ty
    }

    pub(crate) fn route(&self) -> Route<'_> {
        match (&self.attrs.fallback, &self.attrs.event) {
            (Some(_), _) => Route::Fallback,
            (None, Some(event)) if !event.names.is_empty() => Route::Names(&event.names),
            (None, _) => Route::EventType,
        }
    }

    pub(crate) fn ack(&self) -> Ack {
        self.attrs
            .event
            .as_ref()
            .map_or(Ack::Immediate, |event| event.ack)
    }

    /// The hidden const holding an `Event` payload's name.
    pub(crate) fn name_const(&self) -> Ident {
        format_ident!(
            "__WEBHOOK_EVENT_{}",
            self.index,
            span = self.payload().span()
        )
    }

    /// The event type names as expressions: literals, or the hidden const.
    pub(crate) fn names(&self) -> Vec<TokenStream> {
        match self.route() {
            Route::Names(names) => names.iter().map(ToTokens::to_token_stream).collect(),
            Route::EventType => vec![self.name_const().to_token_stream()],
            Route::Fallback => Vec::new(),
        }
    }

    /// The span rustc should blame for a bad return type.
    pub(crate) fn output_span(&self) -> Span {
        match &self.original.sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => self.ident().span(),
        }
    }

    /// The variant of the event enum: the method's name in UpperCamelCase.
    pub(crate) fn variant(&self) -> Ident {
        let ident = self.ident();
        format_ident!(
            "{}",
            upper_camel(&ident.unraw().to_string()),
            span = ident.span()
        )
    }

    /// The call of the method, awaited, with `__payload` (and `__ctx`).
    pub(crate) fn call(&self) -> TokenStream {
        let ident = self.ident();
        // Spanned so a second argument that is not a `Context` is reported at its type.
        let ctx = self
            .args()
            .nth(1)
            .map(|arg| quote_spanned!(arg.ty.span()=> , __ctx));
        quote!(Self::#ident(self, __payload #ctx).await)
    }
}

/// `charge_succeeded` → `ChargeSucceeded`.
/// A name of underscores only stays as it is.
pub(crate) fn upper_camel(snake: &str) -> String {
    let camel: String = snake.split('_').flat_map(capitalized).collect();
    if camel.is_empty() {
        snake.to_owned()
    } else {
        camel
    }
}

fn capitalized(word: &str) -> impl Iterator<Item = char> + '_ {
    let mut chars = word.chars();
    let first = chars.next().into_iter().flat_map(char::to_uppercase);
    first.chain(chars)
}
