//! The macro's own arguments: `#[webhook_handler(provider = P, crate = path, vis = pub)]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Path, Token, Type, Visibility, parse_quote};

use crate::ctxt::Ctxt;
use crate::suggest;

const KEYS: &[&str] = &["provider", "crate", "vis"];

/// The arguments, with defaults filled in.
pub(crate) struct Args {
    /// The provider type; `None` when missing (already reported).
    pub(crate) provider: Option<Type>,
    /// Where `webhook_core` is found.
    pub(crate) krate: Path,
    /// The visibility of the generated event enum, fakes type and `fakes()`.
    pub(crate) vis: Visibility,
}

/// The arguments as written.
#[derive(Default)]
struct Given {
    provider: Option<Type>,
    krate: Option<Path>,
    vis: Option<Visibility>,
    /// An unknown key was reported: a missing `provider` is then not reported too,
    /// as the unknown key was most likely meant to be it.
    unknown: bool,
}

impl Args {
    /// Parses the arguments, recording every mistake in `cx`.
    pub(crate) fn from_tokens(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut given = Given::default();
        cx.ok((|input: ParseStream<'_>| given.parse_all(cx, input)).parse2(tokens));
        if given.provider.is_none() && !given.unknown {
            let message =
                "missing `provider` argument, e.g. `#[webhook_handler(provider = ModemPay)]`";
            cx.syn_error(syn::Error::new(Span::call_site(), message));
        }
        Self {
            provider: given.provider,
            krate: given.krate.unwrap_or_else(|| parse_quote!(::webhook_core)),
            vis: given.vis.unwrap_or_else(|| parse_quote!(pub(crate))),
        }
    }

    /// `#krate::__private`, where generated code finds its helpers.
    pub(crate) fn private(&self) -> TokenStream {
        let krate = &self.krate;
        quote!(#krate::__private)
    }

    /// `#krate`, as tokens.
    pub(crate) fn krate(&self) -> TokenStream {
        self.krate.to_token_stream()
    }
}

impl Given {
    fn parse_all(&mut self, cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<()> {
        while !input.is_empty() {
            let key = input.call(Ident::parse_any)?;
            input.parse::<Token![=]>()?;
            self.parse_value(cx, &key, &key.to_string(), input)?;
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    }

    fn parse_value(
        &mut self,
        cx: &Ctxt,
        key: &Ident,
        name: &str,
        input: ParseStream<'_>,
    ) -> syn::Result<()> {
        match name {
            "provider" => set(cx, &mut self.provider, key, input.parse()?),
            "crate" => set(cx, &mut self.krate, key, input.call(Path::parse_mod_style)?),
            "vis" => set(cx, &mut self.vis, key, input.parse()?),
            other => return self.parse_unknown(cx, key, other, input),
        }
        Ok(())
    }

    /// Reports an unknown key, then reads its value as the key it most likely means,
    /// so that the rest of the expansion, and the user's uses of it, do not fail too.
    fn parse_unknown(
        &mut self,
        cx: &Ctxt,
        key: &Ident,
        written: &str,
        input: ParseStream<'_>,
    ) -> syn::Result<()> {
        cx.error_spanned_by(key, suggest::unknown("argument", written, KEYS));
        self.unknown = true;
        match suggest::closest(written, KEYS) {
            Some(meant) if !self.is_set(meant) => self.parse_value(cx, key, meant, input),
            _ => skip_value(input),
        }
    }

    fn is_set(&self, name: &str) -> bool {
        match name {
            "provider" => self.provider.is_some(),
            "crate" => self.krate.is_some(),
            _ => self.vis.is_some(),
        }
    }
}

/// Stores a value, reporting a key given twice on its second use.
fn set<T>(cx: &Ctxt, slot: &mut Option<T>, key: &Ident, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(key, format_args!("duplicate argument `{key}`"));
    } else {
        *slot = Some(value);
    }
}

/// Steps over an unknown key's value, up to the next top-level comma.
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}
