//! `aviary admin create|list`: the password comes in on stdin and goes nowhere else — not to
//! stdout, stderr or any file of the data directory; bad input is one `error:` line and
//! changes nothing.

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
