//! Rotation under fire: `aviary db rotate-key --pause-between-steps` is stopped at each of its
//! steps — old key kept, new key staged, secrets re-encrypted but not committed, committed but
//! the key file not replaced — while a second `aviary` process starts and a running server (this
//! test's own services over the same data directory) registers an integration, starts a Lark
//! login and refreshes a grant. Then the rotation is either killed with SIGKILL or let go on.
//! Afterwards a fresh process opens every stored secret (`aviary db keys`), the stored tokens are
//! the refreshed ones Lark accepts, and a sync signs in; after a kill, running the rotation
//! again finishes it and retiring keys loses nothing.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use aviary_app_http::{Services, Settings};
use aviary_domain::usecases::NewIntegration;
use aviary_domain::usecases::connect::LoginOptions;
use aviary_domain::values::IntegrationId;
use aviary_lark_simulator::{ConsentMode, SimulatorHandle};
use aviary_tests::{Installation, Run, SimulatorConfig, simulator, simulator_accepts};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use crate::support::connect_renewable;

/// The steps a rotation with the key in the data directory pauses after, in order.
const STEPS: [&str; 4] = ["kept-old-key", "staged-new-key", "reencrypted", "committed"];

/// How the paused rotation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Killed,
    GoesOn,
}

/// A running `aviary db rotate-key --pause-between-steps`, paused after one step.
struct PausedRotation {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Receiver<String>,
    said: Vec<String>,
}

impl PausedRotation {
    /// Starts the rotation (`key`: the new key's line for `--new-key-stdin`) and lets it go on
    /// until it pauses after `step`.
    fn start(aviary: &Installation, key: Option<&str>, step: &str) -> Self {
        let mut args = vec!["db", "rotate-key", "--pause-between-steps"];
        args.extend(key.map(|_| "--new-key-stdin"));
        let mut child = aviary.spawn_piped(&args);
        let mut stdin = child.stdin.take().expect("stdin is piped");
        if let Some(key) = key {
            writeln!(stdin, "{key}").unwrap();
        }
        let (sender, stderr) = channel();
        let pipe = BufReader::new(child.stderr.take().expect("stderr is piped"));
        std::thread::spawn(move || {
            for line in pipe.lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut rotation = Self {
            child,
            stdin: Some(stdin),
            stderr,
            said: Vec::new(),
        };
        loop {
            let line = rotation.next_line();
            if let Some(paused) = line.strip_prefix("paused after ") {
                if paused.starts_with(step) {
                    return rotation;
                }
                rotation.press_enter();
            }
        }
    }

    fn next_line(&mut self) -> String {
        match self.stderr.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                self.said.push(line.clone());
                line
            }
            Err(RecvTimeoutError::Timeout) => panic!("the rotation stalled: {:?}", self.said),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the rotation ended before pausing: {:?}", self.said)
            }
        }
    }

    fn press_enter(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Ends the rotation as `ending` says; returns what it said.
    fn end(mut self, ending: Ending) -> Vec<String> {
        match ending {
            Ending::Killed => {
                // `Child::kill` is SIGKILL on Unix: no destructor, no rollback by the process.
                self.child.kill().unwrap();
                self.child.wait().unwrap();
            }
            Ending::GoesOn => {
                // End of input: every later pause goes on by itself.
                drop(self.stdin.take());
                let status = self.child.wait().unwrap();
                self.said.extend(self.stderr.iter());
                assert!(status.success(), "the rotation failed: {:?}", self.said);
            }
        }
        self.said
    }
}

/// Master keys from the settings: the primary and the others this process is given.
type ConfiguredKeys<'a> = Option<(&'a str, &'a [&'a str])>;

