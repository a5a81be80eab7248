//! The order of an account listing and its keyset condition, in SQL. Each order is
//! `(key, open_id)`, both ascending or both descending, and a page after a cursor is a row-value
//! comparison with the cursor's `(key, open_id)` — the shape the sort indexes of migration
//! `000005` serve on both backends. Text keys are lowercased and missing ones read as `''`, so
//! no NULL reaches a comparison; on PostgreSQL they compare byte-wise (`COLLATE "C"`), like
//! SQLite, so both backends order alike.

use aviary_domain::model::{AccountCursor, AccountSort, SortKey, SortValue};
use aviary_domain::ports::QueryError;
use aviary_domain::ports::StoreFault;
use sea_orm::sea_query::{Expr, Order, SimpleExpr};
use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _, Select};

use crate::connect::Backend;
use crate::entities::accounts;
use crate::mapping::micros;

/// The SQL of a sort key other than `open_id` (which is a plain column), exactly as the
/// migration's expression indexes spell it (SQLite matches index expressions by structure).
fn key_sql(backend: Backend, key: SortKey) -> Option<&'static str> {
    Some(match (key, backend) {
        (SortKey::Name, Backend::Sqlite) => r#"LOWER(COALESCE("accounts"."name", ''))"#,
        (SortKey::Name, Backend::Postgres) => {
            r#"LOWER(COALESCE("accounts"."name", '')) COLLATE "C""#
        }
        (SortKey::Email, Backend::Sqlite) => {
            r#"LOWER(COALESCE("accounts"."email", "accounts"."enterprise_email", ''))"#
        }
        (SortKey::Email, Backend::Postgres) => {
            r#"LOWER(COALESCE("accounts"."email", "accounts"."enterprise_email", '')) COLLATE "C""#
        }
        // Statuses are distinct from their first letter on: every collation orders them alike.
        (SortKey::Status, Backend::Sqlite | Backend::Postgres) => r#""accounts"."status""#,
        (SortKey::Updated, Backend::Sqlite | Backend::Postgres) => {
            r#""accounts"."last_changed_at""#
        }
        (SortKey::OpenId, Backend::Sqlite | Backend::Postgres) => return None,
    })
}

/// The cursor's key value as SQL (`?` marks the bound value), transformed like its column.
fn value_sql(backend: Backend, value: &SortValue) -> Option<(&'static str, SimpleExpr)> {
    let text = match backend {
        Backend::Sqlite => "LOWER(COALESCE(?, ''))",
        Backend::Postgres => r#"LOWER(COALESCE(?, '')) COLLATE "C""#,
    };
    match value {
        SortValue::Name(name) => Some((text, Expr::val(name.clone()))),
        SortValue::Email(email) => Some((text, Expr::val(email.clone()))),
        SortValue::Status(status) => Some(("?", Expr::val(status.as_str()))),
        SortValue::Updated(at) => Some(("?", Expr::val(micros(*at)))),
        SortValue::OpenId => None,
    }
}

