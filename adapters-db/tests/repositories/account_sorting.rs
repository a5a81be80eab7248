//! Sorted account listings (`read_model/order.rs`): every key in both directions orders like
//! the documented rule (text case-insensitive, a missing value as empty text, ties by
//! `open_id`), keyset pages join without gaps or duplicates, a reversed cursor reads the page
//! before, and the sort indexes exist.

use std::sync::Arc;

use aviary_domain::model::{
    AccountCursor, AccountSort, AccountStatus, Presence, SortKey, SortValue, UserAccount,
};
use aviary_domain::ports::{AccountQuery, QueryError, WriteBatch};
use sea_orm::ConnectionTrait as _;

use super::{Ctx, account, at, ids, lease_and_run, on_each_backend, registered, write};

/// Seeds seven accounts with ties and missing values (the last one removed); returns them.
async fn seed(ctx: &Ctx) -> aviary_domain::model::Integration {
    let integration = registered(ctx, "Sorting").await;
    let (lease, _run) = lease_and_run(ctx, &integration).await;
    let text = |s: &str| Some(s.to_owned());
    let rows = [
        (
            "ou_01",
            text("ann"),
            text("b@x.example"),
            None,
            AccountStatus::Active,
            5,
        ),
        (
            "ou_02",
            text("Ann"),
            None,
            text("A@corp.example"),
            AccountStatus::Suspended,
            3,
        ),
        ("ou_03", None, None, None, AccountStatus::Active, 5),
        (
            "ou_04",
            text("Bob"),
            text("c@x.example"),
            None,
            AccountStatus::Resigned,
            1,
        ),
        ("ou_05", text(""), text(""), None, AccountStatus::Invited, 9),
        (
            "ou_06",
            text("bob"),
            text("C@X.example"),
            None,
            AccountStatus::Active,
            3,
        ),
        (
            "ou_07",
            text("Zed"),
            text("a@x.example"),
            None,
            AccountStatus::Active,
            7,
        ),
    ];
    let accounts: Vec<UserAccount> = rows
        .into_iter()
        .map(|(id, name, email, enterprise, status, changed)| {
            let mut a = account(&integration, id, |p| {
                p.name = name;
                p.email = email;
                p.enterprise_email = enterprise;
                p.status = status;
            });
            a.last_changed_at = at(changed);
            a
        })
        .collect();
    write(
        ctx,
        &lease,
        WriteBatch {
            accounts,
            ..WriteBatch::default()
        },
        at(20),
    )
    .await;
    write(
        ctx,
        &lease,
        WriteBatch {
            removed_accounts: vec![(super::oid("ou_07"), Presence::Removed)],
            ..WriteBatch::default()
        },
        at(30),
    )
    .await;
    integration
}

/// The documented order, computed here independently of SQL.
fn expected(mut accounts: Vec<UserAccount>, sort: AccountSort) -> Vec<String> {
    let key = |a: &UserAccount| match SortValue::of(sort.key, a) {
        SortValue::Name(v) | SortValue::Email(v) => v.unwrap_or_default().to_ascii_lowercase(),
        SortValue::Status(s) => s.as_str().to_owned(),
        SortValue::Updated(t) => format!("{:020}", t.timestamp_micros()),
        SortValue::OpenId => String::new(),
    };
    accounts.sort_by(|a, b| (key(a), a.state.open_id()).cmp(&(key(b), b.state.open_id())));
    if sort.descending {
        accounts.reverse();
    }
    ids(&accounts).into_iter().map(str::to_owned).collect()
}

