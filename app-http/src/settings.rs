//! Settings: built-in defaults, then an optional TOML file, then `AVIARY_<SECTION>__<KEY>`
//! environment variables. Each adapter owns its section.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aviary_adapters_lark::LarkClientSettings;
use aviary_domain::ports::RateLimits;
use aviary_domain::usecases::sync::SyncSettings;
use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
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
}

/// Encryption of credentials at rest.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 32 bytes; when absent a key is generated once into the data directory.
    pub master_key: Option<SecretString>,
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

/// All settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub data: DataSettings,
    pub database: DatabaseSettings,
    pub secrets: SecretsSettings,
    pub http: HttpSettings,
    pub lark: LarkSettings,
    pub sync: SyncSection,
}

const DEFAULTS: &str = r#"
[data]
dir = "./aviary-data"

[database]
url = ""

[secrets]

[http]
host = "127.0.0.1"
port = 8080

[lark]
pacing = true
requests_per_second = 50
requests_per_minute = 1000

[sync]
removal_threshold_percent = 20.0
concurrency = 8
batch_size = 500
lease_ttl_secs = 120
"#;

impl Settings {
    /// Loads defaults, then `file` (or `./aviary.toml` when present), then the environment.
    ///
    /// # Errors
    /// [`SettingsError`] when the named file is missing or a value does not parse.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        match file {
            Some(path) if !path.exists() => {
                return Err(SettingsError::MissingFile(path.to_owned()));
            }
            Some(path) => builder = builder.add_source(File::from(path).format(FileFormat::Toml)),
            None => {
                builder = builder.add_source(
                    File::with_name("aviary.toml")
                        .format(FileFormat::Toml)
                        .required(false),
                )
            }
        }
        let config = builder
            .add_source(
                Environment::with_prefix("AVIARY")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?;
        Ok(config.try_deserialize()?)
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
            concurrency: self.sync.concurrency.max(1),
            batch_size: self.sync.batch_size.max(1),
            lease_ttl: Duration::from_secs(self.sync.lease_ttl_secs.max(10)),
            owner,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_the_embedded_database() {
        let settings = Settings::load(None).unwrap();
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
    }

    #[test]
    fn a_configured_public_base_url_wins_over_host_and_port() {
        let mut http = Settings::load(None).unwrap().http;
        http.public_base_url = Some("https://aviary.example.com/".to_owned());
        assert_eq!(http.public_base_url(), "https://aviary.example.com");
        http.public_base_url = Some("  ".to_owned());
        http.port = 9000;
        assert_eq!(http.public_base_url(), "http://127.0.0.1:9000");
    }

    #[test]
    fn a_missing_named_file_is_an_error() {
        let err = Settings::load(Some(Path::new("/nonexistent/aviary.toml"))).unwrap_err();
        assert!(matches!(err, SettingsError::MissingFile(_)));
    }
}
