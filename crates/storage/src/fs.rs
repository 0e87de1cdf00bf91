//! Writing files durably: to a temporary name beside the target, fsynced,
//! renamed over the target, and the folder fsynced, so that after a crash
//! the target is either the old file or the whole new one, never a part.
//! A store that records the file elsewhere (R2's metadata in SQLite)
//! commits that record only after [`persist`] returned.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::StorageError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file being written under a temporary name in `dir`; [`persist`] makes
/// it the target, dropping it without that removes it.
pub fn temp_file_in(dir: &Path) -> Result<tempfile::NamedTempFile, StorageError> {
    tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(io(dir))
}

/// Fsyncs `file` and renames it to `target`, then fsyncs `target`'s folder.
pub fn persist(file: tempfile::NamedTempFile, target: &Path) -> Result<(), StorageError> {
    file.as_file().sync_all().map_err(io(target))?;
    file.persist(target).map_err(|e| StorageError::Io {
        path: target.to_path_buf(),
        source: e.error,
    })?;
    sync_dir(target.parent().unwrap_or(Path::new(".")))
}

/// Writes `bytes` to `target` durably (see the module docs).
pub fn write(target: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let dir: PathBuf = target.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut file = temp_file_in(&dir)?;
    file.write_all(bytes).map_err(io(target))?;
    persist(file, target)
}

/// Fsyncs a folder, so that the names created or removed in it last.
pub fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("object");
        write(&target, b"first").unwrap();
        write(&target, b"second").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
        // An abandoned temporary file leaves nothing behind.
        drop(temp_file_in(dir.path()).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
