//! Settings: built-in defaults, then an optional TOML file, then `AVIARY_<SECTION>__<KEY>`
//! environment variables. Each adapter owns its section.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aviary_adapters_lark::LarkClientSettings;
use aviary_domain::ports::RateLimits;
use aviary_domain::usecases::sync::SyncSettings;
use config::{Config, Environment, File, FileFormat};

use crate::settings_check::unknown_lark_keys;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Unreadable(#[from] config::ConfigError),
    /// A value parsed but is out of its range; `setting` is its dotted name.
    #[error("invalid setting {setting} ({variable}): {reason}")]
    Invalid {
        setting: String,
        variable: String,
        reason: String,
    },
    /// `--strict` and some keys or variables are not settings Aviary knows.
    #[error("unknown settings (refused with --strict): {}", list(.0))]
    Unknown(Vec<UnknownSetting>),
}

fn list(unknown: &[UnknownSetting]) -> String {
    unknown
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A key in the file or an `AVIARY_` variable that names no setting (a typo, or a setting of
/// another version): reported, and refused with `--strict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownSetting {
    FileKey { file: PathBuf, key: String },
    Variable(String),
}

impl std::fmt::Display for UnknownSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FileKey { file, key } => {
                write!(f, "{} has no setting `{key}`", file.display())
            }
            Self::Variable(name) => write!(f, "{name} is not a setting"),
        }
    }
}

/// Settings as loaded, with what was not understood.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    /// Keys and variables that name no setting (ignored unless [`Loaded::strict`] refuses).
    pub unknown: Vec<UnknownSetting>,
}

impl Loaded {
    /// The settings; with `strict`, refuses when anything was unknown.
    ///
    /// # Errors
    /// [`SettingsError::Unknown`] when `strict` and [`Loaded::unknown`] is not empty.
    pub fn strict(self, strict: bool) -> Result<Settings, SettingsError> {
        if strict && !self.unknown.is_empty() {
            return Err(SettingsError::Unknown(self.unknown));
        }
        Ok(self.settings)
    }
}

/// Where Aviary keeps its data.
#[derive(Debug, Clone, Deserialize)]
pub struct DataSettings {
    /// Directory of the embedded database and the generated master key.
    pub dir: PathBuf,
}

/// Which database to use.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; empty means the embedded SQLite file in the data directory.
    /// Secret because a PostgreSQL URL may carry a password.
    pub url: SecretString,
    /// Pooled connections per process; unset: 4 for SQLite, 10 for PostgreSQL.
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// PostgreSQL: a statement waiting longer than this for a lock fails.
    pub lock_timeout_secs: u64,
    /// PostgreSQL: a statement running longer than this is cancelled.
    pub statement_timeout_secs: u64,
    /// PostgreSQL: a transaction left idle this long is ended by the server (its locks go).
    pub idle_in_transaction_timeout_secs: u64,
}

impl DatabaseSettings {
    /// The pool and session settings these give.
    pub fn pool(&self) -> aviary_adapters_db::PoolSettings {
        use std::time::Duration;
        aviary_adapters_db::PoolSettings {
            max_connections: self.max_connections,
            lock_timeout: Duration::from_secs(self.lock_timeout_secs),
            statement_timeout: Duration::from_secs(self.statement_timeout_secs),
            idle_in_transaction_timeout: Duration::from_secs(self.idle_in_transaction_timeout_secs),
        }
    }
}

/// Encryption of credentials at rest.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 32 bytes; when absent a key is generated once into the data directory.
    pub master_key: Option<SecretString>,
    /// Earlier master keys (base64 of 32 bytes each; in the environment, comma-separated): they
    /// decrypt what was stored under them and never encrypt. After `db rotate-key` with a
    /// configured key, list the old key here until `db retire-keys` would find it unused.
    #[serde(default)]
    pub previous_master_keys: Vec<SecretString>,
}

