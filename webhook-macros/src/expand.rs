//! The driver: parse the arguments and the `impl` block, validate, then emit the
//! block itself and everything generated from it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, ItemImpl};

use crate::args::Args;
use crate::ast::{self, Input};
use crate::ctxt::Ctxt;
use crate::{checks, event_enum, fake, fallback, handler};

pub(crate) fn webhook_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = Args::from_tokens(&cx, args);
    match cx.ok(parse_impl(item.clone())) {
        Some(mut block) => expand_impl(cx, &args, &mut block),
        None => fallback::unparsed(item, cx.check()),
    }
}

fn parse_impl(item: TokenStream) -> syn::Result<ItemImpl> {
    match syn::parse2(item)? {
        Item::Impl(block) => Ok(block),
        other => Err(syn::Error::new_spanned(
            other,
            "`#[webhook_handler]` goes on an `impl` block, e.g. `#[webhook_handler(provider = ModemPay)] impl Payments { .. }`",
        )),
    }
}

fn expand_impl(cx: Ctxt, args: &Args, block: &mut ItemImpl) -> TokenStream {
    let attrs = ast::take_attrs(&cx, block);
    let input = Input::from_syn(block, attrs);
    input.validate(&cx);
    match cx.check() {
        Ok(()) => generate(args, &input),
        Err(errors) => fallback::expand(args, &input, &errors),
    }
}

/// The block as written (helper attributes taken off), the event enum and the fakes
/// type, then every impl inside one `const _` so no helper name leaks into the module.
fn generate(args: &Args, input: &Input<'_>) -> TokenStream {
    let original = input.original;
    let event_enum = event_enum::definition(args, input);
    let fakes = fake::definition(args, input);
    let checks = checks::expand(args, input);
    let handler = handler::expand(args, input);
    let try_from = event_enum::try_from(args, input);
    let fake_methods = fake::methods(args, input);
    quote! {
        #original
        #event_enum
        #fakes
        const _: () = {
            #checks
            #handler
            #try_from
            #fake_methods
        };
    }
}
