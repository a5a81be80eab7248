//! The secret canaries: every secret Aviary handles gets a recognisable random value — the App
//! Secret, the admin's password, the master key, the API key, the session cookie and every token
//! and code the simulated Lark tenant issues — every flow runs (CLI, web UI, JSON API, the Lark
//! login, a token refresh) with `AVIARY_LOG=trace`, and then everything Aviary said or stored is
//! searched for them: response headers and bodies, CLI stdout and stderr, the server's log and
//! every file of the data directory. The one place a secret may be shown is the API key on
//! `aviary key create`'s stdout (and the session token in the `Set-Cookie` that sets it).

mod evidence;
mod walk;

use aviary_lark_simulator::ConsentMode;
use aviary_tests::server::{Server, csrf_of};
use aviary_tests::{Installation, SimulatorConfig, simulator};
use reqwest::{Method, StatusCode};
use serde_json::json;

use evidence::{Canary, Evidence, base64, hex, random_hex};
use walk::Walk;

const EMAIL: &str = "canary@example.com";
const SESSION_COOKIE: &str = "__Host-aviary_session";

/// The canary values the test chooses (the others are minted during the run).
struct Chosen {
    app_secret: String,
    password: String,
    /// 32 bytes, ASCII so that they can be searched for in text too.
    master_key: String,
    master_key_base64: String,
}

impl Chosen {
    fn new() -> Self {
        // Base64 without `+` and `/`, so that no escaping (HTML, URL) could hide it.
        let (master_key, master_key_base64) = loop {
            let raw = format!("CANARY-MASTERKEY{}", &random_hex()[..16]);
            let encoded = base64(raw.as_bytes());
            if !encoded.contains(['+', '/']) {
                break (raw, encoded);
            }
        };
        assert_eq!(master_key.len(), 32);
        Self {
            app_secret: format!("CANARY-APP-SECRET-{}", random_hex()),
            password: format!("CANARY-PASSWORD-{}", random_hex()),
            master_key,
            master_key_base64,
        }
    }

    /// Each chosen secret, also as base64 (its first 24 characters: whole groups, whatever
    /// the padding) and hex, in case something stored or printed it encoded.
    fn canaries(&self) -> Vec<Canary> {
        let master_hex = hex(self.master_key.as_bytes());
        vec![
            Canary::new("the App Secret", &self.app_secret),
            Canary::new(
                "the App Secret as base64",
                &base64(self.app_secret.as_bytes())[..24],
            ),
            Canary::new("the App Secret as hex", &hex(self.app_secret.as_bytes())),
            Canary::new("the admin password", &self.password),
            Canary::new(
                "the admin password as base64",
                &base64(self.password.as_bytes())[..24],
            ),
            Canary::new("the admin password as hex", &hex(self.password.as_bytes())),
            Canary::new(
                "the master key (base64)",
                self.master_key_base64.trim_end_matches('='),
            ),
            Canary::new("the master key (raw bytes)", &self.master_key),
            Canary::new("the master key (hex)", &master_hex),
            Canary::new("the master key (HEX)", &master_hex.to_uppercase()),
        ]
    }
}

