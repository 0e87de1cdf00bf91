//! Streaming compression and decompression for `CompressionStream` and
//! `DecompressionStream`: gzip, deflate (zlib) and deflate-raw with `flate2`.
//!
//! A coder is a per-isolate resource ([`OpState`]), shared with the work
//! that feeds it ([`Work`]: pushing a chunk and finishing run wherever the
//! host runs work, and stop soon after they are cancelled). Decompression
//! hands out at most [`OUTPUT_LIMIT`] bytes per call and keeps the rest of
//! its input, so a small hostile input cannot make one op call allocate
//! without bound; the coder is fed at most [`INPUT_STEP`] bytes at a time,
//! with a look at the cancel flag before each.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use flate2::write::{
    DeflateDecoder, DeflateEncoder, GzDecoder, GzEncoder, ZlibDecoder, ZlibEncoder,
};
use flate2::Compression;
use motu_engine::{HostValue, JsError};

use crate::op_state::{handle_arg, OpState};
use crate::ops::str_arg;
use crate::work::{Cancel, Work, QUICK_BYTES};

/// Most output bytes one `compression_push` call returns.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// Most input bytes handed to the coder at once.
pub const INPUT_STEP: usize = 64 * 1024;

/// A `flate2` writer into a `Vec<u8>`, whichever the format.
trait Coder: Send {
    fn write(&mut self, input: &[u8]) -> io::Result<usize>;
    fn flush(&mut self) -> io::Result<()>;
    fn try_finish(&mut self) -> io::Result<()>;
    fn output(&mut self) -> &mut Vec<u8>;
}

macro_rules! coder {
    ($($ty:ident),*) => {$(
        impl Coder for $ty<Vec<u8>> {
            fn write(&mut self, input: &[u8]) -> io::Result<usize> {
                Write::write(self, input)
            }
            fn flush(&mut self) -> io::Result<()> {
                Write::flush(self)
            }
            fn try_finish(&mut self) -> io::Result<()> {
                $ty::try_finish(self)
            }
            fn output(&mut self) -> &mut Vec<u8> {
                self.get_mut()
            }
        }
    )*};
}
coder!(
    GzEncoder,
    ZlibEncoder,
    DeflateEncoder,
    GzDecoder,
    ZlibDecoder,
    DeflateDecoder
);

/// One compression or decompression stream, shared by its handle and the
/// work that feeds it.
type Shared = Arc<Mutex<Stream>>;

/// One compression or decompression stream.
struct Stream {
    coder: Box<dyn Coder>,
    decompress: bool,
    /// Input not yet written to the coder, from `pos` on.
    pending: Vec<u8>,
    pos: usize,
}

fn corrupt() -> JsError {
    JsError::type_error("The compressed data is invalid")
}

impl Stream {
    /// Feeds pending input until it is used up or `limit` output bytes
    /// wait; an error once `cancel` is set.
    fn pump(&mut self, limit: usize, cancel: &Cancel) -> Result<(), JsError> {
        let err = |e: io::Error| match e.kind() {
            io::ErrorKind::UnexpectedEof => JsError::type_error("The compressed data is truncated"),
            _ => corrupt(),
        };
        while self.pos < self.pending.len() && self.coder.output().len() < limit {
            cancel.check()?;
            let end = self.pending.len().min(self.pos + INPUT_STEP);
            let n = self
                .coder
                .write(&self.pending[self.pos..end])
                .map_err(err)?;
            if n == 0 {
                return Err(JsError::type_error(
                    "Unexpected data after the end of the compressed stream",
                ));
            }
            self.pos += n;
        }
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            if self.decompress {
                self.coder.flush().map_err(err)?;
            }
        }
        Ok(())
    }

    fn take_output(&mut self) -> HostValue {
        HostValue::Bytes(std::mem::take(self.coder.output()))
    }
}

