//! Deserializer wrappers that watch the members of one JSON object while a type
//! deserializes it, without buffering anything; and the pieces the payload types'
//! generated `Deserialize` shares.
//!
//! [`Watch`] wraps a deserializer; when the value it holds is an object, every member's
//! key is shown to a [`Hook`], which reads the member's value itself, plainly or through
//! another wrapper. [`IdWatch`] uses it to keep the object's first `id` member, when it
//! is a string, while a handler's payload type reads the object: the one-pass read of
//! Modem Pay's envelope needs it for the dedupe key, without a second look at the data.
//!
//! Also here: [`Name`] and [`missing`], for the payload types' generated `Deserialize`
//! (`keeps_unknown!` in `providers`).
//!
//! Every wrapper forwards every call it does not watch unchanged, so the watched type
//! sees the deserializer it would have seen, errors and all.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor,
};

/// The `Deserializer` methods a wrapper forwards to `self.inner`:
///
/// - `wrapped`: every method but `deserialize_ignored_any`, the visitor first wrapped
///   by `self.visitor(visitor)`;
/// - `unseen`: every method but `deserialize_ignored_any` and the ones a string may
///   come through (`any`, `str`, `string`, `identifier`, `option`, `newtype_struct`),
///   which the wrapper defines itself, the visitor unchanged.
macro_rules! forward_deserializer {
    (unseen) => {
        forward_deserializer!(@plain
            deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
            deserialize_i64() deserialize_i128() deserialize_u8() deserialize_u16()
            deserialize_u32() deserialize_u64() deserialize_u128() deserialize_f32()
            deserialize_f64() deserialize_char() deserialize_bytes() deserialize_byte_buf()
            deserialize_unit() deserialize_unit_struct(name: &'static str) deserialize_seq()
            deserialize_tuple(len: usize) deserialize_tuple_struct(name: &'static str, len: usize)
            deserialize_map()
            deserialize_struct(name: &'static str, fields: &'static [&'static str])
            deserialize_enum(name: &'static str, variants: &'static [&'static str])
        );

        fn is_human_readable(&self) -> bool {
            self.inner.is_human_readable()
        }
    };
    (wrapped) => {
        forward_deserializer!(@wrapped
            deserialize_any() deserialize_str() deserialize_string() deserialize_identifier()
            deserialize_option() deserialize_newtype_struct(name: &'static str)
            deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
            deserialize_i64() deserialize_i128() deserialize_u8() deserialize_u16()
            deserialize_u32() deserialize_u64() deserialize_u128() deserialize_f32()
            deserialize_f64() deserialize_char() deserialize_bytes() deserialize_byte_buf()
            deserialize_unit() deserialize_unit_struct(name: &'static str) deserialize_seq()
            deserialize_tuple(len: usize) deserialize_tuple_struct(name: &'static str, len: usize)
            deserialize_map()
            deserialize_struct(name: &'static str, fields: &'static [&'static str])
            deserialize_enum(name: &'static str, variants: &'static [&'static str])
        );

        fn is_human_readable(&self) -> bool {
            self.inner.is_human_readable()
        }
    };
    (@plain $($method:ident($($arg:ident: $ty:ty),*))*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                self.inner.$method($($arg,)* visitor)
            }
        )*
    };
    (@wrapped $($method:ident($($arg:ident: $ty:ty),*))*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                let (inner, visitor) = self.visitor(visitor);
                inner.$method($($arg,)* visitor)
            }
        )*
    };
}

/// The `Visitor` methods a wrapper passes on to the visitor `self.$into()` gives back,
/// all but `expecting` and the ones a string or a nested deserializer comes through
/// (`visit_str`, `visit_borrowed_str`, `visit_string`, `visit_some`,
/// `visit_newtype_struct`), which the wrapper defines itself; with `no_map`, not
/// `visit_map` either.
macro_rules! forward_visitor {
    ($into:ident) => {
        forward_visitor!($into, no_map);

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            self.$into().visit_map(map)
        }
    };
    ($into:ident, no_map) => {
        forward_visitor!(@values $into
            visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
            visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
            visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char)
            visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
        );

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.$into().visit_none()
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.$into().visit_unit()
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            self.$into().visit_seq(seq)
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.$into().visit_enum(data)
        }
    };
    (@values $into:ident $($method:ident($ty:ty))*) => {
        $(
            fn $method<E: serde::de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.$into().$method(v)
            }
        )*
    };
}

/// What a [`Watch`] does with the members of the object it watches.
pub(crate) trait Hook<'de> {
    /// The watched value is an object: its members follow.
    fn object(&mut self) {}

    /// Reads the value of member `key` (`None` when the key was not read as a string)
    /// from `map` with `seed`.
    fn member<A, S>(
        &mut self,
        key: Option<Cow<'de, str>>,
        map: &mut A,
        seed: S,
    ) -> Result<S::Value, A::Error>
    where
        A: MapAccess<'de>,
        S: DeserializeSeed<'de>;
}

/// What [`IdWatch`] saw of the object's `id`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) enum Id<'de> {
    /// No `id` member (yet).
    #[default]
    Absent,
    /// The first `id` member is this string.
    Str(Cow<'de, str>),
    /// The first `id` member is not a string.
    NotStr,
    /// The first `id` member was read in a way the watch cannot see into (as a number,
    /// as bytes): ask the body.
    Unseen,
}

/// The hook that keeps the first `id` member of the object a payload type reads.
#[derive(Debug, Default)]
pub(crate) struct IdWatch<'de> {
    /// True once the value was seen to be an object.
    pub(crate) object: bool,
    /// Its `id`.
    pub(crate) id: Id<'de>,
    seen: bool,
}

impl<'de> IdWatch<'de> {
    /// The `id` as the body says it, when the watch knows: `Some(None)` for no string
    /// `id` (absent, not a string, or empty), `Some(Some(id))` for one, and `None` when
    /// the watch could not tell (the value was not read as an object, or its `id` was
    /// read as something other than a string).
    pub(crate) fn string_id(self) -> Option<Option<Cow<'de, str>>> {
        if !self.object {
            return None;
        }
        match self.id {
            Id::Str(id) if !id.is_empty() => Some(Some(id)),
            Id::Str(_) | Id::Absent | Id::NotStr => Some(None),
            Id::Unseen => None,
        }
    }
}

impl<'de> Hook<'de> for IdWatch<'de> {
    fn object(&mut self) {
        self.object = true;
    }

    fn member<A, S>(
        &mut self,
        key: Option<Cow<'de, str>>,
        map: &mut A,
        seed: S,
    ) -> Result<S::Value, A::Error>
    where
        A: MapAccess<'de>,
        S: DeserializeSeed<'de>,
    {
        if self.seen || key.as_deref() != Some("id") {
            return map.next_value_seed(seed);
        }
        self.seen = true;
        self.id = Id::Unseen;
        map.next_value_seed(CaptureSeed {
            seed,
            id: &mut self.id,
        })
    }
}

struct CaptureSeed<'s, 'de, S> {
    seed: S,
    id: &'s mut Id<'de>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for CaptureSeed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Capture {
            inner: deserializer,
            id: self.id,
        })
    }
}

