//! Bytecode compiled ahead of time, at build time, for scripts every isolate
//! evaluates (the prelude and its chunks).
//!
//! Without it the first isolate of a process parses and compiles the whole
//! prelude, which is most of the time from process start to first response.
//! A build script calls [`precompile`] with the same QuickJS the binary
//! links (rquickjs of the same version, the same compile options as at run
//! time) and embeds the bytes; the binary hands them to
//! [`QuickJsEngine::with_precompiled`](crate::QuickJsEngine::with_precompiled).
//!
//! Only bytes we wrote are ever read, and only when they match: an entry is
//! used for a script only if it was compiled by this very QuickJS (its
//! [`compiler_id`]: QuickJS's version, the compile options, pointer width and
//! byte order) from a text with the same [`fingerprint`] and name. Otherwise
//! the engine compiles the script at run time as it would without them.

use motu_engine::EngineError;

use crate::compile::compile;
use crate::isolate::PRELUDE;

/// Bytecode of one classic script, written by [`precompile`].
#[derive(Debug, Clone, Copy)]
pub struct Precompiled {
    /// The script's name, as stacks show it.
    pub name: &'static str,
    /// [`fingerprint`] of the source text it was compiled from.
    pub fingerprint: u64,
    /// [`compiler_id`] of the QuickJS that compiled it.
    pub compiler: &'static str,
    /// The bytecode.
    pub bytecode: &'static [u8],
}

/// Compiles the classic script `source`, named `name`, to bytecode the way
/// the engine compiles a prelude (without function source text). A syntax
/// error is an exception.
pub fn precompile(name: &str, source: &str) -> Result<Vec<u8>, EngineError> {
    compile(name, source, PRELUDE, None)
}

/// What bytecode depends on besides the source: QuickJS's version, how the
/// engine compiles a prelude, pointer width and byte order. Bytecode written
/// under one identity is read only under the same.
pub fn compiler_id() -> String {
    // SAFETY: QuickJS returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(rquickjs::qjs::JS_GetVersion()) };
    format!(
        "quickjs {} bytecode-{} strip={} strip-debug={} {}-bit {}",
        version.to_string_lossy(),
        rquickjs::qjs::JS_WRITE_OBJ_BYTECODE,
        PRELUDE.strip_source,
        PRELUDE.strip_debug,
        usize::BITS,
        if cfg!(target_endian = "little") {
            "le"
        } else {
            "be"
        }
    )
}

/// A 64-bit fingerprint of a source text (FNV-1a's scheme over its UTF-8
/// bytes taken eight at a time, then its length): tells whether embedded
/// bytecode was compiled from the text the engine is given. Not
/// collision-resistant, and needs not be: both texts are built into the
/// binary, neither comes from Worker code.
pub fn fingerprint(source: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let step = |hash: u64, word: u64| (hash ^ word).wrapping_mul(PRIME);
    let mut words = source.as_bytes().chunks_exact(8);
    let mut hash = OFFSET;
    for word in &mut words {
        let word: [u8; 8] = word.try_into().expect("chunks of eight");
        hash = step(hash, u64::from_le_bytes(word));
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = step(hash, u64::from_le_bytes(tail));
    step(hash, source.len() as u64)
}

/// The entries of a binary whose compiler is this QuickJS; the others are
/// never read.
pub(crate) fn usable(entries: &[Precompiled]) -> Vec<Precompiled> {
    if entries.is_empty() {
        return Vec::new();
    }
    let id = compiler_id();
    entries
        .iter()
        .filter(|e| e.compiler == id)
        .copied()
        .collect()
}
