//! The D1 databases of one state folder, one per `database_id`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::database::Database;
use super::limits::D1Limits;
use crate::StorageError;

/// The databases of a state folder (`None`: all in memory, gone at exit).
/// Opening an id twice gives the same [`Database`].
#[derive(Debug)]
pub struct D1Store {
    dir: Option<PathBuf>,
    limits: D1Limits,
    open: Mutex<HashMap<String, Arc<Database>>>,
}

impl D1Store {
    /// The databases in `dir` (created on first use), or in memory.
    pub fn new(dir: Option<PathBuf>, limits: D1Limits) -> Self {
        Self {
            dir,
            limits,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The folder the database files are in.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Where the database `id` is kept (`None` in memory).
    pub fn path_of(&self, id: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(file_name(id)))
    }

    /// The database `id`, opened (and created) on first use.
    pub fn database(&self, id: &str) -> Result<Arc<Database>, StorageError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(db) = open.get(id) {
            return Ok(db.clone());
        }
        let db = match &self.dir {
            None => Database::in_memory(self.limits)?,
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
                    path: dir.clone(),
                    source,
                })?;
                Database::open(&dir.join(file_name(id)), self.limits)?
            }
        };
        let db = Arc::new(db);
        open.insert(id.to_owned(), db.clone());
        Ok(db)
    }
}

/// The file name of database `id`: the id itself when it is made of
/// letters, digits, `-`, `_` and `.` (not leading), each other byte as `%XX`
/// otherwise; then `.sqlite`.
pub fn file_name(id: &str) -> String {
    let mut name = String::with_capacity(id.len() + 7);
    for (i, b) in id.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            name.push(b as char);
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    name.push_str(".sqlite");
    name
}
