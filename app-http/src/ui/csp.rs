//! The overview's Content-Security-Policy: browsers check `form-action` on the redirects that
//! follow a form submission too, so the "Connect with Lark" form (which answers with a 303 to
//! Lark's authorize page) needs the accounts hosts of the integrations it is shown for.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use aviary_domain::model::IntegrationSummary;
use aviary_domain::usecases::connect::Connect;

use super::error::UiError;

/// The policy every response gets unless a page sets its own (`server.rs`): its own origin
/// only, no `<base>` that could redirect relative links and forms, forms posted back to
/// Aviary, never framed.
pub const DEFAULT_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// [`DEFAULT_POLICY`] with `extra` form targets.
pub fn policy(extra: &[String]) -> String {
    let mut targets = String::from("'self'");
    for origin in extra {
        targets.push(' ');
        targets.push_str(origin);
    }
    format!("default-src 'self'; base-uri 'none'; form-action {targets}; frame-ancestors 'none'")
}

/// The origins (`scheme://host[:port]`, nothing else) of the accounts hosts of `integrations`.
pub fn accounts_origins<'a>(
    connect: &Connect,
    integrations: impl IntoIterator<Item = &'a IntegrationSummary>,
) -> Vec<String> {
    let mut origins: Vec<String> = integrations
        .into_iter()
        .filter_map(|integration| {
            let base = connect.accounts_base(integration);
            let origin = url::Url::parse(&base).ok()?.origin();
            origin.is_tuple().then(|| origin.ascii_serialization())
        })
        .collect();
    origins.sort();
    origins.dedup();
    origins
}

/// Lets the page's "Connect with Lark" forms of `integrations` reach their accounts hosts (no
/// change when there are none).
///
/// # Errors
/// `Internal` when an accounts host does not fit in a header.
pub fn allow_connect_forms<'a>(
    response: &mut HttpResponse,
    connect: &Connect,
    integrations: impl IntoIterator<Item = &'a IntegrationSummary>,
) -> Result<(), UiError> {
    let targets = accounts_origins(connect, integrations);
    if targets.is_empty() {
        return Ok(());
    }
    let policy = HeaderValue::from_str(&policy(&targets)).map_err(|_| {
        tracing::error!("an accounts host does not fit in a header");
        UiError::Internal
    })?;
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, policy);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_targets_it_is_the_default_policy() {
        assert_eq!(policy(&[]), DEFAULT_POLICY);
        assert_eq!(
            policy(&["https://accounts.larksuite.com".to_owned()]),
            "default-src 'self'; base-uri 'none'; form-action 'self' \
             https://accounts.larksuite.com; frame-ancestors 'none'"
        );
    }
}
