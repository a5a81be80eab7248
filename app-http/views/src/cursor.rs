//! The page cursor the API and the web UI hand out: opaque to clients, it is the base64url of
//! a small JSON object naming the order (`s`: sort key, `d`: descending), the sort key's value
//! at the position (`v`) and the `open_id` (`o`), so that a cursor offered for another order
//! is recognised and refused rather than read wrongly.

use aviary_domain::model::{AccountCursor, AccountStatus, SortKey, SortValue};
use aviary_domain::values::OpenId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A cursor that Aviary did not hand out (or that was damaged on the way).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a cursor returned by this API")]
pub struct MalformedCursor;

#[derive(Serialize, Deserialize)]
struct Wire {
    s: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    d: bool,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    v: Value,
    o: String,
}

fn text(value: Option<&String>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.clone()))
}

/// The cursor as a URL-safe string.
pub fn encode(cursor: &AccountCursor) -> String {
    let v = match cursor.value() {
        SortValue::Name(name) => text(name.as_ref()),
        SortValue::Email(email) => text(email.as_ref()),
        SortValue::Status(status) => Value::String(status.as_str().to_owned()),
        SortValue::Updated(at) => Value::from(at.timestamp_micros()),
        SortValue::OpenId => Value::Null,
    };
    let wire = Wire {
        s: cursor.sort().key.as_str().to_owned(),
        d: cursor.sort().descending,
        v,
        o: cursor.open_id().as_str().to_owned(),
    };
    // Serialising a struct of strings, a bool and a JSON value cannot fail.
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn optional_text(v: Value) -> Result<Option<String>, MalformedCursor> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(MalformedCursor),
    }
}

/// The cursor a string stands for.
///
/// # Errors
/// [`MalformedCursor`] when it is not one [`encode`] made.
pub fn decode(raw: &str) -> Result<AccountCursor, MalformedCursor> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| MalformedCursor)?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| MalformedCursor)?;
    let key: SortKey = wire.s.parse().map_err(|_| MalformedCursor)?;
    let value = match key {
        SortKey::Name => SortValue::Name(optional_text(wire.v)?),
        SortKey::Email => SortValue::Email(optional_text(wire.v)?),
        SortKey::Status => SortValue::Status(
            optional_text(wire.v)?
                .ok_or(MalformedCursor)?
                .parse::<AccountStatus>()
                .map_err(|_| MalformedCursor)?,
        ),
        SortKey::Updated => SortValue::Updated(
            wire.v
                .as_i64()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or(MalformedCursor)?,
        ),
        SortKey::OpenId if wire.v.is_null() => SortValue::OpenId,
        SortKey::OpenId => return Err(MalformedCursor),
    };
    let open_id = OpenId::parse(&wire.o).map_err(|_| MalformedCursor)?;
    Ok(AccountCursor::new(value, wire.d, open_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> OpenId {
        OpenId::parse("ou_abc").unwrap()
    }

    #[test]
    fn cursors_round_trip_for_every_key_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_750_000_000_123_456).unwrap();
        for (value, descending) in [
            (SortValue::OpenId, false),
            (SortValue::Name(Some("Zoë \"Z\" +/=".into())), true),
            (SortValue::Name(None), false),
            (SortValue::Email(Some("a@example.com".into())), false),
            (SortValue::Status(AccountStatus::NotActivated), true),
            (SortValue::Updated(at), true),
        ] {
            let cursor = AccountCursor::new(value, descending, id());
            let encoded = encode(&cursor);
            assert!(
                encoded
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{encoded}"
            );
            assert_eq!(decode(&encoded).unwrap(), cursor);
        }
        for garbage in ["!!", "AAAA", "", &URL_SAFE_NO_PAD.encode("ou_abc")] {
            assert_eq!(decode(garbage), Err(MalformedCursor), "{garbage}");
        }
        let wrong_type = URL_SAFE_NO_PAD.encode(r#"{"s":"updated","v":"soon","o":"ou_abc"}"#);
        assert_eq!(decode(&wrong_type), Err(MalformedCursor));
        let unknown_key = URL_SAFE_NO_PAD.encode(r#"{"s":"size","o":"ou_abc"}"#);
        assert_eq!(decode(&unknown_key), Err(MalformedCursor));
    }

    fn value() -> impl proptest::strategy::Strategy<Value = SortValue> {
        use proptest::prelude::*;
        let statuses = [
            AccountStatus::Active,
            AccountStatus::Suspended,
            AccountStatus::Resigned,
            AccountStatus::Exited,
            AccountStatus::Invited,
            AccountStatus::NotActivated,
            AccountStatus::Unknown,
        ];
        prop_oneof![
            Just(SortValue::OpenId),
            proptest::option::of(".*").prop_map(SortValue::Name),
            proptest::option::of(".*").prop_map(SortValue::Email),
            proptest::sample::select(statuses.to_vec()).prop_map(SortValue::Status),
            (-62_135_596_800_000_000i64..253_402_300_799_000_000i64).prop_map(|micros| {
                SortValue::Updated(DateTime::from_timestamp_micros(micros).unwrap())
            }),
        ]
    }

    proptest::proptest! {
        /// Every cursor reads back as itself, whatever its key's value.
        #[test]
        fn every_cursor_reads_back_as_itself(
            value in value(),
            descending: bool,
            open_id in "ou_[0-9a-zA-Z_-]{1,60}",
        ) {
            let cursor = AccountCursor::new(value, descending, OpenId::parse(&open_id).unwrap());
            proptest::prop_assert_eq!(decode(&encode(&cursor)), Ok(cursor));
        }

        /// Whatever a client sends as a cursor, reading it answers (a cursor or the error),
        /// never panics.
        #[test]
        fn any_text_or_encoded_json_reads_as_a_cursor_or_an_error(
            text in ".*",
            json in r#"\{("[sdvo]":("[a-z_]{0,12}"|-?[0-9]{1,20}|true|null|\[\]|\{\}),?){0,5}\}"#,
        ) {
            let _ = decode(&text);
            let _ = decode(&URL_SAFE_NO_PAD.encode(json));
        }
    }
}
