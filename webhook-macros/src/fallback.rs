//! What is emitted when the input has errors: the user's code as written (helper
//! attributes taken off), the errors, and a stub `Handler` impl, so a mistake in one
//! method gives one error and not a cascade at every use of the type.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::Args;
use crate::ast::Input;

/// The `impl` block with errors.
pub(crate) fn expand(args: &Args, input: &Input<'_>, errors: &syn::Error) -> TokenStream {
    let original = input.original;
    let stub = stub_handler(args, input);
    let errors = errors.to_compile_error();
    quote!(#original #stub #errors)
}

/// Input that is not an `impl` block at all: the item unchanged, and the errors.
pub(crate) fn unparsed(item: TokenStream, errors: syn::Result<()>) -> TokenStream {
    let errors = errors.err().map(|errors| errors.into_compile_error());
    quote!(#item #errors)
}

fn stub_handler(args: &Args, input: &Input<'_>) -> Option<TokenStream> {
    let provider = args.provider.as_ref()?;
    let original = input.original;
    if original.trait_.is_some() || !original.generics.params.is_empty() {
        return None;
    }
    let (krate, private, self_ty) = (args.krate(), args.private(), input.self_ty());
    Some(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::Handler for #self_ty {
                type Provider = #provider;
                const EVENTS: &'static [&'static #private::str] = &[];

                fn route(&self, _: &#private::str) -> #private::Option<#krate::Ack> {
                    #private::None
                }

                fn handle<'__a>(
                    &'__a self,
                    _: &'__a #krate::Verified,
                    _: #krate::Context,
                ) -> #private::BoxFuture<'__a, #private::Result<(), #krate::DispatchError>> {
                    ::core::unreachable!("`#[webhook_handler]` input has errors")
                }
            }
        };
    })
}
