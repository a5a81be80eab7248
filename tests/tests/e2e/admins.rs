//! `aviary admin create|list|reset-password`: the password comes in on stdin and goes nowhere
//! else — not to stdout, stderr or any file of the data directory; bad input is one `error:`
//! line and changes nothing. A reset, checked over HTTP against `aviary serve`, ends the
//! admin's sessions (not another admin's), clears the sign-in lock, and only the new password
//! signs in.

use aviary_tests::server::{Server, WebClient};
use aviary_tests::{Installation, Run};

const PASSWORD: &str = "CANARY correct-horse battery staple 42";

fn create(aviary: &Installation, email: &str, stdin: &str) -> Run {
    aviary.run_with_stdin(
        &["admin", "create", "--email", email, "--output", "json"],
        stdin,
    )
}

fn listed(aviary: &Installation) -> Vec<serde_json::Value> {
    let run = aviary.run(&["admin", "list", "--output", "json"]).success();
    run.json().as_array().cloned().unwrap_or_default()
}

#[test]
fn admins_are_created_from_stdin_and_listed_and_the_password_is_never_shown_or_stored() {
    let aviary = Installation::new();
    let mut runs = Vec::new();

    let created = create(&aviary, " Ada@Example.com ", &format!("{PASSWORD}\n")).success();
    let admin = created.json();
    assert_eq!(admin["email"], "ada@example.com", "{admin}");
    assert_eq!(admin["failed_attempts"], 0);
    assert!(admin["last_sign_in_at"].is_null() && admin["locked_until"].is_null());
    assert!(admin.get("password_hash").is_none(), "{admin}");
    runs.push(created);

    let duplicate = create(&aviary, "ada@example.com", &format!("{PASSWORD}\n"));
    duplicate.clean_failure(1);
    assert!(
        duplicate.stderr.contains("already exists"),
        "{}",
        duplicate.stderr
    );
    runs.push(duplicate);

    let weak = create(&aviary, "bob@example.com", "CANARY-weak\n");
    weak.clean_failure(1);
    assert!(
        weak.stderr.contains("at least 12 characters"),
        "{}",
        weak.stderr
    );
    assert!(!weak.stderr.contains("CANARY-weak"), "{}", weak.stderr);
    runs.push(weak);

    let blank = create(&aviary, "bob@example.com", &format!("{}\n", " ".repeat(16)));
    blank.clean_failure(1);
    assert!(blank.stderr.contains("only whitespace"), "{}", blank.stderr);
    runs.push(blank);

    let bad_email = create(&aviary, "bob.example.com", &format!("{PASSWORD}\n"));
    bad_email.clean_failure(1);
    assert!(
        bad_email.stderr.contains("invalid email"),
        "{}",
        bad_email.stderr
    );
    runs.push(bad_email);

    let no_password = aviary.run(&["admin", "create", "--email", "bob@example.com"]);
    no_password.clean_failure(1);
    assert!(
        no_password.stderr.contains("stdin"),
        "{}",
        no_password.stderr
    );
    runs.push(no_password);

    let admins = listed(&aviary);
    assert_eq!(
        admins.len(),
        1,
        "only the first admin was stored: {admins:?}"
    );
    assert_eq!(admins[0]["email"], "ada@example.com");
    assert_eq!(admins[0]["id"], admin["id"]);

    // The first line is the password, with its line ending (also CRLF) and nothing else removed.
    let second = create(
        &aviary,
        "bob@example.com",
        &format!("{PASSWORD}\r\nignored\n"),
    )
    .success();
    runs.push(second);
    let table = aviary.run(&["admin", "list"]).success();
    assert!(table.stdout.contains("ada@example.com"), "{}", table.stdout);
    assert!(table.stdout.contains("bob@example.com"), "{}", table.stdout);
    assert!(table.stdout.contains("LAST SIGN-IN"), "{}", table.stdout);
    runs.push(table);
    let csv = aviary.run(&["admin", "list", "--output", "csv"]).success();
    assert_eq!(csv.stdout.lines().count(), 3, "{}", csv.stdout);
    runs.push(csv);

    for run in &runs {
        assert!(
            !run.stdout.contains("CANARY"),
            "password on stdout: {}",
            run.stdout
        );
        assert!(
            !run.stderr.contains("CANARY"),
            "password on stderr: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("$argon2"),
            "password hash on stdout: {}",
            run.stdout
        );
    }
    let stored = aviary.data_bytes();
    assert!(
        stored
            .windows(b"ada@example.com".len())
            .any(|w| w == b"ada@example.com"),
        "the data directory holds the database"
    );
    assert!(
        !stored.windows(b"CANARY".len()).any(|w| w == b"CANARY"),
        "a password is readable in the data directory"
    );
}

// ---- admin reset-password ---------------------------------------------------------------------

const EMAIL: &str = "ada@example.com";
const NEW_PASSWORD: &str = "CANARY new passphrase for Ada 7";
const NEWER_PASSWORD: &str = "CANARY and another one for Ada 8";

fn reset(aviary: &Installation, email: &str, stdin: &str, output: &str) -> Run {
    aviary.run_with_stdin(
        &[
            "admin",
            "reset-password",
            "--email",
            email,
            "--output",
            output,
        ],
        stdin,
    )
}

/// `POST /signin`; a session cookie and `303` mean signed in, `401` means refused.
async fn sign_in(server: &Server, client: &mut WebClient, email: &str, password: &str) -> u16 {
    client
        .post_form(
            &server.url("/signin"),
            &[("email", email), ("password", password)],
        )
        .await
        .status()
        .as_u16()
}