/// `compression_new(format, decompress) -> handle`; `format` is `gzip`,
/// `deflate` or `deflate-raw`.
pub(crate) fn new(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let format = str_arg(args, 0, "compression_new")?;
    let decompress = matches!(args.get(1), Some(HostValue::Bool(true)));
    let level = Compression::default();
    let coder: Box<dyn Coder> = match (format, decompress) {
        ("gzip", false) => Box::new(GzEncoder::new(Vec::new(), level)),
        ("deflate", false) => Box::new(ZlibEncoder::new(Vec::new(), level)),
        ("deflate-raw", false) => Box::new(DeflateEncoder::new(Vec::new(), level)),
        ("gzip", true) => Box::new(GzDecoder::new(Vec::new())),
        ("deflate", true) => Box::new(ZlibDecoder::new(Vec::new())),
        ("deflate-raw", true) => Box::new(DeflateDecoder::new(Vec::new())),
        _ => {
            return Err(JsError::type_error(format!(
                "Unsupported compression format: '{format}'"
            )))
        }
    };
    let stream: Shared = Arc::new(Mutex::new(Stream {
        coder,
        decompress,
        pending: Vec::new(),
        pos: 0,
    }));
    let handle = state.add(stream)?;
    Ok(HostValue::Number(f64::from(handle)))
}

/// The stream under `handle`.
fn stream(state: &OpState, handle: u32) -> Result<Shared, JsError> {
    state.with(handle, |s: &mut Shared| Ok(s.clone()))
}

/// Locks a stream; one whose work panicked is broken.
fn lock(stream: &Shared) -> Result<std::sync::MutexGuard<'_, Stream>, JsError> {
    stream
        .lock()
        .map_err(|_| JsError::type_error("the compression stream failed"))
}

/// `compression_push(handle, bytes?) -> [output, more]`, as work: feeds a
/// chunk (or nothing, to go on with the last one) and returns the output so
/// far; `more` says that input is left and the op should be called again.
/// After an error the stream is of no more use; the prelude closes it.
pub(crate) fn push_work(state: &OpState, mut args: Vec<HostValue>) -> Result<Work, JsError> {
    let handle = handle_arg(&args, 0, "compression_push")?;
    let chunk = match args.get_mut(1).map(std::mem::take) {
        Some(HostValue::Bytes(b)) => b,
        Some(HostValue::Undefined) | None => Vec::new(),
        _ => {
            return Err(JsError::type_error(
                "compression_push: argument 1 must be bytes",
            ))
        }
    };
    let stream = stream(state, handle)?;
    let quick = {
        let s = lock(&stream)?;
        // Inflating may produce up to OUTPUT_LIMIT bytes from little input.
        let step = if s.decompress {
            QUICK_BYTES / 4
        } else {
            QUICK_BYTES
        };
        s.pending.len() - s.pos + chunk.len() <= step
    };
    Ok(Work::from_fn(chunk.len(), quick, move |cancel| {
        let mut s = lock(&stream)?;
        if s.pending.is_empty() {
            s.pending = chunk;
        } else {
            s.pending.extend_from_slice(&chunk);
        }
        let limit = if s.decompress {
            OUTPUT_LIMIT
        } else {
            usize::MAX
        };
        s.pump(limit, cancel)?;
        let more = s.pos < s.pending.len();
        Ok(HostValue::List(vec![s.take_output(), more.into()]))
    }))
}