/// The running server: use cases over the installation's database, in this process, with the
/// key in the data directory or, given `keys`, from the settings.
async fn server(aviary: &Installation, keys: ConfiguredKeys<'_>) -> Services {
    let mut settings = Settings::defaults();
    settings.data.dir = aviary.data_dir();
    settings.database.url = SecretString::from(String::new());
    settings.secrets.master_key = keys.map(|(key, _)| SecretString::from(key.to_owned()));
    settings.secrets.previous_master_keys = keys
        .map(|(_, others)| {
            others
                .iter()
                .map(|key| SecretString::from((*key).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    settings.lark.client.allow_custom_base_url = true;
    Services::build(settings).await.unwrap()
}

/// What the server does while the rotation is paused: registers an integration (without
/// asking Lark), starts a login that stays pending, and refreshes the grant of `acme`
/// after Lark expired its tokens.
async fn serve_while_paused(
    services: &Services,
    sim: &SimulatorHandle,
    acme: IntegrationId,
    label: &str,
) {
    register_and_start_login(services, sim, label).await;
    sim.tenant().expire_user_tokens();
    services.user_tokens().check_sign_in(acme).await.unwrap();
}

/// Registers an integration (without asking Lark) and starts a login that stays pending.
async fn register_and_start_login(services: &Services, sim: &SimulatorHandle, label: &str) {
    let added = services
        .register
        .execute(NewIntegration {
            label: label.into(),
            region: aviary_domain::model::Region::Lark,
            base_url: Some(sim.base_url()),
            app_id: sim.app_id(),
            app_secret: SecretString::from(sim.app_secret()),
            verify: false,
            rate_limits: None,
        })
        .await
        .unwrap();
    let options = LoginOptions {
        offline_access: true,
    };
    services
        .connect
        .start(added.id, "pending", options)
        .await
        .unwrap();
}

/// Whether the simulator accepts the stored access token of `id` (read by a fresh process).
async fn stored_token_is_accepted(
    aviary: &Installation,
    keys: ConfiguredKeys<'_>,
    sim: &SimulatorHandle,
    id: IntegrationId,
) -> bool {
    let fresh = server(aviary, keys).await;
    let grant = fresh.database().grants().grant(id).await.unwrap().unwrap();
    simulator_accepts(sim, grant.tokens.access_token.expose_secret()).await
}

/// A fresh process opens every stored secret; returns the report.
fn every_secret_opens(aviary: &Installation) -> Value {
    let report = aviary.run(&["db", "keys", "--output", "json"]);
    assert_eq!(report.code, Some(0), "{}\n{}", report.stdout, report.stderr);
    let report = report.json();
    assert_eq!(report["undecryptable"], serde_json::json!([]), "{report}");
    report
}

/// One scenario: pause after `step` with the key in the data directory, act, end as told.
async fn under_fire(sim: &SimulatorHandle, step: &str, ending: Ending) {
    let aviary = Installation::new();
    let acme_json = aviary.add_integration("acme", sim);
    let acme: IntegrationId = acme_json["id"].as_str().unwrap().parse().unwrap();
    let running = server(&aviary, None).await;
    connect_renewable(&running, acme).await;

    let rotation = PausedRotation::start(&aviary, None, step);
    // A second process starts mid-rotation (while the transaction is open it waits for it).
    let second = aviary.spawn(&["integration", "show", "acme", "--output", "json"]);
    let label = format!("late-{step}");
    if step == "reencrypted" {
        // The open transaction holds SQLite's write lock: the server's writes wait for its end.
        let end_later = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            tokio::task::block_in_place(|| rotation.end(ending))
        };
        tokio::join!(serve_while_paused(&running, sim, acme, &label), end_later);
    } else {
        tokio::time::timeout(
            Duration::from_secs(30),
            serve_while_paused(&running, sim, acme, &label),
        )
        .await
        .expect("the server is not held up by a paused rotation");
        tokio::task::block_in_place(|| rotation.end(ending));
    }
    let shown = tokio::task::block_in_place(|| Run::of(second).success().json());
    assert_eq!(shown["label"], "acme");

    let report = every_secret_opens(&aviary);
    assert!(
        stored_token_is_accepted(&aviary, None, sim, acme).await,
        "the refresh made during the rotation was kept (step {step}, {ending:?})"
    );
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    if ending == Ending::GoesOn {
        assert_eq!(report["recorded_primary"], report["in_use"], "{report}");
        // What the server wrote before the transaction began was re-encrypted, and after the
        // commit it encrypted with the new key. Only writes it sealed while the transaction
        // held the write lock may land under the old key (which keys/ keeps).
        if step != "reencrypted" {
            for key in report["keys"].as_array().unwrap() {
                let old = key["id"] != report["in_use"];
                assert!(!old || key["secrets"] == 0, "step {step}: {report}");
            }
        }
    } else {
        // The rotation is run again to its end; then the old keys can go.
        aviary.run(&["db", "rotate-key"]).success();
        let retired = aviary.run(&["db", "retire-keys"]).success();
        assert!(
            retired.stderr.contains("deleted retired master key"),
            "{}",
            retired.stderr
        );
        let report = every_secret_opens(&aviary);
        assert_eq!(report["recorded_primary"], report["in_use"], "{report}");
    }
    running.database().clone().close().await.unwrap();
}

async fn tenant() -> SimulatorHandle {
    let sim = simulator(SimulatorConfig {
        users: 12,
        departments: 3,
        seed: 41,
        consent: ConsentMode::AutoApprove,
        ..SimulatorConfig::default()
    })
    .await;
    sim.tenant().enable_offline_access();
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_killed_at_any_step_loses_no_secret_and_is_finished_by_running_it_again() {
    let sim = tenant().await;
    for step in STEPS {
        under_fire(&sim, step, Ending::Killed).await;
    }
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_paused_at_any_step_while_others_write_finishes_with_every_secret_readable() {
    let sim = tenant().await;
    for step in STEPS {
        under_fire(&sim, step, Ending::GoesOn).await;
    }
    sim.stop().await;
}

/// How many stored secrets the key report counts under key `id`.
fn secrets_under(report: &Value, id: &str) -> u64 {
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["id"] == id)
        .map_or(0, |key| key["secrets"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_keys_from_the_settings_servers_given_the_new_key_in_advance_switch_without_a_restart()
{
    let sim = tenant().await;
    // Base64 of 32 bytes of 1s and of 2s.
    let old = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".to_owned();
    let new = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=".to_owned();
    let mut aviary = Installation::new().with_env("AVIARY_SECRETS__MASTER_KEY", &old);
    let acme_json = aviary.add_integration("acme", &sim);
    let acme: IntegrationId = acme_json["id"].as_str().unwrap().parse().unwrap();
    // One server was given the next key beforehand (step 1 of the procedure), one was not.
    let ready = server(&aviary, Some((&old, &[new.as_str()]))).await;
    let laggard = server(&aviary, Some((&old, &[]))).await;
    connect_renewable(&ready, acme).await;

    let rotation = PausedRotation::start(&aviary, Some(&new), "committed");
    serve_while_paused(&ready, &sim, acme, "late-ready").await;
    // The laggard cannot read what is under the new key (it cannot refresh acme's grant), but
    // what it writes stays readable wherever the old key is kept.
    register_and_start_login(&laggard, &sim, "late-laggard").await;
    tokio::task::block_in_place(|| rotation.end(Ending::GoesOn));

    // Configured with the new key (the old one kept), a fresh process opens everything.
    aviary.set_env("AVIARY_SECRETS__MASTER_KEY", &new);
    aviary.set_env("AVIARY_SECRETS__PREVIOUS_MASTER_KEYS", &old);
    let report = every_secret_opens(&aviary);
    let new_id = report["in_use"].as_str().unwrap().to_owned();
    assert_eq!(report["recorded_primary"], new_id.as_str());
    let old_ids: Vec<String> = report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["id"].as_str().unwrap().to_owned())
        .filter(|id| *id != new_id)
        .collect();
    assert_eq!(old_ids.len(), 1, "{report}");
    // The ready server wrote under the new key; the laggard's App Secret and its pending
    // login's verifier are under the old key.
    assert_eq!(secrets_under(&report, &old_ids[0]), 2, "{report}");

    // The rotation with the key in use re-encrypts what the laggard wrote; the old key is free.
    let again = aviary.run_with_stdin(
        &["db", "rotate-key", "--new-key-stdin"],
        &format!("{new}\n"),
    );
    let again = again.success();
    assert!(
        again.stderr.contains("re-encrypted 2 secrets"),
        "{}",
        again.stderr
    );
    let report = every_secret_opens(&aviary);
    assert_eq!(secrets_under(&report, &old_ids[0]), 0, "{report}");
    aviary.set_env("AVIARY_SECRETS__PREVIOUS_MASTER_KEYS", "");
    every_secret_opens(&aviary);
    let keys = (new.as_str(), &[][..]);
    assert!(stored_token_is_accepted(&aviary, Some(keys), &sim, acme).await);
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    for services in [ready, laggard] {
        services.database().clone().close().await.unwrap();
    }
    sim.stop().await;
}