/// The server's listening address and the URL browsers reach it at.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub host: String,
    pub port: u16,
    /// The URL browsers use to reach Aviary (behind a proxy: its `https://` address); Lark
    /// sends the admin back to `<public_base_url>/admin/integrations/callback/<region>`.
    /// Unset: `http://<host>:<port>`.
    #[serde(default)]
    pub public_base_url: Option<String>,
    /// Open connections the server accepts at most (per worker thread); more wait in the
    /// operating system's backlog.
    pub max_connections: usize,
    /// A request's body must arrive within this many seconds of its head, or the request is
    /// refused (`400`/`408`); the head itself must arrive within 5 seconds.
    pub body_timeout_secs: u64,
    /// API requests one key may make per minute (per process); more get `429 rate_limited`.
    pub api_requests_per_minute: u32,
}

impl HttpSettings {
    /// The configured public base URL without a trailing slash, else `http://<host>:<port>`.
    pub fn public_base_url(&self) -> String {
        match self
            .public_base_url
            .as_deref()
            .map(|url| url.trim().trim_end_matches('/'))
            .filter(|url| !url.is_empty())
        {
            Some(url) => url.to_owned(),
            None => format!("http://{}:{}", self.host, self.port),
        }
    }
}

/// Talking to Lark: the client's own settings plus client-side pacing.
#[derive(Debug, Clone, Deserialize)]
pub struct LarkSettings {
    #[serde(flatten)]
    pub client: LarkClientSettings,
    /// Pace requests under Lark's limits (turn off only against the simulator without limits).
    pub pacing: bool,
    pub requests_per_second: u32,
    pub requests_per_minute: u32,
}

impl LarkSettings {
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.pacing.then_some(RateLimits {
            per_second: self.requests_per_second,
            per_minute: self.requests_per_minute,
        })
    }
}

/// How syncs behave.
#[derive(Debug, Clone, Deserialize)]
pub struct SyncSection {
    pub removal_threshold_percent: f64,
    pub concurrency: usize,
    pub batch_size: usize,
    pub lease_ttl_secs: u64,
}

/// How a long-running process (`serve`, `aviary-server`, `sync`) stops when asked to (SIGTERM,
/// SIGINT).
#[derive(Debug, Clone, Deserialize)]
pub struct ShutdownSettings {
    /// At most this many seconds from the signal to the exit: in-flight requests finish and
    /// running syncs reach a safe point (recorded `cancelled`, lease released) within it.
    pub timeout_secs: u64,
}

impl ShutdownSettings {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs)
    }
}

/// How long the run history is kept.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Runs (with the changes they recorded) that ended more than this many days ago are
    /// deleted — except each integration's newest run and newest succeeded run — by every
    /// process with a scheduler, hourly; unset: the history is kept for ever.
    #[serde(default)]
    pub runs_days: Option<u32>,
}

/// Which syncs a process starts on its own, and how many at once.
#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerSettings {
    /// Whether this process starts scheduled syncs (`serve`, `aviary-server`, `worker`); turn it
    /// off on web servers when `aviary worker` processes do the syncing.
    pub enabled: bool,
    /// Scheduled syncs this process runs at once, at most; more due syncs wait for a slot.
    pub max_concurrent_syncs: usize,
    /// How often the scheduler looks for due syncs, in seconds.
    pub tick_secs: u64,
}

/// All settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub data: DataSettings,
    pub database: DatabaseSettings,
    pub secrets: SecretsSettings,
    pub http: HttpSettings,
    pub lark: LarkSettings,
    pub sync: SyncSection,
    pub scheduler: SchedulerSettings,
    pub retention: RetentionSettings,
    pub shutdown: ShutdownSettings,
}

const DEFAULTS: &str = r#"
[data]
dir = "./aviary-data"

[database]
url = ""
lock_timeout_secs = 10
statement_timeout_secs = 120
idle_in_transaction_timeout_secs = 60

[secrets]

[http]
host = "127.0.0.1"
port = 8080
max_connections = 1024
body_timeout_secs = 30
api_requests_per_minute = 600

