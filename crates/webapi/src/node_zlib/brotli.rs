//! The Brotli coders of `node:zlib` (`BrotliCompress`,
//! `BrotliDecompress`) over the `brotli` crate's streaming state machines.

use brotli::enc::encode::BrotliEncoderParameter;
use brotli::enc::encode::{BrotliEncoderOperation, BrotliEncoderStateStruct};
use brotli::enc::StandardAlloc;
use brotli::{BrotliDecompressStream, BrotliResult, BrotliState};
use motu_engine::{HostValue, JsError};

use super::{Coder, Step, ZlibError};

/// `BROTLI_OPERATION_FINISH`.
const FINISH: u8 = 2;

type Decoder = BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>;

enum Inner {
    Encoder(Box<BrotliEncoderStateStruct<StandardAlloc>>),
    Decoder(Box<Decoder>),
}

/// A Brotli stream and the parameters it was made with.
pub(crate) struct Brotli {
    decompress: bool,
    /// `[id, value]` of each encoder parameter set.
    params: Vec<(u32, u32)>,
    inner: Inner,
}

/// The encoder parameter of id `id` (Node.js's `BROTLI_PARAM_*`).
fn parameter(id: u32) -> Option<BrotliEncoderParameter> {
    use BrotliEncoderParameter::*;
    Some(match id {
        0 => BROTLI_PARAM_MODE,
        1 => BROTLI_PARAM_QUALITY,
        2 => BROTLI_PARAM_LGWIN,
        3 => BROTLI_PARAM_LGBLOCK,
        4 => BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING,
        5 => BROTLI_PARAM_SIZE_HINT,
        6 => BROTLI_PARAM_LARGE_WINDOW,
        _ => return None,
    })
}

fn init_error() -> JsError {
    ZlibError::new("ERR_ZLIB_INITIALIZATION_FAILED", 0, "Initialization failed").into()
}

impl Brotli {
    /// A stream with `options.params` (`[[id, value], …]`: encoder
    /// parameters; the decoder's are accepted and change nothing here).
    pub(crate) fn new(decompress: bool, options: &HostValue) -> Result<Self, JsError> {
        let mut params = Vec::new();
        if let Some(list) = options.get("params").and_then(HostValue::as_list) {
            for pair in list {
                let pair = pair.as_list().unwrap_or(&[]);
                let num = |i: usize| pair.get(i).and_then(HostValue::as_f64);
                match (num(0), num(1)) {
                    (Some(id), Some(value)) if id >= 0.0 && value >= 0.0 => {
                        params.push((id as u32, value as u32))
                    }
                    _ => return Err(init_error()),
                }
            }
        }
        let mut brotli = Self {
            decompress,
            params,
            inner: Inner::Decoder(Box::new(new_decoder())),
        };
        brotli.start()?;
        Ok(brotli)
    }

    fn start(&mut self) -> Result<(), JsError> {
        self.inner = if self.decompress {
            Inner::Decoder(Box::new(new_decoder()))
        } else {
            let mut encoder = Box::new(BrotliEncoderStateStruct::new(StandardAlloc::default()));
            for &(id, value) in &self.params {
                let Some(p) = parameter(id) else {
                    return Err(init_error());
                };
                if !encoder.set_parameter(p, value) {
                    return Err(init_error());
                }
            }
            Inner::Encoder(encoder)
        };
        Ok(())
    }
}

fn new_decoder() -> Decoder {
    BrotliState::new(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    )
}

impl Coder for Brotli {
    fn step(&mut self, input: &[u8], out: &mut Vec<u8>, flush: u8) -> Result<Step, ZlibError> {
        let start = out.len();
        out.resize(out.capacity(), 0);
        let mut avail_in = input.len();
        let mut in_offset = 0;
        let mut avail_out = out.len() - start;
        let mut out_offset = start;
        let result = match &mut self.inner {
            Inner::Encoder(e) => {
                let op = match flush {
                    1 => BrotliEncoderOperation::BROTLI_OPERATION_FLUSH,
                    FINISH => BrotliEncoderOperation::BROTLI_OPERATION_FINISH,
                    3 => BrotliEncoderOperation::BROTLI_OPERATION_EMIT_METADATA,
                    _ => BrotliEncoderOperation::BROTLI_OPERATION_PROCESS,
                };
                let mut total = None;
                let ok = e.compress_stream(
                    op,
                    &mut avail_in,
                    input,
                    &mut in_offset,
                    &mut avail_out,
                    out,
                    &mut out_offset,
                    &mut total,
                    &mut |_, _, _, _| (),
                );
                if ok {
                    Ok(e.is_finished())
                } else {
                    Err(ZlibError::new(
                        "ERR_BROTLI_COMPRESSION_FAILED",
                        0,
                        "Compression failed",
                    ))
                }
            }
            Inner::Decoder(d) => {
                let mut total = 0;
                match BrotliDecompressStream(
                    &mut avail_in,
                    &mut in_offset,
                    input,
                    &mut avail_out,
                    &mut out_offset,
                    out,
                    &mut total,
                    d,
                ) {
                    BrotliResult::ResultSuccess => Ok(true),
                    BrotliResult::NeedsMoreInput | BrotliResult::NeedsMoreOutput => Ok(false),
                    BrotliResult::ResultFailure => {
                        // Node.js names the error after the decoder's code:
                        // BROTLI_DECODER_ERROR_X is ERR__ERROR_X.
                        let name = format!("{:?}", d.error_code);
                        let code = format!(
                            "ERR_{}",
                            name.strip_prefix("BROTLI_DECODER").unwrap_or(&name)
                        );
                        Err(ZlibError::new(
                            &code,
                            d.error_code as i32,
                            "Decompression failed",
                        ))
                    }
                }
            }
        };
        out.truncate(out_offset);
        Ok(Step {
            consumed: in_offset,
            ended: result?,
        })
    }

    fn finishing(&self, flush: u8) -> bool {
        flush == FINISH
    }

    fn decompresses(&self) -> bool {
        self.decompress
    }

    fn reset(&mut self) -> Result<(), ZlibError> {
        self.start().map_err(|_| {
            ZlibError::new("ERR_ZLIB_INITIALIZATION_FAILED", 0, "Initialization failed")
        })
    }

    fn params(&mut self, _level: i32, _strategy: i32) -> Result<(), ZlibError> {
        Ok(())
    }
}