/// `compression_finish(handle) -> output`, as work: ends the stream and
/// closes its handle; truncated compressed input is a `TypeError`.
pub(crate) fn finish_work(state: &OpState, args: Vec<HostValue>) -> Result<Work, JsError> {
    let handle = handle_arg(&args, 0, "compression_finish")?;
    let stream = stream(state, handle)?;
    state.remove(handle);
    let quick = lock(&stream)?.pending.is_empty();
    Ok(Work::from_fn(0, quick, move |cancel| {
        let mut s = lock(&stream)?;
        s.pump(usize::MAX, cancel)?;
        s.coder.try_finish().map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => JsError::type_error("The compressed data is truncated"),
            _ => corrupt(),
        })?;
        Ok(s.take_output())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(state: &OpState, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        push_work(state, args)?.run(&Cancel::new())
    }

    fn finish(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
        finish_work(state, args.to_vec())?.run(&Cancel::new())
    }

    /// Closes the stream of handle `h`, as the prelude does after an error.
    fn close(state: &OpState, h: &HostValue) -> bool {
        state.remove(h.as_f64().unwrap() as u32)
    }

    fn run(
        state: &OpState,
        format: &str,
        decompress: bool,
        chunks: &[&[u8]],
    ) -> Result<Vec<u8>, JsError> {
        let h = new(state, &[format.into(), decompress.into()])?;
        let mut out = Vec::new();
        for chunk in chunks {
            let mut arg = HostValue::Bytes(chunk.to_vec());
            loop {
                let r = push(state, vec![h.clone(), std::mem::take(&mut arg)]);
                let r = r.inspect_err(|_| {
                    close(state, &h);
                })?;
                let l = r.as_list().unwrap();
                out.extend_from_slice(l[0].as_bytes().unwrap());
                if l[1] != HostValue::Bool(true) {
                    break;
                }
            }
        }
        let end = finish(state, std::slice::from_ref(&h));
        close(state, &h);
        out.extend_from_slice(end?.as_bytes().unwrap());
        Ok(out)
    }

    #[test]
    fn round_trips_every_format() {
        let state = OpState::new();
        let text = b"hello hello hello hello compression".repeat(100);
        for format in ["gzip", "deflate", "deflate-raw"] {
            let packed = run(&state, format, false, &[&text[..10], &text[10..]]).unwrap();
            assert!(packed.len() < text.len());
            // Fed one byte at a time, too.
            let bytes: Vec<&[u8]> = packed.chunks(1).collect();
            assert_eq!(run(&state, format, true, &bytes).unwrap(), text);
        }
        assert!(state.is_empty());
    }

    #[test]
    fn bad_input_is_a_type_error() {
        let state = OpState::new();
        let packed = run(&state, "gzip", false, &[b"abc"]).unwrap();
        let err = |r: Result<Vec<u8>, JsError>| r.unwrap_err().name;
        assert_eq!(
            err(run(&state, "gzip", true, &[b"not gzip at all"])),
            "TypeError"
        );
        assert_eq!(
            err(run(&state, "gzip", true, &[&packed[..packed.len() - 3]])),
            "TypeError"
        );
        let mut extra = packed.clone();
        extra.push(0);
        assert_eq!(err(run(&state, "gzip", true, &[&extra])), "TypeError");
        let z = run(&state, "deflate", false, &[b"abc"]).unwrap();
        assert_eq!(
            err(run(&state, "deflate", true, &[&z[..z.len() - 1]])),
            "TypeError"
        );
        assert_eq!(
            err(run(&state, "deflate-raw", true, &[b"\xff\xff"])),
            "TypeError"
        );
        assert_eq!(err(run(&state, "brotli", true, &[])), "TypeError");
        assert!(state.is_empty());
    }

    #[test]
    fn output_per_call_is_bounded() {
        let state = OpState::new();
        let zeros = vec![0u8; 8 * OUTPUT_LIMIT];
        let packed = run(&state, "deflate", false, &[&zeros]).unwrap();
        let h = new(&state, &["deflate".into(), true.into()]).unwrap();
        let mut calls = 0;
        let mut total = 0;
        let mut arg = HostValue::Bytes(packed);
        loop {
            let r = push(&state, vec![h.clone(), std::mem::take(&mut arg)]).unwrap();
            let l = r.as_list().unwrap();
            let n = l[0].as_bytes().unwrap().len();
            assert!(n <= OUTPUT_LIMIT + 64 * 1024);
            total += n;
            calls += 1;
            if l[1] != HostValue::Bool(true) {
                break;
            }
        }
        total += finish(&state, &[h]).unwrap().as_bytes().unwrap().len();
        assert_eq!(total, zeros.len());
        assert!(calls >= 8);
    }

    #[test]
    fn big_chunks_are_quick_only_when_small_and_stop_when_cancelled() {
        let state = OpState::new();
        let h = new(&state, &["gzip".into(), false.into()]).unwrap();
        let small = push_work(&state, vec![h.clone(), vec![0u8; 1024].into()]).unwrap();
        assert!(small.is_quick());
        small.run(&Cancel::new()).unwrap();
        let big = push_work(&state, vec![h.clone(), vec![7u8; 1 << 20].into()]).unwrap();
        assert!(!big.is_quick());
        assert_eq!(big.input_bytes(), 1 << 20);
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(big.run(&cancel).unwrap_err().name, "AbortError");
        assert!(close(&state, &h));
    }
}
