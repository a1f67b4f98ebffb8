//! The `Handler` impl: the routed names, `route` and `handle`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::args::Args;
use crate::ast::{Input, Method};
use crate::attr::Ack;

pub(crate) fn expand(args: &Args, input: &Input<'_>) -> TokenStream {
    let (krate, private) = (args.krate(), args.private());
    let self_ty = input.self_ty();
    let provider = args
        .provider
        .as_ref()
        .expect("validated: `provider` was given");
    let events = input.routed().flat_map(Method::names);
    let route = route(args, input);
    let handle = handle(args, input);
    let read = read(args);
    let seed = crate::seed::expand(args, input);
    quote! {
        #seed

        #[automatically_derived]
        impl #krate::Handler for #self_ty {
            type Provider = #provider;
            const EVENTS: &'static [&'static #private::str] = &[#(#events),*];
            #route
            #handle
            #read
        }
    }
}

/// Reads the envelope and the routed method's payload in one pass, with the seed.
fn read(args: &Args) -> TokenStream {
    let (krate, private, seed) = (args.krate(), args.private(), crate::seed::name());
    quote! {
        fn read(
            &self,
            __provider: &Self::Provider,
            __headers: &#private::HeaderMap,
            __body: &#private::Bytes,
        ) -> #private::Result<(#krate::Envelope, #private::Option<#krate::Parsed>), #krate::EnvelopeError> {
            #private::read(__provider, __headers, __body, &#seed)
        }
    }
}

/// `if` chains over the names, in the block's order; then the fallback's answer.
fn route(args: &Args, input: &Input<'_>) -> TokenStream {
    let (krate, private) = (args.krate(), args.private());
    let arms = input.routed().map(|method| {
        let names = method.names();
        let ack = match method.ack() {
            Ack::Immediate => quote!(Immediate),
            Ack::AfterHandler => quote!(AfterHandler),
        };
        quote!(if #(__event_type == #names)||* { return #private::Some(#krate::Ack::#ack); })
    });
    let rest = match input.fallback() {
        Some(_) => quote!(#private::Some(#krate::Ack::Immediate)),
        None => quote!(#private::None),
    };
    quote! {
        fn route(&self, __event_type: &#private::str) -> #private::Option<#krate::Ack> {
            #(#arms)*
            #rest
        }
    }
}

/// Takes the payload read at receive, or parses the delivery into the event enum, then
/// calls the variant's method.
fn handle(args: &Args, input: &Input<'_>) -> TokenStream {
    let (krate, private) = (args.krate(), args.private());
    let event_enum = input.event_enum();
    let arms = input.handlers().map(|method| {
        let (variant, call) = (method.variant(), method.call());
        // Spanned so a return type that does not fit is reported at the return type.
        let result =
            quote_spanned!(method.output_span()=> #private::into_handler_result(__returned));
        quote!(#event_enum::#variant(__payload) => {
            let __returned = #call;
            #result
        })
    });
    quote! {
        fn handle<'__a>(
            &'__a self,
            __delivery: &'__a #krate::Verified,
            __ctx: #krate::Context,
        ) -> #private::BoxFuture<'__a, #private::Result<(), #krate::DispatchError>> {
            #private::boxed(async move {
                let __event = match #private::take_parsed::<#event_enum>(__delivery) {
                    #private::Some(__event) => __event,
                    #private::None => <#event_enum as #private::TryFrom<&#krate::Verified>>::try_from(__delivery)?,
                };
                match __event {
                    #(#arms,)*
                }
            })
        }
    }
}
