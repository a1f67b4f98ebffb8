//! Compile-time checks only rustc can make, emitted so its errors land on the user's
//! code: each `Event` payload's name (which fails, with our message, for a type that is
//! not an `Event`), and no event type routed to two methods through `Event` types.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::args::Args;
use crate::ast::{Input, Method, Route};

pub(crate) fn expand(args: &Args, input: &Input<'_>) -> TokenStream {
    let names = input
        .routed()
        .filter(|method| by_type(method))
        .map(|method| name_const(args, method));
    // One assertion per pair of methods (where rustc alone knows a name), so the
    // message can name both.
    let routed: Vec<&Method<'_>> = input.routed().collect();
    let pairs = routed.iter().enumerate().flat_map(|(later, method)| {
        routed[..later]
            .iter()
            .filter(move |earlier| by_type(earlier) || by_type(method))
            .map(move |earlier| (*earlier, *method))
    });
    let duplicates = pairs.map(|(earlier, later)| not_both(args, earlier, later));
    quote! {
        #(#names)*
        #(#duplicates)*
    }
}

fn by_type(method: &Method<'_>) -> bool {
    matches!(method.route(), Route::EventType)
}

/// `const __WEBHOOK_EVENT_0: &str = <T as EventType>::NAME;`, spanned on `T`.
fn name_const(args: &Args, method: &Method<'_>) -> TokenStream {
    let (private, payload, name) = (args.private(), method.payload(), method.name_const());
    quote_spanned!(payload.span()=> const #name: &#private::str = <#payload as #private::EventType>::NAME;)
}

/// Fails the build when `earlier` and `later` share an event type.
fn not_both(args: &Args, earlier: &Method<'_>, later: &Method<'_>) -> TokenStream {
    let private = args.private();
    let (a, b) = (earlier.names(), later.names());
    let message = format!(
        "handler methods `{}` and `{}` route the same event type; route each event type to one method",
        earlier.ident(),
        later.ident()
    );
    quote_spanned! {later.payload().span()=>
        const _: () = ::core::assert!(!#private::routes_same(&[#(#a),*], &[#(#b),*]), #message);
    }
}
