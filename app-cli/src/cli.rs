//! Command-line grammar (clap): noun-verb subcommands and global options.

use std::path::PathBuf;

use aviary_domain::model::{ChangePage, KeyScope, SortKey};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Aviary: one trustworthy view of every account in your Lark and Feishu tenants.
#[derive(Debug, Parser)]
#[command(
    name = "aviary",
    version,
    about = "Aviary: one trustworthy view of every account in your Lark and Feishu tenants",
    propagate_version = true
)]
pub struct Cli {
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Configuration file (default: ./aviary.toml when present). Environment variables
    /// AVIARY_<SECTION>__<KEY> override it, e.g. AVIARY_DATABASE__URL.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Refuse to start when the configuration file or the environment names settings Aviary
    /// does not know (without it they are reported and ignored).
    #[arg(long, global = true)]
    pub strict: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register, list, show, change, check and remove Lark integrations.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Sync an integration's accounts, departments, user groups and apps from Lark now.
    Sync(SyncArgs),
    /// List and inspect synced user accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// List synced departments.
    #[command(subcommand)]
    Departments(DepartmentsCommand),
    /// List and inspect synced user groups and their members.
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// List and inspect the apps installed in a tenant.
    #[command(subcommand)]
    Apps(AppsCommand),
    /// List and inspect sync runs and their changes.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Create, list and revoke API keys for automation (sent as `Authorization: Bearer`).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Create and list admin users of the web UI and reset their passwords (there are no
    /// default credentials).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// Serve the web UI, the JSON API and health checks, and run scheduled syncs, until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Run scheduled syncs, and serve nothing, until SIGTERM or Ctrl-C: scales syncing apart
    /// from the web servers (which may then run with scheduler.enabled = false).
    Worker(WorkerArgs),
    /// Run a simulated Lark tenant (for trying Aviary out and for tests).
    Simulator(SimulatorArgs),
    /// Start the web UI with a simulated tenant connected and synced as integration "demo",
    /// and an admin to sign in with.
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    Lark,
    Feishu,
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Register a Lark custom app. The App Secret is read from stdin (or AVIARY_APP_SECRET).
    Add(IntegrationAddArgs),
    /// List integrations.
    List,
    /// Show one integration.
    Show {
        /// Integration id or label.
        integration: String,
    },
    /// Change an integration's label or sync schedule.
    Set(IntegrationSetArgs),
    /// Check what the integration's Lark app may do (credentials, contact range, every scope
    /// and field the sync needs, the admin's login) and how to fix what is missing. Exits 0
    /// when nothing is missing (warnings allowed), 1 otherwise.
    Doctor {
        /// Integration id or label.
        integration: String,
    },
    /// Remove an integration with all its synced data.
    Remove {
        /// Integration id or label.
        integration: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("change").required(true).multiple(true).args(["label", "interval_minutes", "on_demand"])
))]
pub struct IntegrationSetArgs {
    /// Integration id or label.
    pub integration: String,
    /// A new label, unique in this installation.
    #[arg(long)]
    pub label: Option<String>,
    /// Sync on a schedule, every N minutes (5 to 10080).
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "on_demand"
    )]
    pub interval_minutes: Option<i64>,
    /// Sync on demand only (no schedule).
    #[arg(long)]
    pub on_demand: bool,
}

#[derive(Debug, Args)]
pub struct IntegrationAddArgs {
    /// A name for the integration, unique in this installation.
    #[arg(long)]
    pub label: String,
    /// The App ID of the custom app (cli_…), from the Lark developer console.
    #[arg(long)]
    pub app_id: String,
    /// Read the App Secret from standard input.
    #[arg(long)]
    pub app_secret_stdin: bool,
    /// Which platform the tenant is on.
    #[arg(long, value_enum, default_value_t = RegionArg::Lark)]
    pub region: RegionArg,
    /// Override the Lark hosts (a simulator or a private deployment).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Store without checking the credentials against Lark.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Integration id or label.
    pub integration: String,
    /// Show what would change without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm the integration's newest run, which was held: apply what it held (and at most
    /// that; more departures hold again). Same as `aviary runs confirm <RUN>`.
    #[arg(long)]
    pub confirm_removals: bool,
    /// Do not pace requests under Lark's rate limits (only for a simulator without limits).
    #[arg(long)]
    pub no_pacing: bool,
}