[lark]
pacing = true
requests_per_second = 50
requests_per_minute = 1000

[sync]
removal_threshold_percent = 20.0
concurrency = 8
batch_size = 500
lease_ttl_secs = 120

[scheduler]
enabled = true
max_concurrent_syncs = 4
tick_secs = 30

[retention]

[shutdown]
timeout_secs = 10
"#;

/// `AVIARY_` variables that Aviary reads but that are not settings (no `__` section separator).
const NOT_SETTINGS: &[&str] = &[
    "AVIARY_LOG",
    "AVIARY_LOG_FORMAT",
    "AVIARY_APP_SECRET",
    "AVIARY_BIN",
    "AVIARY_TEST_DATABASE_URL",
];

/// The settings of each `AVIARY_<SECTION>__<KEY>` variable, and the `AVIARY_` variables that
/// are neither settings nor read otherwise.
fn setting_variables(
    env: impl IntoIterator<Item = (String, String)>,
) -> (HashMap<String, String>, Vec<UnknownSetting>) {
    let mut settings = HashMap::new();
    let mut unknown = Vec::new();
    for (name, value) in env {
        if !name.starts_with("AVIARY_") || NOT_SETTINGS.contains(&name.as_str()) {
            continue;
        }
        if name.contains("__") {
            settings.insert(name, value);
        } else {
            unknown.push(UnknownSetting::Variable(name));
        }
    }
    unknown.sort_by_key(ToString::to_string);
    (settings, unknown)
}

/// The dotted setting a variable sets (`AVIARY_SYNC__BATCH_SIZE` → `sync.batch_size`).
fn setting_of(variable: &str) -> String {
    variable
        .trim_start_matches("AVIARY_")
        .to_ascii_lowercase()
        .replace("__", ".")
}

impl RetentionSettings {
    /// The configured retention, if any (validated when the settings were loaded).
    pub fn runs(&self) -> Option<aviary_domain::usecases::RetentionDays> {
        self.runs_days
            .and_then(|days| aviary_domain::usecases::RetentionDays::new(i64::from(days)).ok())
    }
}

