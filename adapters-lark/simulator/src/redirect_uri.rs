//! `redirect_uri` handling: which values are acceptable, and how the callback URL is built
//! (parameters appended to an existing query, before any `#fragment`, as Lark documents).

/// Why a redirect URI is unacceptable; `None` for an absolute http(s) URL with a host.
pub(crate) fn problem(raw: &str) -> Option<&'static str> {
    if !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Some("it contains characters that must be percent-encoded");
    }
    match url::Url::parse(raw) {
        Err(_) => Some("it is not an absolute URL"),
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Some("it must be http or https"),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => Some("it has no host"),
        Ok(_) => None,
    }
}

/// `uri` with `pairs` appended to its query (kept byte for byte), the fragment moved after them.
pub(crate) fn with_params(uri: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match uri.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (uri, None),
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    let query = query.finish();
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut out = format!("{base}{separator}{query}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptable_uris() {
        assert_eq!(problem("https://example.com/api/oauth/callback"), None);
        assert_eq!(problem("http://127.0.0.1:8080/cb?x=1#f"), None);
        assert!(problem("/relative").is_some());
        assert!(problem("javascript:alert(1)").is_some());
        assert!(problem("ftp://example.com/").is_some());
        assert!(problem("file:///etc/passwd").is_some());
        assert!(problem("https://e.com/a b").is_some());
        assert!(problem("https://e.com/\r\nSet-Cookie:x").is_some());
        assert!(problem("https://e.com/é").is_some());
    }

    #[test]
    fn appending() {
        let pairs = [("code", "a-b_c"), ("state", "s p&")];
        assert_eq!(
            with_params("https://e.com/cb", &pairs),
            "https://e.com/cb?code=a-b_c&state=s+p%26"
        );
        assert_eq!(
            with_params("https://e.com/cb?x=%2F&y", &pairs[..1]),
            "https://e.com/cb?x=%2F&y&code=a-b_c"
        );
        assert_eq!(
            with_params("https://e.com/cb?", &pairs[..1]),
            "https://e.com/cb?code=a-b_c"
        );
        assert_eq!(
            with_params("https://e.com/cb?x=1#frag", &pairs[..1]),
            "https://e.com/cb?x=1&code=a-b_c#frag"
        );
        assert_eq!(
            with_params("https://e.com/cb#/route", &[("error", "access_denied")]),
            "https://e.com/cb?error=access_denied#/route"
        );
    }
}
