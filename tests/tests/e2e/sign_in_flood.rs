//! A flood of sign-ins against the real server and its real Argon2 (19 MiB per check): 200
//! concurrent wrong passwords and the right one for one admin from one address. Only the
//! client's allowance of attempts is ever checked (the rest are refused at once, 429, or 503
//! while the server is checking its maximum at once) and the server's memory stays bounded;
//! once failures have locked the account, the right password is refused from any address.

use aviary_tests::Installation;
use aviary_tests::server::Server;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

const EMAIL: &str = "flood@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// The domain's allowance of failed sign-ins per client and window.
const ALLOWANCE: usize = 10;

fn client(from: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap()
}

async fn sign_in(client: &reqwest::Client, url: &str, password: &str) -> StatusCode {
    client
        .post(url)
        .form(&[("email", EMAIL), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

/// Whether the admin is locked now, as `aviary admin list` shows it.
fn locked(aviary: &Installation) -> bool {
    let admins = aviary
        .run(&["admin", "list", "--output", "json"])
        .success()
        .json();
    !admins[0]["locked_until"].is_null()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_flood_checks_few_passwords_locks_the_account_and_keeps_memory_bounded() {
    let aviary = Installation::new();
    aviary
        .run_with_stdin(&["admin", "create", "--email", EMAIL], PASSWORD)
        .success();
    let server = Server::start(&aviary).await;
    let url = server.url("/signin");
    let attacker = client([127, 0, 0, 1]);
    let baseline = server.peak_rss_kib();

    let mut attempts = Vec::new();
    for i in 0..=200 {
        let (client, url) = (attacker.clone(), url.clone());
        let password = if i == 100 {
            PASSWORD.to_owned()
        } else {
            format!("wrong guess {i}")
        };
        attempts.push(tokio::spawn(async move {
            sign_in(&client, &url, &password).await
        }));
    }
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let count = |status: StatusCode| statuses.iter().filter(|s| **s == status).count();
    let checked = count(StatusCode::UNAUTHORIZED) + count(StatusCode::SEE_OTHER);
    assert!(
        checked <= ALLOWANCE + 1,
        "at most the client's allowance (and the one success) was checked: {checked} ({statuses:?})"
    );
    assert_eq!(
        checked + count(StatusCode::TOO_MANY_REQUESTS) + count(StatusCode::SERVICE_UNAVAILABLE),
        201,
        "every other attempt was refused at once: {statuses:?}"
    );

    // Failures from elsewhere lock the account (five in a row, counting the burst's); from then
    // on the right password is refused, from any address.
    let elsewhere = client([127, 0, 0, 2]);
    for _ in 0..5 {
        if locked(&aviary) {
            break;
        }
        assert_eq!(
            sign_in(&elsewhere, &url, "another wrong guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(locked(&aviary), "five failures in a row lock the account");
    assert_eq!(
        sign_in(&client([127, 0, 0, 3]), &url, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "locked: even the right password is refused"
    );

    if let (Some(before), Some(peak)) = (baseline, server.peak_rss_kib()) {
        // Four checks at once at most, 19 MiB each, over what the server used before.
        assert!(
            peak < before + 160 * 1024,
            "peak RSS {peak} KiB, {before} KiB before the flood"
        );
        eprintln!(
            "sign-in flood: peak RSS {peak} KiB ({before} KiB before); statuses 401/303: {checked}, 429: {}, 503: {}",
            count(StatusCode::TOO_MANY_REQUESTS),
            count(StatusCode::SERVICE_UNAVAILABLE)
        );
    }
    server.stop();
}
