//! The built-in providers: Modem Pay, bamotf, Standard Webhooks, Stripe, GitHub, and
//! custom HMAC providers described as data.
//!
//! Each provider reads its envelope in one borrowed pass over the verified body: the
//! event type and dedupe key are copied out, the data is a zero-copy slice of the body.
//! The shared pieces of that pass (lenient string fields, member lookup that stops at
//! the key it wants, error mapping) live here, with the two macros the typed payloads use:
//! `wire_enum!` (a string enum with an `Unknown(String)` fallback) and `events!` (one
//! zero-cost newtype per event type, plus the provider's catalogue).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use http::HeaderMap;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::provider::EnvelopeError;

/// Defines a string enum whose unknown values parse into `Unknown(String)` and
/// serialize back unchanged, because providers add values without notice.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(wire: &str) -> Self {
                match wire {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::providers::deserialize_wire_str(deserializer, stringify!($name))
            }
        }
    };
}

/// Defines one zero-cost event type per event (a `#[serde(transparent)]` newtype over
/// its payload that implements `Event` and derefs to the payload), and the provider's
/// `CATALOGUE` of them, in the order given.
macro_rules! events {
    ( $( $(#[$meta:meta])* $name:ident($payload:ty) = $wire:literal, sample: $sample:expr; )+ ) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[serde(transparent)]
            pub struct $name(pub $payload);

            impl $crate::event::Event for $name {
                const NAME: &'static str = $wire;
                type Payload = $payload;

                fn sample() -> Self {
                    Self($sample)
                }

                fn into_payload(self) -> $payload {
                    self.0
                }
            }

            impl ::std::ops::Deref for $name {
                type Target = $payload;

                fn deref(&self) -> &$payload {
                    &self.0
                }
            }

            impl ::std::ops::DerefMut for $name {
                fn deref_mut(&mut self) -> &mut $payload {
                    &mut self.0
                }
            }
        )+

        /// Every typed event of this provider, with its sample.
        static CATALOGUE: ::std::sync::LazyLock<Vec<$crate::event::CatalogueEntry>> =
            ::std::sync::LazyLock::new(|| {
                vec![$( $crate::event::CatalogueEntry::of::<$name>(), )+]
            });
    };
}

/// Defines a payload struct with an `extra` map that keeps the members this version does
/// not model, as sent, under their keys.
///
/// `#[serde(flatten)] extra: Map<String, Value>` would do it, but a flattened field
/// turns serde's derive to its buffering path: every member it does not model is read
/// into serde's internal content tree, then turned into a `Value` from there, and the
/// modelled ones are told apart through that same content-keeping field reader. Here
/// `Deserialize` is generated: one visitor over the object's members, each key read as
/// a borrowed string and matched against the wire names, each modelled value read
/// straight into its field, each other one read once, as a `Value`, into `extra`. It
/// behaves as the derive with `flatten` did: a repeated modelled member is an error
/// (`duplicate field`), a missing one is `None` for an `Option` and an error otherwise
/// (`missing field`) unless the field has `#[serde(default)]`, a later unknown member
/// replaces an earlier one of the same key, and the struct is read from an object only.
/// `Serialize` is derived, `extra` flattened (writing a flattened map buffers nothing),
/// so a value round-trips: the unknown members are written back after the modelled ones.
///
/// The fields are written as in a plain struct, with doc comments and `#[serde(..)]`
/// attributes only; of those, `Deserialize` reads `rename = ".."` and `default` (the
/// only ones these payloads use; no container attributes). The macro adds the derives
/// (`Debug`, `Clone`, `PartialEq`, `Serialize`) and the `extra` field, last.
macro_rules! keeps_unknown {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $field_doc:literal])*
                $(#[serde($($field_attr:tt)*)])*
                pub $field:ident: $ty:ty,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        pub struct $name {
            $(
                $(#[doc = $field_doc])*
                $(#[serde($($field_attr)*)])*
                pub $field: $ty,
            )*
            /// Fields this version does not model, kept as sent.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Members;

                impl<'de> ::serde::de::Visitor<'de> for Members {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        $(let mut $field: Option<$ty> = None;)*
                        let mut extra = ::serde_json::Map::new();
                        while let Some(key) = map.next_key::<$crate::de::Name<'de>>()? {
                            match key.as_str() {
                                $(
                                    wire_name!($field; $($($field_attr)*)*) => {
                                        if $field.is_some() {
                                            return Err(<A::Error as ::serde::de::Error>::duplicate_field(
                                                wire_name!($field; $($($field_attr)*)*),
                                            ));
                                        }
                                        $field = Some(map.next_value()?);
                                    }
                                )*
                                _ => {
                                    let value: ::serde_json::Value = map.next_value()?;
                                    extra.insert(key.into_owned(), value);
                                }
                            }
                        }
                        Ok($name {
                            $(
                                $field: match $field {
                                    Some(value) => value,
                                    None => when_missing!(
                                        A::Error, wire_name!($field; $($($field_attr)*)*); $($($field_attr)*)*
                                    ),
                                },
                            )*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(Members)
            }
        }
    };
}

/// A field's name on the wire: its `rename = ".."` among `#[serde(..)]`'s tokens, else
/// its own name.
macro_rules! wire_name {
    ($field:ident;) => {
        stringify!($field)
    };
    ($field:ident; rename = $wire:literal $($rest:tt)*) => {
        $wire
    };
    ($field:ident; $skip:tt $($rest:tt)*) => {
        wire_name!($field; $($rest)*)
    };
}

/// A missing field's value: `Default::default()` when `#[serde(..)]`'s tokens hold
/// `default`, else what serde's derive gives (`None` for an `Option`, else the error
/// `missing field`).
macro_rules! when_missing {
    ($error:ty, $wire:expr;) => {
        $crate::de::missing::<_, $error>($wire)?
    };
    ($error:ty, $wire:expr; default $($rest:tt)*) => {
        Default::default()
    };
    ($error:ty, $wire:expr; $skip:tt $($rest:tt)*) => {
        when_missing!($error, $wire; $($rest)*)
    };
}

pub mod bamotf;
pub mod custom;
pub mod github;
pub mod modem_pay;
pub mod standard_webhooks;
pub mod stripe;

pub use bamotf::Bamotf;
pub use custom::{CustomProvider, EnvelopeSpec, FieldSource};
pub use github::GitHub;
pub use modem_pay::ModemPay;
pub use standard_webhooks::StandardWebhooks;
pub use stripe::Stripe;

mod tagged;

use tagged::{Content, Tagged};

/// Deserializes a string into `T` through `From<&str>`, without allocating for known
/// values (the body of `wire_enum!`'s `Deserialize`).
fn deserialize_wire_str<'de, D, T>(deserializer: D, name: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'s> From<&'s str>,
{
    struct WireStr<T>(&'static str, PhantomData<T>);

    impl<T: for<'s> From<&'s str>> Visitor<'_> for WireStr<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a string ({})", self.0)
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from(value))
        }
    }

    deserializer.deserialize_str(WireStr(name, PhantomData))
}

