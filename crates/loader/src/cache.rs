//! The cache of transpiled modules, by content hash.
//!
//! A module's key is the SHA-256 of everything its JavaScript depends on:
//! the cache format, motu's and oxc's versions, the module's kind (its
//! extension), the transpile options (tsconfig, `define`s) and its text.
//! The same file transpiled with the same options anywhere in the process
//! (a Worker's second isolate, a reload of `motu dev`, another Worker) is
//! transpiled once.
//!
//! Two levels:
//! - **memory**, process-wide, holding up to [`MEMORY_BUDGET`] bytes of
//!   output (the oldest entries go first);
//! - **disk**, when the project has a cache folder: one file per key in
//!   `<cache_dir>/transpiled/`, written to a temporary file and renamed into
//!   place (so a reader never sees half a file), checked by a SHA-256 of its
//!   contents when read. An entry that is unreadable, truncated or corrupt
//!   is ignored (and rewritten). Nothing is ever deleted from the folder;
//!   removing it is always safe.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::transpile::positions::{read_u32, Positions};

/// Bumped whenever what is cached, or how, changes.
const FORMAT: &str = "motu-transpiled-3";

/// The first bytes of a cache file.
const MAGIC: &[u8; 8] = b"motu-tc1";

/// The most output the memory cache holds, in bytes (code and mappings).
pub const MEMORY_BUDGET: usize = 64 << 20;

/// A cache key: the SHA-256 of a module's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 32]);

impl Key {
    /// The key of a module with extension `ext` and text `source`,
    /// transpiled with options whose fingerprint is `options`.
    pub fn new(ext: &str, options: &str, source: &str) -> Self {
        let mut h = Sha256::new();
        for part in [
            FORMAT,
            env!("CARGO_PKG_VERSION"),
            crate::transpile::TRANSFORMER,
            ext,
            options,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(source.as_bytes());
        Self(h.finalize().into())
    }

    fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A transpiled module: its JavaScript and the mappings back to its text.
#[derive(Debug)]
pub struct Entry {
    /// The JavaScript.
    pub code: Arc<str>,
    /// The mappings (empty when the JavaScript is the text itself).
    pub positions: Arc<Positions>,
}

impl Entry {
    fn size(&self) -> usize {
        self.code.len() + self.positions.len() * 16
    }
}

/// The process-wide memory cache.
#[derive(Default)]
struct Memory {
    entries: HashMap<Key, Arc<Entry>>,
    order: VecDeque<Key>,
    bytes: usize,
}

fn memory() -> &'static Mutex<Memory> {
    static MEMORY: OnceLock<Mutex<Memory>> = OnceLock::new();
    MEMORY.get_or_init(Mutex::default)
}

/// The cache of one project: the process-wide memory, and the project's
/// folder on disk if it has one.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    dir: Option<PathBuf>,
}

/// Where an entry came from, for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// The memory cache.
    Memory,
    /// The disk cache.
    Disk,
}

impl Cache {
    /// A cache keeping files in `dir/transpiled/` (when `dir` is given).
    pub fn new(dir: Option<&Path>) -> Self {
        Self {
            dir: dir.map(|d| d.join("transpiled")),
        }
    }

    /// The entry of `key`, from memory or disk.
    pub fn get(&self, key: &Key) -> Option<(Arc<Entry>, Hit)> {
        if let Some(e) = memory().lock().entries.get(key) {
            return Some((e.clone(), Hit::Memory));
        }
        let entry = Arc::new(self.read(key)?);
        remember(*key, entry.clone());
        Some((entry, Hit::Disk))
    }

    /// Keeps `entry` as the entry of `key`, in memory and on disk. A disk
    /// that cannot be written to is not an error: the entry stays in memory.
    pub fn put(&self, key: Key, entry: Arc<Entry>) {
        if let Err(e) = self.write(&key, &entry) {
            warn_once(self.dir.as_deref(), &e);
        }
        remember(key, entry);
    }

    fn read(&self, key: &Key) -> Option<Entry> {
        let bytes = std::fs::read(self.dir.as_ref()?.join(key.hex())).ok()?;
        decode(&bytes)
    }

