//! The data directory and the database files are their owner's alone (`private_fs.rs`): made
//! so when created, tightened when an earlier release left them open to others; SQLite's WAL
//! follows the database file's mode.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use aviary_adapters_db::{Database, MasterKey};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn open_and_write(dir: &Path, label: &str) {
    let url = format!("sqlite://{}", dir.join("aviary.db").display());
    let db = Database::open(&url, MasterKey::generate()).await.unwrap();
    // A write, so the WAL exists.
    db.integrations()
        .insert(&super::new_integration(label, "secret"))
        .await
        .unwrap();
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_data_directory_and_its_database_files_are_readable_by_their_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    MasterKey::load_or_create(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("master.key")), 0o600);
    let url = format!("sqlite://{}", dir.join("aviary.db").display());
    let db = Database::open(&url, MasterKey::generate()).await.unwrap();
    db.integrations()
        .insert(&super::new_integration("Private", "secret"))
        .await
        .unwrap();
    assert_eq!(mode(&dir.join("aviary.db")), 0o600);
    assert_eq!(
        mode(&dir.join("aviary.db-wal")),
        0o600,
        "the WAL follows the database"
    );
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_an_earlier_release_left_open_to_others_are_tightened_when_opened() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    open_and_write(&dir, "First").await;
    let loose = std::fs::Permissions::from_mode(0o644);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("aviary.db"), loose.clone()).unwrap();
    std::fs::write(dir.join("aviary.db-shm"), b"").unwrap();
    std::fs::set_permissions(dir.join("aviary.db-shm"), loose).unwrap();

    let url = format!("sqlite://{}", dir.join("aviary.db").display());
    let db = Database::open(&url, MasterKey::generate()).await.unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("aviary.db")), 0o600);
    assert_eq!(mode(&dir.join("aviary.db-shm")), 0o600);
    db.close().await.unwrap();
}
