//! The database's record of which master key is primary (`master_key_state`, one row), so
//! every process sharing the database switches keys when a rotation commits.

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// The recorded primary key's id; `None` when no rotation has recorded one.
///
/// # Errors
/// When the database cannot be read.
pub(crate) async fn recorded_primary(conn: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT primary_key_id FROM master_key_state WHERE id = 1",
        ))
        .await?;
    row.map(|row| row.try_get::<String>("", "primary_key_id"))
        .transpose()
}

/// Records `key_id` as the primary, inside the caller's (rotation's) transaction.
///
/// # Errors
/// When the database cannot be written.
pub(crate) async fn record_primary(conn: &impl ConnectionTrait, key_id: &str) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO master_key_state (id, primary_key_id) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET primary_key_id = excluded.primary_key_id",
        [key_id.into()],
    ))
    .await?;
    Ok(())
}
