//! A WebSocket echo load that keeps up with the server it measures: one
//! thread, pinned to a core the server is not pinned to, driving every
//! socket from one `epoll` loop with frames it makes itself (no framing
//! library, no async runtime). Per echoed message it makes one `read` and
//! one `write` (fewer when several echoes arrive at one wake-up), so that
//! with the server alone on its core, the messages per second are the
//! server's, not the client's.
//!
//! The load is closed-loop: each socket sends its next message when the
//! echo of the last one arrived. Messages whose echo arrives during the
//! warm-up are not counted, nor are their round trips.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What one run of the load measured.
pub struct Echoes {
    /// Echoes that arrived in the measured window.
    pub count: u64,
    /// Their round trips, in µs.
    pub round_trips: Histogram<u64>,
    /// The measured window's length.
    pub elapsed: Duration,
    /// The load thread's CPU time over the window: near `elapsed`, the
    /// load did not keep up.
    pub client_cpu: Duration,
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A masked client text frame carrying `payload` (under 126 bytes). The
/// mask is fixed: the server unmasks whatever it is.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126, "short payloads only");
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// Opens a WebSocket to `addr` (the handshake, blocking), then makes the
/// connection non-blocking.
fn open(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    // Byte by byte up to the blank line: nothing after it is taken.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("the handshake's answer");
        assert!(n == 1, "the server closed during the handshake");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "not upgraded: {}",
        String::from_utf8_lossy(&head)
    );
    stream.set_nonblocking(true).unwrap();
    stream
}

/// Pins the calling thread to `core`; false when it could not.
pub fn pin_to(core: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is an empty set; the calls only read it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// One socket of the load.
struct Socket {
    stream: TcpStream,
    /// When the message in flight was sent.
    sent: Instant,
    /// Bytes read and not yet parsed into a whole frame.
    buffer: Vec<u8>,
}

/// The length of the whole server frame at the start of `bytes` and its
/// opcode, once all of it is there (server frames are not masked).
fn whole_frame(bytes: &[u8]) -> Option<(usize, u8)> {
    if bytes.len() < 2 {
        return None;
    }
    let opcode = bytes[0] & 0x0f;
    let (header, length) = match bytes[1] & 0x7f {
        126 if bytes.len() >= 4 => (4, u16::from_be_bytes([bytes[2], bytes[3]]) as usize),
        126 => return None,
        127 if bytes.len() >= 10 => (
            10,
            u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
        ),
        127 => return None,
        n => (2, n as usize),
    };
    (bytes.len() >= header + length).then_some((header + length, opcode))
}

/// Writes all of `frame` to a non-blocking `stream` (a short frame nearly
/// always goes in one call).
fn write_frame(stream: &mut TcpStream, frame: &[u8]) {
    let mut at = 0;
    while at < frame.len() {
        match stream.write(&frame[at..]) {
            Ok(n) => at += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => panic!("the echo broke off: {e}"),
        }
    }
}

/// An echo load: where, how many sockets, what each message is, how long.
pub struct Load {
    /// The server's address.
    pub addr: String,
    /// Sockets, each with one message in flight.
    pub connections: usize,
    /// Bytes of each text message.
    pub payload_bytes: usize,
    /// Echoes before the measured window, not counted.
    pub warmup: Duration,
    /// The measured window's length.
    pub time: Duration,
    /// The core the load's thread is pinned to, if any.
    pub core: Option<usize>,
    /// The load thread's niceness (when allowed).
    pub nice: i32,
}

/// Runs `load` on a thread of its own; its thread. `window` is told when
/// the measured window starts (it lasts `load.time`), for the caller's
/// readings of the server's CPU time.
pub fn echo_load(
    load: Load,
    window: std::sync::mpsc::Sender<Instant>,
) -> std::thread::JoinHandle<Echoes> {
    std::thread::spawn(move || {
        if let Some(core) = load.core {
            pin_to(core);
        }
        // SAFETY: plain system calls about the calling thread.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, load.nice);
        }
        run(&load, &window)
    })
}

fn run(load: &Load, window: &std::sync::mpsc::Sender<Instant>) -> Echoes {
    let Load {
        ref addr,
        connections,
        payload_bytes,
        warmup,
        time,
        ..
    } = *load;
    let frame = text_frame(&vec![b'x'; payload_bytes]);
    // SAFETY: plain system calls on descriptors this function owns.
    let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epoll >= 0, "epoll_create1");
    let mut sockets: Vec<Socket> = (0..connections)
        .map(|_| Socket {
            stream: open(addr),
            sent: Instant::now(),
            buffer: Vec::with_capacity(4096),
        })
        .collect();
    for (i, s) in sockets.iter().enumerate() {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: i as u64,
        };
        let rc = unsafe {
            libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, s.stream.as_raw_fd(), &mut event)
        };
        assert!(rc == 0, "epoll_ctl");
    }
    let started = Instant::now();
    let (from, until) = (started + warmup, started + warmup + time);
    let mut round_trips = Histogram::<u64>::new(3).unwrap();
    let mut count = 0u64;
    let mut window_open = false;
    let (mut cpu_from, mut cpu_until) = (None, None);
    for s in &mut sockets {
        s.sent = Instant::now();
        write_frame(&mut s.stream, &frame);
    }
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; connections.max(1)];
    let mut chunk = [0u8; 4096];
    // Sockets still waiting for an echo; past `until` none sends again.
    let mut in_flight = connections;
    while in_flight > 0 {
        let n = unsafe { libc::epoll_wait(epoll, events.as_mut_ptr(), events.len() as i32, 1000) };
        if n < 0 && std::io::Error::last_os_error().kind() == ErrorKind::Interrupted {
            continue;
        }
        assert!(n >= 0, "epoll_wait");
        assert!(n > 0, "no echo for a second");
        let now = Instant::now();
        if !window_open && now >= from {
            window_open = true;
            cpu_from = Some(thread_cpu());
            let _ = window.send(from);
        }
        if cpu_until.is_none() && now >= until {
            cpu_until = Some(thread_cpu());
        }
        for event in &events[..n as usize] {
            let s = &mut sockets[event.u64 as usize];
            let read = match s.stream.read(&mut chunk) {
                Ok(0) => panic!("the server closed a socket"),
                Ok(read) => read,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("the echo broke off: {e}"),
            };
            s.buffer.extend_from_slice(&chunk[..read]);
            let mut echoed = false;
            while let Some((length, opcode)) = whole_frame(&s.buffer) {
                s.buffer.drain(..length);
                // Text (or its continuation) is the echo; control frames
                // are not.
                if opcode == 0x1 {
                    echoed = true;
                }
            }
            if !echoed {
                continue;
            }
            if now >= from && now < until {
                round_trips
                    .record(now.duration_since(s.sent).as_micros() as u64)
                    .unwrap();
                count += 1;
            }
            if now < until {
                s.sent = now;
                write_frame(&mut s.stream, &frame);
            } else {
                in_flight -= 1;
            }
        }
    }
    // A close frame each (masked, code 1000), then the connections go.
    let close = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8];
    for s in &mut sockets {
        let _ = s.stream.set_nonblocking(false);
        let _ = s.stream.write_all(&close);
    }
    unsafe { libc::close(epoll) };
    Echoes {
        count,
        round_trips,
        elapsed: time,
        client_cpu: cpu_until
            .zip(cpu_from)
            .map_or(Duration::ZERO, |(b, a)| b.saturating_sub(a)),
    }
}
