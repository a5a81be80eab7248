//! What several end-to-end tests share: the installation's services in this process (over the
//! same database as the `aviary` processes), its stored grant, and the Lark login done the way
//! the web UI does it.

use aviary_app_http::{Services, Settings};
use aviary_domain::model::{Grant, Region};
use aviary_domain::usecases::connect::{Callback, LoginOptions};
use aviary_domain::values::IntegrationId;
use aviary_tests::Installation;
use reqwest::header::LOCATION;
use secrecy::SecretString;

/// The installation's services, in this process, over the same database as its processes.
pub async fn in_process(aviary: &Installation) -> Services {
    let mut settings = Settings::defaults();
    settings.data.dir = aviary.data_dir();
    settings.database.url = SecretString::from(String::new());
    settings.secrets.master_key = None;
    settings.lark.client.allow_custom_base_url = true;
    Services::build(settings).await.unwrap()
}

/// The integration's stored grant.
pub async fn stored_grant(services: &Services, id: IntegrationId) -> Grant {
    services
        .database()
        .grants()
        .grant(id)
        .await
        .unwrap()
        .expect("a stored grant")
}

/// Connects the integration through the Lark login, asking for `offline_access`: the
/// simulator (approving at once) answers its authorize URL with the redirect to Aviary's
/// callback, whose `code` and `state` complete the login.
pub async fn connect_renewable(services: &Services, id: IntegrationId) {
    let options = LoginOptions {
        offline_access: true,
    };
    let authorize = services
        .connect
        .start(id, "the e2e tests", options)
        .await
        .unwrap();
    let approved = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&authorize)
        .send()
        .await
        .unwrap();
    let location = approved.headers()[LOCATION].to_str().unwrap().to_owned();
    let location = reqwest::Url::parse(&location).unwrap();
    let mut callback = Callback {
        region: Some(Region::Lark),
        ..Callback::default()
    };
    for (name, value) in location.query_pairs() {
        match name.as_ref() {
            "state" => callback.state = Some(value.into_owned()),
            "code" => callback.code = Some(value.into_owned()),
            _ => {}
        }
    }
    services
        .connect
        .complete(&callback, "the e2e tests")
        .await
        .unwrap();
}