/// The deserializer of the `id` member's value: what the type reads as a string (or as
/// anything, or as ignored) is seen; anything else leaves the id [`Id::Unseen`].
struct Capture<'s, 'de, D> {
    inner: D,
    id: &'s mut Id<'de>,
}

impl<'s, 'de, D: Deserializer<'de>> Capture<'s, 'de, D> {
    fn visitor<V>(self, visitor: V) -> (D, Captured<'s, 'de, V>) {
        let captured = Captured {
            visitor,
            id: self.id,
        };
        (self.inner, captured)
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Capture<'_, 'de, D> {
    type Error = D::Error;

    forward_deserializer!(unseen);

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_any(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_str(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_identifier(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_option(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        // `deserialize_any` shows the value to the (ignoring) visitor; serde_json's
        // `deserialize_ignored_any` would skip it unseen.
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_any(visitor)
    }
}

/// The visitor of the `id` member's value: notes what it is, then passes it on.
struct Captured<'s, 'de, V> {
    visitor: V,
    id: &'s mut Id<'de>,
}

impl<'de, V: Visitor<'de>> Captured<'_, 'de, V> {
    fn not_str(self) -> V {
        *self.id = Id::NotStr;
        self.visitor
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Captured<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        *self.id = Id::Str(Cow::Borrowed(v));
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<V::Value, E> {
        *self.id = Id::Str(Cow::Owned(v.to_owned()));
        self.visitor.visit_str(v)
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<V::Value, E> {
        *self.id = Id::Str(Cow::Owned(v.clone()));
        self.visitor.visit_string(v)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Capture {
            inner: deserializer,
            id: self.id,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(Capture {
            inner: deserializer,
            id: self.id,
        })
    }

    forward_visitor!(not_str);
}

/// A deserializer whose value, when it is an object, has its members shown to a hook.
pub(crate) struct Watch<'h, D, H> {
    inner: D,
    hook: &'h mut H,
}

impl<'h, D, H> Watch<'h, D, H> {
    /// `inner`, watched by `hook`.
    pub(crate) fn new(inner: D, hook: &'h mut H) -> Self {
        Self { inner, hook }
    }

    fn visitor<V>(self, visitor: V) -> (D, Top<'h, V, H>) {
        let top = Top {
            visitor,
            hook: self.hook,
        };
        (self.inner, top)
    }
}

impl<'de, D: Deserializer<'de>, H: Hook<'de>> Deserializer<'de> for Watch<'_, D, H> {
    type Error = D::Error;

    forward_deserializer!(wrapped);

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        // Shown to the (ignoring) visitor, so that the hook sees an object's members.
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_any(visitor)
    }
}

/// The visitor of a watched value: an object's map is watched, and an option's or a
/// newtype's content is watched in turn; anything else passes unchanged.
struct Top<'h, V, H> {
    visitor: V,
    hook: &'h mut H,
}

impl<V, H> Top<'_, V, H> {
    fn not_str(self) -> V {
        self.visitor
    }
}

impl<'de, V: Visitor<'de>, H: Hook<'de>> Visitor<'de> for Top<'_, V, H> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.hook.object();
        self.visitor.visit_map(Members {
            map,
            hook: self.hook,
            key: None,
        })
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Watch::new(deserializer, self.hook))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.visitor
            .visit_newtype_struct(Watch::new(deserializer, self.hook))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.visitor.visit_str(v)
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<V::Value, E> {
        self.visitor.visit_string(v)
    }

    forward_visitor!(not_str, no_map);
}