#[derive(Debug, Args)]
pub struct IntegrationSelector {
    /// Integration id or label.
    #[arg(long, short = 'i')]
    pub integration: String,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List accounts, filtered.
    List(AccountsListArgs),
    /// Show one account with its change history.
    Show {
        /// The account's open_id (ou_…).
        open_id: String,
        /// Integration id or label (needed only when several integrations have this open_id).
        #[arg(long, short = 'i')]
        integration: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AccountsListArgs {
    #[command(flatten)]
    pub selector: IntegrationSelector,
    /// active, suspended, resigned, exited, invited or not_activated.
    #[arg(long)]
    pub status: Option<String>,
    /// tenant_super_admin (Lark's is_tenant_manager; tenant_admin is accepted too), department_leader or member.
    #[arg(long)]
    pub role: Option<String>,
    /// Department id, custom id or name; matches its sub-departments too.
    #[arg(long)]
    pub department: Option<String>,
    /// User group id, custom group id or name: its user members and everyone in its member
    /// departments (and below them).
    #[arg(long)]
    pub group: Option<String>,
    /// Text to find in names, emails, mobile, user id or employee number, or a whole open or
    /// union id.
    #[arg(long)]
    pub search: Option<String>,
    /// Include accounts removed from the tenant.
    #[arg(long)]
    pub include_removed: bool,
    /// Sort by name, email, status, updated (last change) or open_id (the default). Text
    /// sorts case-insensitively, missing values first; ties by open_id.
    #[arg(long, value_name = "KEY", value_parser = parse_sort_key)]
    pub sort: Option<SortKey>,
    /// Sort in descending order.
    #[arg(long)]
    pub desc: bool,
}

fn parse_scope(raw: &str) -> Result<KeyScope, String> {
    raw.parse::<KeyScope>().map_err(|err| err.to_string())
}

fn parse_sort_key(raw: &str) -> Result<SortKey, String> {
    raw.parse::<SortKey>().map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_show(args: &[&str]) -> Result<RunsCommand, clap::Error> {
        let mut argv = vec![
            "aviary",
            "runs",
            "show",
            "9e3c1b7e-5c52-4f7e-9d44-0a9e1f0d2b61",
        ];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Runs(command) => Ok(command),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn runs_show_prints_a_bounded_page_unless_asked_for_every_change() {
        assert!(matches!(
            runs_show(&[]).unwrap(),
            RunsCommand::Show {
                limit: 100,
                cursor: None,
                all: false,
                ..
            }
        ));
        assert!(matches!(
            runs_show(&["--limit", "1000", "--cursor", "abc"]).unwrap(),
            RunsCommand::Show {
                limit: 1000,
                cursor: Some(_),
                all: false,
                ..
            }
        ));
        assert!(matches!(
            runs_show(&["--all"]).unwrap(),
            RunsCommand::Show { all: true, .. }
        ));
        for refused in [
            &["--limit", "0"][..],
            &["--limit", "1001"],
            &["--all", "--cursor", "abc"],
        ] {
            assert!(runs_show(refused).is_err(), "{refused:?}");
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DepartmentsCommand {
    /// List departments.
    List {
        #[command(flatten)]
        selector: IntegrationSelector,
        /// Include departments removed from the tenant.
        #[arg(long)]
        include_removed: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// List user groups with their member counts.
    List {
        #[command(flatten)]
        selector: IntegrationSelector,
        /// Include groups removed from the tenant or outside the app's contact range.
        #[arg(long)]
        include_removed: bool,
    },
    /// Show one group with its members and change history.
    Show {
        /// The group's id, custom group id or name.
        group: String,
        #[command(flatten)]
        selector: IntegrationSelector,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List installed apps.
    List {
        #[command(flatten)]
        selector: IntegrationSelector,
        /// Include apps no longer installed.
        #[arg(long)]
        include_removed: bool,
    },
    /// Show one app with its permissions, who may use it and its change history.
    Show {
        /// The app's app_id (cli_…).
        app_id: String,
        #[command(flatten)]
        selector: IntegrationSelector,
    },
}

/// Changes `runs show` prints unless `--limit` says otherwise (as the API's page).
pub const DEFAULT_CHANGES: u64 = 100;

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List an integration's runs, newest first.
    List {
        #[command(flatten)]
        selector: IntegrationSelector,
        /// How many runs to show.
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Confirm a held run (the integration's newest): sync, applying what it held — the same
    /// accounts and departments with the same outcome, the loss of the fields it named — and
    /// at most that.
    Confirm {
        /// The held run's id.
        run_id: String,
        /// Show what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show one run with a page of the changes it recorded (and how to get the next page).
    Show {
        /// The run id.
        run_id: String,
        /// How many changes a page holds, in the order the run recorded them (at most 1000).
        #[arg(long, default_value_t = DEFAULT_CHANGES,
              value_parser = clap::value_parser!(u64).range(1..=ChangePage::MAX))]
        limit: u64,
        /// Continue after the page that gave this cursor (its `next_cursor`).
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Every change, read page after page of `--limit` (a first sync records one per
        /// record).
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key. It is printed once and cannot be shown again.
    Create {
        /// What the key is for, e.g. "CI exporter" (1 to 100 characters).
        #[arg(long)]
        name: String,
        /// What it may do: `read` (change nothing), `sync` (also start syncs and confirm held
        /// runs) or `manage` (also add, change, connect and delete integrations).
        #[arg(long, value_parser = parse_scope)]
        scope: KeyScope,
        /// Days until it stops working (1 to 3650); without it, it works until revoked.
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List API keys (their display prefixes, never the keys).
    List,
    /// Revoke an API key: it stops working at once.
    Revoke {
        /// The key's id (see `aviary key list`).
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin user. The password is read from stdin (its first line); on a terminal
    /// it is asked for twice, without echo. At least 12 characters.
    Create {
        /// The admin's email address: their sign-in name.
        #[arg(long)]
        email: String,
    },
    /// List admin users (never their passwords).
    List,
    /// Set a new password for an admin user, read like `create` reads it; ends every session
    /// of that admin and clears a sign-in lock.
    ResetPassword {
        /// The admin's email address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create or upgrade the database schema (also done automatically on first use).
    Migrate,
    /// Re-encrypt every stored secret under a new master key, which the database then records
    /// as the primary: running processes that know it encrypt with it at once. With the
    /// embedded default a new key is generated and replaces the key file (the old one is kept
    /// in keys/); with a configured key (AVIARY_SECRETS__MASTER_KEY) pass the new one on stdin
    /// (see docs/security.md for the order of steps). Prints each step as it completes.
    RotateKey {
        /// Read the new key (base64 of 32 bytes) from the first line of stdin instead of
        /// generating one. With a configured key, the key in use re-encrypts what other
        /// processes still wrote under older keys.
        #[arg(long)]
        new_key_stdin: bool,
        /// Stop after each step and wait for a line on stdin (Enter) before the next: to
        /// inspect the data directory, or copy the staged key, mid-rotation.
        #[arg(long)]
        pause_between_steps: bool,
    },
    /// Delete the retired master keys (in the data directory's keys/) that no stored secret
    /// uses any more; keys still in use are kept and listed.
    RetireKeys,
    /// Copy the embedded SQLite database into a new file, consistently, while servers run. The
    /// master key is not in the copy: keep the data directory's master.key and keys/ too.
    Backup {
        /// The new file (never overwritten).
        file: std::path::PathBuf,
    },
    /// Show the master keys: which one the database records as the primary, how many stored
    /// secrets each encrypts, whether this process has it, and every stored secret that no
    /// known key opens (then the exit status is 1).
    Keys,
    /// Delete the runs that ended more than N days ago, with the changes they recorded — but
    /// never an integration's newest run or newest succeeded run. Servers and workers do it
    /// hourly when retention.runs_days is set.
    Prune {
        /// Keep this many days of runs (1 to 36500; default: retention.runs_days).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        older_than_days: Option<i64>,
        /// Count what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Also answer /healthz, /readyz and /metrics (for any API key) on this port of http.host
    /// — for probes and Prometheus; nothing else is served (0 picks a free port).
    #[arg(long, value_name = "PORT")]
    pub metrics_port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default: http.host, 127.0.0.1).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on (default: http.port, 8080; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct SimulatorArgs {
    /// Users in the generated tenant.
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Departments in the generated tenant.
    #[arg(long, default_value_t = 20)]
    pub departments: usize,
    /// User groups in the generated tenant (every fourth one dynamic).
    #[arg(long, default_value_t = 12)]
    pub groups: usize,
    /// Apps installed in the generated tenant, the simulator's own included.
    #[arg(long, default_value_t = 8)]
    pub apps: usize,
    /// Seed of the generator: the same seed gives the same tenant.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Serve without Lark's rate limits (benchmarks).
    #[arg(long)]
    pub no_rate_limits: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Users in the simulated tenant.
    #[arg(long, default_value_t = 250)]
    pub users: usize,
    /// Departments in the simulated tenant.
    #[arg(long, default_value_t = 25)]
    pub departments: usize,
    /// Exit after the first sync and the admin instead of serving the web UI.
    #[arg(long)]
    pub exit: bool,
    /// Where the web UI listens, as for `serve`.
    #[command(flatten)]
    pub address: ServeArgs,
}
