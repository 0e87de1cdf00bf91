//! Rebuilding the alarm index from the objects' databases, at start-up.
//!
//! An object's alarm is acknowledged (its `setAlarm` let past the output
//! gate) once the object's own flush made it durable in the object's
//! database; the shared index (`durable/alarms.sqlite`) is written in the
//! same op but never flushed for it, so a crash of the machine may leave
//! the index without a row the object acknowledged, or with one of an
//! alarm it deleted. [`AlarmIndex::reconcile`] makes the index agree with
//! the databases again before anything reads it:
//!
//! - an object whose database holds an alarm has a row for it: a row made
//!   for that alarm is kept (with its retries), any other is replaced by
//!   one due at the alarm's time;
//! - a row of an object whose database holds no alarm (or is gone) is
//!   deleted;
//! - rows follow their class's name as the config names it now (a renamed
//!   class's alarms go to it).
//!
//! Opening an object's database makes a log its last connection left
//! behind durable first (`checkpoint_left_log`), so the alarm read is one
//! on disk.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{AlarmIndex, AlarmRow, ObjectStorage};
use crate::StorageError;

/// A namespace whose objects' alarms the index holds, and the class they
/// go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmOwner {
    /// The namespace's key (its folder under `durable/`).
    pub namespace: String,
    /// The Worker that exports the class.
    pub worker: String,
    /// The class, as the config names it now.
    pub class: String,
}

/// What [`AlarmIndex::reconcile`] did.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Rows kept as they were.
    pub kept: usize,
    /// Rows added or replaced from an object's alarm.
    pub added: usize,
    /// Rows of objects without an alarm, deleted.
    pub removed: usize,
    /// Objects whose database could not be read, with why: their rows are
    /// left as they are.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// An object's alarm as its database holds it: the time and its id's name.
type Held = (f64, Option<String>);

impl AlarmIndex {
    /// Makes the index agree with the alarms the databases of `owners`'
    /// objects under the state folder `state` hold (see the module docs).
    /// Run before any object is live: it opens each object's database.
    pub fn reconcile(
        &self,
        state: &Path,
        owners: &[AlarmOwner],
    ) -> Result<Reconciled, StorageError> {
        let mut done = Reconciled::default();
        for owner in owners {
            let dir = state.join("durable").join(&owner.namespace);
            let (held, unreadable) = held_alarms(&dir)?;
            // One commit per namespace, not one per row.
            let tx = self.conn.unchecked_transaction()?;
            self.reconcile_namespace(owner, &held, &unreadable, &mut done)?;
            tx.commit()?;
            done.unreadable.extend(
                unreadable
                    .into_iter()
                    .map(|(id, why)| (super::object_path(state, &owner.namespace, &id), why)),
            );
        }
        Ok(done)
    }

