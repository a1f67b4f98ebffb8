//! `--set path=value`: edits of a JSON payload along a dot path.

use serde_json::{Map, Value};

/// One `--set`: a dot path into the payload and the value to put there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Edit {
    /// The path's segments, e.g. `["customer", "email"]`.
    path: Vec<String>,
    /// The value: the text as JSON when it parses, else as a string.
    value: Value,
}

/// Parses `path=value`; `value` is JSON when it parses (`500`, `true`, `{"a":1}`), else text.
pub(crate) fn parse_edit(text: &str) -> Result<Edit, String> {
    let (path, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not `path=value`"))?;
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!(
            "`{path}` is not a dot path such as `customer.email`"
        ));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    let path = path.split('.').map(str::to_owned).collect();
    Ok(Edit { path, value })
}

impl Edit {
    /// True when the edit sets exactly the top-level field `field`.
    pub(crate) fn sets_field(&self, field: &str) -> bool {
        self.path.len() == 1 && self.path[0] == field
    }

    /// Applies the edit to `payload`, creating missing objects along the way.
    ///
    /// A leading `data.` is optional when the payload has no `data` field of its own,
    /// so `--set data.amount=5` and `--set amount=5` both edit the payload's `amount`.
    pub(crate) fn apply(&self, payload: &mut Value) -> Result<(), String> {
        let has_data = payload.get("data").is_some();
        let skip = usize::from(self.path[0] == "data" && !has_data && self.path.len() > 1);
        let (last, parents) = self.path[skip..].split_last().ok_or("empty path")?;
        let mut slot = payload;
        for segment in parents {
            slot = child(slot, segment).ok_or_else(|| self.not_found(segment))?;
        }
        put(slot, last, self.value.clone()).ok_or_else(|| self.not_found(last))
    }

    fn not_found(&self, segment: &str) -> String {
        format!(
            "cannot set `{}`: `{segment}` is not an object field or array index",
            self.path.join(".")
        )
    }
}

/// The member `segment` of an object (created as `{}` when missing) or array, if any.
fn child<'v>(value: &'v mut Value, segment: &str) -> Option<&'v mut Value> {
    match value {
        Value::Object(map) => Some(
            map.entry(segment)
                .or_insert_with(|| Value::Object(Map::new())),
        ),
        Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
        Value::Null => {
            *value = Value::Object(Map::new());
            child(value, segment)
        }
        _ => None,
    }
}

/// Sets member `segment` of an object, or an existing index of an array.
fn put(value: &mut Value, segment: &str, new: Value) -> Option<()> {
    match value {
        Value::Object(map) => {
            map.insert(segment.to_owned(), new);
            Some(())
        }
        Value::Array(items) => {
            *items.get_mut(segment.parse::<usize>().ok()?)? = new;
            Some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sets_nested_values_as_json_or_text() {
        let mut payload = json!({"amount": 1, "customer": {"email": "a@b"}, "items": [1, 2]});
        for edit in [
            "amount=500",
            "customer.email=x@y",
            "data.items.1=true",
            "new.field=[1]",
        ] {
            parse_edit(edit).unwrap().apply(&mut payload).unwrap();
        }
        assert_eq!(
            payload,
            json!({"amount": 500, "customer": {"email": "x@y"}, "items": [1, true], "new": {"field": [1]}})
        );
    }

    #[test]
    fn refuses_bad_paths() {
        assert!(parse_edit("novalue").is_err());
        assert!(parse_edit("a..b=1").is_err());
        let mut payload = json!({"amount": 1});
        assert!(
            parse_edit("amount.x=1")
                .unwrap()
                .apply(&mut payload)
                .is_err()
        );
    }
}
