//! The state folder: where every store of one motu process lives.
//!
//! A [`StateFolder`] is a folder with one subfolder per kind of store
//! (`kv/`, `d1/`, `r2/`, …) and a lock file, `motu.lock`. Opening it:
//!
//! - creates it (and any missing parents) with private permissions (0700):
//!   only the user motu runs as can read the data;
//! - takes an exclusive lock on `motu.lock` (`flock`), held for as long as
//!   the `StateFolder` lives, and writes the process id into it. A second
//!   process (or a second `StateFolder` in the same process) that opens the
//!   same folder is refused with [`StorageError::Locked`], which names the
//!   folder and the holder: two processes writing one store would corrupt
//!   it. The kernel releases the lock when the process dies, even by
//!   `kill -9`, so a crashed server never leaves the folder locked.
//!
//! A **throwaway** state folder ([`StateFolder::throwaway`], what
//! `--persist-to :memory:` asks for) is a fresh temporary folder, removed
//! when the `StateFolder` is dropped, or by [`remove_throwaways`] (which a
//! program calls as it exits, since values held by threads are not dropped
//! then); one that outlived its process (killed before it could clean up)
//! is removed by the next throwaway folder made on the machine, once its
//! lock shows that no process holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::StorageError;

/// The lock file's name inside a state folder.
pub const LOCK_FILE: &str = "motu.lock";

/// The prefix of throwaway state folders in the system's temporary folder.
const THROWAWAY_PREFIX: &str = "motu-state-";

/// The throwaway folders of this process that still exist.
static THROWAWAYS: parking_lot::Mutex<Vec<PathBuf>> = parking_lot::Mutex::new(Vec::new());

/// Removes every throwaway state folder of this process now (the process
/// is exiting; the stores in them are not used any more).
pub fn remove_throwaways() {
    for path in THROWAWAYS.lock().drain(..) {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// An open, locked state folder (see the module docs).
#[derive(Debug)]
pub struct StateFolder {
    path: PathBuf,
    /// Holds the lock while it is open.
    _lock: File,
    /// Set for a throwaway folder: removed on drop.
    throwaway: bool,
}

impl StateFolder {
    /// Opens the state folder at `path`, creating it with private
    /// permissions if it does not exist, and locks it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = std::path::absolute(path.as_ref()).unwrap_or_else(|_| path.as_ref().into());
        create_private_dir(&path)?;
        let lock = lock(&path)?;
        Ok(Self {
            path,
            _lock: lock,
            throwaway: false,
        })
    }

    /// A fresh, empty state folder in the system's temporary folder, removed
    /// when this value is dropped: for runs whose data should not outlive
    /// them (`--persist-to :memory:`) and for tests.
    pub fn throwaway() -> Result<Self, StorageError> {
        let temp = std::env::temp_dir();
        sweep_stale_throwaways(&temp);
        let dir = tempfile::Builder::new()
            .prefix(THROWAWAY_PREFIX)
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&temp)
            .map_err(|source| StorageError::Io {
                path: temp.clone(),
                source,
            })?;
        // Removed by `Drop`, not by the TempDir, which must not go first.
        let path = dir.keep();
        let lock = lock(&path)?;
        THROWAWAYS.lock().push(path.clone());
        Ok(Self {
            path,
            _lock: lock,
            throwaway: true,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the folder is removed when this value is dropped.
    pub fn is_throwaway(&self) -> bool {
        self.throwaway
    }

    /// The subfolder for stores of `kind` (`"kv"`, `"d1"`, `"r2"`), created
    /// with private permissions if need be.
    pub fn kind_folder(&self, kind: &str) -> Result<PathBuf, StorageError> {
        check_name(kind)?;
        let dir = self.path.join(kind);
        create_private_dir(&dir)?;
        Ok(dir)
    }

    /// The path of the store `name` of `kind`, with `extension` (e.g.
    /// `kv/<namespace id>.sqlite`); its folder is created if need be. The
    /// name must be usable as a file name: letters, digits, `-`, `_` and
    /// `.`, not starting with `.` (every id Cloudflare hands out is).
    pub fn store_path(
        &self,
        kind: &str,
        name: &str,
        extension: &str,
    ) -> Result<PathBuf, StorageError> {
        check_name(name)?;
        let dir = self.kind_folder(kind)?;
        Ok(if extension.is_empty() {
            dir.join(name)
        } else {
            dir.join(format!("{name}.{extension}"))
        })
    }
}

impl Drop for StateFolder {
    fn drop(&mut self) {
        if self.throwaway {
            THROWAWAYS.lock().retain(|p| p != &self.path);
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Whether `name` can name a store's file: see [`StateFolder::store_path`].
pub fn check_name(name: &str) -> Result<(), StorageError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StorageError::BadName(name.to_owned()))
    }
}

/// Creates `dir` and its missing parents with mode 0700.
fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StorageError::StateFolder {
            path: dir.to_path_buf(),
            message: format!("cannot create it: {e}"),
        })
}

/// Takes the exclusive lock of the state folder `dir` and writes this
/// process's id into the lock file.
fn lock(dir: &Path) -> Result<File, StorageError> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StorageError::StateFolder {
            path: dir.to_path_buf(),
            message: format!("cannot open its lock file {}: {e}", path.display()),
        })?;
    if !try_flock(&file) {
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        return Err(StorageError::Locked {
            path: dir.to_path_buf(),
            holder: text.trim().parse().ok(),
        });
    }
    let pid = std::process::id().to_string();
    let written = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(pid.as_bytes()))
        .and_then(|()| file.sync_data());
    written.map_err(|source| StorageError::Io { path, source })?;
    Ok(file)
}