/// The status of the overview page for this client: `200` signed in, `303` to `/signin` not.
async fn overview(server: &Server, client: &mut WebClient) -> u16 {
    client.get(&server.url("/")).await.status().as_u16()
}

fn admin_named(aviary: &Installation, email: &str) -> serde_json::Value {
    listed(aviary)
        .into_iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("no admin {email}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_ends_the_admins_sessions_clears_the_lock_and_is_never_shown() {
    let aviary = Installation::new();
    let mut runs = Vec::new();
    runs.push(create(&aviary, EMAIL, &format!("{PASSWORD}\n")).success());
    runs.push(create(&aviary, "bob@example.com", &format!("{PASSWORD}\n")).success());
    let server = Server::start(&aviary).await;

    let mut ada = WebClient::new(&server);
    assert_eq!(sign_in(&server, &mut ada, EMAIL, PASSWORD).await, 303);
    assert!(ada.signed_in());
    assert_eq!(overview(&server, &mut ada).await, 200);
    let mut bob = WebClient::new(&server);
    assert_eq!(
        sign_in(&server, &mut bob, "bob@example.com", PASSWORD).await,
        303
    );
    // Five wrong guesses lock Ada's account (the per-client limit is higher).
    let mut guesser = WebClient::new(&server);
    for _ in 0..5 {
        assert_eq!(
            sign_in(&server, &mut guesser, EMAIL, "a wrong guess of 12+").await,
            401
        );
    }
    let locked = admin_named(&aviary, EMAIL);
    assert!(locked["locked_until"].is_string(), "{locked}");

    let done = reset(&aviary, EMAIL, &format!("{NEW_PASSWORD}\n"), "table").success();
    let lines: Vec<&str> = done.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one confirmation line: {}", done.stdout);
    assert!(lines[0].contains(EMAIL), "{}", done.stdout);
    assert!(lines[0].contains("1 session ended"), "{}", done.stdout);
    assert!(done.stderr.trim().is_empty(), "{}", done.stderr);
    runs.push(done);

    // Ada's session is over, Bob's is not; the lock is gone and only the new password works.
    assert_eq!(overview(&server, &mut ada).await, 303, "{}", server.logs());
    assert_eq!(overview(&server, &mut bob).await, 200);
    let unlocked = admin_named(&aviary, EMAIL);
    assert!(unlocked["locked_until"].is_null(), "{unlocked}");
    assert_eq!(unlocked["failed_attempts"], 0);
    let mut again = WebClient::new(&server);
    assert_eq!(sign_in(&server, &mut again, EMAIL, PASSWORD).await, 401);
    assert_eq!(sign_in(&server, &mut again, EMAIL, NEW_PASSWORD).await, 303);
    assert_eq!(overview(&server, &mut again).await, 200);

    // Refusals: one `error:` line, exit 1, nothing changed (the new password still works).
    let unknown = reset(
        &aviary,
        "nobody@example.com",
        &format!("{NEWER_PASSWORD}\n"),
        "table",
    );
    unknown.clean_failure(1);
    assert!(
        unknown
            .stderr
            .contains("there is no admin with email nobody@example.com"),
        "{}",
        unknown.stderr
    );
    runs.push(unknown);
    let short = reset(&aviary, EMAIL, "CANARY-weak\n", "table");
    short.clean_failure(1);
    assert!(
        short.stderr.contains("at least 12 characters"),
        "{}",
        short.stderr
    );
    runs.push(short);
    let bad_email = reset(
        &aviary,
        "ada.example.com",
        &format!("{NEWER_PASSWORD}\n"),
        "table",
    );
    bad_email.clean_failure(1);
    assert!(
        bad_email.stderr.contains("invalid email"),
        "{}",
        bad_email.stderr
    );
    runs.push(bad_email);
    let no_password = aviary.run(&["admin", "reset-password", "--email", EMAIL]);
    no_password.clean_failure(1);
    assert!(
        no_password
            .stderr
            .contains("aviary admin reset-password --email E < password.txt"),
        "{}",
        no_password.stderr
    );
    runs.push(no_password);
    assert_eq!(overview(&server, &mut again).await, 200, "no session ended");
    let mut check = WebClient::new(&server);
    assert_eq!(sign_in(&server, &mut check, EMAIL, NEW_PASSWORD).await, 303);

    // As JSON: the admin as stored now and the two sessions of the new password that ended.
    let json = reset(&aviary, EMAIL, &format!("{NEWER_PASSWORD}\n"), "json").success();
    let view = json.json();
    assert_eq!(view["email"], EMAIL, "{view}");
    assert_eq!(view["sessions_ended"], 2, "{view}");
    assert_eq!(view["failed_attempts"], 0, "{view}");
    assert!(view.get("password_hash").is_none(), "{view}");
    runs.push(json);
    assert_eq!(overview(&server, &mut check).await, 303);
    assert_eq!(
        sign_in(&server, &mut check, EMAIL, NEWER_PASSWORD).await,
        303
    );
    server.stop();

    for run in &runs {
        for stream in [&run.stdout, &run.stderr] {
            assert!(!stream.contains("CANARY"), "a password is shown: {stream}");
            assert!(!stream.contains("$argon2"), "a hash is shown: {stream}");
        }
    }
    let stored = aviary.data_bytes();
    assert!(
        !stored.windows(b"CANARY".len()).any(|w| w == b"CANARY"),
        "a password is readable in the data directory"
    );
}
