//! Accounts hold each fact once. Until now a row kept its whole tracked state as JSON
//! (`state_json`) beside copies of some fields in columns, and Lark's JSON as text (`raw_json`):
//! ≈ 2.1 KB of payload per account, in rows too large to share a page. This migration
//!
//! - adds a column for every tracked field that had none (lists as JSON arrays, `NULL` when
//!   empty; the roles stay the two flags they already were),
//! - adds `raw` (Lark's JSON, zstd-compressed) and `raw_dictionary_id`, with the table
//!   `raw_dictionaries` of dictionaries trained per integration (`raw_json.rs`),
//! - converts every stored account in place: its state is read from `state_json` with the
//!   domain's own decoder, its raw JSON compressed with a dictionary trained on the first rows
//!   of its integration,
//! - and drops `state_json` and `raw_json`.
//!
//! It runs inside the migrations' one transaction: an interrupted upgrade leaves the database
//! as it was. It cannot be undone (`down` refuses): restore the backup taken before upgrading.
//! On SQLite the freed pages are reused by later writes; the file shrinks only with `VACUUM`.

use aviary_domain::model::AccountState;
use aviary_domain::values::IntegrationId;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_pk_auto, binary, uuid};
use uuid::Uuid;

use crate::raw_json::{self, Prepared};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum RawDictionaries {
    Table,
    Id,
    IntegrationId,
    Dictionary,
}

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Id,
}

/// Rows converted per read (and per UPDATE loop).
const ROWS_PER_PAGE: u64 = 2_000;

/// The new columns and their SQL type on (SQLite, PostgreSQL).
const NEW_COLUMNS: [(&str, &str, &str); 15] = [
    ("nickname", "TEXT", "TEXT"),
    ("gender", "BIGINT", "BIGINT"),
    ("department_ids", "TEXT", "TEXT"),
    ("employee_type", "BIGINT", "BIGINT"),
    ("leader_open_id", "TEXT", "TEXT"),
    ("dotted_line_leader_open_ids", "TEXT", "TEXT"),
    ("city", "TEXT", "TEXT"),
    ("country", "TEXT", "TEXT"),
    ("work_station", "TEXT", "TEXT"),
    ("geo", "TEXT", "TEXT"),
    ("join_time", "BIGINT", "BIGINT"),
    ("avatar_url", "TEXT", "TEXT"),
    ("withheld", "TEXT", "TEXT"),
    ("raw", "BLOB", "BYTEA"),
    ("raw_dictionary_id", "BIGINT", "BIGINT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_dictionaries(manager).await?;
        let connection = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, sqlite, pg) in NEW_COLUMNS {
            let kind = if postgres { pg } else { sqlite };
            connection
                .execute_unprepared(&format!("ALTER TABLE accounts ADD COLUMN {name} {kind}"))
                .await?;
        }
        for integration in integrations_with_accounts(connection).await? {
            convert(connection, integration).await?;
        }
        for column in ["state_json", "raw_json"] {
            connection
                .execute_unprepared(&format!("ALTER TABLE accounts DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the lean accounts migration cannot be undone: restore the backup taken before \
             upgrading"
                .to_owned(),
        ))
    }
}

async fn create_dictionaries(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RawDictionaries::Table)
                .if_not_exists()
                .col(big_pk_auto(RawDictionaries::Id))
                .col(uuid(RawDictionaries::IntegrationId))
                .col(binary(RawDictionaries::Dictionary))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_raw_dictionaries_integration")
                        .from(RawDictionaries::Table, RawDictionaries::IntegrationId)
                        .to(Integrations::Table, Integrations::Id)
                        .on_delete(ForeignKeyAction::Cascade)
                        .on_update(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_raw_dictionaries_integration")
                .table(RawDictionaries::Table)
                .col(RawDictionaries::IntegrationId)
                .to_owned(),
        )
        .await
}

async fn integrations_with_accounts(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    let select = Query::select()
        .distinct()
        .column(Alias::new("integration_id"))
        .from(Alias::new("accounts"))
        .to_owned();
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "integration_id"))
        .collect()
}

/// An account row as the previous schema stored it.
#[derive(Debug, FromQueryResult)]
struct OldRow {
    open_id: String,
    state_json: String,
    raw_json: String,
}

