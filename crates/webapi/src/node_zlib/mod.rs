//! The ops of `node:zlib`: deflate, inflate, gzip, gunzip, raw deflate,
//! unzip (gzip or zlib, whichever the input is) with `flate2` over zlib-rs,
//! Brotli with the `brotli` crate, and CRC-32.
//!
//! # Concepts
//!
//! - **A coder** ([`Coder`]) is one compression or decompression stream,
//!   made by `node_zlib_new(mode, options)` as a per-isolate resource
//!   ([`OpState`]). Node.js's flush kinds (`Z_NO_FLUSH`…`Z_FINISH`, and
//!   Brotli's operations) are passed through to it as numbers.
//! - **Processing** (`node_zlib_process(handle, flush, bytes?) -> [output,
//!   more]`) feeds input and returns the output so far. It returns at most
//!   about [`OUTPUT_LIMIT`] bytes per call and keeps the rest of its input:
//!   `more` asks the caller to call again without new bytes. So a small
//!   hostile input cannot make one call allocate without bound, and what a
//!   Worker decompresses lands in its own heap, under its memory limit.
//! - **Where it runs**: the synchronous forms (`deflateSync`…) call the op
//!   on the isolate's thread, which looks at the isolate's interrupt between
//!   steps so the CPU limit stops it; the callback and stream forms call
//!   the same op as host work ([`work`]), run where the runtime runs work.
//!
//! Errors cross as `Error`s whose message is `CODE:ERRNO:text` (zlib's
//! `Z_DATA_ERROR:-3:incorrect header check`, Brotli's
//! `ERR__ERROR_FORMAT_PADDING_1:-14:Decompression failed`); the prelude
//! makes them Node.js's zlib errors with `code` and `errno`.

mod brotli;
mod deflate;

use std::sync::{Arc, Mutex, MutexGuard};

use motu_engine::{HostValue, JsError};

use crate::op_state::{handle_arg, OpState};
use crate::ops::str_arg;
use crate::work::{Cancel, Work, QUICK_BYTES};

/// About the most output bytes one `node_zlib_process` call returns.
pub(crate) const OUTPUT_LIMIT: usize = 1 << 20;

/// Most input bytes given to a coder at once.
const INPUT_STEP: usize = 64 * 1024;

/// Room made in the output for each step.
const OUTPUT_STEP: usize = 64 * 1024;

/// A zlib or Brotli error as Node.js reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZlibError {
    pub(crate) code: String,
    pub(crate) errno: i32,
    pub(crate) message: String,
}

impl ZlibError {
    pub(crate) fn new(code: &str, errno: i32, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            errno,
            message: message.into(),
        }
    }

    /// zlib's `Z_BUF_ERROR` for input that ended before the stream did.
    pub(crate) fn truncated() -> Self {
        Self::new("Z_BUF_ERROR", -5, "unexpected end of file")
    }
}

impl From<ZlibError> for JsError {
    fn from(e: ZlibError) -> Self {
        JsError::new("Error", format!("{}:{}:{}", e.code, e.errno, e.message))
    }
}

/// What one step of a coder did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// Input bytes it used.
    pub(crate) consumed: usize,
    /// Whether the stream has ended: a decoder read its end, or an encoder
    /// wrote its end after a finishing flush.
    pub(crate) ended: bool,
}

/// One compression or decompression stream of `node:zlib`.
pub(crate) trait Coder: Send {
    /// Runs over `input` with the flush kind `flush`, writing into the
    /// spare capacity of `out` (and nowhere else).
    fn step(&mut self, input: &[u8], out: &mut Vec<u8>, flush: u8) -> Result<Step, ZlibError>;
    /// After the end of a stream with `rest` of the input left: whether
    /// the coder goes on with it as the next stream (gzip members).
    fn next_member(&mut self, rest: &[u8]) -> bool {
        let _ = rest;
        false
    }
    /// Whether `flush` asks the stream to end (`Z_FINISH`,
    /// `BROTLI_OPERATION_FINISH`).
    fn finishing(&self, flush: u8) -> bool;
    /// Whether the stream decompresses.
    fn decompresses(&self) -> bool;
    /// Starts the stream over with its options.
    fn reset(&mut self) -> Result<(), ZlibError>;
    /// Changes the level and strategy of a deflate stream.
    fn params(&mut self, level: i32, strategy: i32) -> Result<(), ZlibError>;
}

