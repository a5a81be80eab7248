//! Departments hold each fact once, as accounts do since migration 10: a column for every
//! tracked field that had none (`name_en`, leaders, member count, order as `sort_order`,
//! withheld groups), Lark's JSON compressed in `raw` (each alone: departments are few), and
//! `state_json` and `raw_json` dropped once every row is converted. Like migration 10 it runs in
//! the migrations' one transaction, stops on a stored state it cannot read (leaving the
//! database as it was), and cannot be undone.

use aviary_domain::model::DepartmentState;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SimpleExpr, UpdateStatement};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

use crate::raw_json;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// Rows converted per read.
const ROWS_PER_PAGE: u64 = 2_000;

/// The new columns and their SQL type on (SQLite, PostgreSQL).
const NEW_COLUMNS: [(&str, &str, &str); 7] = [
    ("name_en", "TEXT", "TEXT"),
    ("leader_open_id", "TEXT", "TEXT"),
    ("leader_open_ids", "TEXT", "TEXT"),
    ("member_count", "BIGINT", "BIGINT"),
    ("sort_order", "BIGINT", "BIGINT"),
    ("withheld", "TEXT", "TEXT"),
    ("raw", "BLOB", "BYTEA"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, sqlite, pg) in NEW_COLUMNS {
            let kind = if postgres { pg } else { sqlite };
            connection
                .execute_unprepared(&format!("ALTER TABLE departments ADD COLUMN {name} {kind}"))
                .await?;
        }
        let mut after: Option<(Uuid, String)> = None;
        loop {
            let page = old_rows(connection, after.as_ref()).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some((last.integration_id, last.open_department_id.clone()));
            let documents: Vec<Vec<u8>> = page
                .iter()
                .map(|r| r.raw_json.clone().into_bytes())
                .collect();
            let compressed = raw_json::compress_all(None, &documents)
                .map_err(|err| DbErr::Migration(format!("converting departments: {err}")))?;
            for (row, raw) in page.iter().zip(compressed) {
                connection.execute(&update(row, raw)?).await?;
            }
        }
        for column in ["state_json", "raw_json"] {
            connection
                .execute_unprepared(&format!("ALTER TABLE departments DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the lean departments migration cannot be undone: restore the backup taken before \
             upgrading"
                .to_owned(),
        ))
    }
}

/// A department row as the previous schema stored it.
#[derive(Debug, FromQueryResult)]
struct OldRow {
    integration_id: Uuid,
    open_department_id: String,
    state_json: String,
    raw_json: String,
}

/// The next page of rows after `after`, in key order.
async fn old_rows(
    db: &impl ConnectionTrait,
    after: Option<&(Uuid, String)>,
) -> Result<Vec<OldRow>, DbErr> {
    let (integration, id) = (
        Alias::new("integration_id"),
        Alias::new("open_department_id"),
    );
    let mut select = Query::select();
    select
        .columns([
            integration.clone(),
            id.clone(),
            Alias::new("state_json"),
            Alias::new("raw_json"),
        ])
        .from(Alias::new("departments"))
        .order_by(integration.clone(), Order::Asc)
        .order_by(id.clone(), Order::Asc)
        .limit(ROWS_PER_PAGE);
    if let Some((after_integration, after_id)) = after {
        select.and_where(
            Expr::tuple([Expr::col(integration), Expr::col(id)]).gt(Expr::tuple([
                Expr::val(*after_integration),
                Expr::val(after_id.as_str()),
            ])),
        );
    }
    let backend = db.get_database_backend();
    OldRow::find_by_statement(backend.build(&select))
        .all(db)
        .await
}

/// The UPDATE that fills one department's new columns from its stored state.
fn update(row: &OldRow, raw: Vec<u8>) -> Result<UpdateStatement, DbErr> {
    let state: DepartmentState = serde_json::from_str(&row.state_json).map_err(|err| {
        DbErr::Migration(format!(
            "stored state of department {} is not valid: {err}",
            row.open_department_id
        ))
    })?;
    let list = |items: Vec<&str>| -> Option<String> {
        // A list of strings always serialises.
        (!items.is_empty()).then(|| serde_json::to_string(&items).unwrap_or_default())
    };
    let values: [(&str, SimpleExpr); 7] = [
        ("name_en", Expr::val(state.name_en.clone())),
        (
            "leader_open_id",
            Expr::val(
                state
                    .leader_open_id
                    .as_ref()
                    .map(|id| id.as_str().to_owned()),
            ),
        ),
        (
            "leader_open_ids",
            Expr::val(list(
                state.leader_open_ids.iter().map(|id| id.as_str()).collect(),
            )),
        ),
        ("member_count", Expr::val(state.member_count)),
        ("sort_order", Expr::val(state.order)),
        (
            "withheld",
            Expr::val(list(state.withheld.iter().map(|g| g.as_str()).collect())),
        ),
        ("raw", Expr::val(raw)),
    ];
    Ok(Query::update()
        .table(Alias::new("departments"))
        .values(values.map(|(column, value)| (Alias::new(column), value)))
        .and_where(Expr::col(Alias::new("integration_id")).eq(row.integration_id))
        .and_where(Expr::col(Alias::new("open_department_id")).eq(row.open_department_id.as_str()))
        .to_owned())
}
