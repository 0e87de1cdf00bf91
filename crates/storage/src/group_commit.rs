//! Group commit: many commits of one database made durable by one fsync of
//! its write-ahead log.
//!
//! With `synchronous=FULL`, SQLite fsyncs the log inside every `COMMIT`,
//! while the writing connection is held: writes to one database then
//! follow each other at the pace of the disk's flushes, one per commit.
//! The stores whose writers take turns on one connection (KV, queues, D1)
//! run it with `synchronous=NORMAL` instead, where a commit only appends to
//! the log, and make each commit durable here before the call that made it
//! returns:
//!
//! 1. right after its `COMMIT`, still holding the connection, the writer
//!    takes a number ([`GroupCommit::committed`]): commits are numbered in
//!    the order their frames went into the log;
//! 2. with the connection released, it waits until a flush covers its
//!    number ([`GroupCommit::wait`]). If no flush is running it runs one:
//!    it reads the highest number given so far (every commit up to it has
//!    written its frames), fsyncs the log, and marks all of them durable.
//!    A writer whose commit came while a flush ran waits for it, then runs
//!    the next one for everyone who came meanwhile.
//!
//! So a call still returns only once its commit is on disk (a crash,
//! `kill -9` or power loss loses nothing acknowledged), but commits that
//! arrive together share one flush.
//!
//! A flush that fails fails every commit it was to cover — its own waiter,
//! the others waiting for those numbers, and whoever asks for one of them
//! later — even when a later flush succeeds: after a failed fsync the
//! kernel may have dropped the pages it could not write, so a later
//! fsync's success says nothing of them. A checkpoint that SQLite runs under
//! `NORMAL` syncs the log before it copies it into the database and the
//! database before the log is reused, so commits that a checkpoint has
//! moved stay durable too.

use std::path::{Path, PathBuf};

use parking_lot::{Condvar, Mutex};

use crate::StorageError;

/// The group commit of one database (see the module docs).
#[derive(Debug)]
pub struct GroupCommit {
    /// The database's write-ahead log (`<database>-wal`).
    wal: PathBuf,
    /// The log, kept open between flushes (reopened when the file at
    /// `wal` is another one).
    file: Mutex<Option<std::fs::File>>,
    state: Mutex<State>,
    flushed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// The number of the last commit.
    committed: u64,
    /// Every commit up to this number is on disk.
    durable: u64,
    /// Whether a writer is flushing the log now.
    flushing: bool,
    /// How many flushes have run.
    flushes: u64,
    /// The numbers whose flush failed, as ranges in order.
    failed: Vec<Failed>,
}

/// Commits a failed flush was to cover (`from..=to`), and its error.
#[derive(Debug)]
struct Failed {
    from: u64,
    to: u64,
    kind: std::io::ErrorKind,
    message: String,
}

impl State {
    /// Records that the flush of every commit up to `upto` not yet durable
    /// failed with `e` (a run of failures with nothing durable between them
    /// is one range).
    fn fail(&mut self, upto: u64, e: &StorageError) {
        let from = self.durable + 1;
        let (kind, message) = match e {
            StorageError::Io { source, .. } => (source.kind(), source.to_string()),
            other => (std::io::ErrorKind::Other, other.to_string()),
        };
        match self.failed.last_mut() {
            Some(last) if last.from == from => last.to = last.to.max(upto),
            _ => self.failed.push(Failed {
                from,
                to: upto,
                kind,
                message,
            }),
        }
    }
}

impl GroupCommit {
    /// The group commit of the database file at `database`.
    pub fn new(database: &Path) -> Self {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        Self {
            wal: PathBuf::from(wal),
            file: Mutex::new(None),
            state: Mutex::new(State::default()),
            flushed: Condvar::new(),
        }
    }

    /// Numbers a commit that has just returned. Call it while still holding
    /// the writing connection, so that numbers follow the log's order.
    pub fn committed(&self) -> u64 {
        let mut state = self.state.lock();
        state.committed += 1;
        state.committed
    }

