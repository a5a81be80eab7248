//! The admin's OAuth login with Lark (`OAuthGateway` for `LarkGateway`): the authorize URL on
//! the accounts host, the v2 token endpoint (code exchange and refresh, flat responses whose
//! `code` is a number or a string) and `/authen/v1/user_info`. Lark's v2 error codes map to the
//! port's errors in one table; 5xx answers (20050, 20072) and network failures are retried with
//! bounded backoff — but never a refresh, whose token may already have been spent.

use std::time::Duration;

use async_trait::async_trait;
use aviary_domain::model::{AuthorizedUser, IntegrationSummary, Region};
use aviary_domain::ports::{
    AuthorizeRequest, DirectoryConnection, DirectoryError, IssuedTokens, OAuthError, OAuthGateway,
};
use aviary_domain::values::{BaseUrl, BaseUrlPolicy, OpenId, PkceVerifier};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::LarkGateway;
use super::body::{BodyError, MAX_BODY_BYTES, read_bounded};
use super::retry::{backoff, random_unit};
use super::transport::{connection_base_url, endpoint_url};
use super::wire::lenient_i64;

/// The accounts host of a brand (a base-URL override replaces it too: the simulator serves
/// every path). The web UI allows it as a form target, since the connect form redirects there.
fn accounts_host(region: Region, base_url: Option<&str>) -> &str {
    match (base_url, region) {
        (Some(base), _) => base,
        (None, Region::Lark) => "https://accounts.larksuite.com",
        (None, Region::Feishu) => "https://accounts.feishu.cn",
    }
}

fn accounts_base(connection: &DirectoryConnection) -> &str {
    accounts_host(
        connection.region,
        connection.base_url.as_ref().map(BaseUrl::as_str),
    )
}

fn api_base(connection: &DirectoryConnection, policy: BaseUrlPolicy) -> Result<Url, OAuthError> {
    connection_base_url(connection, policy).map_err(|err| match err {
        DirectoryError::BaseUrlRefused(refusal) => OAuthError::BaseUrlRefused(refusal),
        other => OAuthError::Unavailable {
            detail: other.to_string(),
        },
    })
}

/// Lark's own words (code, message, log id) go to the log only: the error's text, which pages
/// and API clients see, leaves them out.
fn logged(err: &OAuthError, doing: &'static str) {
    tracing::warn!(error = ?err, doing, "Lark sign-in request failed");
}

/// Form-encodes one query value with `%20` for spaces, as Lark's own examples do.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The v2 token endpoint's answer, success or error (flat, no `data`).
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default, deserialize_with = "lenient_i64")]
    code: Option<i64>,
    access_token: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    refresh_token_expires_in: Option<i64>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct UserInfoEnvelope {
    #[serde(default, deserialize_with = "lenient_i64")]
    code: Option<i64>,
    msg: Option<String>,
    data: Option<UserInfo>,
}

#[derive(Deserialize)]
struct UserInfo {
    open_id: Option<String>,
    name: Option<String>,
    en_name: Option<String>,
    email: Option<String>,
    enterprise_email: Option<String>,
    tenant_key: Option<String>,
}

/// Which call a token request is: a refresh is never repeated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    Code,
    Refresh,
}

fn seconds(value: Option<i64>) -> Option<Duration> {
    value
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
}

/// Lark's v2 token error codes, by what the admin has to do about them.
fn token_error(code: i64, description: String) -> OAuthError {
    let detail = format!("{code}: {description}");
    match code {
        20002 | 20024 | 20048 | 20069 | 20009 => OAuthError::InvalidClient { detail },
        20003 | 20004 | 20049 | 20065 | 20071 => OAuthError::InvalidCode { detail },
        20026 | 20037 | 20064 | 20073 => OAuthError::RefreshRejected { detail },
        20074 => OAuthError::RefreshDisabled { detail },
        20008 | 20010 | 20066 => OAuthError::UserNotAllowed { detail },
        20050 | 20072 => OAuthError::Unavailable { detail },
        _ => OAuthError::Other { code, detail },
    }
}

fn invalid(detail: impl Into<String>) -> OAuthError {
    OAuthError::Other {
        code: -1,
        detail: format!("Lark sent an invalid response: {}", detail.into()),
    }
}

