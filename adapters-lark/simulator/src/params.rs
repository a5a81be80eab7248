//! Query-string parsing and validation shared by the contact endpoints. Decoding follows
//! `application/x-www-form-urlencoded` rules, so an unencoded `+` arrives as a space — exactly why
//! clients must percent-encode page tokens.

use super::gateway::LarkError;
use super::page_token::{self, Cursor, Listing};
use super::tenant::{DeptIdType, UserIdType};

#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(crate) fn parse(query: &str) -> Self {
        Self {
            pairs: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        }
    }

    /// First value of `name`; an empty value counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter (`?user_ids=a&user_ids=b`).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(crate) fn user_id_type(&self) -> Result<UserIdType, LarkError> {
        match self.get("user_id_type") {
            None => Ok(UserIdType::OpenId),
            Some(v) => UserIdType::parse(v).ok_or_else(|| {
                LarkError::field_validation(
                    "user_id_type",
                    "user_id_type must be one of open_id, union_id, user_id",
                )
            }),
        }
    }

    pub(crate) fn dept_id_type(&self) -> Result<DeptIdType, LarkError> {
        match self.get("department_id_type") {
            None => Ok(DeptIdType::OpenDepartmentId),
            Some(v) => DeptIdType::parse(v).ok_or_else(|| {
                LarkError::field_validation(
                    "department_id_type",
                    "department_id_type must be one of department_id, open_department_id",
                )
            }),
        }
    }

    /// `page_size` within `1..=max`; 40011 outside it, 99992402 when not a number.
    pub(crate) fn page_size(&self, default: usize, max: usize) -> Result<usize, LarkError> {
        let Some(raw) = self.get("page_size") else {
            return Ok(default);
        };
        let size: i64 = raw.trim().parse().map_err(|_| {
            LarkError::field_validation("page_size", "page_size must be an integer")
        })?;
        usize::try_from(size)
            .ok()
            .filter(|s| (1..=max).contains(s))
            .ok_or_else(LarkError::page_size_invalid)
    }

    /// A boolean parameter, spelled as the official SDKs send it: Go and Node send `true`,
    /// Python's `lark-oapi` sends `str(True)`, i.e. `True` (its official demo calls
    /// `.fetch_child(True)`, so Lark accepts it). The spellings of Go's `strconv.ParseBool`.
    pub(crate) fn flag(&self, name: &str) -> Result<bool, LarkError> {
        match self.get(name) {
            None => Ok(false),
            Some("true" | "True" | "TRUE" | "t" | "T" | "1") => Ok(true),
            Some("false" | "False" | "FALSE" | "f" | "F" | "0") => Ok(false),
            Some(_) => Err(LarkError::field_validation(
                name,
                format!("{name} must be true or false"),
            )),
        }
    }

    /// The position encoded in `page_token` for this listing, `None` on the first page;
    /// 40012 if the token is garbled or was issued by another listing.
    pub(crate) fn cursor(&self, listing: Listing, key: u32) -> Result<Option<u64>, LarkError> {
        self.cursor_in("page_token", listing, key)
    }

    /// [`Self::cursor`] read from another parameter (`user_page_token` of the legacy APIs).
    pub(crate) fn cursor_in(
        &self,
        name: &str,
        listing: Listing,
        key: u32,
    ) -> Result<Option<u64>, LarkError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match page_token::decode(raw) {
            Some(Cursor {
                listing: l,
                key: k,
                position,
            }) if l == listing && k == key => Ok(Some(position)),
            _ => Err(LarkError::page_token_invalid()),
        }
    }
}

/// Token for the page after `position`.
pub(crate) fn next_token(listing: Listing, key: u32, position: u64) -> String {
    page_token::encode(Cursor {
        listing,
        key,
        position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_validation() {
        let token = next_token(Listing::Scopes, 0, 5);
        let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
        let ok = Params::parse(&format!(
            "page_token={encoded}&user_ids=a&user_ids=b&page_size=20"
        ));
        assert_eq!(ok.cursor(Listing::Scopes, 0), Ok(Some(5)));
        assert_eq!(
            ok.cursor(Listing::Scopes, 1),
            Err(LarkError::page_token_invalid())
        );
        assert_eq!(ok.all("user_ids"), vec!["a", "b"]);
        assert_eq!(ok.page_size(10, 50), Ok(20));

        let raw = Params::parse(&format!("page_token={token}"));
        assert_eq!(
            raw.cursor(Listing::Scopes, 0),
            Err(LarkError::page_token_invalid())
        );

        assert_eq!(
            Params::parse("page_size=51").page_size(10, 50),
            Err(LarkError::page_size_invalid())
        );
        assert_eq!(
            Params::parse("page_size=0").page_size(10, 50),
            Err(LarkError::page_size_invalid())
        );
        assert_eq!(Params::parse("").page_size(10, 50), Ok(10));
        assert_eq!(
            Params::parse("page_size=x")
                .page_size(10, 50)
                .map_err(|e| e.code),
            Err(99_992_402)
        );
        assert_eq!(
            Params::parse("fetch_child=true").flag("fetch_child"),
            Ok(true)
        );
        assert_eq!(
            Params::parse("fetch_child=True").flag("fetch_child"),
            Ok(true),
            "as Python's lark-oapi sends it"
        );
        assert_eq!(
            Params::parse("fetch_child=False").flag("fetch_child"),
            Ok(false)
        );
        assert!(
            Params::parse("fetch_child=yes")
                .flag("fetch_child")
                .is_err()
        );
        assert!(Params::parse("user_id_type=email").user_id_type().is_err());
        assert_eq!(
            Params::parse("department_id_type=department_id").dept_id_type(),
            Ok(DeptIdType::DepartmentId)
        );
    }
}
