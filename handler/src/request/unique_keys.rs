//! JSON text in which every object names each key once. serde_json keeps the last of two equal
//! keys without a word, so `{"fast": {…}, "fast": {…}}` would lose an alias silently; a setting
//! or a request field written twice is a mistake to report, not to guess at.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};

/// Checks `json` (UTF-8 JSON text, already known to parse) for an object, at any depth, with a key twice (keys
/// compared after unescaping). The error reads `key "fast" appears twice at line 1 column 42`.
pub(crate) fn check(json: &[u8]) -> serde_json::Result<()> {
    serde_json::from_slice::<UniqueKeys>(json).map(drop)
}

/// Any JSON value whose objects have unique keys; it keeps nothing.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeys)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self, A::Error> {
        while items.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(A::Error::custom(format!("key {} appears twice", serde_json::Value::from(key))));
            }
            entries.next_value::<UniqueKeys>()?;
            seen.insert(key);
        }
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_twice_at_any_depth_is_named_with_its_place() {
        assert_eq!(
            check(br#"{"fast":1,"fast":2}"#).unwrap_err().to_string(),
            "key \"fast\" appears twice at line 1 column 16"
        );
        let nested = r#"{"fast": {"modelId": "a", "modelId": "b"}}"#;
        assert!(check(nested.as_bytes()).unwrap_err().to_string().starts_with("key \"modelId\" appears twice"));
        let in_a_list = r#"[{"a": 1}, {"b": 1, "b": 2}]"#;
        assert!(check(in_a_list.as_bytes()).unwrap_err().to_string().starts_with("key \"b\" appears twice"));
        assert!(check(br#"{"f\u0061st": 1, "fast": 2}"#).is_err(), "compared after unescaping");
    }

    #[test]
    fn equal_keys_in_different_objects_are_fine() {
        check(br#"{"fast": {"modelId": "a", "n": [1, 2.5, -3, null, true]}, "smart": {"modelId": "b"}}"#).unwrap();
    }
}
