//! Applying a Worker's `migrations` to the state folder, in the order the
//! config lists them, each tag once (recorded in
//! `durable/migrations.sqlite`, `motu_storage::durable::MigrationLog`):
//!
//! - `new_classes`, `new_sqlite_classes`: nothing to do on disk (an
//!   object's database is made on its first use);
//! - `renamed_classes`: nothing on disk either: a namespace's key is
//!   derived from the class's first name, which the bindings follow back
//!   through the renames (`motu_config::DurableObjectBinding::original_class`),
//!   so the renamed class finds its objects where they were;
//! - `deleted_classes`: the class's objects (its namespace folder) and
//!   their alarms are deleted.

use motu_config::Migration;

use crate::{RuntimeError, Storage};

/// The first name of `class` as of the migrations before `upto`.
fn first_name(migrations: &[Migration], upto: usize, class: &str) -> String {
    let mut name = class.to_owned();
    for m in migrations[..upto].iter().rev() {
        if let Some((from, _)) = m.renamed_classes.iter().find(|(_, to)| *to == name) {
            name = from.clone();
        }
    }
    name
}

/// Applies `worker`'s `migrations` not yet applied in `storage`'s state
/// folder: the tags applied now.
pub fn apply_migrations(
    storage: &Storage,
    worker: &str,
    migrations: &[Migration],
) -> Result<Vec<String>, RuntimeError> {
    if migrations.is_empty() {
        return Ok(Vec::new());
    }
    let failed = |message: String| RuntimeError::Storage {
        worker: worker.to_owned(),
        message,
    };
    let folder = storage.folder_path().map_err(failed)?;
    let log =
        motu_storage::durable::MigrationLog::open(&folder).map_err(|e| failed(e.to_string()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut applied = Vec::new();
    for (i, m) in migrations.iter().enumerate() {
        if log
            .applied(worker, &m.tag)
            .map_err(|e| failed(e.to_string()))?
        {
            continue;
        }
        for class in &m.deleted_classes {
            let namespace = super::id::namespace_key(worker, &first_name(migrations, i, class));
            motu_storage::durable::delete_namespace(&folder, &namespace)
                .map_err(|e| failed(e.to_string()))?;
            tracing::info!(
                worker,
                class = class.as_str(),
                "migration {}: the class's objects were deleted",
                m.tag
            );
        }
        log.record(worker, &m.tag, now)
            .map_err(|e| failed(e.to_string()))?;
        applied.push(m.tag.clone());
    }
    if !applied.is_empty() {
        tracing::info!(
            worker,
            "Durable Object migrations applied: {}",
            applied.join(", ")
        );
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(tag: &str) -> Migration {
        Migration {
            tag: tag.into(),
            ..Default::default()
        }
    }

    #[test]
    fn tags_apply_once_and_deletions_remove_the_objects() {
        let storage = Storage::throwaway();
        let folder = storage.folder_path().unwrap();
        let ns = super::super::id::namespace_key("w", "A");
        let object = motu_storage::durable::object_path(&folder, &ns, "x");
        motu_storage::durable::ObjectStorage::open(&object).unwrap();
        let mut v1 = migration("v1");
        v1.new_classes = vec!["A".into()];
        let mut v2 = migration("v2");
        v2.renamed_classes = vec![("A".into(), "B".into())];
        let mut v3 = migration("v3");
        v3.deleted_classes = vec!["B".into()];
        let list = vec![v1, v2];
        assert_eq!(
            apply_migrations(&storage, "w", &list).unwrap(),
            ["v1", "v2"]
        );
        assert!(object.is_file(), "a rename leaves the objects");
        assert!(apply_migrations(&storage, "w", &list).unwrap().is_empty());
        let mut list = list;
        list.push(v3);
        assert_eq!(apply_migrations(&storage, "w", &list).unwrap(), ["v3"]);
        assert!(!object.exists(), "B, once A, was deleted");
    }
}
