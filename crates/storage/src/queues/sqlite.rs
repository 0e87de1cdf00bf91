//! The embedded queue backend: one SQLite database per queue
//! (`queues/<queue name>.sqlite` in the state folder), opened durably (WAL,
//! `synchronous=FULL`), with the leases in memory (see the module docs of
//! [`crate::queues`]).

use std::collections::HashSet;
use std::path::Path;

use parking_lot::Mutex;
use rusqlite::params;

use super::{Delivery, NewMessage, QueueBackend, QueueStats, Retry};
use crate::{Database, StorageError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    timestamp_ms INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at_ms, seq);
";

/// A queue in a SQLite database (see the module docs).
#[derive(Debug)]
pub struct SqliteQueue {
    db: Database,
    /// The ids of the messages leased by this process.
    leased: Mutex<HashSet<String>>,
}

impl SqliteQueue {
    /// Opens (or creates) the queue whose database is at `path`. No message
    /// is leased: those a previous process had leased are visible again.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Ok(Self {
            db: Database::open(path, SCHEMA)?,
            leased: Mutex::new(HashSet::new()),
        })
    }

    /// The queue's database file.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// The ids of every message the queue holds, in the order they were
    /// added (for tests and diagnostics).
    pub fn ids(&self) -> Result<Vec<String>, StorageError> {
        self.db.read(|tx| {
            let mut statement = tx.prepare("SELECT id FROM messages ORDER BY seq")?;
            let ids = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
    }
}

impl QueueBackend for SqliteQueue {
    fn send(&self, messages: &[NewMessage]) -> Result<(), StorageError> {
        self.db.write(|tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, timestamp_ms, content_type, body, visible_at_ms, failed_attempts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for m in messages {
                insert.execute(params![
                    m.id,
                    m.timestamp_ms,
                    m.content_type,
                    m.body,
                    m.visible_at_ms,
                    m.failed_attempts
                ])?;
            }
            Ok(())
        })
    }

    fn receive(&self, max: usize, now_ms: i64) -> Result<Vec<Delivery>, StorageError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        // Held across the read, so that two receivers never lease the same
        // message.
        let mut leased = self.leased.lock();
        let found: Vec<Delivery> = self.db.read(|tx| {
            let mut statement = tx.prepare_cached(
                "SELECT id, timestamp_ms, content_type, body, failed_attempts FROM messages
                 WHERE visible_at_ms <= ?1 ORDER BY visible_at_ms, seq LIMIT ?2",
            )?;
            let rows =
                statement.query_map(params![now_ms, (max + leased.len()) as i64], |row| {
                    Ok(Delivery {
                        id: row.get(0)?,
                        timestamp_ms: row.get(1)?,
                        content_type: row.get(2)?,
                        body: row.get(3)?,
                        failed_attempts: row.get::<_, i64>(4)?.max(0) as u32,
                    })
                })?;
            let mut out = Vec::new();
            for row in rows {
                let delivery = row?;
                if leased.contains(&delivery.id) {
                    continue;
                }
                out.push(delivery);
                if out.len() == max {
                    break;
                }
            }
            Ok::<_, StorageError>(out)
        })?;
        leased.extend(found.iter().map(|d| d.id.clone()));
        Ok(found)
    }

    fn settle(&self, acks: &[String], retries: &[Retry]) -> Result<(), StorageError> {
        if acks.is_empty() && retries.is_empty() {
            return Ok(());
        }
        self.db.write(|tx| {
            let mut delete = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
            for id in acks {
                delete.execute([id])?;
            }
            let mut retry = tx.prepare_cached(
                "UPDATE messages SET failed_attempts = failed_attempts + 1, visible_at_ms = ?2
                 WHERE id = ?1",
            )?;
            for r in retries {
                retry.execute(params![r.id, r.visible_at_ms])?;
            }
            Ok::<_, StorageError>(())
        })?;
        let mut leased = self.leased.lock();
        for id in acks.iter().chain(retries.iter().map(|r| &r.id)) {
            leased.remove(id);
        }
        Ok(())
    }

    fn release(&self, ids: &[String]) {
        let mut leased = self.leased.lock();
        for id in ids {
            leased.remove(id);
        }
    }

    fn stats(&self, now_ms: i64) -> Result<QueueStats, StorageError> {
        let leased = self.leased.lock().len() as u64;
        self.db.read(|tx| {
            let (messages, bytes, oldest, visible): (i64, i64, Option<i64>, i64) = tx.query_row(
                "SELECT count(*), coalesce(sum(length(body)), 0), min(timestamp_ms),
                        count(*) FILTER (WHERE visible_at_ms <= ?1)
                 FROM messages",
                [now_ms],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let next: Option<i64> = tx.query_row(
                "SELECT min(visible_at_ms) FROM messages WHERE visible_at_ms > ?1",
                [now_ms],
                |r| r.get(0),
            )?;
            Ok(QueueStats {
                messages: messages as u64,
                bytes: bytes as u64,
                ready: (visible as u64).saturating_sub(leased),
                oldest_timestamp_ms: oldest,
                next_visible_at_ms: next,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, visible_at_ms: i64) -> NewMessage {
        NewMessage {
            id: id.into(),
            timestamp_ms: 1,
            content_type: "text".into(),
            body: id.as_bytes().to_vec(),
            visible_at_ms,
            failed_attempts: 0,
        }
    }

    fn ids(d: &[Delivery]) -> Vec<&str> {
        d.iter().map(|d| d.id.as_str()).collect()
    }

    #[test]
    fn messages_are_leased_settled_and_retried() {
        let dir = tempfile::tempdir().unwrap();
        let q = SqliteQueue::open(&dir.path().join("q.sqlite")).unwrap();
        q.send(&[message("a", 0), message("b", 0), message("late", 50)])
            .unwrap();
        let stats = q.stats(10).unwrap();
        assert_eq!((stats.messages, stats.ready), (3, 2));
        assert_eq!(stats.next_visible_at_ms, Some(50));
        let first = q.receive(1, 10).unwrap();
        assert_eq!(ids(&first), ["a"]);
        // A leased message is not handed out again.
        assert_eq!(ids(&q.receive(10, 10).unwrap()), ["b"]);
        assert_eq!(q.stats(10).unwrap().ready, 0);
        assert!(q.receive(10, 10).unwrap().is_empty());
        q.settle(
            &["a".into()],
            &[Retry {
                id: "b".into(),
                visible_at_ms: 60,
            }],
        )
        .unwrap();
        assert_eq!(q.ids().unwrap(), ["b", "late"]);
        let later = q.receive(10, 60).unwrap();
        assert_eq!(ids(&later), ["late", "b"]);
        assert_eq!(later[1].failed_attempts, 1);
        q.release(&["late".into()]);
        assert_eq!(ids(&q.receive(10, 60).unwrap()), ["late"]);
    }

    #[test]
    fn leases_do_not_outlive_the_process_but_settlements_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.sqlite");
        let q = SqliteQueue::open(&path).unwrap();
        q.send(&[message("a", 0), message("b", 0)]).unwrap();
        assert_eq!(q.receive(10, 0).unwrap().len(), 2);
        q.settle(&["a".into()], &[]).unwrap();
        drop(q);
        let q = SqliteQueue::open(&path).unwrap();
        assert_eq!(ids(&q.receive(10, 0).unwrap()), ["b"]);
    }

    #[test]
    fn a_send_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let q = SqliteQueue::open(&dir.path().join("q.sqlite")).unwrap();
        q.send(&[message("a", 0)]).unwrap();
        assert!(q.send(&[message("b", 0), message("a", 0)]).is_err());
        assert_eq!(q.ids().unwrap(), ["a"]);
    }
}