/// A coder and the input it has not used yet.
struct Stream {
    coder: Box<dyn Coder>,
    /// Input not yet used, from `pos` on.
    pending: Vec<u8>,
    pos: usize,
    /// The stream ended: later input is ignored, as zlib does.
    ended: bool,
}

impl Stream {
    /// Feeds the pending input with `flush` until it is used up (and the
    /// flush done) or about `limit` output bytes wait: `(output, more)`.
    fn process(
        &mut self,
        flush: u8,
        limit: usize,
        cancel: &Cancel,
    ) -> Result<(Vec<u8>, bool), ZlibError> {
        let mut out = Vec::new();
        let finishing = self.coder.finishing(flush);
        while !self.ended {
            if cancel.is_cancelled() {
                return Err(ZlibError::new("ERR_ABORTED", 0, "the work was cancelled"));
            }
            if out.len() >= limit {
                return Ok((out, true));
            }
            out.reserve(OUTPUT_STEP);
            let end = self.pending.len().min(self.pos + INPUT_STEP);
            // Earlier slices of the input are fed without flushing.
            let f = if end == self.pending.len() { flush } else { 0 };
            let produced = out.len();
            let step = self.coder.step(&self.pending[self.pos..end], &mut out, f)?;
            self.pos += step.consumed;
            if step.ended {
                if self.pos < self.pending.len()
                    && self.coder.next_member(&self.pending[self.pos..])
                {
                    continue;
                }
                self.ended = true;
                break;
            }
            let room_left = out.len() < out.capacity();
            if step.consumed == 0 && out.len() == produced {
                break;
            }
            if self.pos == self.pending.len() && room_left && !finishing {
                break;
            }
        }
        if self.ended || self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
        }
        if finishing && !self.ended {
            if self.coder.decompresses() {
                return Err(ZlibError::truncated());
            }
            return Ok((out, true));
        }
        Ok((out, false))
    }
}

type Shared = Arc<Mutex<Stream>>;

fn lock(stream: &Shared) -> Result<MutexGuard<'_, Stream>, JsError> {
    stream
        .lock()
        .map_err(|_| JsError::type_error("the zlib stream failed"))
}

fn stream(state: &OpState, args: &[HostValue], op: &str) -> Result<Shared, JsError> {
    let handle = handle_arg(args, 0, op)?;
    state.with(handle, |s: &mut Shared| Ok(s.clone()))
}

/// The number argument at `i` (0 when missing).
fn number(args: &[HostValue], i: usize) -> f64 {
    args.get(i).and_then(HostValue::as_f64).unwrap_or(0.0)
}

/// `node_zlib_new(mode, options) -> handle`. `mode` is one of `deflate`,
/// `inflate`, `gzip`, `gunzip`, `deflateRaw`, `inflateRaw`, `unzip`,
/// `brotliCompress`, `brotliDecompress`; `options` holds `level`,
/// `windowBits`, `dictionary` (zlib) or `params` (Brotli: `[id, value]`
/// pairs), already checked by the prelude.
pub(crate) fn new(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let mode = str_arg(args, 0, "node_zlib_new")?;
    let options = args.get(1).unwrap_or(&HostValue::Undefined);
    let coder: Box<dyn Coder> = match mode {
        "brotliCompress" | "brotliDecompress" => {
            Box::new(brotli::Brotli::new(mode == "brotliDecompress", options)?)
        }
        _ => Box::new(deflate::Zlib::new(mode, options)?),
    };
    let stream: Shared = Arc::new(Mutex::new(Stream {
        coder,
        pending: Vec::new(),
        pos: 0,
        ended: false,
    }));
    Ok(HostValue::Number(f64::from(state.add(stream)?)))
}