/// Takes an exclusive `flock` on `file` without waiting: whether it was
/// taken.
fn try_flock(file: &File) -> bool {
    // SAFETY: a plain system call on a descriptor `file` owns.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Removes throwaway state folders in `temp` that no process holds (their
/// process was killed before it could remove them).
fn sweep_stale_throwaways(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(THROWAWAY_PREFIX) {
            continue;
        }
        let dir = entry.path();
        let Ok(file) = OpenOptions::new().read(true).open(dir.join(LOCK_FILE)) else {
            continue;
        };
        // Held by nobody: the lock is ours now, until the folder is gone.
        if try_flock(&file) {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_opener_is_refused_until_the_first_is_gone() {
        let parent = tempfile::tempdir().unwrap();
        let path = parent.path().join("deep/state");
        let first = StateFolder::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the folder is private");
        let err = StateFolder::open(&path).unwrap_err();
        assert!(
            matches!(err, StorageError::Locked { holder: Some(pid), .. } if pid == std::process::id())
        );
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(
            message.contains("in use by another motu process"),
            "{message}"
        );
        drop(first);
        let again = StateFolder::open(&path).unwrap();
        assert_eq!(again.path(), path);
    }

    #[test]
    fn store_paths_are_checked_and_private() {
        let parent = tempfile::tempdir().unwrap();
        let state = StateFolder::open(parent.path().join("s")).unwrap();
        let p = state
            .store_path("kv", "0f2ac74b498b48028cb68387c421e279", "sqlite")
            .unwrap();
        assert!(p.ends_with("kv/0f2ac74b498b48028cb68387c421e279.sqlite"));
        let mode = std::fs::metadata(p.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
        for bad in ["", "../x", ".hidden", "a/b", "a b"] {
            assert!(matches!(
                state.store_path("kv", bad, "sqlite"),
                Err(StorageError::BadName(_))
            ));
        }
    }

    #[test]
    fn throwaway_folders_go_away() {
        let state = StateFolder::throwaway().unwrap();
        let path = state.path().to_path_buf();
        assert!(state.is_throwaway());
        std::fs::write(state.store_path("kv", "x", "sqlite").unwrap(), b"x").unwrap();
        assert!(path.join("kv/x.sqlite").is_file());
        drop(state);
        assert!(!path.exists());
    }

    #[test]
    fn stale_throwaways_are_swept_and_live_ones_kept() {
        let temp = tempfile::tempdir().unwrap();
        let stale = temp.path().join(format!("{THROWAWAY_PREFIX}stale"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join(LOCK_FILE), b"1").unwrap();
        let live = temp.path().join(format!("{THROWAWAY_PREFIX}live"));
        let held = StateFolder::open(&live).unwrap();
        sweep_stale_throwaways(temp.path());
        assert!(!stale.exists());
        assert!(live.exists());
        drop(held);
    }
}