/// Converts one integration's accounts, a page at a time in `open_id` order.
async fn convert(db: &impl ConnectionTrait, integration: Uuid) -> Result<(), DbErr> {
    let mut dictionary: Option<Option<Prepared>> = None;
    let mut after: Option<String> = None;
    loop {
        let page = old_rows(db, integration, after.as_deref()).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.open_id.clone());
        if dictionary.is_none() {
            dictionary = Some(train(db, integration, &page).await?);
        }
        let prepared = dictionary.as_ref().and_then(Option::as_ref);
        let documents: Vec<Vec<u8>> = page
            .iter()
            .map(|r| r.raw_json.clone().into_bytes())
            .collect();
        let compressed = raw_json::compress_all(prepared, &documents)
            .map_err(|err| DbErr::Migration(format!("converting accounts: {err}")))?;
        for (row, raw) in page.iter().zip(compressed) {
            let update = update(integration, row, raw, prepared.map(|p| p.id))?;
            db.execute(&update).await?;
        }
    }
}

async fn old_rows(
    db: &impl ConnectionTrait,
    integration: Uuid,
    after: Option<&str>,
) -> Result<Vec<OldRow>, DbErr> {
    let mut select = Query::select();
    select
        .columns([
            Alias::new("open_id"),
            Alias::new("state_json"),
            Alias::new("raw_json"),
        ])
        .from(Alias::new("accounts"))
        .and_where(Expr::col(Alias::new("integration_id")).eq(integration))
        .order_by(Alias::new("open_id"), Order::Asc)
        .limit(ROWS_PER_PAGE);
    if let Some(after) = after {
        select.and_where(Expr::col(Alias::new("open_id")).gt(after));
    }
    let backend = db.get_database_backend();
    OldRow::find_by_statement(backend.build(&select))
        .all(db)
        .await
}

/// The integration's dictionary, trained on its first page of rows (none for a small tenant).
async fn train(
    db: &impl ConnectionTrait,
    integration: Uuid,
    page: &[OldRow],
) -> Result<Option<Prepared>, DbErr> {
    let samples: Vec<&[u8]> = page.iter().map(|r| r.raw_json.as_bytes()).collect();
    let Some(bytes) = raw_json::train(&samples) else {
        return Ok(None);
    };
    let id = raw_json::store(db, IntegrationId::from_uuid(integration), bytes.clone()).await?;
    Ok(Some(Prepared::new(id, &bytes)))
}

/// The UPDATE that fills one account's new columns from its stored state.
fn update(
    integration: Uuid,
    row: &OldRow,
    raw: Vec<u8>,
    dictionary: Option<i64>,
) -> Result<sea_orm::sea_query::UpdateStatement, DbErr> {
    let state: AccountState = serde_json::from_str(&row.state_json).map_err(|err| {
        DbErr::Migration(format!(
            "stored state of account {} is not valid: {err}",
            row.open_id
        ))
    })?;
    let p = &state.profile;
    let list = |items: Vec<&str>| -> Option<String> {
        // A list of strings always serialises.
        (!items.is_empty()).then(|| serde_json::to_string(&items).unwrap_or_default())
    };
    let values: [(&str, SimpleExpr); 15] = [
        ("nickname", Expr::val(p.nickname.clone())),
        ("gender", Expr::val(p.gender)),
        (
            "department_ids",
            Expr::val(list(p.department_ids.iter().map(|d| d.as_str()).collect())),
        ),
        ("employee_type", Expr::val(p.employee_type)),
        (
            "leader_open_id",
            Expr::val(p.leader_open_id.as_ref().map(|id| id.as_str().to_owned())),
        ),
        (
            "dotted_line_leader_open_ids",
            Expr::val(list(
                p.dotted_line_leader_open_ids
                    .iter()
                    .map(|id| id.as_str())
                    .collect(),
            )),
        ),
        ("city", Expr::val(p.city.clone())),
        ("country", Expr::val(p.country.clone())),
        ("work_station", Expr::val(p.work_station.clone())),
        ("geo", Expr::val(p.geo.clone())),
        ("join_time", Expr::val(p.join_time)),
        ("avatar_url", Expr::val(p.avatar_url.clone())),
        (
            "withheld",
            Expr::val(list(p.withheld.iter().map(|g| g.as_str()).collect())),
        ),
        ("raw", Expr::val(raw)),
        ("raw_dictionary_id", Expr::val(dictionary)),
    ];
    Ok(Query::update()
        .table(Alias::new("accounts"))
        .values(values.map(|(column, value)| (Alias::new(column), value)))
        .and_where(Expr::col(Alias::new("integration_id")).eq(integration))
        .and_where(Expr::col(Alias::new("open_id")).eq(row.open_id.as_str()))
        .to_owned())
}
