//! Where the process's log lines go: a bounded queue in memory, written to
//! stderr by a thread of its own, so that logging never waits for stderr.
//!
//! Each line the tracing subscriber formats (one `write` call) is queued
//! whole, on the thread that logs it, or dropped whole when the queue
//! already holds [`CAPACITY`] bytes. The writer thread takes everything
//! queued at once and writes it out. A slow or stalled stderr (a pipe
//! nobody reads fast enough) therefore holds up only the writer thread:
//! executor threads, signal handling and shutdown go on, and what does not
//! fit is dropped and counted (`motu_log_dropped_lines_total`,
//! `motu_log_dropped_bytes_total`). Once the writer has caught up, one
//! warning says how many lines were dropped; later drops are summed into
//! at most one warning per [`NOTICE_EVERY`].
//!
//! At exit, [`flush`] waits a bounded time for the queue to be written.

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// The most bytes of log lines waiting to be written (lines being written
/// included).
pub const CAPACITY: usize = 4 << 20;

/// Drops after the first are reported at most this often.
pub const NOTICE_EVERY: Duration = Duration::from_secs(10);

/// How long the process waits at exit for its last log lines to be
/// written (a stalled stderr does not keep it from exiting).
pub const FLUSH_AT_EXIT: Duration = Duration::from_secs(1);

/// Lines waiting for the writer thread, and what was dropped.
#[derive(Default)]
struct Queue {
    /// Whole lines, one after the other.
    bytes: Vec<u8>,
    lines: u64,
    /// Bytes the writer thread took and has not finished writing.
    writing: usize,
    /// Dropped since the last warning.
    dropped_lines: u64,
    dropped_bytes: u64,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer thread when lines are queued.
    queued: Condvar,
    /// Wakes [`flush`] when the writer thread has written everything.
    written: Condvar,
    capacity: usize,
}

/// The tracing subscriber's writer: queues lines for the writer thread.
#[derive(Clone)]
pub struct LogSink(Arc<Shared>);

/// The sink of this process, for [`flush`].
static SINK: OnceLock<LogSink> = OnceLock::new();

impl LogSink {
    /// Starts the writer thread, writing to stderr, and makes this the
    /// sink [`flush`] waits for.
    pub fn stderr() -> Self {
        let sink = Self::start(CAPACITY, NOTICE_EVERY, std::io::stderr());
        let _ = SINK.set(sink.clone());
        sink
    }

    /// Starts a writer thread writing to `out`, with at most `capacity`
    /// bytes queued.
    fn start(capacity: usize, notice_every: Duration, out: impl Write + Send + 'static) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            queued: Condvar::new(),
            written: Condvar::new(),
            capacity,
        });
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("motu-log".into())
            .spawn(move || write_out(&writer, notice_every, out))
            .expect("the log writer thread starts");
        Self(shared)
    }

    /// Queues one line, or drops it if the queue is full.
    fn push(&self, line: &[u8]) {
        let mut queue = self.0.queue.lock();
        if queue.bytes.len() + queue.writing + line.len() > self.0.capacity {
            queue.dropped_lines += 1;
            queue.dropped_bytes += line.len() as u64;
            drop(queue);
            motu_runtime::metrics::log_dropped(1, line.len());
            return;
        }
        let was_empty = queue.bytes.is_empty();
        queue.bytes.extend_from_slice(line);
        queue.lines += 1;
        drop(queue);
        if was_empty {
            self.0.queued.notify_one();
        }
    }

    /// Waits up to `timeout` until everything queued has been written;
    /// returns whether it was.
    fn wait_written(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut queue = self.0.queue.lock();
        while !queue.bytes.is_empty() || queue.writing > 0 {
            if self.0.written.wait_until(&mut queue, deadline).timed_out() {
                return false;
            }
        }
        true
    }
}

/// Waits up to `timeout` for the log lines queued so far to reach stderr
/// (for before the process exits).
pub fn flush(timeout: Duration) {
    if let Some(sink) = SINK.get() {
        sink.wait_written(timeout);
    }
}

