//! The conformance suite's crate; its library holds the README, so the README's
//! examples are compiled and run as doc tests.
#![doc = include_str!("../../README.md")]
