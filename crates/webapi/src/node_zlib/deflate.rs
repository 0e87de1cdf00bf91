//! The zlib coders of `node:zlib` (deflate, inflate, gzip, gunzip, raw
//! deflate and inflate, unzip) over `flate2`'s zlib-rs backend.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use motu_engine::{HostValue, JsError};

use super::{Coder, Step, ZlibError};

/// `Z_FINISH`.
const Z_FINISH: u8 = 4;

/// What a zlib stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Deflate,
    Inflate,
    Gzip,
    Gunzip,
    DeflateRaw,
    InflateRaw,
    Unzip,
}

enum Inner {
    Compress(Compress),
    /// A decoder, and whether it reads gzip members.
    Decompress(Decompress, bool),
    /// Unzip before it has seen enough input to tell gzip from zlib.
    Undecided,
}

/// A zlib stream and the options it was made with (to start it over).
pub(crate) struct Zlib {
    mode: Mode,
    level: Compression,
    window_bits: u8,
    dictionary: Option<Vec<u8>>,
    inner: Inner,
}

fn stream_error(what: &str) -> ZlibError {
    ZlibError::new("Z_STREAM_ERROR", -2, what)
}

impl Zlib {
    /// A stream of `mode` with `options` (`level`, `windowBits`,
    /// `dictionary`), which the prelude has checked.
    pub(crate) fn new(mode: &str, options: &HostValue) -> Result<Self, JsError> {
        let mode = match mode {
            "deflate" => Mode::Deflate,
            "inflate" => Mode::Inflate,
            "gzip" => Mode::Gzip,
            "gunzip" => Mode::Gunzip,
            "deflateRaw" => Mode::DeflateRaw,
            "inflateRaw" => Mode::InflateRaw,
            "unzip" => Mode::Unzip,
            other => return Err(JsError::type_error(format!("Unknown zlib mode: {other}"))),
        };
        let number = |key: &str| options.get(key).and_then(HostValue::as_f64);
        let level = match number("level") {
            Some(l) if (0.0..=9.0).contains(&l) => Compression::new(l as u32),
            _ => Compression::default(),
        };
        // zlib takes 8 as 9 when it deflates, and 0 (inflate: the window the
        // header says) as the largest.
        let window_bits = match number("windowBits") {
            Some(w) if (9.0..=15.0).contains(&w) => w as u8,
            Some(8.0) => 9,
            _ => 15,
        };
        let dictionary = options
            .get("dictionary")
            .and_then(HostValue::as_bytes)
            .map(<[u8]>::to_vec);
        let mut zlib = Self {
            mode,
            level,
            window_bits,
            dictionary,
            inner: Inner::Undecided,
        };
        zlib.start().map_err(JsError::from)?;
        Ok(zlib)
    }

