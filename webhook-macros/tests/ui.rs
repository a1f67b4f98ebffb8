//! Compile-time diagnostics of `#[webhook_handler]`, pinned as blessed stderr.
//!
//! Bless with `TRYBUILD=overwrite cargo test -p webhook-macros --test ui`, then read
//! every changed `.stderr`. rustc's wording moves between releases, so the test runs
//! only on the toolchain the files were blessed on.

#[rustversion::attr(not(stable(1.95)), ignore = "stderr blessed on rustc 1.95")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
