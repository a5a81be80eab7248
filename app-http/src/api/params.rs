//! Parsing path and query parameters into domain values; every failure is a 400
//! `invalid_parameter` naming the parameter.

use aviary_domain::model::{AccountCursor, AccountSort, ChangePosition, SortKey};
use aviary_domain::values::RunId;

use super::error::ApiError;
use aviary_views::{change_cursor, cursor};

/// Page sizes the API accepts.
pub const MAX_LIMIT: u64 = 500;

/// `limit`: `default` when absent, else 1..=[`MAX_LIMIT`].
///
/// # Errors
/// `invalid_parameter` when not a number in range.
pub fn limit(raw: Option<&str>, default: u64) -> Result<u64, ApiError> {
    limit_up_to(raw, default, MAX_LIMIT)
}

/// `limit` of a listing with its own largest page: `default` when absent, else 1..=`max`.
///
/// # Errors
/// `invalid_parameter` when not a number in range.
pub fn limit_up_to(raw: Option<&str>, default: u64, max: u64) -> Result<u64, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_parameter(
            "limit",
            format!("expected a whole number from 1 to {max}"),
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

/// `sort` (a [`SortKey`], `open_id` when absent) and `order` (`asc`, the default, or `desc`).
///
/// # Errors
/// `invalid_parameter` naming the parameter that is not one of those.
pub fn sort(key: Option<&str>, order: Option<&str>) -> Result<AccountSort, ApiError> {
    let key = choice::<SortKey>("sort", key)?.unwrap_or(SortKey::OpenId);
    let descending = match order.map(str::trim) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid_parameter("order", "expected asc or desc")),
    };
    Ok(AccountSort { key, descending })
}

/// The keyset position a `cursor` parameter stands for.
///
/// # Errors
/// `invalid_parameter` when it is not a cursor this API handed out.
pub fn decode_cursor(raw: &str) -> Result<AccountCursor, ApiError> {
    cursor::decode(raw).map_err(|err| ApiError::invalid_parameter("cursor", err))
}

/// The position a `cursor` of `run`'s changes continues after.
///
/// # Errors
/// `invalid_parameter` when it is not a cursor this API handed out for this run.
pub fn decode_change_cursor(raw: &str, run: RunId) -> Result<ChangePosition, ApiError> {
    change_cursor::decode(raw, run).map_err(|err| ApiError::invalid_parameter("cursor", err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_or_name_themselves() {
        assert_eq!(decode_cursor("!!").unwrap_err().code(), "invalid_parameter");
        assert_eq!(sort(None, None).unwrap(), AccountSort::default());
        assert_eq!(
            sort(Some("updated"), Some("desc")).unwrap(),
            AccountSort::descending(SortKey::Updated)
        );
        assert!(sort(Some("size"), None).is_err());
        assert!(sort(None, Some("up")).is_err());
        assert!(limit(Some("0"), 50).is_err());
        assert!(limit(Some("501"), 50).is_err());
        assert_eq!(limit(None, 50).unwrap(), 50);
        assert_eq!(limit_up_to(Some("1000"), 100, 1000).unwrap(), 1000);
        assert!(limit_up_to(Some("1001"), 100, 1000).is_err());
        let run = RunId::from_uuid(uuid::Uuid::nil());
        assert_eq!(
            decode_change_cursor("!!", run).unwrap_err().code(),
            "invalid_parameter"
        );
    }
}
