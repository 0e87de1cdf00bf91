//! The `kill -9` durability test, for every storage binding: a client
//! writes in a loop through the real server and records which writes were
//! acknowledged; the server is killed with SIGKILL at a random moment;
//! restarted on the same state folder, it must show every acknowledged
//! write whole, and no write half-done (a write that was not acknowledged
//! may be there or not, but only whole).
//!
//! A binding's test supplies three closures ([`KillNine`]): how to start
//! the server, how to make write `n`, and how to read writes back. A
//! Worker that takes writes as request bodies and reads them back as a
//! JSON object needs only its paths ([`JsonStore`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Server;

/// What the restarted server shows of one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Nothing of it.
    Absent,
    /// All of it, exactly as written.
    Whole,
    /// Something else: part of it, or other bytes (what was found).
    Partial(String),
}

/// The test's settings and closures (see the module docs).
pub struct KillNine<'a> {
    /// How many times the server is killed and restarted (at least 20).
    pub rounds: usize,
    /// Writer threads, each writing its own writes in a loop.
    pub writers: usize,
    /// Starts the server, on the same state folder every time.
    pub start: &'a dyn Fn() -> Server,
    /// Makes write `n` against the server at `addr` (`host:port`): whether
    /// the server acknowledged it (a connection refused or cut is not).
    pub write: &'a (dyn Fn(&str, u64) -> bool + Sync),
    /// What the server shows of each of the writes `ns`, in order.
    pub read: &'a dyn Fn(&Server, &[u64]) -> Vec<Seen>,
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct Report {
    /// Writes acknowledged over all rounds.
    pub acknowledged: usize,
    /// Writes made and not acknowledged (cut by a kill).
    pub unacknowledged: usize,
    /// Unacknowledged writes found whole after the restart.
    pub unacknowledged_present: usize,
}

/// A small xorshift generator: random kill moments without a dependency;
/// the seed is printed so that a failing run can be repeated.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::env::var("MOTU_KILL9_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("kill -9 test: seed {seed} (MOTU_KILL9_SEED to repeat)");
        Random(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

impl KillNine<'_> {
    /// Runs the rounds, panicking at the first write that was lost or is
    /// half there.
    pub fn run(&self) -> Report {
        assert!(self.rounds >= 1 && self.writers >= 1);
        let mut random = Random::new();
        let mut report = Report::default();
        let mut acknowledged: Vec<u64> = Vec::new();
        let mut next = 0u64;
        let mut server = (self.start)();
        for round in 0..self.rounds {
            let first = next;
            let stop = Arc::new(AtomicBool::new(false));
            let acked = Arc::new(Mutex::new(Vec::new()));
            let tried = Arc::new(Mutex::new(Vec::new()));
            let addr = server.addr.clone();
            // Killed between 5 and 250 ms after the first acknowledged
            // write of the round: writes are in flight.
            let delay = Duration::from_millis(5 + random.below(245));
            let (write, writers) = (self.write, self.writers as u64);
            std::thread::scope(|scope| {
                for w in 0..writers {
                    let (stop, acked, tried, addr) = (&stop, &acked, &tried, &addr);
                    scope.spawn(move || {
                        let mut k = 0;
                        while !stop.load(Ordering::SeqCst) {
                            let n = first + w + k * writers;
                            k += 1;
                            tried.lock().unwrap().push(n);
                            if write(addr, n) {
                                acked.lock().unwrap().push(n);
                            } else if stop.load(Ordering::SeqCst) {
                                break;
                            }
                        }
                    });
                }
                let deadline = Instant::now() + Duration::from_secs(60);
                while acked.lock().unwrap().is_empty() {
                    if Instant::now() >= deadline {
                        // The writers stop first: the scope waits for them.
                        stop.store(true, Ordering::SeqCst);
                        panic!(
                            "round {round}: no write was acknowledged; log:\n{}",
                            server.log()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(delay);
                // No new writes from now on; those in flight are cut.
                stop.store(true, Ordering::SeqCst);
                server.kill_hard();
            });
            let tried = std::mem::take(&mut *tried.lock().unwrap());
            let acked = std::mem::take(&mut *acked.lock().unwrap());
            next = tried.iter().max().map_or(next, |m| m + 1);
            let unacked: Vec<u64> = tried
                .iter()
                .copied()
                .filter(|n| !acked.contains(n))
                .collect();
            report.acknowledged += acked.len();
            report.unacknowledged += unacked.len();
            acknowledged.extend(&acked);
            server = (self.start)();
            // Every write acknowledged so far, in any round, and this
            // round's cut ones.
            let mut ns = acknowledged.clone();
            ns.extend(&unacked);
            let seen = (self.read)(&server, &ns);
            assert_eq!(seen.len(), ns.len());
            for (n, seen) in ns.iter().zip(seen) {
                let was_acked = !unacked.contains(n);
                match seen {
                    Seen::Whole if !was_acked => report.unacknowledged_present += 1,
                    Seen::Whole => {}
                    Seen::Absent if !was_acked => {}
                    Seen::Absent => {
                        panic!("round {round}: acknowledged write {n} is lost after kill -9")
                    }
                    Seen::Partial(what) => panic!(
                        "round {round}: write {n} ({}) is half there after kill -9: {what}",
                        if was_acked {
                            "acknowledged"
                        } else {
                            "not acknowledged"
                        }
                    ),
                }
            }
        }
        eprintln!("kill -9 test: {report:?}");
        report
    }
}

/// A store behind a Worker that takes write `n` as the body of `POST
/// write_path(key)` (answering `ok`) and answers `GET read_path(keys)`
/// (keys joined by commas) with a JSON object of the values it found (null
/// for a key it has not): the [`KillNine`] closures for it, writes keyed
/// `w<n>` with the value `value(n)`.
pub struct JsonStore<'a> {
    /// Starts the server, on the same state folder every time.
    pub start: &'a dyn Fn() -> Server,
    /// The path that writes the body under a key.
    pub write_path: &'a (dyn Fn(&str) -> String + Sync),
    /// The path that reads keys back.
    pub read_path: &'a dyn Fn(&str) -> String,
    /// The value of write `n`.
    pub value: &'a (dyn Fn(u64) -> String + Sync),
}

impl JsonStore<'_> {
    /// Runs [`KillNine`] with `rounds` rounds and `writers` writers.
    pub fn run(&self, rounds: usize, writers: usize) -> Report {
        let write = |addr: &str, n: u64| {
            super::try_request(
                addr,
                "POST",
                &(self.write_path)(&format!("w{n}")),
                &[],
                (self.value)(n).as_bytes(),
            )
            .is_some_and(|r| r.status == 200 && r.body == b"ok")
        };
        let read = |s: &Server, ns: &[u64]| -> Vec<Seen> {
            let mut seen = Vec::new();
            for chunk in ns.chunks(100) {
                let keys: Vec<String> = chunk.iter().map(|n| format!("w{n}")).collect();
                let path = (self.read_path)(&keys.join(","));
                let response = s.get(&path);
                assert_eq!(response.status, 200, "{path}: {}", response.text());
                let found: serde_json::Value = response.json();
                for (n, key) in chunk.iter().zip(&keys) {
                    seen.push(match &found[key] {
                        serde_json::Value::Null => Seen::Absent,
                        serde_json::Value::String(v) if *v == (self.value)(*n) => Seen::Whole,
                        v => Seen::Partial(format!("{:.80}", v.to_string())),
                    });
                }
            }
            seen
        };
        KillNine {
            rounds,
            writers,
            start: self.start,
            write: &write,
            read: &read,
        }
        .run()
    }
}