impl LarkGateway {
    /// Posts to the token endpoint; retries 5xx and network failures for code exchanges only.
    async fn token_request(
        &self,
        connection: &DirectoryConnection,
        body: serde_json::Value,
        grant: Grant,
    ) -> Result<IssuedTokens, OAuthError> {
        let url = endpoint_url(
            &api_base(connection, self.settings().base_url_policy())?,
            &["authen", "v2", "oauth", "token"],
            &[],
        );
        let settings = self.settings();
        let attempts = if grant == Grant::Code {
            settings.max_retries + 1
        } else {
            1
        };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                let wait = backoff(
                    attempt,
                    Duration::from_millis(settings.backoff_base_ms),
                    Duration::from_millis(settings.backoff_max_ms),
                    random_unit(),
                );
                tokio::time::sleep(wait).await;
            }
            match self.http.post(url.clone()).json(&body).send().await {
                Ok(response) => {
                    let status = response.status();
                    let text = bounded_text(response, "the token response").await?;
                    match parse_token_response(&text) {
                        Err(OAuthError::Unavailable { detail }) => {
                            last = Some(OAuthError::Unavailable { detail });
                        }
                        Err(_) if status.is_server_error() => {
                            last = Some(OAuthError::Unavailable {
                                detail: format!("HTTP {status} from the token endpoint"),
                            });
                        }
                        other => return other,
                    }
                }
                Err(err) => {
                    last = Some(OAuthError::Unavailable {
                        detail: format!("the token endpoint could not be reached: {err}"),
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| invalid("no attempt was made")))
    }
}

fn parse_token_response(text: &str) -> Result<IssuedTokens, OAuthError> {
    let parsed: TokenResponse = serde_json::from_str(text).map_err(|err| {
        invalid(format!(
            "the token response is not the documented JSON ({err})"
        ))
    })?;
    match parsed.code {
        Some(0) | None if parsed.access_token.is_some() => {}
        Some(code) if code != 0 => {
            let description = parsed
                .error_description
                .or(parsed.error)
                .unwrap_or_else(|| "no description".to_owned());
            return Err(token_error(code, description));
        }
        _ => return Err(invalid("a token response without an access_token")),
    }
    let access_token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("an empty access_token"))?;
    let expires_in =
        seconds(parsed.expires_in).ok_or_else(|| invalid("a token response without expires_in"))?;
    Ok(IssuedTokens {
        access_token: SecretString::from(access_token),
        expires_in,
        refresh_expires_in: parsed
            .refresh_token
            .as_ref()
            .and(seconds(parsed.refresh_token_expires_in)),
        refresh_token: parsed
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(SecretString::from),
        scopes: parsed
            .scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

fn parse_user_info(status: reqwest::StatusCode, text: &str) -> Result<AuthorizedUser, OAuthError> {
    let parsed: UserInfoEnvelope = serde_json::from_str(text).map_err(|err| {
        if status.is_server_error() {
            OAuthError::Unavailable {
                detail: format!("HTTP {status} from user_info"),
            }
        } else {
            invalid(format!("user_info is not the documented JSON ({err})"))
        }
    })?;
    let msg = parsed.msg.unwrap_or_default();
    match parsed.code {
        Some(0) => {}
        Some(code @ (99991668 | 99991677 | 99991661 | 99991663)) => {
            return Err(OAuthError::AccessTokenRejected {
                detail: format!("{code}: {msg}"),
            });
        }
        Some(code) => {
            return Err(OAuthError::Other {
                code,
                detail: format!("{code}: {msg}"),
            });
        }
        None => return Err(invalid("user_info without a code")),
    }
    let data = parsed
        .data
        .ok_or_else(|| invalid("user_info without data"))?;
    let open_id = data
        .open_id
        .as_deref()
        .and_then(|id| OpenId::parse(id).ok())
        .ok_or_else(|| invalid("user_info without a valid open_id"))?;
    let tenant_key = data
        .tenant_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| invalid("user_info without a tenant_key"))?;
    let name = data
        .name
        .filter(|n| !n.is_empty())
        .or(data.en_name)
        .unwrap_or_else(|| open_id.as_str().to_owned());
    Ok(AuthorizedUser {
        open_id,
        name,
        email: data
            .enterprise_email
            .filter(|e| !e.is_empty())
            .or(data.email)
            .filter(|e| !e.is_empty()),
        tenant_key,
    })
}

#[async_trait]
impl OAuthGateway for LarkGateway {
    fn accounts_base(&self, integration: &IntegrationSummary) -> String {
        accounts_host(
            integration.region,
            integration.base_url.as_ref().map(BaseUrl::as_str),
        )
        .to_owned()
    }

    fn authorize_url(
        &self,
        connection: &DirectoryConnection,
        request: &AuthorizeRequest,
    ) -> String {
        let base = accounts_base(connection).trim_end_matches('/');
        let scope = request.scopes.join(" ");
        let params = [
            ("client_id", connection.app_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", request.redirect_uri.as_str()),
            // Optional at Lark; an empty one is left out rather than sent blank.
            ("scope", scope.as_str()),
            ("state", request.state.as_str()),
            ("code_challenge", request.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let query: Vec<String> = params
            .iter()
            .filter(|(key, value)| *key != "scope" || !value.is_empty())
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        format!("{base}/open-apis/authen/v1/authorize?{}", query.join("&"))
    }

    async fn exchange_code(
        &self,
        connection: &DirectoryConnection,
        code: &str,
        redirect_uri: &str,
        verifier: &PkceVerifier,
    ) -> Result<IssuedTokens, OAuthError> {
        let body = json!({
            "grant_type": "authorization_code",
            "client_id": connection.app_id.as_str(),
            "client_secret": connection.app_secret.expose_secret(),
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier.secret().expose_secret(),
        });
        self.token_request(connection, body, Grant::Code)
            .await
            .inspect_err(|err| logged(err, "exchanging the sign-in code"))
    }

    async fn refresh(
        &self,
        connection: &DirectoryConnection,
        refresh_token: &SecretString,
    ) -> Result<IssuedTokens, OAuthError> {
        let body = json!({
            "grant_type": "refresh_token",
            "client_id": connection.app_id.as_str(),
            "client_secret": connection.app_secret.expose_secret(),
            "refresh_token": refresh_token.expose_secret(),
        });
        self.token_request(connection, body, Grant::Refresh)
            .await
            .inspect_err(|err| logged(err, "renewing a sign-in"))
    }

    async fn user_info(
        &self,
        connection: &DirectoryConnection,
        access_token: &SecretString,
    ) -> Result<AuthorizedUser, OAuthError> {
        let url = endpoint_url(
            &api_base(connection, self.settings().base_url_policy())?,
            &["authen", "v1", "user_info"],
            &[],
        );
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(|err| OAuthError::Unavailable {
                detail: format!("user_info could not be reached: {err}"),
            })?;
        let status = response.status();
        let text = bounded_text(response, "user_info").await?;
        parse_user_info(status, &text).inspect_err(|err| logged(err, "reading the signed-in user"))
    }
}

/// The body of an OAuth answer as text, read within [`MAX_BODY_BYTES`].
async fn bounded_text(response: reqwest::Response, what: &str) -> Result<String, OAuthError> {
    let body = read_bounded(response, MAX_BODY_BYTES)
        .await
        .map_err(|err| OAuthError::Unavailable {
            detail: match err {
                BodyError::Network(err) => format!("reading {what}: {}", err.without_url()),
                BodyError::TooLarge => format!(
                    "{what} is larger than {} MiB",
                    MAX_BODY_BYTES / (1024 * 1024)
                ),
            },
        })?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verbatim copies of the documentation's payloads (tests/fixtures/README.md).
    const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn sample(name: &str) -> String {
        std::fs::read_to_string(format!("{SAMPLES}/{name}")).unwrap()
    }

    #[test]
    fn documented_token_responses_parse_with_string_or_number_codes() {
        let issued = parse_token_response(&sample("oauth_token_v2_response.json")).unwrap();
        assert_eq!(issued.expires_in, Duration::from_secs(7200));
        assert_eq!(
            issued.refresh_expires_in,
            Some(Duration::from_secs(604_800))
        );
        assert!(issued.refresh_token.is_some());
        assert!(issued.scopes.contains(&"offline_access".to_owned()));
        let feishu = parse_token_response(&sample("oauth_token_v2_response_feishu.json")).unwrap();
        assert!(!feishu.access_token.expose_secret().is_empty());
        let refreshed = parse_token_response(&sample("oauth_refresh_v2_response.json")).unwrap();
        assert!(refreshed.refresh_token.is_some());
    }

    #[test]
    fn documented_token_errors_map_to_what_the_admin_must_do() {
        let err = parse_token_response(&sample("oauth_token_v2_error.json")).unwrap_err();
        assert!(matches!(err, OAuthError::Unavailable { .. }), "{err:?}");
        let cases = [
            (20003, "InvalidCode"),
            (20065, "InvalidCode"),
            (20049, "InvalidCode"),
            (20073, "RefreshRejected"),
            (20064, "RefreshRejected"),
            (20037, "RefreshRejected"),
            (20074, "RefreshDisabled"),
            (20002, "InvalidClient"),
            (20010, "UserNotAllowed"),
            (20036, "Other"),
        ];
        for (code, kind) in cases {
            let body =
                format!(r#"{{"code":{code},"error":"invalid_grant","error_description":"d"}}"#);
            let err = parse_token_response(&body).unwrap_err();
            assert!(format!("{err:?}").starts_with(kind), "{code}: {err:?}");
        }
        assert!(
            parse_token_response(r#"{"code":"0"}"#).is_err(),
            "no access token"
        );
        assert!(parse_token_response("<html>").is_err());
    }

    #[test]
    fn user_info_of_the_documented_sample() {
        let user = parse_user_info(
            reqwest::StatusCode::OK,
            &sample("authen_user_info_feishu.json"),
        )
        .unwrap();
        assert_eq!(user.tenant_key, "736588c92lxf175d");
        assert_eq!(user.name, "zhangsan");
        assert_eq!(user.email.as_deref(), Some("demo@mail.com"));
        let rejected = parse_user_info(
            reqwest::StatusCode::BAD_REQUEST,
            r#"{"code":99991668,"msg":"Invalid access token"}"#,
        );
        assert!(matches!(
            rejected,
            Err(OAuthError::AccessTokenRejected { .. })
        ));
    }
}
