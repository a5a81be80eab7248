//! Multi-row statements for the hot path. SQLite: `INSERT … VALUES (…), (…)` chunked under its
//! bind-parameter limit (32766). PostgreSQL: `INSERT … SELECT … FROM json_populate_recordset`
//! with the whole chunk as one JSON parameter — planning a `VALUES` list of tens of thousands of
//! parameters costs PostgreSQL more than inserting the rows.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::Hash;

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait as _, Func, IntoIden, OnConflict, Query, SelectStatement, Value,
};
use sea_orm::{ConnectionTrait, DbErr};

use crate::connect::Backend;
use crate::mapping::{Mapped, MappingError};

/// Ids in one `IN (…)` list: well under both bind limits, and quick to plan.
pub(crate) const IDS_PER_STATEMENT: usize = 10_000;

/// Bind parameters one SQLite statement may carry: its limit is 32766; the margin leaves room
/// for parameters a statement adds besides its rows.
const SQLITE_MAX_BINDS: usize = 32_000;

/// Rows per PostgreSQL JSON statement: bounds the size of one statement's parameter.
const JSON_ROWS_PER_STATEMENT: usize = 2_000;

/// Why a batched write failed.
#[derive(Debug)]
pub(crate) enum BatchError {
    Mapping(MappingError),
    Db(DbErr),
}

impl From<MappingError> for BatchError {
    fn from(err: MappingError) -> Self {
        Self::Mapping(err)
    }
}

impl From<DbErr> for BatchError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

/// Rows of `columns` values that go into one statement.
pub(crate) fn rows_per_statement(backend: Backend, columns: usize) -> usize {
    match backend {
        Backend::Sqlite => (SQLITE_MAX_BINDS / columns.max(1)).max(1),
        Backend::Postgres => JSON_ROWS_PER_STATEMENT,
    }
}

