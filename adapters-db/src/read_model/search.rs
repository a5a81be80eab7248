//! The account search: a case-insensitive part of a name, English name, email, enterprise
//! email, mobile, user id or employee number, or a whole open id or union id (migration 17
//! says why the opaque ids match whole). The search index only names candidates; the column
//! conditions decide, so results are exactly those of a scan.

use aviary_domain::values::IntegrationId;
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::{ColumnTrait as _, Value};

use crate::connect::Backend;
use crate::entities::accounts;
use crate::migrations::m20261207_000017_whole_id_search::SEARCH_HAYSTACK;

/// Columns the search matches by any part.
const SEARCHABLE: [accounts::Column; 7] = [
    accounts::Column::Name,
    accounts::Column::EnName,
    accounts::Column::Email,
    accounts::Column::EnterpriseEmail,
    accounts::Column::Mobile,
    accounts::Column::UserId,
    accounts::Column::EmployeeNo,
];

/// The accounts of `integration` that `search` (trimmed, not empty) finds: the candidates the
/// index names, narrowed by the column conditions.
pub(super) fn condition(backend: Backend, integration: IntegrationId, search: &str) -> Condition {
    let pattern = contains_pattern(search);
    let mut any = Condition::any();
    for column in SEARCHABLE {
        any = any.add(Expr::cust_with_exprs(
            like_template(backend),
            [
                Expr::col((accounts::Entity, column)),
                Expr::val(pattern.clone()),
            ],
        ));
    }
    any = any
        .add(accounts::Column::OpenId.eq(search))
        .add(accounts::Column::UnionId.eq(search));
    let mut all = Condition::all();
    if let Some(candidates) = candidates(backend, integration, search) {
        all = all.add(candidates);
    }
    all.add(any)
}

/// `%text%` for LIKE with `\` escaping the wildcards the user typed.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `LOWER(column) LIKE LOWER(pattern) ESCAPE '\'`, in the backend's placeholder syntax.
fn like_template(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "LOWER(?) LIKE LOWER(?) ESCAPE '\\'",
        Backend::Postgres => "LOWER($1) LIKE LOWER($2) ESCAPE '\\'",
    }
}

/// The accounts the indexes name for `search` (a superset of the matches): those the trigram
/// index names, and those whose open or union id is the search. SQLite's FTS5 table needs
/// three characters (below them the search scans); each part of SQLite's union reads one
/// index. PostgreSQL combines the three conditions' indexes itself (a bitmap OR); without
/// `pg_trgm` the condition is still right, only not faster.
fn candidates(backend: Backend, integration: IntegrationId, search: &str) -> Option<SimpleExpr> {
    match backend {
        Backend::Sqlite => sqlite_trigrams(search).map(|all| {
            let integration = Value::from(integration.as_uuid());
            Expr::cust_with_values(
                "\"accounts\".rowid IN (\
                 SELECT rowid FROM accounts_search WHERE accounts_search MATCH ? \
                 UNION ALL SELECT rowid FROM accounts WHERE integration_id = ? AND open_id = ? \
                 UNION ALL SELECT rowid FROM accounts WHERE integration_id = ? AND union_id = ?)",
                [
                    Value::from(all),
                    integration.clone(),
                    Value::from(search),
                    integration,
                    Value::from(search),
                ],
            )
        }),
        Backend::Postgres => Some(Expr::cust_with_values(
            format!(
                "(LOWER({SEARCH_HAYSTACK}) LIKE LOWER($1) ESCAPE '\\' \
                 OR \"accounts\".open_id = $2 OR \"accounts\".union_id = $2)"
            ),
            [contains_pattern(search), search.to_owned()],
        )),
    }
}

/// Trigrams of a search the SQLite index is asked for at most: any subset of them still names
/// every match, and a bounded query stays quick.
const MAX_TRIGRAMS: usize = 16;

/// The FTS5 query naming accounts that hold every trigram of `search` (each an FTS5 string:
/// in double quotes, quotes doubled), or `None` below three characters. The index keeps no
/// positions (`detail=none`), so this is a superset of the accounts containing the text.
fn sqlite_trigrams(search: &str) -> Option<String> {
    let chars: Vec<char> = search.chars().collect();
    let mut trigrams: Vec<String> = chars
        .windows(3)
        .map(|window| window.iter().collect::<String>())
        .collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    trigrams.truncate(MAX_TRIGRAMS);
    (!trigrams.is_empty()).then(|| {
        trigrams
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ")
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait as _, QueryFilter as _, QueryTrait as _};

    use super::*;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("ann"), "%ann%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    /// The search's SQL on `backend`, values inlined.
    fn sql(backend: Backend, search: &str) -> String {
        let db = match backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        };
        let integration = IntegrationId::from_uuid(uuid::Uuid::nil());
        accounts::Entity::find()
            .filter(condition(backend, integration, search))
            .build(db)
            .to_string()
    }

    #[test]
    fn search_binds_column_and_pattern_on_both_backends() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let sql = sql(backend, "Bob");
            assert!(
                sql.contains(r#"LOWER("accounts"."name") LIKE LOWER('%Bob%') ESCAPE '\'"#),
                "{sql}"
            );
        }
    }

    #[test]
    fn open_and_union_ids_are_compared_whole_and_not_searched_by_part() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let sql = sql(backend, "ou_1a2b");
            assert!(sql.contains(r#""accounts"."open_id" = 'ou_1a2b'"#), "{sql}");
            assert!(
                sql.contains(r#""accounts"."union_id" = 'ou_1a2b'"#),
                "{sql}"
            );
            for column in ["open_id", "union_id"] {
                assert!(
                    !sql.contains(&format!(r#"LOWER("accounts"."{column}")"#)),
                    "{sql}"
                );
            }
        }
    }

    #[test]
    fn a_sqlite_search_asks_for_each_distinct_trigram_quoted_and_at_most_sixteen() {
        assert_eq!(sqlite_trigrams("ab"), None);
        assert_eq!(
            sqlite_trigrams("Smith").unwrap(),
            r#""Smi" AND "ith" AND "mit""#
        );
        assert_eq!(sqlite_trigrams("aaaa").unwrap(), r#""aaa""#);
        assert_eq!(sqlite_trigrams("a\"b\"").unwrap(), r#""""b""" AND "a""b""#);
        assert_eq!(sqlite_trigrams("张伟伟").unwrap(), r#""张伟伟""#);
        let long = "abcdefghijklmnopqrstuvwxyz";
        assert_eq!(sqlite_trigrams(long).unwrap().matches(" AND ").count(), 15);
    }
}
