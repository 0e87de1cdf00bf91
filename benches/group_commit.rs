//! Group commit against one fsync per commit, on this machine's disk, in
//! one run: W writer threads insert one row per call into one database for
//! SECONDS each way.
//!
//! - **fsync per commit** (the baseline): a connection opened as the stores
//!   open theirs (`motu_storage::sqlite::open`: WAL, `synchronous=FULL`),
//!   shared behind a mutex; each insert commits and fsyncs the log while it
//!   holds the connection, so writers follow each other one flush at a time.
//! - **group commit**: the same connection with `synchronous=NORMAL`; each
//!   insert commits under the mutex, then waits, with the connection
//!   released, for a flush that covers it (`motu_storage::group_commit`),
//!   as the D1, KV and queue stores do.
//!
//! Prints acknowledged commits per second each way, the ratio, and how many
//! commits one flush covered on average. Every acknowledged commit is on
//! disk both ways. In the server, D1, KV and queue calls run on the work
//! pool's threads for waiting work, so concurrent requests are concurrent
//! writers here.
//!
//! `cargo bench --bench group_commit`; `GROUP_BENCH_SECONDS` (default 2).

mod http;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motu_storage::group_commit::GroupCommit;

const INSERT: &str = "INSERT INTO t (k, v) VALUES (?1, 'value')";
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)";

/// Runs `writers` threads calling `insert(writer, n)` for `time`; returns
/// the calls per second.
fn drive(writers: usize, time: Duration, insert: Arc<dyn Fn(usize, u64) + Send + Sync>) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let (stop, done, insert) = (stop.clone(), done.clone(), insert.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    insert(w, n);
                    n += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(time);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = http::setting("GROUP_BENCH_SECONDS", 2.0);
    let time = Duration::from_secs_f64(seconds);
    println!("Inserts acknowledged per second, one row per commit, {seconds} s each way");
    println!(
        "{:>8} {:>16} {:>14} {:>7} {:>18}",
        "writers", "fsync per commit", "group commit", "ratio", "commits per flush"
    );
    for writers in [1, 2, 8, 32] {
        let dir = tempfile::tempdir().unwrap();
        let conn = motu_storage::sqlite::open(&dir.path().join("full.sqlite")).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let conn = Arc::new(Mutex::new(conn));
        let full = drive(
            writers,
            time,
            Arc::new(move |w, n| {
                let conn = conn.lock().unwrap();
                conn.execute(INSERT, [format!("{w}-{n}")]).unwrap();
            }),
        );

        let path = dir.path().join("group.sqlite");
        let conn = motu_storage::sqlite::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch("PRAGMA synchronous=NORMAL;").unwrap();
        let conn = Arc::new(Mutex::new(conn));
        let commits = Arc::new(GroupCommit::new(&path));
        let before = commits.flushes();
        let writer_commits = commits.clone();
        let group = drive(
            writers,
            time,
            Arc::new(move |w, n| {
                let number = {
                    let conn = conn.lock().unwrap();
                    conn.execute(INSERT, [format!("{w}-{n}")]).unwrap();
                    writer_commits.committed()
                };
                writer_commits.wait(number).unwrap();
            }),
        );
        let flushes = (commits.flushes() - before).max(1) as f64;
        println!(
            "{writers:>8} {full:>16.0} {group:>14.0} {:>6.2}x {:>18.1}",
            group / full,
            group * time.as_secs_f64() / flushes
        );
    }
}
