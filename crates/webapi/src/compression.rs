//! Streaming compression and decompression for `CompressionStream` and
//! `DecompressionStream`: gzip, deflate (zlib) and deflate-raw with `flate2`.
//!
//! A coder is a per-isolate resource ([`OpState`]). Decompression hands out
//! at most [`OUTPUT_LIMIT`] bytes per call and keeps the rest of its input,
//! so a small hostile input cannot make one op call allocate without bound.

use std::io::{self, Write};

use flate2::write::{
    DeflateDecoder, DeflateEncoder, GzDecoder, GzEncoder, ZlibDecoder, ZlibEncoder,
};
use flate2::Compression;
use motu_engine::{HostValue, JsError};

use crate::op_state::{handle_arg, OpState};
use crate::ops::str_arg;

/// Most output bytes one `compression_push` call returns.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// A `flate2` writer into a `Vec<u8>`, whichever the format.
trait Coder {
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
    /// Feeds pending input until it is used up or `limit` output bytes wait.
    fn pump(&mut self, limit: usize) -> Result<(), JsError> {
        let err = |e: io::Error| match e.kind() {
            io::ErrorKind::UnexpectedEof => JsError::type_error("The compressed data is truncated"),
            _ => corrupt(),
        };
        while self.pos < self.pending.len() && self.coder.output().len() < limit {
            let n = self.coder.write(&self.pending[self.pos..]).map_err(err)?;
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
    let handle = state.add(Stream {
        coder,
        decompress,
        pending: Vec::new(),
        pos: 0,
    })?;
    Ok(HostValue::Number(f64::from(handle)))
}

/// `compression_push(handle, bytes?) -> [output, more]`: feeds a chunk (or
/// nothing, to go on with the last one) and returns the output so far;
/// `more` says that input is left and the op should be called again. An
/// error closes the stream.
pub(crate) fn push(state: &OpState, mut args: Vec<HostValue>) -> Result<HostValue, JsError> {
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
    let result = state.with(handle, |s: &mut Stream| {
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
        s.pump(limit)?;
        let more = s.pos < s.pending.len();
        Ok(HostValue::List(vec![s.take_output(), more.into()]))
    });
    if result.is_err() {
        state.remove(handle);
    }
    result
}

/// `compression_finish(handle) -> output`: ends the stream and closes it;
/// truncated compressed input is a `TypeError`.
pub(crate) fn finish(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "compression_finish")?;
    let result = state.with(handle, |s: &mut Stream| {
        s.pump(usize::MAX)?;
        s.coder.try_finish().map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => JsError::type_error("The compressed data is truncated"),
            _ => corrupt(),
        })?;
        Ok(s.take_output())
    });
    state.remove(handle);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

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
                let r = push(state, vec![h.clone(), std::mem::take(&mut arg)])?;
                let l = r.as_list().unwrap();
                out.extend_from_slice(l[0].as_bytes().unwrap());
                if l[1] != HostValue::Bool(true) {
                    break;
                }
            }
        }
        out.extend_from_slice(finish(state, &[h])?.as_bytes().unwrap());
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
}