fn owned(accounts: &[UserAccount]) -> Vec<String> {
    ids(accounts).into_iter().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sort_key_orders_both_ways_and_pages_join_without_gaps() {
    on_each_backend(|ctx: Ctx| async move {
        let reads = ctx.reads();
        let integration = seed(&ctx).await;
        let list = |query: AccountQuery| {
            let reads = Arc::clone(&reads);
            async move { reads.accounts(&query).await.unwrap() }
        };
        let base = AccountQuery::all(integration.id);
        let by = |key, descending| AccountQuery {
            sort: AccountSort { key, descending },
            ..base.clone()
        };

        // The rules spelled out once: missing and empty names first, case ignored, ties by id.
        assert_eq!(
            ids(&list(by(SortKey::Name, false)).await),
            ["ou_03", "ou_05", "ou_01", "ou_02", "ou_04", "ou_06"]
        );
        assert_eq!(
            ids(&list(by(SortKey::Name, true)).await),
            ["ou_06", "ou_04", "ou_02", "ou_01", "ou_05", "ou_03"],
            "descending is the exact reverse"
        );
        assert_eq!(
            ids(&list(by(SortKey::Email, false)).await),
            ["ou_03", "ou_05", "ou_02", "ou_01", "ou_04", "ou_06"],
            "the enterprise email stands in for a missing email"
        );
        assert_eq!(
            ids(&list(by(SortKey::Status, false)).await),
            ["ou_01", "ou_03", "ou_06", "ou_05", "ou_04", "ou_02"]
        );
        assert_eq!(
            ids(&list(by(SortKey::Updated, true)).await),
            ["ou_05", "ou_03", "ou_01", "ou_06", "ou_02", "ou_04"]
        );

        for key in SortKey::ALL {
            for descending in [false, true] {
                for include_removed in [false, true] {
                    let sort = AccountSort {
                        key: *key,
                        descending,
                    };
                    let query = AccountQuery {
                        sort,
                        include_removed,
                        ..base.clone()
                    };
                    let full = list(query.clone()).await;
                    assert_eq!(
                        owned(&full),
                        expected(full.clone(), sort),
                        "{sort}, removed: {include_removed}"
                    );
                    assert_eq!(full.len(), if include_removed { 7 } else { 6 });
                    for limit in [1, 2, 4] {
                        let mut walked: Vec<UserAccount> = Vec::new();
                        let mut after = None;
                        loop {
                            let page = list(AccountQuery {
                                after: after.clone(),
                                limit: Some(limit),
                                ..query.clone()
                            })
                            .await;
                            assert!(page.len() as u64 <= limit);
                            let Some(last) = page.last() else { break };
                            after = Some(AccountCursor::after(sort, last));
                            walked.extend(page);
                        }
                        assert_eq!(owned(&walked), owned(&full), "{sort} in pages of {limit}");
                    }
                    // The page before the third account, read through the reversed cursor.
                    let before = list(AccountQuery {
                        sort: sort.reversed(),
                        after: Some(AccountCursor::after(sort, &full[2]).reversed()),
                        limit: Some(5),
                        ..query.clone()
                    })
                    .await;
                    assert_eq!(
                        owned(&before),
                        [owned(&full)[1].clone(), owned(&full)[0].clone()]
                    );
                }
            }
        }

        let filtered = AccountQuery {
            status: Some(AccountStatus::Active),
            after: Some(AccountCursor::new(
                SortValue::Name(Some("ANN".to_owned())),
                false,
                super::oid("ou_01"),
            )),
            ..by(SortKey::Name, false)
        };
        assert_eq!(
            ids(&list(filtered).await),
            ["ou_06"],
            "after (ann, ou_01) among active accounts; the cursor's case does not matter"
        );
        let missing = AccountQuery {
            after: Some(AccountCursor::new(
                SortValue::Name(None),
                false,
                super::oid("ou_03"),
            )),
            ..by(SortKey::Name, false)
        };
        assert_eq!(
            ids(&list(missing).await)[0],
            "ou_05",
            "a missing value in a cursor"
        );

        let mismatched = AccountQuery {
            after: Some(AccountCursor::new(
                SortValue::OpenId,
                false,
                super::oid("ou_03"),
            )),
            ..by(SortKey::Name, false)
        };
        assert!(matches!(
            reads.accounts(&mismatched).await,
            Err(QueryError::Backend(_))
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sort_indexes_exist() {
    on_each_backend(|ctx: Ctx| async move {
        let sql = match ctx.backend() {
            aviary_adapters_db::Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'accounts'"
            }
            aviary_adapters_db::Backend::Postgres => {
                "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts'"
            }
        };
        let rows = ctx
            .db
            .connection()
            .query_all_raw(sea_orm::Statement::from_string(
                ctx.db.connection().get_database_backend(),
                sql,
            ))
            .await
            .unwrap();
        let names: Vec<String> = rows
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        for index in [
            "ix_accounts_sort_name",
            "ix_accounts_sort_email",
            "ix_accounts_sort_updated",
            "ix_accounts_integration_status",
        ] {
            assert!(names.iter().any(|n| n == index), "{index} in {names:?}");
        }
    })
    .await;
}
