//! `BaseUrl`: a custom base URL that replaces Lark's hosts for one integration (a private
//! deployment, a proxy, the simulator), and `BaseUrlPolicy`: whether this installation lets an
//! integration have one at all.
//!
//! Aviary posts an integration's App Secret to its base URL, so a base URL chosen by whoever
//! holds an API key would turn Aviary into a request forger against the operator's own network.
//! Custom base URLs are therefore off unless the operator turns them on, and even then only
//! `https` leaves the machine: plain `http` is for loopback (the simulator, a local proxy).

use std::fmt;
use std::net::IpAddr;

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

    /// The host part, without port (IPv6 literals keep their brackets).
    fn host(&self) -> &str {
        let rest = self
            .0
            .split_once("://")
            .map_or(self.0.as_str(), |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or_default();
        match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        }
    }

    /// Whether the host is this machine: `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        let host = self.host();
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

/// Why this installation will not send requests to a base URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlRefusal {
    /// The operator has not enabled custom base URLs.
    #[error(
        "custom base URLs are disabled on this server (the operator enables them with the setting \
         lark.allow_custom_base_url); leave the base URL empty to use Lark's own hosts"
    )]
    CustomDisabled,
    /// Plain `http` to a host other than this machine.
    #[error("a custom base URL must use https:// unless its host is this machine (localhost)")]
    PlainHttp,
}

/// Which base URLs this installation lets integrations use: Lark's own hosts always, a custom
/// one only when the operator enabled them, and then `https` or loopback `http` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BaseUrlPolicy {
    allow_custom: bool,
}

impl BaseUrlPolicy {
    /// Lark's own hosts only (the default).
    pub const LARK_ONLY: Self = Self {
        allow_custom: false,
    };

    /// `allow_custom` is the operator's setting `lark.allow_custom_base_url`.
    pub const fn new(allow_custom: bool) -> Self {
        Self { allow_custom }
    }

    pub const fn allows_custom(self) -> bool {
        self.allow_custom
    }

    /// Whether requests may go to `url` (an integration's custom base URL).
    ///
    /// # Errors
    /// [`BaseUrlRefusal`] saying why not.
    pub fn admit(self, url: &BaseUrl) -> Result<(), BaseUrlRefusal> {
        if !self.allow_custom {
            return Err(BaseUrlRefusal::CustomDisabled);
        }
        if !url.is_https() && !url.is_loopback() {
            return Err(BaseUrlRefusal::PlainHttp);
        }
        Ok(())
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
    fn without_the_operators_setting_no_custom_base_url_is_admitted() {
        for raw in ["https://lark.example.com", "http://127.0.0.1:9400"] {
            let url = BaseUrl::parse(raw).unwrap();
            assert_eq!(
                BaseUrlPolicy::LARK_ONLY.admit(&url),
                Err(BaseUrlRefusal::CustomDisabled),
                "{raw}"
            );
        }
        assert_eq!(BaseUrlPolicy::default(), BaseUrlPolicy::LARK_ONLY);
    }

    #[test]
    fn with_the_setting_https_anywhere_and_http_only_to_this_machine_are_admitted() {
        let policy = BaseUrlPolicy::new(true);
        for raw in [
            "https://lark.example.com/proxy",
            "https://10.0.0.8",
            "http://127.0.0.1:9400",
            "http://127.8.9.10",
            "http://localhost:8080/lark",
            "http://LOCALHOST",
            "http://[::1]:9400",
        ] {
            assert_eq!(policy.admit(&BaseUrl::parse(raw).unwrap()), Ok(()), "{raw}");
        }
        for raw in [
            "http://10.0.0.8",
            "http://169.254.169.254/latest",
            "http://192.168.1.1:80",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://[::ffff:10.0.0.1]",
            "http://lark.example.com",
        ] {
            assert_eq!(
                policy.admit(&BaseUrl::parse(raw).unwrap()),
                Err(BaseUrlRefusal::PlainHttp),
                "{raw}"
            );
        }
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
