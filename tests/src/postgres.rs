//! A fresh PostgreSQL database for one test, on the server `AVIARY_TEST_DATABASE_URL` names
//! (default `postgres://postgres@127.0.0.1:5432/test`, as in CI), dropped by
//! [`TestDatabase::drop_database`]. Where PostgreSQL is unreachable a test says so and skips —
//! except with `CI=true`, where that fails it.

use sea_orm::{ConnectOptions, ConnectionTrait as _, DatabaseConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A test master key (32 bytes, base64): on PostgreSQL every process needs the same configured
/// key.
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// A database created for one test.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    /// Its URL, for `AVIARY_DATABASE__URL`.
    pub url: String,
}

async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(std::time::Duration::from_secs(5))
        .sqlx_logging(false);
    sea_orm::Database::connect(options).await
}

impl TestDatabase {
    /// A new installation on this database, with the test master key.
    pub fn installation(&self) -> crate::Installation {
        crate::Installation::new()
            .with_env("AVIARY_DATABASE__URL", &self.url)
            .with_env("AVIARY_SECRETS__MASTER_KEY", MASTER_KEY)
    }

    /// Creates an empty database; `None` (after a notice) when PostgreSQL is unreachable
    /// outside CI.
    pub async fn create() -> Option<Self> {
        let admin_url =
            std::env::var("AVIARY_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let admin = match connect(&admin_url).await {
            Ok(admin) => admin,
            Err(err) => {
                assert!(
                    !std::env::var("CI").is_ok_and(|ci| ci == "true"),
                    "PostgreSQL is unreachable at AVIARY_TEST_DATABASE_URL ({err}); CI=true requires it"
                );
                eprintln!("notice: PostgreSQL unreachable ({err}); skipping this test");
                return None;
            }
        };
        let name = format!(
            "aviary_e2e_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("the clock is after 1970")
                .as_nanos()
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        let _ = admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("AVIARY_TEST_DATABASE_URL has no database name: {admin_url}"),
        };
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Runs `sql` on the test database (to move stored times back, say).
    pub async fn execute(&self, sql: &str) {
        let db = connect(&self.url).await.expect("the test database answers");
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = db.close().await;
    }

    /// The number `sql` (a `SELECT COUNT(*) …`) answers.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = connect(&self.url).await.expect("the test database answers");
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                sql,
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row");
        let _ = db.close().await;
        row.try_get_by_index(0).expect("a count")
    }

    /// Drops the database, closing whatever connections are left.
    pub async fn drop_database(self) {
        let admin = connect(&self.admin_url).await.expect("PostgreSQL answers");
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .expect("DROP DATABASE");
        let _ = admin.close().await;
    }
}