impl Settings {
    /// The built-in defaults alone: no file, no environment (what tests start from).
    pub fn defaults() -> Self {
        let defaults = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize);
        // The defaults are a constant of this file, which a test loads.
        #[allow(clippy::expect_used)]
        defaults.expect("the built-in defaults are valid")
    }

    /// Loads defaults, then `file` (or `./aviary.toml` when present), then the process's
    /// `AVIARY_*` variables.
    ///
    /// # Errors
    /// [`SettingsError`] when the named file is missing, a value does not parse or is out of
    /// its range.
    pub fn load(file: Option<&Path>) -> Result<Loaded, SettingsError> {
        Self::load_from(file, std::env::vars())
    }

    /// [`Settings::load`] with `env` in place of the process's environment.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, SettingsError> {
        let (variables, mut unknown) = setting_variables(env);
        let (file_source, file_name) = match file {
            Some(path) if !path.exists() => {
                return Err(SettingsError::MissingFile(path.to_owned()));
            }
            Some(path) => (File::from(path).format(FileFormat::Toml), path.to_owned()),
            None => (
                File::with_name("aviary.toml")
                    .format(FileFormat::Toml)
                    .required(false),
                PathBuf::from("aviary.toml"),
            ),
        };
        let config = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(file_source)
            .add_source(
                Environment::with_prefix("AVIARY")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("secrets.previous_master_keys")
                    .source(Some(variables.clone())),
            )
            .build()?;
        let mut ignored = unknown_lark_keys(&config);
        let settings: Settings = serde_ignored::deserialize(config, |path| {
            ignored.push(path.to_string());
        })?;
        for key in ignored {
            let variable = variables.keys().find(|name| setting_of(name) == key);
            unknown.push(match variable {
                Some(name) => UnknownSetting::Variable(name.clone()),
                None => UnknownSetting::FileKey {
                    file: file_name.clone(),
                    key,
                },
            });
        }
        settings.validate()?;
        Ok(Loaded { settings, unknown })
    }

    /// The database URL, defaulting to the embedded SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        let configured = self.database.url.expose_secret().trim();
        if configured.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data.dir.join("aviary.db").display()
            )
        } else {
            configured.to_owned()
        }
    }

    /// The sync use case's settings; `owner` names this process in leases.
    pub fn sync_settings(&self, owner: String) -> SyncSettings {
        SyncSettings {
            removal_threshold_percent: self.sync.removal_threshold_percent,
            concurrency: self.sync.concurrency,
            batch_size: self.sync.batch_size,
            lease_ttl: Duration::from_secs(self.sync.lease_ttl_secs),
            owner,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write as _;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(toml: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(toml.as_bytes()).unwrap();
        file
    }

    /// Loads `toml` and `vars` only (never the process's environment or `./aviary.toml`).
    fn load(toml: &str, vars: &[(&str, &str)]) -> Result<Loaded, SettingsError> {
        let file = file(toml);
        Settings::load_from(Some(file.path()), env(vars))
    }

    #[test]
    fn defaults_point_at_the_embedded_database() {
        let settings = Settings::defaults();
        assert_eq!(settings.http.port, 8080);
        assert_eq!(settings.http.public_base_url(), "http://127.0.0.1:8080");
        assert!(
            settings
                .database_url()
                .starts_with("sqlite://./aviary-data/aviary.db")
        );
        assert_eq!(
            settings.lark.rate_limits(),
            Some(RateLimits {
                per_second: 50,
                per_minute: 1000
            })
        );
        assert_eq!(settings.database.max_connections, None);
        assert_eq!(
            settings.shutdown.timeout(),
            std::time::Duration::from_secs(10)
        );
        let loaded = load("", &[]).unwrap();
        assert!(loaded.unknown.is_empty(), "{:?}", loaded.unknown);
    }

    #[test]
    fn the_file_then_the_environment_override_the_defaults() {
        let loaded = load(
            "[sync]\nbatch_size = 200\n[database]\nmax_connections = 3\n",
            &[
                ("AVIARY_SYNC__BATCH_SIZE", "300"),
                ("AVIARY_HTTP__PORT", "9001"),
            ],
        )
        .unwrap();
        assert_eq!(loaded.settings.sync.batch_size, 300);
        assert_eq!(loaded.settings.http.port, 9001);
        assert_eq!(loaded.settings.database.max_connections, Some(3));
    }

    #[test]
    fn previous_master_keys_come_comma_separated_from_the_environment_or_as_a_list() {
        use secrecy::ExposeSecret as _;
        let (a, b) = (
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=",
        );
        let from_env = load(
            "",
            &[("AVIARY_SECRETS__PREVIOUS_MASTER_KEYS", &format!("{a},{b}"))],
        )
        .unwrap();
        let keys: Vec<String> = from_env
            .settings
            .secrets
            .previous_master_keys
            .iter()
            .map(|key| key.expose_secret().to_owned())
            .collect();
        assert_eq!(keys, [a, b]);
        assert!(from_env.unknown.is_empty(), "{:?}", from_env.unknown);
        let from_file = load(
            &format!("[secrets]\nprevious_master_keys = [\"{a}\"]\n"),
            &[],
        )
        .unwrap();
        assert_eq!(from_file.settings.secrets.previous_master_keys.len(), 1);
        assert!(
            load("", &[])
                .unwrap()
                .settings
                .secrets
                .previous_master_keys
                .is_empty()
        );
    }

    #[test]
    fn unknown_keys_and_variables_are_reported_and_refused_when_strict() {
        let toml = "[sync]\nbatch_sise = 10\n[lark]\nrequest_timeout_secs = 5\npacin = false\n[nonsense]\na = 1\n";
        let vars = [
            ("AVIARY_HTTP__PORTT", "1"),
            ("AVIARY_HTTP_PORT", "1"),
            ("AVIARY_LOG", "debug"),
            ("AVIARY_APP_SECRET", "not a setting but read"),
            ("HOME", "/root"),
        ];
        let loaded = load(toml, &vars).unwrap();
        assert_eq!(loaded.settings.lark.client.request_timeout_secs, 5);
        let mut words: Vec<String> = loaded.unknown.iter().map(ToString::to_string).collect();
        words.sort();
        let expected_keys = ["`lark.pacin`", "`nonsense`", "`sync.batch_sise`"];
        for key in expected_keys {
            assert!(words.iter().any(|w| w.ends_with(key)), "{key} in {words:?}");
        }
        assert!(
            words.contains(&"AVIARY_HTTP_PORT is not a setting".to_owned()),
            "{words:?}"
        );
        assert!(
            words.contains(&"AVIARY_HTTP__PORTT is not a setting".to_owned()),
            "{words:?}"
        );
        assert_eq!(words.len(), 5, "{words:?}");
        let err = loaded.strict(true).unwrap_err();
        assert!(
            matches!(err, SettingsError::Unknown(ref list) if list.len() == 5),
            "{err}"
        );
        assert!(load(toml, &vars).unwrap().strict(false).is_ok());
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_setting_and_variable_not_clamped() {
        for (toml, vars, setting) in [
            ("[sync]\nconcurrency = 0\n", vec![], "sync.concurrency"),
            (
                "",
                vec![("AVIARY_SYNC__BATCH_SIZE", "0")],
                "sync.batch_size",
            ),
            (
                "[sync]\nlease_ttl_secs = 5\n",
                vec![],
                "sync.lease_ttl_secs",
            ),
            (
                "[scheduler]\nmax_concurrent_syncs = 0\n",
                vec![],
                "scheduler.max_concurrent_syncs",
            ),
            (
                "",
                vec![("AVIARY_SCHEDULER__TICK_SECS", "0")],
                "scheduler.tick_secs",
            ),
            (
                "[retention]\nruns_days = 0\n",
                vec![],
                "retention.runs_days",
            ),
            (
                "[sync]\nremoval_threshold_percent = 120.0\n",
                vec![],
                "sync.removal_threshold_percent",
            ),
            ("[lark]\nmax_in_flight = 0\n", vec![], "lark.max_in_flight"),
            (
                "[database]\nmax_connections = 0\n",
                vec![],
                "database.max_connections",
            ),
            (
                "[http]\npublic_base_url = \"aviary.example.com\"\n",
                vec![],
                "http.public_base_url",
            ),
            (
                "",
                vec![("AVIARY_SHUTDOWN__TIMEOUT_SECS", "0")],
                "shutdown.timeout_secs",
            ),
        ] {
            let err = load(toml, &vars).unwrap_err();
            let SettingsError::Invalid {
                setting: named,
                variable,
                ..
            } = &err
            else {
                panic!("{setting}: {err}");
            };
            assert_eq!(named, setting);
            assert_eq!(
                *variable,
                format!("AVIARY_{}", setting.to_uppercase().replace('.', "__"))
            );
            assert!(err.to_string().contains(setting), "{err}");
        }
        let err = load("", &[("AVIARY_SYNC__CONCURRENCY", "many")]).unwrap_err();
        assert!(err.to_string().contains("sync.concurrency"), "{err}");
    }

    #[test]
    fn a_configured_public_base_url_wins_over_host_and_port() {
        let mut http = Settings::defaults().http;
        http.public_base_url = Some("https://aviary.example.com/".to_owned());
        assert_eq!(http.public_base_url(), "https://aviary.example.com");
        http.public_base_url = Some("  ".to_owned());
        http.port = 9000;
        assert_eq!(http.public_base_url(), "http://127.0.0.1:9000");
    }

    #[test]
    fn a_missing_named_file_is_an_error() {
        let err = Settings::load_from(Some(Path::new("/nonexistent/aviary.toml")), Vec::new())
            .unwrap_err();
        assert!(matches!(err, SettingsError::MissingFile(_)));
    }
}