/// The members of a watched object: each key is noted, then its value is read by the
/// hook.
struct Members<'h, 'de, A, H> {
    map: A,
    hook: &'h mut H,
    key: Option<Cow<'de, str>>,
}

impl<'de, A: MapAccess<'de>, H: Hook<'de>> MapAccess<'de> for Members<'_, 'de, A, H> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.key = None;
        self.map.next_key_seed(KeySeed {
            seed,
            key: &mut self.key,
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let key = self.key.take();
        self.hook.member(key, &mut self.map, seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A member's key as a string, borrowed from the input when it can be (the payload
/// types' generated `Deserialize` reads their keys with it).
pub(crate) struct Name<'de>(Cow<'de, str>);

impl Name<'_> {
    /// The key.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The key, owned.
    pub(crate) fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

/// What serde's derive gives for a missing field without `#[serde(default)]`: `None`
/// for an `Option`, else the error `missing field`.
pub(crate) fn missing<'de, T: Deserialize<'de>, E: serde::de::Error>(
    field: &'static str,
) -> Result<T, E> {
    T::deserialize(Missing(field, std::marker::PhantomData))
}

/// The deserializer of a missing field: `None` as an option, else `missing field`.
struct Missing<E>(&'static str, std::marker::PhantomData<E>);

impl<'de, E: serde::de::Error> Deserializer<'de> for Missing<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v)))
    }
}

/// A member's key, read by the type's seed and noted on the way.
struct KeySeed<'k, 'de, K> {
    seed: K,
    key: &'k mut Option<Cow<'de, str>>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, 'de, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        self.seed.deserialize(KeyDeserializer {
            inner: deserializer,
            key: self.key,
        })
    }
}

struct KeyDeserializer<'k, 'de, D> {
    inner: D,
    key: &'k mut Option<Cow<'de, str>>,
}

impl<'k, 'de, D> KeyDeserializer<'k, 'de, D> {
    fn visitor<V>(self, visitor: V) -> (D, Key<'k, 'de, V>) {
        let key = Key {
            visitor,
            key: self.key,
        };
        (self.inner, key)
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDeserializer<'_, 'de, D> {
    type Error = D::Error;

    forward_deserializer!(wrapped);

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (inner, visitor) = self.visitor(visitor);
        inner.deserialize_ignored_any(visitor)
    }
}

/// The visitor of a key: notes it when it is a string, then passes it on.
struct Key<'k, 'de, V> {
    visitor: V,
    key: &'k mut Option<Cow<'de, str>>,
}

impl<V> Key<'_, '_, V> {
    fn not_str(self) -> V {
        self.visitor
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Key<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        *self.key = Some(Cow::Borrowed(v));
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<V::Value, E> {
        *self.key = Some(Cow::Owned(v.to_owned()));
        self.visitor.visit_str(v)
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<V::Value, E> {
        *self.key = Some(Cow::Owned(v.clone()));
        self.visitor.visit_string(v)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(deserializer)
    }

    forward_visitor!(not_str);
}