/// Bodies `POST /api/v1/integrations` must refuse as `invalid_body` without echoing any of
/// them: (what, content type, body).
fn malformed_bodies(app_id: &str, secret: &str) -> Vec<(&'static str, &'static str, String)> {
    let fields = format!(r#""label": "delta", "region": "lark", "app_id": "{app_id}""#);
    vec![
        (
            "cut short",
            "application/json",
            format!(r#"{{{fields}, "app_secret": "{secret}""#),
        ),
        (
            "with the App Secret in a number field",
            "application/json",
            format!(r#"{{{fields}, "app_secret": "x", "sync_interval_minutes": "{secret}"}}"#),
        ),
        (
            "with the App Secret in a boolean field",
            "application/json",
            format!(r#"{{{fields}, "app_secret": "x", "verify": "{secret}"}}"#),
        ),
        (
            "with the App Secret as an object",
            "application/json",
            format!(r#"{{{fields}, "app_secret": {{"value": "{secret}"}}}}"#),
        ),
        (
            "with the App Secret as a field name",
            "application/json",
            format!(r#"{{{fields}, "{secret}": "x"}}"#),
        ),
        (
            "sent as text/plain",
            "text/plain",
            format!(r#"{{"app_secret": "{secret}"}}"#),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_appears_in_any_output_log_or_stored_file() {
    let chosen = Chosen::new();
    let sim = simulator(SimulatorConfig {
        users: 20,
        departments: 3,
        seed: 47,
        rate_limits: false,
        app_secret: chosen.app_secret.clone(),
        ..SimulatorConfig::default()
    })
    .await;
    sim.tenant().set_consent_mode(ConsentMode::AutoApprove);
    // Renewable sign-ins: the refresh tokens are secrets this test looks for too.
    sim.tenant().enable_offline_access();
    let aviary = Installation::new()
        .with_env("AVIARY_LOG", "trace")
        .with_env("AVIARY_SECRETS__MASTER_KEY", &chosen.master_key_base64);
    let (base_url, app_id) = (sim.base_url(), sim.app_id());
    let mut evidence = Evidence::default();

    // ---- The CLI.
    let password_line = format!("{}\n", chosen.password);
    let secret_line = format!("{}\n", chosen.app_secret);
    evidence
        .aviary(
            &aviary,
            &format!("admin create --email {EMAIL}"),
            Some(&password_line),
        )
        .success();
    evidence.aviary(&aviary, "admin list", None).success();
    let add = format!(
        "integration add --label acme --app-id {app_id} --base-url {base_url} \
         --app-secret-stdin --output json"
    );
    let added = evidence
        .aviary(&aviary, &add, Some(&secret_line))
        .success()
        .json();
    let acme_id = added["id"].as_str().unwrap().to_owned();
    let key_stdout = evidence.next_place();
    let created = evidence
        .aviary(
            &aviary,
            "key create --name canary --scope manage --output json",
            None,
        )
        .success();
    let (key, key_id) = {
        let json = created.json();
        (
            json["key"].as_str().unwrap().to_owned(),
            json["id"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        created.stdout.matches(&key).count(),
        1,
        "{}",
        created.stdout
    );
    for format in ["table", "json", "csv"] {
        evidence
            .aviary(&aviary, &format!("key list --output {format}"), None)
            .success();
    }
    let synced = evidence
        .aviary(&aviary, "sync acme --output json", None)
        .success();
    let run_id = synced.json()["id"].as_str().unwrap().to_owned();
    for format in ["table", "json"] {
        for command in [
            "integration list".to_owned(),
            "integration show acme".to_owned(),
            "accounts list -i acme".to_owned(),
            "departments list -i acme".to_owned(),
            "groups list -i acme".to_owned(),
            "apps list -i acme".to_owned(),
            "runs list -i acme".to_owned(),
            format!("runs show {run_id}"),
        ] {
            evidence
                .aviary(&aviary, &format!("{command} --output {format}"), None)
                .success();
        }
        // Exit 1 when a check is missing: only what it prints counts here.
        evidence.aviary(
            &aviary,
            &format!("integration doctor acme --output {format}"),
            None,
        );
    }

    // ---- `aviary serve`. Signing in: first an unknown email with the password, which must
    // not come back in the refusal, then for real.
    let server = Server::start(&aviary).await;
    let mut walk = Walk::new(evidence, &server, &key);
    walk.page("/signin").await;
    let refused = walk
        .post(
            "/signin",
            &[
                ("email", "nobody@example.com"),
                ("password", &chosen.password),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    let signed_in = walk
        .post(
            "/signin",
            &[("email", EMAIL), ("password", &chosen.password)],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    let session_token = signed_in
        .set_cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{SESSION_COOKIE}=")))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();

    // "Connect with Lark" (acme is active after the CLI's sync, so the overview shows no
    // button; its form's route connects it all the same), and the sync the callback starts.
    let overview = walk.page("/").await;
    let connect = format!("/admin/integrations/{acme_id}/connect");
    let pressed = walk
        .post(
            &connect,
            &[
                ("csrf_token", &csrf_of(&overview.body)),
                ("offline_access", "true"),
            ],
        )
        .await;
    assert_eq!(pressed.status, StatusCode::SEE_OTHER, "{}", pressed.body);
    walk.lark_login(&sim, pressed.location.as_deref().unwrap())
        .await;
    let first = walk.settled("acme").await;
    assert_eq!(first["status"], "succeeded", "{first}");

    // The add-integration form: refused (an invalid label; the secret must not come back),
    // then registered under a second label.
    let form_page = walk.page("/admin/integrations/new").await;
    let csrf = csrf_of(&form_page.body);
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("label", " \u{7} "),
        ("region", "lark"),
        ("app_id", app_id.as_str()),
        ("app_secret", chosen.app_secret.as_str()),
        ("base_url", base_url.as_str()),
        ("sync_interval_minutes", "60"),
    ];
    let invalid = walk.post("/admin/integrations", &form).await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.body
    );
    form[1].1 = "beta";
    let registered = walk.post("/admin/integrations", &form).await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );

    // ---- The JSON API, with the key: every read route, a sync polled to its end,
    // registering (verified, and not), changing, connecting and deleting integrations.
    let accounts = walk
        .api(Method::GET, "/integrations/acme/accounts", None)
        .await;
    let open_id = accounts.json()["items"][0]["open_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/integrations".to_owned(),
        "/integrations/acme".to_owned(),
        format!("/integrations/{acme_id}"),
        "/integrations/acme/status".to_owned(),
        "/integrations/acme/doctor".to_owned(),
        "/integrations/acme/departments".to_owned(),
        "/integrations/acme/departments?shape=tree".to_owned(),
        "/integrations/acme/groups".to_owned(),
        "/integrations/acme/apps".to_owned(),
        "/integrations/acme/accounts?format=csv".to_owned(),
        format!("/integrations/acme/accounts/{open_id}"),
        "/integrations/acme/runs".to_owned(),
        format!("/runs/{run_id}"),
    ] {
        let answer = walk.api(Method::GET, &path, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
    }
    let started = walk
        .api(Method::POST, "/integrations/acme/sync", None)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let api_run = walk.settled("acme").await;
    assert_eq!(api_run["status"], "succeeded", "{api_run}");
    let api_run = format!("/runs/{}", api_run["id"].as_str().unwrap());
    assert_eq!(
        walk.api(Method::GET, &api_run, None).await.status,
        StatusCode::OK
    );
    for (label, verify) in [("gamma", true), ("delta", false)] {
        let body = json!({
            "label": label, "region": "lark", "app_id": app_id,
            "app_secret": chosen.app_secret, "base_url": base_url, "verify": verify,
        });
        let created = walk.api(Method::POST, "/integrations", Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let change = json!({"sync_interval_minutes": 30});
    let patched = walk
        .api(Method::PATCH, "/integrations/gamma", Some(change))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let deleted = walk.api(Method::DELETE, "/integrations/delta", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let connect = walk
        .api(
            Method::POST,
            "/integrations/gamma/connect",
            Some(json!({"offline_access": true})),
        )
        .await;
    assert_eq!(connect.status, StatusCode::OK, "{}", connect.body);
    // The API hands out the page where the signed-in admin confirms; confirming starts the
    // login bound to this browser session.
    let confirm_url = connect.json()["confirm_url"].as_str().unwrap().to_owned();
    let confirm = confirm_url
        .strip_prefix(walk.server.base.as_str())
        .expect("under the public base URL")
        .to_owned();
    let asked = walk.page(&confirm).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let confirm_path = confirm.split('?').next().unwrap_or_default().to_owned();
    let pressed = walk
        .post(
            &confirm_path,
            &[
                ("csrf_token", &csrf_of(&asked.body)),
                ("offline_access", "true"),
            ],
        )
        .await;
    assert_eq!(pressed.status, StatusCode::SEE_OTHER, "{}", pressed.body);
    walk.lark_login(&sim, pressed.location.as_deref().unwrap())
        .await;
    walk.settled("gamma").await;

    // Refusals: a wrong key, and bodies that are not the JSON the route takes, each with the
    // App Secret in it.
    let wrong_key = format!("avk_{}", "A".repeat(43));
    let unknown = walk
        .api_as(&wrong_key, Method::GET, "/integrations", None)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    for (what, content_type, body) in malformed_bodies(&app_id, &chosen.app_secret) {
        let answer = walk
            .api_raw("/integrations", content_type, body, what)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(answer.json()["error"]["code"], "invalid_body", "{what}");
    }
    // The API's description, wherever it is served (if it is).
    for path in ["/api/v1/openapi.json", "/openapi.json"] {
        walk.get(path).await;
    }

    // Every page the overview leads to, then signing out.
    let visited = walk.crawl().await;
    for needed in [
        format!("/admin/integrations/{acme_id}"),
        format!("/admin/integrations/{acme_id}/departments"),
        format!("/admin/integrations/{acme_id}/groups"),
        format!("/admin/integrations/{acme_id}/apps"),
        format!("/admin/integrations/{acme_id}/runs"),
        format!("/admin/integrations/{acme_id}/doctor"),
        format!("/admin/integrations/{acme_id}/edit"),
        format!("/admin/integrations/{acme_id}/accounts/{open_id}"),
        format!("/admin/runs/{run_id}"),
        "/admin/keys".to_owned(),
        "/admin/integrations/new".to_owned(),
    ] {
        assert_eq!(
            visited.get(&needed),
            Some(&StatusCode::OK),
            "{needed}: {visited:?}"
        );
    }
    let overview = walk.page("/").await;
    let out = walk
        .post("/signout", &[("csrf_token", &csrf_of(&overview.body))])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    let after = walk.page("/").await;
    assert_eq!(after.location.as_deref(), Some("/signin"), "signed out");

    // Lark expires the user token early: the next sync (the CLI, next to the server) renews
    // it with the refresh token. Then the key is revoked.
    sim.tenant().expire_user_tokens();
    let refreshes = sim.stats().oauth_refreshes;
    let mut evidence = walk.into_evidence();
    let resynced = evidence
        .aviary(&aviary, "sync acme --output json", None)
        .success();
    assert_eq!(
        resynced.json()["warnings"],
        json!([]),
        "{}",
        resynced.stdout
    );
    assert_eq!(sim.stats().oauth_refreshes, refreshes + 1, "a refresh");
    evidence
        .aviary(&aviary, &format!("key revoke {key_id} --yes"), None)
        .success();
    let mut walk = Walk::new(evidence, &server, &key);
    let revoked = walk.api(Method::GET, "/integrations", None).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    let mut evidence = walk.into_evidence();

    // ---- Everything Aviary said or stored.
    let logs = server.stop();
    evidence.add("the server's log (stderr, AVIARY_LOG=trace)", &logs);
    // The logs are really at trace level (coloured, hence no spaces around the levels): the
    // test cannot pass by logging nothing.
    let logged = |text: &str, level: &str, target: &str| {
        text.lines()
            .any(|line| line.contains(level) && line.contains(target))
    };
    for (text, who) in [(&logs, "aviary serve"), (&resynced.stderr, "aviary sync")] {
        assert!(logged(text, "TRACE", ""), "{who} logged no TRACE line");
        assert!(
            logged(text, "DEBUG", "aviary_"),
            "{who} logged no DEBUG line of its own"
        );
    }
    let files = aviary.data_files();
    let names: Vec<_> = files
        .iter()
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(names.iter().any(|n| n.ends_with("aviary.db")), "{names:?}");
    assert!(
        !names.iter().any(|n| n.ends_with("master.key")),
        "the configured master key is used, not a generated one: {names:?}"
    );
    let stored: Vec<u8> = files
        .iter()
        .flat_map(|(_, content)| content.clone())
        .collect();
    assert!(
        stored.windows(12).any(|w| w == &key.as_bytes()[..12]),
        "the files searched hold the key's display prefix: they are the ones the key is in"
    );
    for (path, content) in files {
        evidence.add(format!("the data file {}", path.display()), content);
    }

    let issued = sim.tenant().issued_secrets();
    assert!(
        issued.iter().filter(|s| s.starts_with("eyJ")).count() >= 4 && issued.len() >= 8,
        "tenant tokens, codes, user access and refresh tokens: {} issued",
        issued.len()
    );
    let mut canaries = chosen.canaries();
    // The part after the display prefix (`avk_` and 8 characters, which may be shown).
    canaries.push(Canary::new("the API key", &key[12..]).allowed_at(key_stdout));
    canaries.push(
        Canary::new("the session cookie's token", &session_token).allowed_at(signed_in.place),
    );
    for secret in &issued {
        let what = format!(
            "a Lark secret the simulator issued ({}…, {} characters)",
            &secret[..2],
            secret.len()
        );
        canaries.push(Canary::new(&what, secret));
    }
    evidence.assert_clean(&canaries);
    // The allowed sightings are real: the search finds what it looks for.
    assert!(
        evidence.contains(key_stdout, &key),
        "the key is on `key create`'s stdout"
    );
    assert!(evidence.contains(signed_in.place, &session_token));
}
