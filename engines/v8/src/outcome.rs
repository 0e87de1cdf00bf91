//! Turning the shim's status codes into results.

use std::ffi::c_int;

use motu_engine::EngineError;

use crate::codec;
use crate::ffi::{self, MotuBuf};

/// The result of a call into the shim, from its status and error buffer
/// (which is freed either way).
pub(crate) fn outcome(status: c_int, error: MotuBuf) -> Result<(), EngineError> {
    let bytes = error.take();
    match status {
        ffi::MOTU_OK => Ok(()),
        ffi::MOTU_EXCEPTION => Err(EngineError::Exception(codec::decode_error(&bytes))),
        ffi::MOTU_TERMINATED => Err(EngineError::Terminated),
        ffi::MOTU_OUT_OF_MEMORY => Err(EngineError::OutOfMemory),
        ffi::MOTU_FATAL => Err(EngineError::Setup(format!(
            "V8 reported a fatal error and the isolate cannot be used again: {}",
            String::from_utf8_lossy(&bytes)
        ))),
        other => Err(EngineError::Setup(format!(
            "the V8 shim answered with an unknown status {other}"
        ))),
    }
}
