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
    quote! {
        #[automatically_derived]
        impl #krate::Handler for #self_ty {
            type Provider = #provider;
            const EVENTS: &'static [&'static #private::str] = &[#(#events),*];
            #route
            #handle
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

/// Parses the delivery into the event enum, then calls the variant's method.
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
                match <#event_enum as #private::TryFrom<&#krate::Verified>>::try_from(__delivery)? {
                    #(#arms,)*
                }
            })
        }
    }
}
