//! A server's fsync-family system calls counted while a load runs, with
//! `strace -f -w -c` attached to the running process (every thread): the
//! check that a server makes a write durable before it answers (at least
//! one sync per write, unless several writes share one), and how long a
//! sync takes. strace slows every call it sees, so a load under it gives
//! no throughput figure; syncs issued through io_uring are not seen.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The system calls counted: every way a Linux process asks for its writes
/// to reach the disk.
const CALLS: &str = "fsync,fdatasync,sync_file_range,syncfs,sync,msync";

/// The sync calls strace saw.
pub struct Syncs {
    /// How many.
    pub calls: u64,
    /// Their wall time added up, in seconds (strace's `-w`).
    pub seconds: f64,
}

/// Calls and seconds from `strace -c`'s summary, whose rows read
/// `% time, seconds, usecs/call, calls, [errors,] syscall`.
fn summary(text: &str) -> Syncs {
    let mut syncs = Syncs {
        calls: 0,
        seconds: 0.0,
    };
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 || !CALLS.split(',').any(|c| Some(&c) == fields.last()) {
            continue;
        }
        syncs.seconds += fields[1].parse::<f64>().unwrap_or(0.0);
        syncs.calls += fields[3].parse::<u64>().unwrap_or(0);
    }
    syncs
}

/// Runs `f` with strace attached to the processes `pids` (and whatever
/// threads or processes they start meanwhile), and returns what `f`
/// returned with the sync calls seen; `None` (and `f` not run) when strace
/// is missing or attaches to none of them.
pub fn count<T>(pids: &[u32], f: impl FnOnce() -> T) -> Option<(T, Syncs)> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut strace = Command::new("strace")
        .args(["-f", "-w", "-c", "-e", &format!("trace={CALLS}"), "-o"])
        .arg(out.path())
        .args(pids.iter().flat_map(|p| ["-p".to_owned(), p.to_string()]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    // strace says "Process N attached" on stderr once it traces a process,
    // or "attach: ..." when it cannot (a process that exited meanwhile).
    let mut stderr = BufReader::new(strace.stderr.take().unwrap());
    let mut line = String::new();
    let mut answered = 0;
    while answered < pids.len() {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = strace.wait();
            return None;
        }
        if line.contains("attached") || line.contains("attach:") {
            answered += 1;
        }
    }
    let result = f();
    // SAFETY: `kill` only sends a signal, to the strace this function
    // started; SIGINT makes it detach and write its summary.
    unsafe { libc::kill(strace.id() as libc::pid_t, libc::SIGINT) };
    let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    strace.wait().unwrap();
    let text = std::fs::read_to_string(out.path()).unwrap();
    Some((result, summary(&text)))
}
