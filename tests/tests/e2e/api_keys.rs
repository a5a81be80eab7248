//! API keys through the real binary: created and printed once, listed by prefix only, revoked
//! once, bad input refused with one `error:` line, and the key nowhere in the data directory.

use aviary_tests::Installation;
use serde_json::Value;

/// `avk_` and 43 base64url characters.
fn is_api_key(text: &str) -> bool {
    text.strip_prefix("avk_").is_some_and(|random| {
        random.len() == 43
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn api_keys_are_shown_once_listed_by_prefix_and_revoked_once() {
    let aviary = Installation::new();

    // Create: the key is printed once, in the documented shape, with a warning on stderr.
    let created = aviary
        .run(&[
            "key",
            "create",
            "--name",
            " CI exporter ",
            "--scope",
            "read",
            "--expires-in-days",
            "30",
            "--output",
            "json",
        ])
        .success();
    assert!(
        created.stderr.contains("only time") && created.stderr.contains("cannot be shown again"),
        "{}",
        created.stderr
    );
    let json = created.json();
    let object = json.as_object().expect("one object");
    let mut fields: Vec<&str> = object.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created_at",
            "expires_at",
            "id",
            "key",
            "name",
            "prefix",
            "scope"
        ]
    );
    assert_eq!(json["scope"], "read");
    let created_at = chrono::DateTime::parse_from_rfc3339(json["created_at"].as_str().unwrap());
    let expires_at = chrono::DateTime::parse_from_rfc3339(json["expires_at"].as_str().unwrap());
    assert_eq!(
        expires_at.unwrap() - created_at.unwrap(),
        chrono::Duration::days(30)
    );
    let key = json["key"].as_str().unwrap().to_owned();
    let id = json["id"].as_str().unwrap().to_owned();
    let prefix = json["prefix"].as_str().unwrap().to_owned();
    assert!(is_api_key(&key), "{key}");
    assert_eq!(json["name"], "CI exporter", "the name is trimmed");
    assert_eq!(prefix, key[..12], "avk_ and the first 8 characters");
    assert!(!created.stderr.contains(&key), "the key only on stdout");

    // A second key in table form: the key on a line of its own.
    let table = aviary
        .run(&["key", "create", "--name", "Audit bot", "--scope", "manage"])
        .success();
    let second = table
        .stdout
        .lines()
        .map(str::trim)
        .find(|line| is_api_key(line))
        .unwrap_or_else(|| panic!("no key line in:\n{}", table.stdout))
        .to_owned();
    assert_ne!(second, key);

    // List: prefixes, never keys, in every format.
    for format in ["table", "json", "csv"] {
        let listed = aviary.run(&["key", "list", "--output", format]).success();
        assert!(
            listed.stdout.contains(&prefix),
            "{format}: {}",
            listed.stdout
        );
        for secret in [&key, &second] {
            assert!(
                !listed.stdout.contains(secret.as_str()),
                "{format} shows a key"
            );
            assert!(
                !listed.stdout.contains(&secret[12..]),
                "{format} shows part of a key"
            );
        }
    }
    let listed = aviary
        .run(&["key", "list", "--output", "json"])
        .success()
        .json();
    let keys = listed.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["id"], Value::from(id.clone()), "oldest first");
    assert_eq!(keys[0]["last_used_at"], Value::Null);
    assert_eq!(keys[0]["revoked_at"], Value::Null);
    assert_eq!(keys[0]["scope"], "read");
    assert_eq!(keys[0]["created_by"], "command line");
    let mut fields: Vec<&str> = keys[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created_at",
            "created_by",
            "expires_at",
            "id",
            "last_used_at",
            "name",
            "prefix",
            "revoked_at",
            "scope"
        ]
    );

    // Revoke: refused without a terminal or --yes (usage, exit 2), then done with --yes.
    let unconfirmed = aviary.run(&["key", "revoke", &id]);
    unconfirmed.clean_failure(2);
    assert!(
        unconfirmed.stderr.contains("--yes"),
        "{}",
        unconfirmed.stderr
    );
    let revoked = aviary
        .run(&["key", "revoke", &id, "--yes", "--output", "json"])
        .success()
        .json();
    assert_eq!(revoked["id"], Value::from(id.clone()));
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let again = aviary.run(&["key", "revoke", &id, "--yes"]);
    again.clean_failure(1);
    assert!(again.stderr.contains("already revoked"), "{}", again.stderr);
    let listed = aviary
        .run(&["key", "list", "--output", "json"])
        .success()
        .json();
    assert!(listed[0]["revoked_at"].is_string());
    assert_eq!(listed[1]["revoked_at"], Value::Null, "only that key");

    // The keys are nowhere on disk (database, WAL, key file); their prefixes are.
    let bytes = aviary.data_bytes();
    assert!(
        contains(&bytes, &prefix),
        "the test must read the files the keys are in"
    );
    for secret in [&key, &second] {
        assert!(
            !contains(&bytes, secret),
            "an API key is stored in the data directory"
        );
        assert!(
            !contains(&bytes, &secret[12..]),
            "part of an API key is stored"
        );
    }
}

#[test]
fn bad_key_input_is_refused_with_one_error_line() {
    let aviary = Installation::new();

    let empty = aviary.run(&["key", "create", "--name", "  ", "--scope", "read"]);
    empty.clean_failure(1);
    assert_eq!(
        empty.stderr.trim(),
        "error: invalid key name: the key name is empty"
    );
    let long = "x".repeat(101);
    aviary
        .run(&["key", "create", "--name", &long, "--scope", "read"])
        .clean_failure(1);
    aviary
        .run(&["key", "create", "--name", "tab\there", "--scope", "read"])
        .clean_failure(1);
    aviary.run(&["key", "create"]).clean_failure(2);
    // A scope is chosen, never assumed; an unknown one is a usage error naming the three.
    let unscoped = aviary.run(&["key", "create", "--name", "ci"]);
    unscoped.clean_failure(2);
    assert!(unscoped.stderr.contains("--scope"), "{}", unscoped.stderr);
    let unknown = aviary.run(&["key", "create", "--name", "ci", "--scope", "admin"]);
    unknown.clean_failure(2);
    assert!(
        unknown.stderr.contains("read sync manage"),
        "{}",
        unknown.stderr
    );
    let forever = aviary.run(&[
        "key",
        "create",
        "--name",
        "ci",
        "--scope",
        "read",
        "--expires-in-days",
        "0",
    ]);
    forever.clean_failure(1);
    assert!(
        forever.stderr.contains("1 to 3650 days"),
        "{}",
        forever.stderr
    );
    assert_eq!(
        aviary
            .run(&["key", "list", "--output", "json"])
            .success()
            .json(),
        serde_json::json!([]),
        "nothing was created"
    );

    let malformed = aviary.run(&["key", "revoke", "not-a-uuid", "--yes"]);
    malformed.clean_failure(1);
    assert!(
        malformed.stderr.contains("not an API key id"),
        "{}",
        malformed.stderr
    );
    let unknown = aviary.run(&["key", "revoke", "6f1c2a9e-8d8e-4f57-9c43-3c8f4e0f6a11"]);
    unknown.clean_failure(1);
    assert!(unknown.stderr.contains("no API key"), "{}", unknown.stderr);

    assert_eq!(
        aviary
            .run(&["key", "list", "--output", "json"])
            .success()
            .json(),
        serde_json::json!([]),
        "nothing was created"
    );
}
