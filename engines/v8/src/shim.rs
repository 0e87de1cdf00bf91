//! Loading the C++ shim, and with it libnode, on first use.
//!
//! The shim is a shared object linked against `libnode.so` (see
//! `build.rs`). Nothing links it into the process: the first V8 isolate
//! loads it with `dlopen`, so a process that runs only QuickJS never pays
//! for loading and relocating libnode (some 50,000 symbol relocations, over
//! ten milliseconds), and runs even where libnode is missing. The shim's
//! functions are then called through the pointers `ffi` looks up here.
//!
//! The shim is looked for in `$MOTU_V8_SHIM` when that is set (and only
//! there), else as `libmotu_v8_shim.so` beside the running executable, else
//! where the build put it (`$OUT_DIR/lib`, compiled in). A failed load is
//! remembered: every V8 isolate then fails with
//! `EngineError::Setup("V8 engine unavailable: …")` while other engines keep
//! working.

use std::ffi::{c_void, CStr, CString};
use std::path::PathBuf;
use std::sync::OnceLock;

use motu_engine::EngineError;

use crate::ffi::ShimFunctions;

/// The environment variable naming the shim to load instead of the usual
/// places.
pub(crate) const SHIM_ENV: &str = "MOTU_V8_SHIM";

/// The file name of the shim.
const SHIM_FILE: &str = "libmotu_v8_shim.so";

/// Where the build put the shim.
const BUILT_AT: &str = env!("MOTU_V8_SHIM_PATH");

/// The loaded shim's functions, or why it could not be loaded.
static SHIM: OnceLock<Result<ShimFunctions, String>> = OnceLock::new();

/// Loads the shim unless that was done (or tried) before.
pub(crate) fn load() -> Result<&'static ShimFunctions, EngineError> {
    SHIM.get_or_init(load_now)
        .as_ref()
        .map_err(|reason| EngineError::Setup(format!("V8 engine unavailable: {reason}")))
}

/// The shim's functions, which [`load`] must have loaded: every caller
/// holds an isolate, and isolates are made only after a successful load.
pub(crate) fn functions() -> &'static ShimFunctions {
    match SHIM.get() {
        Some(Ok(functions)) => functions,
        _ => panic!("the V8 shim was called before it was loaded"),
    }
}

/// The places to look for the shim, in order.
fn candidates() -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os(SHIM_ENV) {
        return vec![PathBuf::from(path)];
    }
    let mut paths = Vec::with_capacity(2);
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(SHIM_FILE)))
    {
        paths.push(dir);
    }
    paths.push(PathBuf::from(BUILT_AT));
    paths
}

fn load_now() -> Result<ShimFunctions, String> {
    let candidates = candidates();
    // Beside the executable is optional: skip it when there is no file.
    let chosen = candidates
        .iter()
        .find(|p| p.exists())
        .unwrap_or(&candidates[candidates.len() - 1]);
    let handle = open(chosen)?;
    // SAFETY: `handle` is a live handle of the shim, never closed.
    unsafe { ShimFunctions::lookup(handle) }
        .map_err(|symbol| format!("{}: no symbol {symbol}", chosen.display()))
}

/// `dlopen`s `path` (lazily bound, local symbols), for the life of the
/// process.
fn open(path: &std::path::Path) -> Result<*mut c_void, String> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("{}: the path holds a NUL byte", path.display()))?;
    // SAFETY: a NUL-terminated path; the flags are valid.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(last_error().unwrap_or_else(|| format!("cannot load {}", path.display())));
    }
    Ok(handle)
}

/// The address of `name` (NUL-terminated) in the shim, or its name when
/// the shim lacks it.
///
/// # Safety
/// `handle` must be a live `dlopen` handle.
pub(crate) unsafe fn symbol(
    handle: *mut c_void,
    name: &'static str,
) -> Result<*mut c_void, String> {
    let c_name = CStr::from_bytes_with_nul(name.as_bytes())
        .map_err(|_| name.trim_end_matches('\0').to_owned())?;
    // SAFETY: a live handle (promised) and a NUL-terminated name.
    let address = unsafe { libc::dlsym(handle, c_name.as_ptr()) };
    if address.is_null() {
        return Err(name.trim_end_matches('\0').to_owned());
    }
    Ok(address)
}

/// The message of the last failed `dlopen`/`dlsym` of this thread.
fn last_error() -> Option<String> {
    // SAFETY: dlerror returns NULL or a NUL-terminated string that stays
    // valid until the next dl* call of this thread; it is copied at once.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated (see above).
    Some(
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned(),
    )
}