/// Takes the bytes argument at 2 (none when missing or undefined).
fn take_input(args: &mut [HostValue]) -> Result<Vec<u8>, JsError> {
    match args.get_mut(2).map(std::mem::take) {
        Some(HostValue::Bytes(b)) => Ok(b),
        Some(HostValue::Undefined) | None => Ok(Vec::new()),
        _ => Err(JsError::type_error(
            "node_zlib_process: argument 2 must be bytes",
        )),
    }
}

/// Runs one `node_zlib_process` call on `stream`.
fn run(stream: &Shared, input: Vec<u8>, flush: u8, cancel: &Cancel) -> Result<HostValue, JsError> {
    let mut s = lock(stream)?;
    if !s.ended {
        if s.pending.is_empty() {
            s.pending = input;
        } else {
            s.pending.extend_from_slice(&input);
        }
    }
    let (out, more) = s.process(flush, OUTPUT_LIMIT, cancel)?;
    Ok(HostValue::List(vec![HostValue::Bytes(out), more.into()]))
}

fn flush_arg(args: &[HostValue]) -> u8 {
    number(args, 1).clamp(0.0, 255.0) as u8
}

/// `node_zlib_process(handle, flush, bytes?) -> [output, more]` on the
/// isolate's thread (the synchronous forms).
pub(crate) fn process(state: &OpState, mut args: Vec<HostValue>) -> Result<HostValue, JsError> {
    let stream = stream(state, &args, "node_zlib_process")?;
    let input = take_input(&mut args)?;
    run(&stream, input, flush_arg(&args), &state.cancel())
}

/// `node_zlib_process(…)` as host work (the callback and stream forms).
fn process_work(state: &OpState, mut args: Vec<HostValue>) -> Result<Work, JsError> {
    let stream = stream(state, &args, "node_zlib_process")?;
    let input = take_input(&mut args)?;
    let flush = flush_arg(&args);
    let quick = {
        let s = lock(&stream)?;
        // Decompressing may make much output of little input.
        let step = if s.coder.decompresses() {
            QUICK_BYTES / 4
        } else {
            QUICK_BYTES
        };
        s.pending.len() - s.pos + input.len() <= step
    };
    Ok(Work::from_fn(input.len(), quick, move |cancel| {
        run(&stream, input, flush, cancel)
    }))
}

/// `node_zlib_reset(handle)`: starts the stream over.
pub(crate) fn reset(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let stream = stream(state, args, "node_zlib_reset")?;
    let mut s = lock(&stream)?;
    s.coder.reset()?;
    s.pending.clear();
    s.pos = 0;
    s.ended = false;
    Ok(HostValue::Undefined)
}

/// `node_zlib_params(handle, level, strategy)`: a deflate stream's new level.
pub(crate) fn params(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let stream = stream(state, args, "node_zlib_params")?;
    let mut s = lock(&stream)?;
    s.coder
        .params(number(args, 1) as i32, number(args, 2) as i32)?;
    Ok(HostValue::Undefined)
}

/// `node_crc32(bytes, value) -> number`: CRC-32 of `bytes` going on from
/// `value`.
pub(crate) fn crc32(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let bytes = args
        .first()
        .and_then(HostValue::as_bytes)
        .ok_or_else(|| JsError::type_error("node_crc32: argument 0 must be bytes"))?;
    let mut hasher = crc32fast::Hasher::new_with_initial(number(args, 1) as u32);
    for chunk in bytes.chunks(1 << 20) {
        state.check_interrupt()?;
        hasher.update(chunk);
    }
    Ok(HostValue::Number(f64::from(hasher.finalize())))
}