/// Inserts `items` (one row each, `values` in the order of `columns`) with as few statements as
/// the backend allows, applying `on_conflict` when given.
pub(crate) async fn insert_rows<T, C, Tbl>(
    db: &impl ConnectionTrait,
    backend: Backend,
    table: Tbl,
    columns: &[C],
    items: &[&T],
    values: impl Fn(&T) -> Mapped<Vec<Expr>>,
    on_conflict: Option<&OnConflict>,
) -> Result<(), BatchError>
where
    C: IntoIden + Copy,
    Tbl: IntoIden + Copy,
{
    let build_error = |err: sea_orm::sea_query::error::Error| {
        MappingError(format!("building a multi-row insert: {err}"))
    };
    for chunk in items.chunks(rows_per_statement(backend, columns.len())) {
        let mut insert = Query::insert();
        insert.into_table(table).columns(columns.iter().copied());
        match backend {
            Backend::Sqlite => {
                for item in chunk {
                    insert.values(values(item)?).map_err(build_error)?;
                }
            }
            Backend::Postgres => {
                insert
                    .select_from(json_rows(table, columns, chunk, &values)?)
                    .map_err(build_error)?;
            }
        }
        if let Some(on_conflict) = on_conflict {
            insert.on_conflict(on_conflict.clone());
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// `SELECT r.c1, r.c2, … FROM json_populate_recordset(NULL::table, CAST($1 AS json)) AS r`,
/// with the rows as a JSON array of objects keyed by column name.
fn json_rows<T, C, Tbl>(
    table: Tbl,
    columns: &[C],
    chunk: &[&T],
    values: &impl Fn(&T) -> Mapped<Vec<Expr>>,
) -> Mapped<SelectStatement>
where
    C: IntoIden + Copy,
    Tbl: IntoIden,
{
    let names: Vec<String> = columns.iter().map(|c| c.into_iden().to_string()).collect();
    let mut rows = Vec::with_capacity(chunk.len());
    for item in chunk {
        let mut row = serde_json::Map::with_capacity(names.len());
        for (name, value) in names.iter().zip(values(item)?) {
            row.insert(name.clone(), json_value(value)?);
        }
        rows.push(serde_json::Value::Object(row));
    }
    let json = serde_json::to_string(&rows)
        .map_err(|err| MappingError(format!("serialising rows: {err}")))?;
    let record = Alias::new("r");
    let row_type = Expr::cust(format!("NULL::\"{}\"", table.into_iden()));
    Ok(Query::select()
        .columns(columns.iter().map(|c| (record.clone(), *c)))
        .from_function(
            Func::cust("json_populate_recordset")
                .arg(row_type)
                .arg(Expr::val(json).cast_as("json")),
            record,
        )
        .to_owned())
}

/// A bound value as JSON, for the column types the bulk tables use.
fn json_value(expr: Expr) -> Mapped<serde_json::Value> {
    use serde_json::Value as Json;
    match expr {
        Expr::Value(Value::String(text)) => Ok(text.map_or(Json::Null, Json::String)),
        Expr::Value(Value::BigInt(number)) => Ok(number.map_or(Json::Null, Json::from)),
        Expr::Value(Value::Bool(flag)) => Ok(flag.map_or(Json::Null, Json::Bool)),
        // PostgreSQL reads a `bytea` from JSON text in its hex form, `\x…`.
        Expr::Value(Value::Bytes(bytes)) => Ok(bytes.map_or(Json::Null, |bytes| {
            let mut text = String::with_capacity(2 + bytes.len() * 2);
            text.push_str("\\x");
            for byte in bytes.iter() {
                // Writing to a String cannot fail.
                let _ = write!(text, "{byte:02x}");
            }
            Json::String(text)
        })),
        Expr::Value(Value::Uuid(id)) => {
            Ok(id.map_or(Json::Null, |id| Json::String(id.to_string())))
        }
        other => Err(MappingError(format!(
            "cannot send {other:?} as a JSON row value"
        ))),
    }
}

/// The items with distinct keys, the last occurrence winning, in their original order. (One
/// `INSERT … ON CONFLICT DO UPDATE` may not touch a row twice on PostgreSQL.)
pub(crate) fn last_wins<'a, T, K: Eq + Hash + ?Sized + 'a>(
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a K,
) -> Vec<&'a T> {
    let mut seen = HashSet::with_capacity(items.len());
    let mut kept: Vec<&T> = items
        .iter()
        .rev()
        .filter(|item| seen.insert(key(item)))
        .collect();
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::PostgresQueryBuilder;

    use super::*;
    use crate::entities::accounts;

    #[test]
    fn sqlite_chunks_stay_under_its_bind_limit() {
        assert_eq!(rows_per_statement(Backend::Sqlite, 21), 1523);
        assert!(rows_per_statement(Backend::Sqlite, 21) * 21 <= 32_766);
        assert_eq!(rows_per_statement(Backend::Sqlite, 100_000), 1);
        assert_eq!(
            rows_per_statement(Backend::Postgres, 21),
            JSON_ROWS_PER_STATEMENT
        );
    }

    #[test]
    fn postgres_rows_travel_as_one_json_parameter() {
        let items = [("ou_1", Some("Ann")), ("ou_2", None)];
        let refs: Vec<_> = items.iter().collect();
        let columns = [accounts::Column::OpenId, accounts::Column::Name];
        let values = |(id, name): &(&str, Option<&str>)| {
            Ok(vec![Expr::val(*id), Expr::val(name.map(str::to_owned))])
        };
        let select = json_rows(accounts::Entity, &columns, &refs, &values).unwrap();
        let (sql, values) = select.build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "r"."open_id", "r"."name" FROM json_populate_recordset(NULL::"accounts", CAST($1 AS json)) AS "r""#
        );
        assert_eq!(
            values.0,
            vec![Value::from(
                r#"[{"name":"Ann","open_id":"ou_1"},{"name":null,"open_id":"ou_2"}]"#
            )]
        );
        assert!(json_value(Expr::val(1.5f64)).is_err());
        assert_eq!(
            json_value(Expr::val(vec![0u8, 0xab, 0x10])).unwrap(),
            serde_json::json!("\\x00ab10")
        );
    }

    #[test]
    fn duplicates_keep_their_last_version() {
        let items = [("a", 1), ("b", 2), ("a", 3)];
        let kept: Vec<_> = last_wins(&items, |(k, _)| k).into_iter().copied().collect();
        assert_eq!(kept, vec![("b", 2), ("a", 3)]);
    }
}