    fn write(&self, key: &Key, entry: &Entry) -> std::io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        std::fs::create_dir_all(dir)?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tmp = dir.join(format!(
            ".{}.{}.{}.tmp",
            key.hex(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&encode(entry))?;
            drop(file);
            std::fs::rename(&tmp, dir.join(key.hex()))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

/// Cache trouble is not the Worker's: it is logged once per process and
/// otherwise ignored.
fn warn_once(dir: Option<&Path>, e: &std::io::Error) {
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| {
        tracing::warn!(
            "cannot write the transpile cache in {}: {e}; transpiled modules are kept in memory only",
            dir.map_or_else(String::new, |d| d.display().to_string())
        );
    });
}

/// Held by tests that empty or count on the memory cache, which is
/// process-wide.
#[cfg(test)]
pub(crate) static TEST_LOCK: Mutex<()> = parking_lot::const_mutex(());

/// Empties the process-wide memory cache (for benchmarks that measure a
/// cold start inside one process).
pub fn clear_memory() {
    *memory().lock() = Memory::default();
}

fn remember(key: Key, entry: Arc<Entry>) {
    let mut m = memory().lock();
    let size = entry.size();
    if size > MEMORY_BUDGET || m.entries.contains_key(&key) {
        return;
    }
    while m.bytes + size > MEMORY_BUDGET {
        let Some(old) = m.order.pop_front() else {
            break;
        };
        if let Some(e) = m.entries.remove(&old) {
            m.bytes -= e.size();
        }
    }
    m.bytes += size;
    m.order.push_back(key);
    m.entries.insert(key, entry);
}

/// `MAGIC`, code length and code, mappings, then the SHA-256 of all that.
fn encode(entry: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(entry.size() + 48);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(entry.code.len() as u32).to_le_bytes());
    out.extend_from_slice(entry.code.as_bytes());
    entry.positions.to_bytes(&mut out);
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    out
}

fn decode(bytes: &[u8]) -> Option<Entry> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let rest = body.strip_prefix(MAGIC)?;
    let (len, rest) = read_u32(rest)?;
    let (code, rest) = rest.split_at_checked(len as usize)?;
    let code = std::str::from_utf8(code).ok()?;
    let (positions, rest) = Positions::from_bytes(rest)?;
    rest.is_empty().then(|| Entry {
        code: code.into(),
        positions: Arc::new(positions),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str) -> Arc<Entry> {
        Arc::new(Entry {
            code: code.into(),
            positions: Arc::new(Positions::default()),
        })
    }

    #[test]
    fn keys_depend_on_every_input() {
        let k = Key::new("ts", "opts", "let a: number = 1");
        assert_eq!(k, Key::new("ts", "opts", "let a: number = 1"));
        assert_ne!(k, Key::new("tsx", "opts", "let a: number = 1"));
        assert_ne!(k, Key::new("ts", "opts2", "let a: number = 1"));
        assert_ne!(k, Key::new("ts", "opts", "let a: number = 2"));
        // Parts are length-prefixed: moving text between them changes the key.
        assert_ne!(Key::new("t", "sopts", "x"), Key::new("ts", "opts", "x"));
    }

    #[test]
    fn entries_survive_the_disk_and_corruption_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(dir.path()));
        let key = Key::new("ts", "disk test", &format!("{:?}", dir.path()));
        cache.put(key, entry("export default 1;"));
        let file = dir.path().join("transpiled").join(key.hex());
        let read = cache.read(&key).expect("the entry is on disk");
        assert_eq!(&*read.code, "export default 1;");

        let mut bytes = std::fs::read(&file).unwrap();
        bytes[12] ^= 1;
        std::fs::write(&file, &bytes).unwrap();
        assert!(cache.read(&key).is_none(), "a flipped bit is noticed");
        std::fs::write(&file, &bytes[..20]).unwrap();
        assert!(cache.read(&key).is_none(), "a truncated file is ignored");
        std::fs::write(&file, b"").unwrap();
        assert!(cache.read(&key).is_none(), "an empty file is ignored");
        // Nothing else is left in the folder (no temporary files).
        assert_eq!(
            std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn memory_serves_before_disk() {
        let _only = TEST_LOCK.lock();
        let cache = Cache::new(None);
        let key = Key::new("ts", "memory test", "x");
        assert!(cache.get(&key).is_none());
        cache.put(key, entry("x"));
        let (e, hit) = cache.get(&key).unwrap();
        assert_eq!((&*e.code, hit), ("x", Hit::Memory));
    }
}