/// The writer thread: writes out what is queued, and reports drops once it
/// has caught up.
fn write_out(shared: &Shared, notice_every: Duration, mut out: impl Write) {
    let mut batch = Vec::new();
    let mut last_notice: Option<Instant> = None;
    loop {
        let mut queue = shared.queue.lock();
        queue.writing = 0;
        batch.clear();
        shared.written.notify_all();
        let due = last_notice.is_none_or(|at| at.elapsed() >= notice_every);
        if queue.dropped_lines > 0 && due && queue.bytes.is_empty() {
            let (lines, bytes) = (queue.dropped_lines, queue.dropped_bytes);
            queue.dropped_lines = 0;
            queue.dropped_bytes = 0;
            drop(queue);
            last_notice = Some(Instant::now());
            // Goes through the subscriber, in the log's own format, and
            // back into the queue.
            tracing::warn!(
                target: "motu::log",
                lines,
                bytes,
                "log output fell behind: {lines} lines ({bytes} bytes) were dropped \
                 because stderr could not take them fast enough"
            );
            continue;
        }
        while queue.bytes.is_empty() {
            if queue.dropped_lines > 0 {
                // Wake up again when the next notice is due.
                let wait = last_notice.map_or(Duration::ZERO, |at| {
                    notice_every.saturating_sub(at.elapsed())
                });
                if shared.queued.wait_for(&mut queue, wait).timed_out() {
                    break;
                }
            } else {
                shared.queued.wait(&mut queue);
            }
        }
        std::mem::swap(&mut batch, &mut queue.bytes);
        let lines = std::mem::take(&mut queue.lines);
        queue.writing = batch.len();
        drop(queue);
        if batch.is_empty() {
            continue;
        }
        if out.write_all(&batch).and_then(|()| out.flush()).is_err() {
            // Nowhere to write (stderr closed): these are lost too.
            let mut queue = shared.queue.lock();
            queue.dropped_lines += lines;
            queue.dropped_bytes += batch.len() as u64;
            motu_runtime::metrics::log_dropped(lines, batch.len());
        }
    }
}

/// One line being written by the subscriber.
pub struct LineWriter<'a>(&'a LogSink);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A sink that blocks until told to go on, then writes into a channel.
    struct Gate {
        open: mpsc::Receiver<()>,
        out: mpsc::Sender<Vec<u8>>,
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.open.recv();
            let _ = self.out.send(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_sink_never_blocks_the_logging_thread_and_drops_are_counted() {
        let (open_tx, open) = mpsc::channel();
        let (out, written) = mpsc::channel();
        let sink = LogSink::start(100, Duration::ZERO, Gate { open, out });
        let mut w = sink.make_writer();
        // The writer thread takes the first line and blocks writing it.
        w.write_all(b"first line\n").unwrap();
        let start = Instant::now();
        while sink.0.queue.lock().writing == 0 {
            assert!(start.elapsed() < Duration::from_secs(10), "never taken");
            std::thread::yield_now();
        }
        // 11 bytes are being written; 9 lines of 9 bytes fit beside them,
        // the rest is dropped, and none of this waits for the sink.
        for i in 0..20 {
            w.write_all(format!("line {i:03}\n").as_bytes()).unwrap();
        }
        {
            let queue = sink.0.queue.lock();
            assert_eq!(queue.lines, 9);
            assert_eq!((queue.dropped_lines, queue.dropped_bytes), (11, 99));
        }
        drop(open_tx);
        let mut all = Vec::new();
        while let Ok(chunk) = written.recv_timeout(Duration::from_secs(10)) {
            all.extend(chunk);
            if all.len() >= 11 + 81 {
                break;
            }
        }
        let text = String::from_utf8(all).unwrap();
        assert!(text.starts_with("first line\nline 000\n"), "{text}");
        assert!(text.ends_with("line 008\n"), "{text}");
        assert!(sink.wait_written(Duration::from_secs(10)));
    }
}
