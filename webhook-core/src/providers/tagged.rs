//! The one-pass read of a tagged envelope (`{event, payload}`, `{type, data}`): the
//! event type, and the data deserialized straight into the routed handler's payload.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::StrField;
use crate::de::{IdWatch, Watch};
use crate::payload::PayloadSeed;

/// The one-pass read of a tagged envelope: an object whose event type is the string
/// member `tag` and whose data is the member `content` (or, when that is absent or
/// `null`, the member `alternate`), maybe with one more string member (`member`, e.g.
/// bamotf's `idempotenceKey`).
///
/// When the event type comes before the data, as every sender writes it, and the seed
/// selects it, the data is deserialized straight into the seed's payload as the body is
/// read: one pass, and `id` is watched on the way when `WATCH_ID`. Otherwise (the data
/// first, or an event type the seed does not read) the data is kept as a raw slice.
/// Repeated `tag`, `content`, `alternate` or `member` keys are an error, as in the
/// providers' derived envelope structs; so is anything that is not an object.
pub(super) struct Tagged<'s, S, const WATCH_ID: bool> {
    pub(super) tag: &'static str,
    pub(super) content: &'static str,
    pub(super) alternate: Option<&'static str>,
    pub(super) member: Option<&'static str>,
    pub(super) seed: &'s S,
}

/// What [`Tagged`] read; an outer `None` is a member that was not there.
pub(super) struct TaggedRead<'de, V> {
    pub(super) tag: Option<StrField<'de>>,
    pub(super) member: Option<StrField<'de>>,
    pub(super) content: Option<Option<Content<'de, V>>>,
    pub(super) alternate: Option<Option<&'de RawValue>>,
}

impl<'de, V> TaggedRead<'de, V> {
    /// The event type, when it is a non-empty string.
    pub(super) fn event_type(&mut self) -> Option<Cow<'de, str>> {
        self.tag.take()?.non_empty()
    }

    /// The data: `content` unless absent or `null`, else `alternate`.
    pub(super) fn data(&mut self) -> Option<Content<'de, V>> {
        self.content
            .take()
            .flatten()
            .or_else(|| self.alternate.take().flatten().map(Content::Raw))
    }
}

/// The data as [`Tagged`] read it.
pub(super) enum Content<'de, V> {
    /// Deserialized as the seed's payload, with what was seen of its `id`.
    Typed(V, IdWatch<'de>),
    /// A raw slice of the body.
    Raw(&'de RawValue),
}

impl<S: PayloadSeed, const WATCH_ID: bool> Tagged<'_, S, WATCH_ID> {
    /// Reads `body` (checked to be UTF-8 first, as the envelopes do); `None` on any
    /// error, which the provider's plain `envelope` then reports (or, for data that
    /// does not match the payload, accepts without a payload).
    ///
    /// The body is read as text (serde_json's `StrRead`): its UTF-8 was checked once,
    /// whole, so the strings are not checked again one by one, as a read from bytes
    /// does (a sixth of a typed parse of a Modem Pay charge).
    pub(super) fn read<'de>(&self, body: &'de [u8]) -> Option<TaggedRead<'de, S::Value>> {
        let text = std::str::from_utf8(body).ok()?;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let read = (&mut deserializer)
            .deserialize_map(TaggedVisitor(self))
            .ok()?;
        deserializer.end().ok()?;
        Some(read)
    }

    /// The payload of `event_type` from `data` when the seed selects it: `Typed` data
    /// is the payload; `Raw` data is parsed now (data that came before the event type).
    pub(super) fn payload(&self, event_type: &str, data: &RawValue) -> Option<S::Value> {
        let selected = self.seed.select(event_type)?;
        crate::payload::from_str(self.seed, selected, data.get())
    }
}

struct TaggedVisitor<'t, 's, S, const WATCH_ID: bool>(&'t Tagged<'s, S, WATCH_ID>);

impl<'de, S: PayloadSeed, const WATCH_ID: bool> Visitor<'de>
    for TaggedVisitor<'_, '_, S, WATCH_ID>
{
    type Value = TaggedRead<'de, S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an envelope object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let tagged = self.0;
        let mut read = TaggedRead {
            tag: None,
            member: None,
            content: None,
            alternate: None,
        };
        while let Some(StrField(key)) = map.next_key::<StrField<'de>>()? {
            let key = key.as_deref().unwrap_or_default();
            if key == tagged.tag {
                once(&read.tag, tagged.tag)?;
                read.tag = Some(map.next_value()?);
            } else if key == tagged.content {
                once(&read.content, tagged.content)?;
                let selected = match &read.tag {
                    Some(StrField(Some(event_type))) if !event_type.is_empty() => {
                        tagged.seed.select(event_type)
                    }
                    _ => None,
                };
                read.content = Some(match selected {
                    Some(selected) => map.next_value_seed(TypedData::<S, WATCH_ID> {
                        seed: tagged.seed,
                        selected,
                    })?,
                    None => map.next_value::<Option<&RawValue>>()?.map(Content::Raw),
                });
            } else if Some(key) == tagged.alternate {
                once(&read.alternate, key)?;
                read.alternate = Some(map.next_value()?);
            } else if Some(key) == tagged.member {
                once(&read.member, key)?;
                read.member = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(read)
    }
}

/// An error when a member met a second time was met before.
fn once<T, E: de::Error>(seen: &Option<T>, key: &str) -> Result<(), E> {
    match seen {
        Some(_) => Err(E::custom(format_args!("duplicate field `{key}`"))),
        None => Ok(()),
    }
}

/// The data, deserialized as payload `selected` of the seed (`null` is no data, as for
/// an `Option` member).
struct TypedData<'s, S, const WATCH_ID: bool> {
    seed: &'s S,
    selected: usize,
}

impl<'de, S: PayloadSeed, const WATCH_ID: bool> DeserializeSeed<'de>
    for TypedData<'_, S, WATCH_ID>
{
    type Value = Option<Content<'de, S::Value>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: PayloadSeed, const WATCH_ID: bool> Visitor<'de> for TypedData<'_, S, WATCH_ID> {
    type Value = Option<Content<'de, S::Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event's data")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let mut watch = IdWatch::default();
        let value = if WATCH_ID {
            self.seed
                .deserialize(self.selected, Watch::new(deserializer, &mut watch))?
        } else {
            self.seed.deserialize(self.selected, deserializer)?
        };
        Ok(Some(Content::Typed(value, watch)))
    }
}