/// The work of the `node:zlib` work op `op`, or `None` when there is none
/// of that name.
pub(crate) fn work(
    state: &OpState,
    op: &str,
    args: Vec<HostValue>,
) -> Option<Result<Work, JsError>> {
    match op {
        "node_zlib_process" => Some(process_work(state, args)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(state: &OpState, mode: &str) -> HostValue {
        new(state, &[mode.into(), HostValue::Map(vec![])]).unwrap()
    }

    /// Feeds `chunks` then finishes, as a `…Sync` call does.
    fn code(state: &OpState, mode: &str, chunks: &[&[u8]], finish: u8) -> Result<Vec<u8>, JsError> {
        let h = open(state, mode);
        let mut out = Vec::new();
        let n = chunks.len();
        for (i, chunk) in chunks.iter().enumerate() {
            let flush = if i + 1 == n { finish } else { 0 };
            let mut arg = HostValue::Bytes(chunk.to_vec());
            loop {
                let r = process(
                    state,
                    vec![h.clone(), f64::from(flush).into(), std::mem::take(&mut arg)],
                );
                let r = r.inspect_err(|_| {
                    state.remove(h.as_f64().unwrap() as u32);
                })?;
                let l = r.as_list().unwrap();
                out.extend_from_slice(l[0].as_bytes().unwrap());
                if l[1] != HostValue::Bool(true) {
                    break;
                }
            }
        }
        state.remove(h.as_f64().unwrap() as u32);
        Ok(out)
    }

    #[test]
    fn every_mode_round_trips() {
        let state = OpState::new();
        let text = b"hello hello hello zlib and brotli ".repeat(500);
        for (pack, unpack, finish) in [
            ("deflate", "inflate", 4),
            ("gzip", "gunzip", 4),
            ("deflateRaw", "inflateRaw", 4),
            ("gzip", "unzip", 4),
            ("deflate", "unzip", 4),
            ("brotliCompress", "brotliDecompress", 2),
        ] {
            let packed = code(&state, pack, &[&text[..7], &text[7..]], finish).unwrap();
            assert!(packed.len() < text.len() / 10, "{pack}");
            let bytes: Vec<&[u8]> = packed.chunks(3).collect();
            assert_eq!(
                code(&state, unpack, &bytes, finish).unwrap(),
                text,
                "{unpack}"
            );
        }
        assert!(state.is_empty());
    }

    #[test]
    fn errors_are_zlibs() {
        let state = OpState::new();
        let err = |r: Result<Vec<u8>, JsError>| r.unwrap_err().message;
        assert_eq!(
            err(code(&state, "inflate", &[b"garbage!"], 4)),
            "Z_DATA_ERROR:-3:incorrect header check"
        );
        let packed = code(&state, "gzip", &[b"abc"], 4).unwrap();
        assert_eq!(
            err(code(&state, "gunzip", &[&packed[..packed.len() - 2]], 4)),
            "Z_BUF_ERROR:-5:unexpected end of file"
        );
        // Two members and zero padding read as one stream.
        let two = [&packed[..], &packed[..], &[0, 0]].concat();
        assert_eq!(code(&state, "gunzip", &[&two], 4).unwrap(), b"abcabc");
        assert!(err(code(&state, "brotliDecompress", &[b"garbage!"], 2)).starts_with("ERR__ERROR_"));
    }

    #[test]
    fn output_per_call_is_bounded() {
        let state = OpState::new();
        let zeros = vec![0u8; 8 * OUTPUT_LIMIT];
        let packed = code(&state, "deflate", &[&zeros], 4).unwrap();
        let h = open(&state, "inflate");
        let (mut calls, mut total) = (0, 0);
        let mut arg = HostValue::Bytes(packed);
        loop {
            let r = process(
                &state,
                vec![h.clone(), 4.0.into(), std::mem::take(&mut arg)],
            )
            .unwrap();
            let l = r.as_list().unwrap();
            let n = l[0].as_bytes().unwrap().len();
            assert!(n <= OUTPUT_LIMIT + OUTPUT_STEP);
            total += n;
            calls += 1;
            if l[1] != HostValue::Bool(true) {
                break;
            }
        }
        assert_eq!(total, zeros.len());
        assert!(calls >= 8);
        let crc = crc32(&state, &[b"hello".to_vec().into(), 0.0.into()]).unwrap();
        assert_eq!(crc, HostValue::Number(907060870.0));
    }
}
