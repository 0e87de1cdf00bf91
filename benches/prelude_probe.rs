//! What each part of the core prelude costs a QuickJS isolate as it is
//! created: the time from one file of `crates/webapi/js` to the next as the
//! prelude is evaluated, and the bytes malloc hands out meanwhile, averaged
//! over 300 isolates (after 20 to warm up); then the whole isolate's
//! creation, its teardown and its first request with the plain prelude.
//!
//! The prelude is evaluated with a host op call (`probe_mark`) between its
//! files; the first figure ("start..first mark") is everything before the
//! first file's code runs: the runtime and context, the ops, reading the
//! whole prelude's bytecode and the bridge. What lies between two files
//! (the `lazyGlobals` calls) is counted in the row `after <file>`.
//!
//! `cargo bench --features v8 --bench prelude_probe`
mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use motu_engine::{Engine, Host, HostValue, JsError, OpId};

/// The bench host, plus the `probe_mark` op.
struct ProbeHost {
    inner: common::BenchHost,
    marks: RefCell<Vec<(String, Instant, usize)>>,
}

/// Bytes malloc has handed out and not taken back (the isolates allocate
/// through the global allocator, which is malloc).
fn malloc_used() -> usize {
    // SAFETY: mallinfo2 only reads malloc's counters.
    unsafe { libc::mallinfo2().uordblks }
}

impl Host for ProbeHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        if op == "probe_mark" {
            let name = match &args[0] {
                HostValue::String(s) => s.to_string(),
                _ => "?".into(),
            };
            let m = malloc_used();
            self.marks.borrow_mut().push((name, Instant::now(), m));
            return Ok(HostValue::Undefined);
        }
        self.inner.call(op, args)
    }
    fn start(&self, op: &str, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        self.inner.start(op, args, id)
    }
}

fn main() {
    let prelude = motu_webapi::prelude();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/webapi/js");
    let mut cuts: Vec<(usize, String)> = Vec::new();
    let mut files = vec![];
    for sub in ["", "node/"] {
        for e in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "js") {
                files.push((
                    format!("{sub}{}", p.file_name().unwrap().to_string_lossy()),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    for (name, text) in &files {
        if name == "bridge.js" || text.is_empty() {
            continue;
        }
        if let Some(pos) = prelude.find(text.as_str()) {
            cuts.push((pos, name.clone()));
            cuts.push((pos + text.len(), format!("after {name}")));
        }
    }
    cuts.sort();
    cuts.dedup_by_key(|c| c.0);
    let mut text = String::new();
    let mut last = 0;
    for (pos, name) in &cuts {
        text.push_str(&prelude[last..*pos]);
        text.push_str(&format!(";op('probe_mark', '{name}');\n"));
        last = *pos;
    }
    text.push_str(&prelude[last..]);
    let end = text.rfind("})()").unwrap();
    text.insert_str(end, ";op('probe_mark', 'end');\n");

    let engine = motu_quickjs::QuickJsEngine::new();
    let mut cfg = common::config();
    cfg.prelude = Arc::from(text.as_str());
    let n = 300;
    let mut per: Vec<(String, Duration, isize)> = Vec::new();
    let mut total = Duration::ZERO;
    let mut drops = Duration::ZERO;
    for round in 0..n + 20 {
        let host = Rc::new(ProbeHost {
            inner: common::BenchHost::default(),
            marks: RefCell::default(),
        });
        let t0 = Instant::now();
        let m0 = malloc_used();
        let iso = engine.new_isolate(&cfg, host.clone()).unwrap();
        let t1 = Instant::now();
        let m1 = malloc_used();
        let td = Instant::now();
        drop(iso);
        let dd = td.elapsed();
        if round < 20 {
            continue;
        }
        total += t1 - t0;
        drops += dd;
        let marks = host.marks.borrow();
        if per.is_empty() {
            per.push(("start..first mark".into(), Duration::ZERO, 0));
            for w in marks.windows(2) {
                per.push((w[0].0.clone(), Duration::ZERO, 0));
            }
            per.push((
                format!("{}..new returns", marks.last().unwrap().0),
                Duration::ZERO,
                0,
            ));
        }
        per[0].1 += marks[0].1 - t0;
        per[0].2 += marks[0].2 as isize - m0 as isize;
        for (i, w) in marks.windows(2).enumerate() {
            per[i + 1].1 += w[1].1 - w[0].1;
            per[i + 1].2 += w[1].2 as isize - w[0].2 as isize;
        }
        let l = per.len() - 1;
        per[l].1 += t1 - marks.last().unwrap().1;
        per[l].2 += m1 as isize - marks.last().unwrap().2 as isize;
    }
    println!(
        "new_isolate mean {:?}, drop mean {:?}",
        total / n,
        drops / n
    );
    for (name, d, m) in &per {
        println!(
            "{:>9.1} us {:>8} B  {}",
            d.as_secs_f64() * 1e6 / n as f64,
            m / n as isize,
            name
        );
    }
    // The plain prelude: create and load the hello Worker, one request,
    // teardown.
    let mut tl = Duration::ZERO;
    let mut tr = Duration::ZERO;
    let mut td = Duration::ZERO;
    let mut mem = 0usize;
    for _ in 0..n {
        let t0 = Instant::now();
        let m0 = malloc_used();
        let (mut iso, host) = common::loaded(&engine);
        let t1 = Instant::now();
        common::request(&mut *iso, &host, 1);
        let t2 = Instant::now();
        mem += malloc_used() - m0;
        drop(iso);
        td += t2.elapsed();
        tl += t1 - t0;
        tr += t2 - t1;
    }
    println!(
        "plain: create+load {:?}, first request {:?}, drop {:?}, malloc after request {} B",
        tl / n,
        tr / n,
        td / n,
        mem / n as usize
    );
}
