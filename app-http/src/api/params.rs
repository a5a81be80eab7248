//! Parsing path and query parameters into domain values; every failure is a 400
//! `invalid_parameter` naming the parameter.

use aviary_domain::values::{OpenId, RunId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;

/// Page sizes the API accepts.
pub const MAX_LIMIT: u64 = 500;

/// `limit`: `default` when absent, else 1..=[`MAX_LIMIT`].
///
/// # Errors
/// `invalid_parameter` when not a number in range.
pub fn limit(raw: Option<&str>, default: u64) -> Result<u64, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_parameter(
            "limit",
            format!("expected a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// A `true`/`false` flag, `false` when absent.
///
/// # Errors
/// `invalid_parameter` for anything else.
pub fn flag(name: &str, raw: Option<&str>) -> Result<bool, ApiError> {
    match raw.map(str::trim) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid_parameter(name, "expected true or false")),
    }
}

/// An optional enumeration value (`status`, `role`, …) parsed with the domain's `FromStr`.
///
/// # Errors
/// `invalid_parameter` naming the expected values.
pub fn choice<T>(name: &str, raw: Option<&str>) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.map(|r| r.parse::<T>())
        .transpose()
        .map_err(|e| ApiError::invalid_parameter(name, e))
}

/// A run id in a path.
///
/// # Errors
/// `invalid_parameter` when it is not a UUID.
pub fn run_id(raw: &str) -> Result<RunId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid_parameter("run_id", "expected a UUID"))
}

/// The opaque cursor of the page after `open_id`.
pub fn encode_cursor(open_id: &OpenId) -> String {
    URL_SAFE_NO_PAD.encode(open_id.as_str())
}

/// The `open_id` a cursor stands for.
///
/// # Errors
/// `invalid_parameter` when it is not a cursor this API handed out.
pub fn decode_cursor(raw: &str) -> Result<OpenId, ApiError> {
    let invalid = || ApiError::invalid_parameter("cursor", "not a cursor returned by this API");
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    OpenId::parse(&text).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = OpenId::parse("ou_abc").unwrap();
        assert_eq!(decode_cursor(&encode_cursor(&id)).unwrap(), id);
        assert_eq!(decode_cursor("!!").unwrap_err().code(), "invalid_parameter");
        assert!(limit(Some("0"), 50).is_err());
        assert!(limit(Some("501"), 50).is_err());
        assert_eq!(limit(None, 50).unwrap(), 50);
    }
}