/// A JSON string field that reads any other JSON value (or its absence) as `None`, so
/// a field of the wrong type is reported as missing rather than as a parse error.
#[derive(Debug, Default)]
struct StrField<'a>(Option<Cow<'a, str>>);

impl<'a> StrField<'a> {
    /// The non-empty string, or `Missing(name)`.
    fn required(self, name: &'static str) -> Result<Cow<'a, str>, EnvelopeError> {
        self.non_empty().ok_or(EnvelopeError::Missing(name))
    }

    /// The string, when present and non-empty.
    fn non_empty(self) -> Option<Cow<'a, str>> {
        self.0.filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for StrField<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrFieldVisitor(PhantomData))
    }
}

struct StrFieldVisitor<'a>(PhantomData<&'a str>);

impl<'de: 'a, 'a> Visitor<'de> for StrFieldVisitor<'a> {
    type Value = StrField<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(StrField(Some(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(StrField(Some(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(StrField(Some(Cow::Owned(v))))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(StrField(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(StrField(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(StrField(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(StrField(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(StrField(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(StrField(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        StrField::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(StrField(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(StrField(None))
    }
}

/// True when the body holds nothing but whitespace.
fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Parses a provider's borrowed envelope struct from the body in one pass.
///
/// `shape` names the field reported as missing when the JSON has the wrong shape
/// (a non-object body, or a nested field of the wrong type).
fn parse_wire<'a, T: Deserialize<'a>>(
    body: &'a [u8],
    shape: &'static str,
) -> Result<T, EnvelopeError> {
    if is_blank(body) {
        return Err(EnvelopeError::Empty);
    }
    utf8(body)?;
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        Category::Data => EnvelopeError::Missing(shape),
        Category::Io | Category::Syntax | Category::Eof => EnvelopeError::NotJson(e.to_string()),
    })
}

/// `first:second`, allocated once (a dedupe key made of two parts; `format!` costs a
/// few times more, once per delivery).
fn joined(first: &str, second: &str) -> String {
    let mut key = String::with_capacity(first.len() + 1 + second.len());
    key.push_str(first);
    key.push(':');
    key.push_str(second);
    key
}

/// JSON is UTF-8 throughout, and serde_json does not check the members it skips: check
/// the whole body first, so an invalid byte anywhere is a malformed body.
fn utf8(body: &[u8]) -> Result<(), EnvelopeError> {
    match std::str::from_utf8(body) {
        Ok(_) => Ok(()),
        Err(error) => Err(EnvelopeError::NotJson(error.to_string())),
    }
}

/// The value of `key` in the JSON object `json`, reading no further than that key.
///
/// Providers put the fields we look up (`id`, `action`) first, so stopping there keeps
/// the lookup cheap on large bodies. A non-object reads as "no such key".
fn member<'a, T: Deserialize<'a>>(
    json: &'a [u8],
    key: &str,
) -> Result<Option<T>, serde_json::Error> {
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let read = deserializer.deserialize_map(FindMember {
        key,
        found: &mut found,
    });
    match (found, read) {
        (Some(value), _) => Ok(Some(value)),
        (None, Ok(())) => Ok(None),
        (None, Err(e)) if e.classify() == Category::Data => Ok(None),
        (None, Err(e)) => Err(e),
    }
}

/// Walks a JSON object's members until `key`, then stops: serde_json then reports the
/// unread rest as an error, which `member` ignores because the value was found.
struct FindMember<'k, 'f, T> {
    key: &'k str,
    found: &'f mut Option<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for FindMember<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(StrField(name)) = map.next_key::<StrField<'de>>()? {
            if name.as_deref() == Some(self.key) {
                *self.found = Some(map.next_value()?);
                return Ok(());
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// The string member `key` of `json`, when it is a non-empty string.
fn string_member<'a>(json: &'a [u8], key: &str) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
    Ok(member::<StrField<'a>>(json, key)?.and_then(StrField::non_empty))
}

/// [`string_member`] for `json` that serde_json has already validated (the text of a
/// [`RawValue`]): a plain byte scan over the object's members finds the key without
/// decoding the values it passes, wherever the key comes; anything it does not read
/// at a glance (an escaped key or value, a non-object) goes to [`string_member`].
fn valid_string_member<'a>(
    json: &'a str,
    key: &str,
) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
    match scan_member(json.as_bytes(), key.as_bytes()) {
        Some(Scanned::Absent) => Ok(None),
        Some(Scanned::Plain(start, end)) => {
            Ok(Some(Cow::Borrowed(&json[start..end])).filter(|value| !value.is_empty()))
        }
        Some(Scanned::NotString) => Ok(None),
        None => string_member(json.as_bytes(), key),
    }
}

/// What [`scan_member`] saw of a key.
#[derive(Debug, PartialEq, Eq)]
enum Scanned {
    /// No such member.
    Absent,
    /// Its value is a string without escapes, at `json[start..end]`.
    Plain(usize, usize),
    /// Its value is not a string.
    NotString,
}

/// Finds the first top-level member `key` of the valid JSON object `json`; `None` when
/// the scan cannot tell without decoding (escapes in the key or the value, or `json`
/// not an object).
fn scan_member(json: &[u8], key: &[u8]) -> Option<Scanned> {
    let mut at = skip_space(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(json, at + 1);
    if json.get(at) == Some(&b'}') {
        return Some(Scanned::Absent);
    }
    loop {
        let (name_start, name_end, name_escaped) = string_at(json, at)?;
        at = skip_space(json, name_end + 1);
        // The ':' after the name (valid JSON: it is there).
        at = skip_space(json, at + 1);
        if &json[name_start..name_end] == key && !name_escaped {
            return match json.get(at) {
                Some(b'"') => {
                    let (start, end, escaped) = string_at(json, at)?;
                    (!escaped).then_some(Scanned::Plain(start, end))
                }
                _ => Some(Scanned::NotString),
            };
        }
        if name_escaped {
            // `"i\u0064"` may spell the key: let serde_json decode it.
            return None;
        }
        at = skip_space(json, value_end(json, at)?);
        match json.get(at) {
            Some(b',') => at = skip_space(json, at + 1),
            Some(b'}') => return Some(Scanned::Absent),
            _ => return None,
        }
    }
}

fn skip_space(json: &[u8], mut at: usize) -> usize {
    while matches!(json.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

/// The string starting with the quote at `at`: its contents' start and end (the
/// closing quote) and whether it holds escapes.
fn string_at(json: &[u8], at: usize) -> Option<(usize, usize, bool)> {
    if json.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let mut escaped = false;
    let mut i = start;
    loop {
        match json.get(i)? {
            b'"' => return Some((start, i, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// Where the value starting at `at` ends (just past it).
fn value_end(json: &[u8], at: usize) -> Option<usize> {
    match json.get(at)? {
        b'"' => string_at(json, at).map(|(_, end, _)| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match json.get(i)? {
                    b'"' => {
                        i = string_at(json, i)?.1 + 1;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        // A number, `true`, `false` or `null`: up to the next delimiter.
        _ => {
            let mut i = at;
            while !matches!(
                json.get(i),
                None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            ) {
                i += 1;
            }
            Some(i)
        }
    }
}

/// The text of JSON bytes already checked to be UTF-8 (empty if they were not).
fn text(json: &[u8]) -> &str {
    std::str::from_utf8(json).unwrap_or_default()
}

/// `body.slice_ref` for a raw value borrowed from `body`: the data without a copy.
fn slice_of(body: &Bytes, raw: &RawValue) -> Bytes {
    body.slice_ref(raw.get().as_bytes())
}

/// `sha256:<hex>` of the body, the dedupe key of last resort.
fn sha256_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

/// A header's value, when present, visible ASCII and non-empty.
fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// Compact JSON, as every sender writes it.
fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("envelopes of JSON values serialize")
}

/// A random version-4 UUID, for the ids senders mint per attempt.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    fastrand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn rfc3339_matches_javascript() {
        assert_eq!(
            crate::clock::rfc3339(UNIX_EPOCH),
            "1970-01-01T00:00:00.000Z"
        );
        let at = UNIX_EPOCH + Duration::from_millis(1_772_150_635_078);
        assert_eq!(crate::clock::rfc3339(at), "2026-02-27T00:03:55.078Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(crate::clock::rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn member_stops_at_the_key_and_ignores_the_rest() {
        let json = br#"{"id":"a1","rest":[1,2,{"x":"#;
        assert_eq!(string_member(json, "id").unwrap().as_deref(), Some("a1"));
        assert!(string_member(json, "rest").is_err());
        assert_eq!(string_member(br#"{"a":1}"#, "id").unwrap(), None);
        assert_eq!(string_member(br#"[1]"#, "id").unwrap(), None);
        assert_eq!(string_member(br#"{"id":7}"#, "id").unwrap(), None);
        assert_eq!(
            string_member(br#"{"i\u0064":"e"}"#, "id")
                .unwrap()
                .as_deref(),
            Some("e")
        );
    }

    #[test]
    fn the_scan_of_valid_json_finds_what_serde_json_finds() {
        let cases: &[&str] = &[
            r#"{"id":"a1","amount":5}"#,
            r#"{"amount":5,"nested":{"id":"inner"},"list":["id",{"id":"x"}],"id":"outer"}"#,
            r#" { "a" : [ 1 , 2 ] , "id" : "spaced" } "#,
            r#"{"id":"","b":1}"#,
            r#"{"id":7}"#,
            r#"{"id":null}"#,
            r#"{"id":{"x":"y"}}"#,
            r#"{"a":"quote \" inside","id":"after"}"#,
            r#"{"id":"esc\u0041ped"}"#,
            r#"{"i\u0064":"decoded key"}"#,
            r#"{"a":1,"b":true,"c":null,"d":-1.5e3}"#,
            r#"{}"#,
            r#"[{"id":"in an array"}]"#,
            r#"{"id":"first","id":"second"}"#,
        ];
        for json in cases {
            assert_eq!(
                valid_string_member(json, "id").unwrap(),
                string_member(json.as_bytes(), "id").unwrap(),
                "{json}"
            );
        }
        assert_eq!(
            scan_member(br#"{"x":1,"id":"v"}"#, b"id"),
            Some(Scanned::Plain(13, 14))
        );
        assert_eq!(scan_member(br#"{"i\u0064":"v"}"#, b"id"), None);
        // Escapes in the values it passes do not send the scan to serde_json.
        let passing = br#"{"a":"quote \" inside","b":[{"c":"\\"},"]"],"id":"after"}"#;
        assert_eq!(scan_member(passing, b"id"), Some(Scanned::Plain(50, 55)));
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z\"\\\\ \u{e9}\n]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("(id|i\"d|[a-z]{1,3})", inner, 0..4)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn the_scan_agrees_with_serde_json_on_any_object(
            members in proptest::collection::vec(("(id|i\"d|[a-z]{1,3})", json_value()), 0..6),
            spaced in proptest::bool::ANY,
        ) {
            // Built by hand so that a key may repeat, as senders may write it.
            let members: Vec<String> = members
                .iter()
                .map(|(key, value)| format!("{}:{}", serde_json::to_string(key).unwrap(), value))
                .collect();
            let separator = if spaced { " , " } else { "," };
            let json = format!("{{{}}}", members.join(separator));
            proptest::prop_assert_eq!(
                valid_string_member(&json, "id").unwrap(),
                string_member(json.as_bytes(), "id").unwrap(),
                "{}", json
            );
        }
    }

    #[test]
    fn uuid_v4_has_the_version_and_variant_bits() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
