//! Where requests may go, and what of an upstream's answer an error's text may carry: nothing
//! leaves for a custom base URL unless the operator allowed it, and Lark's status, message and
//! log id stay out of the text that API clients and pages show (issue 10, item 4).

use aviary_domain::ports::OAuthGateway;
use aviary_domain::values::{BaseUrlRefusal, PkceVerifier};

use super::*;

fn lark_only() -> LarkClientSettings {
    LarkClientSettings {
        allow_custom_base_url: false,
        ..settings()
    }
}

#[tokio::test]
async fn without_the_operators_setting_nothing_is_sent_to_a_custom_base_url() {
    let server = lark().await;
    let gateway = LarkGateway::new(lark_only()).unwrap();
    let refused = gateway.open(&connection(&server)).await.err().unwrap();
    assert_eq!(
        refused,
        DirectoryError::BaseUrlRefused(BaseUrlRefusal::CustomDisabled)
    );
    let verified = gateway
        .open_verified(&connection(&server))
        .await
        .err()
        .unwrap();
    assert!(matches!(verified, DirectoryError::BaseUrlRefused(_)));
    let exchange = gateway
        .exchange_code(
            &connection(&server),
            "code",
            "http://127.0.0.1/callback",
            &PkceVerifier::from_random([1; 32]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            exchange,
            aviary_domain::ports::OAuthError::BaseUrlRefused(_)
        ),
        "{exchange:?}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "not one request (and so not the App Secret) reached the custom base URL"
    );
}

#[tokio::test]
async fn plain_http_leaves_this_machine_for_no_host_even_when_custom_base_urls_are_allowed() {
    let gateway = LarkGateway::new(settings()).unwrap();
    let mut remote = connection(&lark().await);
    remote.base_url = Some(BaseUrl::parse("http://169.254.169.254/latest").unwrap());
    let refused = gateway.open(&remote).await.err().unwrap();
    assert_eq!(
        refused,
        DirectoryError::BaseUrlRefused(BaseUrlRefusal::PlainHttp)
    );
}

#[tokio::test]
async fn an_upstream_failure_keeps_its_status_message_and_log_id_out_of_the_errors_text() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(418)
                .insert_header("x-tt-logid", "LOGID-internal-7781")
                .set_body_raw("<h1>intranet admin panel</h1>", "text/html"),
        )
        .mount(&server)
        .await;
    let gateway = LarkGateway::new(settings()).unwrap();
    let err = gateway.open(&connection(&server)).await.err().unwrap();
    let text = err.to_string();
    for leaked in ["418", "LOGID-internal-7781", "intranet", "admin panel"] {
        assert!(!text.contains(leaked), "{leaked:?} in {text:?}");
    }

    let coded = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(answer(
            400,
            &json!({"code": 10003, "msg": "internal host db-7.corp answered"}),
        ))
        .mount(&coded)
        .await;
    let err = gateway.open(&connection(&coded)).await.err().unwrap();
    let text = err.to_string();
    assert!(!text.contains("db-7.corp"), "{text}");
    assert!(
        matches!(&err, DirectoryError::InvalidCredentials { detail } if detail.contains("db-7.corp"))
            || matches!(&err, DirectoryError::Api { msg, .. } if msg.contains("db-7.corp")),
        "the detail is kept for the log: {err:?}"
    );
}
