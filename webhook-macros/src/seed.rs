//! The payload seed: the handler's side of the one-pass read at receive. It selects the
//! routed method of an event type and deserializes the data straight into that
//! method's payload, as a variant of the event enum.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::args::Args;
use crate::ast::Input;

/// The seed type's name (inside the `const _` block, so it never leaks).
pub(crate) fn name() -> Ident {
    format_ident!("__WebhookPayloadSeed")
}

/// The seed type and its `PayloadSeed` impl: `select` gives each routed method's names
/// its position among the routed methods, `deserialize` reads that method's payload.
/// The fallback is not selected: its `UnknownEvent` is read from the stored delivery.
pub(crate) fn expand(args: &Args, input: &Input<'_>) -> TokenStream {
    let (krate, private) = (args.krate(), args.private());
    let (seed, event_enum) = (name(), input.event_enum());
    let select = input.routed().enumerate().map(|(index, method)| {
        let names = method.names();
        quote!(if #(__event_type == #names)||* { return #private::Some(#index); })
    });
    let arms = input.routed().enumerate().map(|(index, method)| {
        let (variant, payload) = (method.variant(), method.payload());
        let read = quote_spanned!(payload.span()=>
            (&&#private::SeedProbe::<#payload>(#private::PhantomData)).deserialize_payload(__data)?
        );
        quote!(#index => #private::Ok(#event_enum::#variant(#read)))
    });
    quote! {
        struct #seed;

        #[automatically_derived]
        impl #krate::PayloadSeed for #seed {
            type Value = #event_enum;

            fn select(&self, __event_type: &#private::str) -> #private::Option<#private::usize> {
                #(#select)*
                #private::None
            }

            fn deserialize<'__de, __D: #private::Deserializer<'__de>>(
                &self,
                __selected: #private::usize,
                __data: __D,
            ) -> #private::Result<#event_enum, __D::Error> {
                #[allow(unused_imports)]
                use #private::{DeserializePayload as _, UndeserializablePayload as _};
                match __selected {
                    #(#arms,)*
                    _ => #private::Err(#private::unselected(__selected)),
                }
            }
        }
    }
}