    /// Makes the coder anew.
    fn start(&mut self) -> Result<(), ZlibError> {
        let wb = self.window_bits;
        self.inner = match self.mode {
            Mode::Deflate => Inner::Compress(Compress::new_with_window_bits(self.level, true, wb)),
            Mode::DeflateRaw => {
                Inner::Compress(Compress::new_with_window_bits(self.level, false, wb))
            }
            Mode::Gzip => Inner::Compress(Compress::new_gzip(self.level, wb)),
            Mode::Inflate => Inner::Decompress(Decompress::new_with_window_bits(true, wb), false),
            Mode::InflateRaw => {
                Inner::Decompress(Decompress::new_with_window_bits(false, wb), false)
            }
            Mode::Gunzip => Inner::Decompress(Decompress::new_gzip(wb), true),
            Mode::Unzip => Inner::Undecided,
        };
        if let Some(dict) = &self.dictionary {
            match &mut self.inner {
                Inner::Compress(c) if self.mode != Mode::Gzip => {
                    c.set_dictionary(dict)
                        .map_err(|_| stream_error("Failed to set dictionary"))?;
                }
                Inner::Decompress(d, _) if self.mode == Mode::InflateRaw => {
                    d.set_dictionary(dict)
                        .map_err(|_| stream_error("Failed to set dictionary"))?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn data_error(e: &flate2::DecompressError) -> ZlibError {
    ZlibError::new("Z_DATA_ERROR", -3, e.message().unwrap_or("invalid data"))
}

impl Coder for Zlib {
    fn step(&mut self, input: &[u8], out: &mut Vec<u8>, flush: u8) -> Result<Step, ZlibError> {
        if let Inner::Undecided = self.inner {
            // Unzip: gzip when the input starts with gzip's magic number.
            match input {
                [] | [0x1f] => {
                    return Ok(Step {
                        consumed: 0,
                        ended: false,
                    })
                }
                [0x1f, 0x8b, ..] => {
                    self.inner = Inner::Decompress(Decompress::new_gzip(self.window_bits), true)
                }
                _ => {
                    self.inner =
                        Inner::Decompress(Decompress::new_with_window_bits(true, 15), false)
                }
            }
        }
        match &mut self.inner {
            Inner::Compress(c) => {
                let before = c.total_in();
                let flush = match flush {
                    0 => FlushCompress::None,
                    1 | 5 => FlushCompress::Partial,
                    2 => FlushCompress::Sync,
                    3 => FlushCompress::Full,
                    _ => FlushCompress::Finish,
                };
                let status = c
                    .compress_vec(input, out, flush)
                    .map_err(|_| stream_error("compression failed"))?;
                Ok(Step {
                    consumed: (c.total_in() - before) as usize,
                    ended: status == Status::StreamEnd,
                })
            }
            Inner::Decompress(d, _) => {
                let before = d.total_in();
                let result = d.decompress_vec(input, out, FlushDecompress::None);
                let consumed = (d.total_in() - before) as usize;
                match result {
                    Ok(status) => Ok(Step {
                        consumed,
                        ended: status == Status::StreamEnd,
                    }),
                    Err(e) if e.needs_dictionary().is_some() => {
                        let Some(dict) = &self.dictionary else {
                            return Err(ZlibError::new("Z_NEED_DICT", 2, "Missing dictionary"));
                        };
                        d.set_dictionary(dict)
                            .map_err(|_| ZlibError::new("Z_NEED_DICT", 2, "Bad dictionary"))?;
                        Ok(Step {
                            consumed,
                            ended: false,
                        })
                    }
                    Err(e) => Err(data_error(&e)),
                }
            }
            Inner::Undecided => unreachable!("decided above"),
        }
    }

    fn next_member(&mut self, rest: &[u8]) -> bool {
        // As zlib in Node.js: after a gzip member, more input that does not
        // start with a zero byte (padding) is the next member.
        let gzip = matches!(self.inner, Inner::Decompress(_, true));
        if gzip && rest.first().is_some_and(|&b| b != 0) {
            self.inner = Inner::Decompress(Decompress::new_gzip(self.window_bits), true);
            return true;
        }
        false
    }

    fn finishing(&self, flush: u8) -> bool {
        flush == Z_FINISH
    }

    fn decompresses(&self) -> bool {
        matches!(
            self.mode,
            Mode::Inflate | Mode::InflateRaw | Mode::Gunzip | Mode::Unzip
        )
    }

    fn reset(&mut self) -> Result<(), ZlibError> {
        self.start()
    }

    fn params(&mut self, level: i32, _strategy: i32) -> Result<(), ZlibError> {
        let level = if (0..=9).contains(&level) {
            Compression::new(level as u32)
        } else {
            Compression::default()
        };
        // zlib can change to a level that compresses another way only while
        // it may write into an output buffer, which `flate2` does not give
        // it here: then the stream keeps its level (its output stays valid).
        if let Inner::Compress(c) = &mut self.inner {
            if c.set_level(level).is_ok() {
                self.level = level;
            }
        }
        Ok(())
    }
}
