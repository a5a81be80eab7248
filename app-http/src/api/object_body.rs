//! `Object<T>`: a JSON body that must be an object. serde happily builds a struct from a JSON
//! array (`[null, null]` fills the fields in order), which would let a body the OpenAPI document
//! forbids change an integration; wrapping the body type closes that.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// A `T` read from a JSON object only.
#[derive(Debug)]
pub(super) struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        T::deserialize(serde_json::Value::Object(map))
            .map(Object)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[allow(dead_code)]
        label: Option<String>,
    }

    #[test]
    fn only_an_object_is_read_as_a_body() {
        assert!(serde_json::from_str::<Object<Body>>(r#"{"label": null}"#).is_ok());
        for not_an_object in ["[null]", "null", "1", r#""label""#] {
            assert!(
                serde_json::from_str::<Object<Body>>(not_an_object).is_err(),
                "{not_an_object}"
            );
        }
    }
}