/// `?` placeholders in the backend's syntax (`$1`, `$2`, … on PostgreSQL).
fn placeholders(backend: Backend, template: &str) -> String {
    match backend {
        Backend::Sqlite => template.to_owned(),
        Backend::Postgres => {
            let mut numbered = String::with_capacity(template.len() + 4);
            let mut n = 0;
            for c in template.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
    }
}

/// Orders `select` by `sort` and, with a cursor, keeps only the rows after it.
///
/// # Errors
/// `Backend` when the cursor is a position in another order (the use case prevents it).
pub(super) fn apply(
    backend: Backend,
    select: Select<accounts::Entity>,
    sort: AccountSort,
    after: Option<&AccountCursor>,
) -> Result<Select<accounts::Entity>, QueryError> {
    let order = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let comparison = if sort.descending { "<" } else { ">" };
    let mut select = select;
    if let Some(cursor) = after {
        if cursor.sort() != sort {
            return Err(QueryError::Backend(StoreFault::failed(format!(
                "a cursor in {} order offered for a listing in {sort} order",
                cursor.sort()
            ))));
        }
        let open_id = cursor.open_id().as_str().to_owned();
        select = match (
            key_sql(backend, sort.key),
            value_sql(backend, cursor.value()),
        ) {
            // The bound on the key alone is implied by the row comparison; it is there
            // because SQLite seeks an expression index only with it.
            (Some(key), Some((value, bound))) => select.filter(Expr::cust_with_exprs(
                placeholders(
                    backend,
                    &format!(
                        r#"{key} {comparison}= {value} AND ({key}, "accounts"."open_id") {comparison} ({value}, ?)"#
                    ),
                ),
                [bound.clone(), bound, Expr::val(open_id)],
            )),
            (None, None) if sort.descending => select.filter(accounts::Column::OpenId.lt(open_id)),
            (None, None) => select.filter(accounts::Column::OpenId.gt(open_id)),
            (Some(_), None) | (None, Some(_)) => {
                return Err(QueryError::Backend(StoreFault::failed(format!(
                    "a cursor value that does not fit the {sort} order"
                ))));
            }
        };
    }
    if let Some(key) = key_sql(backend, sort.key) {
        select = select.order_by(Expr::cust(key), order.clone());
    }
    Ok(select.order_by(accounts::Column::OpenId, order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aviary_domain::values::OpenId;
    use sea_orm::{DbBackend, EntityTrait as _, QueryTrait as _};

    fn sql(backend: Backend, sort: AccountSort, after: Option<&AccountCursor>) -> String {
        let db = match backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        };
        apply(backend, accounts::Entity::find(), sort, after)
            .unwrap()
            .build(db)
            .to_string()
    }

    #[test]
    fn a_name_page_compares_key_and_open_id_as_a_row_on_both_backends() {
        let cursor = AccountCursor::new(
            SortValue::Name(Some("Ann".into())),
            true,
            OpenId::parse("ou_a").unwrap(),
        );
        let sort = cursor.sort();
        let sqlite = sql(Backend::Sqlite, sort, Some(&cursor));
        assert!(
            sqlite.contains(
                r#"LOWER(COALESCE("accounts"."name", '')) <= LOWER(COALESCE('Ann', '')) AND (LOWER(COALESCE("accounts"."name", '')), "accounts"."open_id") < (LOWER(COALESCE('Ann', '')), 'ou_a')"#
            ),
            "{sqlite}"
        );
        assert!(
            sqlite.ends_with(
                r#"ORDER BY LOWER(COALESCE("accounts"."name", '')) DESC, "accounts"."open_id" DESC"#
            ),
            "{sqlite}"
        );
        let postgres = sql(Backend::Postgres, sort, Some(&cursor));
        assert!(
            postgres.contains(r#"(LOWER(COALESCE("accounts"."name", '')) COLLATE "C", "accounts"."open_id") < (LOWER(COALESCE('Ann', '')) COLLATE "C", 'ou_a')"#),
            "{postgres}"
        );
    }

    #[test]
    fn the_default_order_is_the_primary_key() {
        let cursor = AccountCursor::new(SortValue::OpenId, false, OpenId::parse("ou_a").unwrap());
        let sqlite = sql(Backend::Sqlite, AccountSort::default(), Some(&cursor));
        assert!(
            sqlite.ends_with(
                r#"WHERE "accounts"."open_id" > 'ou_a' ORDER BY "accounts"."open_id" ASC"#
            ),
            "{sqlite}"
        );
    }

    #[test]
    fn a_cursor_of_another_order_is_an_error() {
        let cursor = AccountCursor::new(SortValue::OpenId, false, OpenId::parse("ou_a").unwrap());
        let sort = AccountSort::ascending(SortKey::Updated);
        assert!(
            apply(
                Backend::Sqlite,
                accounts::Entity::find(),
                sort,
                Some(&cursor)
            )
            .is_err()
        );
    }
}