    /// Blocks until commit `number` is on disk, flushing the log if no one
    /// else is. An error of the flush is the error of every commit it was
    /// to cover, for good.
    pub fn wait(&self, number: u64) -> Result<(), StorageError> {
        let mut state = self.state.lock();
        loop {
            if let Some(failed) = state
                .failed
                .iter()
                .find(|f| (f.from..=f.to).contains(&number))
            {
                return Err(StorageError::Io {
                    path: self.wal.clone(),
                    source: std::io::Error::new(failed.kind, failed.message.clone()),
                });
            }
            if state.durable >= number {
                return Ok(());
            }
            if state.flushing {
                self.flushed.wait(&mut state);
                continue;
            }
            state.flushing = true;
            let upto = state.committed;
            drop(state);
            let result = self.flush();
            state = self.state.lock();
            state.flushing = false;
            state.flushes += 1;
            match &result {
                Ok(()) => state.durable = state.durable.max(upto),
                Err(e) => state.fail(upto, e),
            }
            self.flushed.notify_all();
            result?;
        }
    }

    /// How many flushes have run so far (for tests and metrics).
    pub fn flushes(&self) -> u64 {
        self.state.lock().flushes
    }

    /// Fsyncs the log. A log that is not there (nothing written since the
    /// last connection closed and removed it) has nothing to flush.
    fn flush(&self) -> Result<(), StorageError> {
        use std::os::unix::fs::MetadataExt;
        let io = |source| StorageError::Io {
            path: self.wal.clone(),
            source,
        };
        let on_disk = match std::fs::metadata(&self.wal) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        let mut file = self.file.lock();
        let same = match file.as_ref() {
            Some(open) => {
                let meta = open.metadata().map_err(io)?;
                meta.ino() == on_disk.ino() && meta.dev() == on_disk.dev()
            }
            None => false,
        };
        if !same {
            *file = Some(std::fs::File::open(&self.wal).map_err(io)?);
        }
        file.as_ref().map_or(Ok(()), |f| f.sync_data().map_err(io))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn one_flush_covers_every_commit_made_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        std::fs::write(dir.path().join("db.sqlite-wal"), b"frames").unwrap();
        let group = GroupCommit::new(&db);
        let first = group.committed();
        let second = group.committed();
        group.wait(second).unwrap();
        assert_eq!(group.flushes(), 1);
        // The first commit was covered by the same flush.
        group.wait(first).unwrap();
        assert_eq!(group.flushes(), 1);
        // A later commit needs a flush of its own.
        let third = group.committed();
        group.wait(third).unwrap();
        assert_eq!(group.flushes(), 2);
    }

    #[test]
    fn concurrent_writers_all_return_durable() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        std::fs::write(dir.path().join("db.sqlite-wal"), b"frames").unwrap();
        let group = Arc::new(GroupCommit::new(&db));
        let writers: Vec<_> = (0..8)
            .map(|_| {
                let group = group.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let n = group.committed();
                        group.wait(n).unwrap();
                        assert!(group.state.lock().durable >= n);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let state = group.state.lock();
        assert_eq!(state.durable, 400);
        assert!(state.flushes <= 400);
    }

    #[test]
    fn a_failed_flush_fails_every_commit_it_covered() {
        let dir = tempfile::tempdir().unwrap();
        // The log's path goes through a file at first: flushes fail.
        let folder = dir.path().join("folder");
        std::fs::write(&folder, b"").unwrap();
        let group = GroupCommit::new(&folder.join("db.sqlite"));
        let first = group.committed();
        let second = group.committed();
        assert!(matches!(group.wait(second), Err(StorageError::Io { .. })));
        // Then the log can be reached and flushed.
        std::fs::remove_file(&folder).unwrap();
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("db.sqlite-wal"), b"frames").unwrap();
        let third = group.committed();
        group.wait(third).unwrap();
        // The first two were covered by the failed flush: they fail,
        // whatever flushes came after.
        assert!(matches!(group.wait(first), Err(StorageError::Io { .. })));
        assert!(matches!(group.wait(second), Err(StorageError::Io { .. })));
        assert_eq!(group.state.lock().failed.len(), 1);
    }

    #[test]
    fn a_failed_flush_fails_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        // The log's path goes through a file, so it cannot be opened.
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let group = GroupCommit::new(&file.join("db.sqlite"));
        let n = group.committed();
        assert!(matches!(group.wait(n), Err(StorageError::Io { .. })));
        assert_eq!(group.state.lock().durable, 0);
    }
}
