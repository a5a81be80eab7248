//! `aviary demo --exit`: the simulated tenant is connected through the OAuth login and synced,
//! and every run prints sign-in details that work: the first creates the demo admin, a rerun
//! gives it a new password, which ends the sessions of the old one. Signing in is checked with
//! the installation's own services in this process (nothing is served with `--exit`); no
//! printed password is stored in the data directory.

use crate::support::in_process;
use aviary_domain::usecases::{SessionError, SignInError};
use aviary_tests::Installation;
use secrecy::SecretString;

const ADMIN: &str = "admin@demo.aviary.invalid";

fn password(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("password: "))
        .map(str::to_owned)
}

fn stored(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_syncs_the_tenant_and_prints_sign_in_details_that_work() {
    let aviary = Installation::new();
    let args = ["demo", "--exit", "--users", "40", "--departments", "5"];
    let first = aviary.run(&args).success();
    assert!(first.stdout.contains(ADMIN), "{}", first.stdout);
    let printed = password(&first.stdout).expect("the first demo prints a password");
    assert!(printed.len() >= 12, "{printed}");
    assert!(!first.stderr.contains(&printed), "{}", first.stderr);

    let integration = aviary
        .run(&["integration", "show", "demo", "--output", "json"])
        .success()
        .json();
    assert_eq!(integration["status"], "active", "{integration}");
    assert!(
        integration["tenant_name"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{integration}"
    );
    assert_eq!(aviary.accounts("demo").len(), 40);

    let services = in_process(&aviary).await;
    let (_, session) = services
        .sign_in
        .sign_in(ADMIN, &SecretString::from(printed.clone()))
        .await
        .expect("the printed password signs in");
    services.sign_in.authenticate(&session).await.unwrap();

    // A second demo replaces the integration and gives the same admin a new password.
    let second = aviary.run(&args).success();
    assert!(second.stdout.contains(ADMIN), "{}", second.stdout);
    let renewed = password(&second.stdout).expect("every demo prints a password");
    assert!(renewed.len() >= 12, "{renewed}");
    assert_ne!(renewed, printed);
    assert!(!second.stdout.contains(&printed), "{}", second.stdout);
    assert!(!second.stderr.contains(&renewed), "{}", second.stderr);
    let integration = aviary
        .run(&["integration", "show", "demo", "--output", "json"])
        .success()
        .json();
    assert_eq!(integration["status"], "active", "{integration}");
    let admins = aviary
        .run(&["admin", "list", "--output", "json"])
        .success()
        .json();
    let admins = admins.as_array().cloned().unwrap_or_default();
    assert_eq!(admins.len(), 1, "{admins:?}");
    assert_eq!(admins[0]["email"], ADMIN);

    assert_eq!(
        services.sign_in.authenticate(&session).await.unwrap_err(),
        SessionError::Unauthenticated,
        "the new password ended the session of the old one"
    );
    assert_eq!(
        services
            .sign_in
            .sign_in(ADMIN, &SecretString::from(printed.clone()))
            .await
            .unwrap_err(),
        SignInError::InvalidCredentials,
        "the old password no longer signs in"
    );
    let (_, fresh) = services
        .sign_in
        .sign_in(ADMIN, &SecretString::from(renewed.clone()))
        .await
        .expect("the new password signs in");
    services.sign_in.authenticate(&fresh).await.unwrap();
    services.database().clone().close().await.unwrap();

    let bytes = aviary.data_bytes();
    assert!(
        stored(&bytes, ADMIN),
        "the data directory holds the database"
    );
    for secret in [&printed, &renewed] {
        assert!(
            !stored(&bytes, secret),
            "a demo admin's password is readable in the data directory"
        );
    }
}
