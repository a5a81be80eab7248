//! `BaseUrl`: a custom base URL that replaces Lark's hosts for one integration (a private
//! deployment, a proxy, the simulator).

use std::fmt;

/// A base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid base URL \"{0}\": expected http:// or https:// and a host, without credentials, query or fragment"
)]
pub struct BaseUrlError(pub String);

/// `http(s)://host[:port][/path]` without a trailing slash, credentials, query, fragment,
/// whitespace or control characters: it is stored and shown in plain text, and every Lark path
/// is appended to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Trims whitespace and trailing slashes, then checks the rest.
    ///
    /// # Errors
    /// [`BaseUrlError`] with the text as given.
    pub fn parse(raw: &str) -> Result<Self, BaseUrlError> {
        let trimmed = raw.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| BaseUrlError(raw.to_owned()))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty()
            || rest
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '?' | '#'))
        {
            return Err(BaseUrlError(raw.to_owned()));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_with_a_host_are_kept_without_trailing_slashes() {
        assert_eq!(
            BaseUrl::parse(" http://127.0.0.1:9400/ ").unwrap().as_str(),
            "http://127.0.0.1:9400"
        );
        assert_eq!(
            BaseUrl::parse("https://lark.example.com/proxy/")
                .unwrap()
                .as_str(),
            "https://lark.example.com/proxy"
        );
    }

    #[test]
    fn other_schemes_credentials_queries_and_empty_hosts_are_refused() {
        for raw in [
            "ftp://x",
            "lark.example.com",
            "https://",
            "https:///path",
            "https://user:pw@x.example",
            "https://x.example/?a=1",
            "https://x.example/#top",
            "https://x example",
            "https://x.example/\u{7}",
        ] {
            assert_eq!(
                BaseUrl::parse(raw),
                Err(BaseUrlError(raw.to_owned())),
                "{raw}"
            );
        }
    }
}