    fn reconcile_namespace(
        &self,
        owner: &AlarmOwner,
        held: &HashMap<String, Held>,
        unreadable: &[(String, String)],
        done: &mut Reconciled,
    ) -> Result<(), StorageError> {
        let ns = owner.namespace.as_str();
        let rows: Vec<(String, f64)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, coalesce(alarm, at) FROM alarms WHERE namespace = ?1")?;
            let rows = stmt.query_map([ns], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let skip: HashSet<&str> = unreadable.iter().map(|(id, _)| id.as_str()).collect();
        let mut matched = HashSet::new();
        for (id, made_for) in rows {
            if skip.contains(id.as_str()) {
                continue;
            }
            match held.get(&id) {
                None => {
                    self.delete(ns, &id)?;
                    done.removed += 1;
                }
                Some((at, _)) if *at == made_for => {
                    matched.insert(id);
                    done.kept += 1;
                }
                // Replaced below.
                Some(_) => {}
            }
        }
        for (id, (at, name)) in held {
            if matched.contains(id) {
                continue;
            }
            self.set(&AlarmRow {
                namespace: ns.to_owned(),
                id: id.clone(),
                worker: owner.worker.clone(),
                class: owner.class.clone(),
                name: name.clone(),
                at: *at,
                retry: 0,
            })?;
            done.added += 1;
        }
        self.conn.execute(
            "UPDATE alarms SET worker = ?2, class = ?3 \
             WHERE namespace = ?1 AND (worker != ?2 OR class != ?3)",
            [ns, &owner.worker, &owner.class],
        )?;
        Ok(())
    }
}

/// The alarms the objects' databases in `dir` hold, by id, and the ids
/// whose database could not be read, with why.
#[allow(clippy::type_complexity)]
fn held_alarms(dir: &Path) -> Result<(HashMap<String, Held>, Vec<(String, String)>), StorageError> {
    let mut held = HashMap::new();
    let mut unreadable = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((held, unreadable)),
        Err(source) => {
            return Err(StorageError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    for entry in entries {
        let path = entry
            .map_err(|source| StorageError::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.extension().and_then(|e| e.to_str()) != Some("sqlite") {
            continue;
        }
        let Some(id) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let read = ObjectStorage::open(&path).and_then(|s| Ok((s.alarm()?, s.alarm_name()?)));
        match read {
            Ok((Some(at), name)) => {
                held.insert(id.to_owned(), (at, name));
            }
            Ok((None, _)) => {}
            Err(e) => unreadable.push((id.to_owned(), e.to_string())),
        }
    }
    Ok((held, unreadable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::object_path;
    use rusqlite::Connection;

    fn owner() -> AlarmOwner {
        AlarmOwner {
            namespace: "ns".into(),
            worker: "w".into(),
            class: "Now".into(),
        }
    }

    fn row(id: &str, at: f64) -> AlarmRow {
        AlarmRow {
            namespace: "ns".into(),
            id: id.into(),
            worker: "w".into(),
            class: "Before".into(),
            name: None,
            at,
            retry: 0,
        }
    }

    fn with_alarm(state: &Path, id: &str, at: Option<f64>) {
        let mut s = ObjectStorage::open(&object_path(state, "ns", id)).unwrap();
        s.set_alarm(at, Some(id)).unwrap();
    }

    #[test]
    fn the_index_is_rebuilt_from_the_objects_databases() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path();
        let index = AlarmIndex::open(&AlarmIndex::path_in(state)).unwrap();
        // lost: acknowledged by the object, its index row lost.
        with_alarm(state, "lost", Some(100.0));
        // retried: its handler failed once; kept as it is.
        with_alarm(state, "retried", Some(200.0));
        index.set(&row("retried", 200.0)).unwrap();
        index.retry("ns", "retried", 200.0, 5000.0, 1).unwrap();
        // moved: the object set a later alarm, the index kept the old one.
        with_alarm(state, "moved", Some(300.0));
        index.set(&row("moved", 250.0)).unwrap();
        // deleted: the object deleted its alarm; gone: its database too.
        with_alarm(state, "deleted", Some(400.0));
        with_alarm(state, "deleted", None);
        index.set(&row("deleted", 400.0)).unwrap();
        index.set(&row("gone", 500.0)).unwrap();

        let done = index.reconcile(state, &[owner()]).unwrap();
        assert_eq!((done.kept, done.added, done.removed), (1, 2, 2));
        assert!(done.unreadable.is_empty());
        let mut due = index.due(f64::MAX, 10).unwrap();
        due.sort_by(|a, b| a.id.cmp(&b.id));
        let got: Vec<_> = due
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    r.at,
                    r.retry,
                    r.class.as_str(),
                    r.name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("lost", 100.0, 0, "Now", Some("lost")),
                ("moved", 300.0, 0, "Now", Some("moved")),
                ("retried", 5000.0, 1, "Now", None),
            ]
        );
        // Once agreed, a second pass changes nothing.
        let again = index.reconcile(state, &[owner()]).unwrap();
        assert_eq!((again.kept, again.added, again.removed), (3, 0, 0));
    }

    #[test]
    fn an_index_made_before_rows_kept_their_alarm_is_reconciled_too() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path();
        let path = AlarmIndex::path_in(state);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // The index as it was made before, with a row due when the
        // object's alarm is.
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE alarms (namespace TEXT NOT NULL, id TEXT NOT NULL, \
             worker TEXT NOT NULL, class TEXT NOT NULL, name TEXT, at REAL NOT NULL, \
             retry INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (namespace, id)) WITHOUT ROWID;
             INSERT INTO alarms VALUES ('ns', 'a', 'w', 'Now', NULL, 100.0, 0);",
        )
        .unwrap();
        drop(old);
        with_alarm(state, "a", Some(100.0));
        let index = AlarmIndex::open(&path).unwrap();
        let done = index.reconcile(state, &[owner()]).unwrap();
        assert_eq!((done.kept, done.added, done.removed), (1, 0, 0));
    }
}
