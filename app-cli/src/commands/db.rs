//! `aviary db migrate|rotate-key|retire-keys|keys|backup|prune`: database maintenance.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::usecases::RetentionDays;
use aviary_wiring::maintenance::RotationStep;
use secrecy::SecretString;
use serde::Serialize;

use crate::cli::{DbCommand, OutputFormat};
use crate::commands::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx, command: DbCommand) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::Migrate => {
            // Opening the services already migrated; say so explicitly for operators.
            ctx.services.maintenance.migrate().await?;
            eprintln!("database schema is up to date");
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::RotateKey {
            new_key_stdin,
            pause_between_steps,
        } => rotate_key(ctx, new_key_stdin, pause_between_steps).await,
        DbCommand::RetireKeys => retire_keys(ctx).await,
        DbCommand::Keys => keys(ctx).await,
        DbCommand::Backup { file } => backup(ctx, &file).await,
        DbCommand::Prune {
            older_than_days,
            dry_run,
        } => prune(ctx, older_than_days, dry_run).await,
    }
}

/// What `db prune --output json` prints.
#[derive(Debug, Serialize)]
struct PruneView {
    days: u32,
    dry_run: bool,
    runs: u64,
    changes: u64,
}

async fn prune(ctx: &Ctx, days: Option<i64>, dry_run: bool) -> anyhow::Result<ExitCode> {
    let keep = match days {
        Some(days) => RetentionDays::new(days).context("--older-than-days")?,
        None => ctx.services.settings.retention.runs().context(
            "nothing says how many days to keep: pass --older-than-days N or set \
             retention.runs_days",
        )?,
    };
    let pruned = ctx.services.prune.execute(keep, dry_run).await?;
    let view = PruneView {
        days: keep.days(),
        dry_run,
        runs: pruned.runs,
        changes: pruned.changes,
    };
    match ctx.output {
        OutputFormat::Json => output::json(&view)?,
        _ => {
            let verb = if dry_run { "would delete" } else { "deleted" };
            output::write_line(format_args!(
                "{verb} {} runs that ended more than {} days ago, with their {} changes \
                 (each integration's newest run and newest succeeded run are kept)",
                pruned.runs,
                keep.days(),
                pruned.changes
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn backup(ctx: &Ctx, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = ctx.services.maintenance.backup(file).await?;
    eprintln!(
        "backed up the database to {} ({bytes} bytes). The master keys are not in it: a restore \
         also needs {}, kept apart from the backup",
        file.display(),
        ctx.services.maintenance.where_the_keys_are()
    );
    Ok(ExitCode::SUCCESS)
}

async fn retire_keys(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let retired = ctx.services.maintenance.retire_unused_keys().await?;
    for key in &retired.deleted {
        eprintln!("deleted retired master key {key}: no stored secret uses it");
    }
    for (key, secrets) in &retired.kept {
        eprintln!(
            "kept retired master key {key}: {secrets} stored secrets still use it (run `aviary db rotate-key` to re-encrypt them)"
        );
    }
    if retired.deleted.is_empty() && retired.kept.is_empty() {
        eprintln!("no retired master keys");
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of stdin, without its line break (`None` at end of input).
fn stdin_line() -> anyhow::Result<Option<String>> {
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read stdin")?;
    Ok((read > 0).then(|| line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The longest pause inside the rotation's open transaction: well below SQLite's 30 s busy
/// timeout, so that other processes' writes wait rather than fail.
const OPEN_TRANSACTION_PAUSE: std::time::Duration = std::time::Duration::from_secs(10);

/// Lines of stdin as they come, read by a thread of their own (a pause may stop waiting).
fn enter_presses() -> std::sync::mpsc::Receiver<()> {
    let (sender, presses) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(Some(_)) = stdin_line() {
            if sender.send(()).is_err() {
                return;
            }
        }
    });
    presses
}

fn describe(step: RotationStep) -> String {
    match step {
        RotationStep::KeptOldKey => "kept the key in use in keys/".to_owned(),
        RotationStep::StagedNewKey => "staged the new key in rotation/".to_owned(),
        RotationStep::Reencrypted(n) => format!("re-encrypted {n} secrets, not committed yet"),
        RotationStep::Committed(n) => {
            format!("{n} secrets re-encrypted and committed; the new key is the recorded primary")
        }
        RotationStep::Promoted => "the new key replaced master.key".to_owned(),
    }
}

async fn rotate_key(
    ctx: &Ctx,
    new_key_stdin: bool,
    pause_between_steps: bool,
) -> anyhow::Result<ExitCode> {
    let new_key = if new_key_stdin {
        let line = stdin_line()?.context("stdin ended before the new key")?;
        Some(SecretString::from(line))
    } else {
        None
    };
    let enter = pause_between_steps.then(enter_presses);
    let mut on_step = move |step: RotationStep| {
        eprintln!("step {}: {}", step.name(), describe(step));
        let Some(enter) = enter.as_ref().filter(|_| step != RotationStep::Promoted) else {
            return;
        };
        if let RotationStep::Reencrypted(_) = step {
            // The transaction is open and holds the database's locks: a server storing a
            // refreshed Lark token waits for it, so the pause is short whatever happens.
            eprintln!(
                "paused after {} (the transaction is open: going on by itself in {} s); press Enter to go on",
                step.name(),
                OPEN_TRANSACTION_PAUSE.as_secs()
            );
            let _ = enter.recv_timeout(OPEN_TRANSACTION_PAUSE);
        } else {
            eprintln!("paused after {}; press Enter to go on", step.name());
            // End of input goes on: there is nobody to wait for.
            let _ = enter.recv();
        }
    };
    let rotation = ctx
        .services
        .maintenance
        .rotate_master_key(new_key, &mut on_step)
        .await?;
    let (count, new_id, old_id) = (
        rotation.reencrypted,
        &rotation.new_key_id,
        &rotation.old_key_id,
    );
    match &rotation.key_file {
        Some(file) => eprintln!(
            "re-encrypted {count} secrets under master key {new_id} (was {old_id}); {} replaced",
            file.display()
        ),
        None => eprintln!(
            "re-encrypted {count} secrets under master key {new_id} (was {old_id}); processes that \
             know {new_id} encrypt with it now. Configure it as AVIARY_SECRETS__MASTER_KEY (and \
             {old_id} among AVIARY_SECRETS__PREVIOUS_MASTER_KEYS) for every process sharing this \
             database; `aviary db keys` shows when {old_id} is no longer used"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `aviary db keys` as JSON.
#[derive(Debug, Serialize)]
struct KeysView {
    recorded_primary: Option<String>,
    in_use: String,
    keys: Vec<KeyView>,
    undecryptable: Vec<String>,
}

#[derive(Debug, Serialize)]
struct KeyView {
    id: String,
    secrets: u64,
    known: bool,
}

async fn keys(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let usage = ctx.services.maintenance.key_usage().await?;
    let view = KeysView {
        recorded_primary: usage.recorded_primary,
        in_use: usage.in_use,
        keys: usage
            .keys
            .into_iter()
            .map(|key| KeyView {
                id: key.id,
                secrets: key.secrets,
                known: key.known,
            })
            .collect(),
        undecryptable: usage.undecryptable,
    };
    match ctx.output {
        OutputFormat::Json => output::json(&view)?,
        format => output::render(format, &view.keys, KEYS_HEADER, || key_rows(&view))?,
    }
    for problem in &view.undecryptable {
        eprintln!("cannot decrypt {problem}");
    }
    Ok(if view.undecryptable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

const KEYS_HEADER: &[&str] = &["KEY", "SECRETS", "KNOWN HERE", "ROLE"];

fn key_rows(view: &KeysView) -> Vec<Vec<String>> {
    view.keys
        .iter()
        .map(|key| {
            let recorded = view.recorded_primary.as_deref() == Some(key.id.as_str());
            let role = match (recorded, key.id == view.in_use) {
                (true, _) => "primary",
                (false, true) if view.recorded_primary.is_none() => "primary",
                (false, true) => "encrypts here (the primary is unknown here)",
                (false, false) => "decrypts only",
            };
            vec![
                key.id.clone(),
                key.secrets.to_string(),
                if key.known { "yes" } else { "no" }.to_owned(),
                role.to_owned(),
            ]
        })
        .collect()
}
