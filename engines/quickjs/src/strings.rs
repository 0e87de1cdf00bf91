//! Reading JavaScript strings as Rust strings.
//!
//! QuickJS hands out a string's UTF-8 form without copying when the string
//! is ASCII; otherwise it encodes it, keeping lone surrogates as WTF-8. These
//! helpers borrow that form and replace each lone surrogate with U+FFFD, as
//! other engines do when they hand strings to the host.

use std::borrow::Cow;
use std::ffi::c_char;

use rquickjs::{qjs, Ctx, Error, Result, Value};

/// The UTF-8 form QuickJS made of a value; freed on drop.
struct CStr<'a, 'js> {
    ctx: &'a Ctx<'js>,
    ptr: *const c_char,
    len: usize,
}

impl CStr<'_, '_> {
    fn bytes(&self) -> &[u8] {
        // SAFETY: QuickJS returned `len` bytes at `ptr`, alive until freed.
        unsafe { std::slice::from_raw_parts(self.ptr.cast(), self.len) }
    }
}

impl Drop for CStr<'_, '_> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `JS_ToCStringLen` or `JS_AtomToCStringLen`
        // of this context and is freed once.
        unsafe { qjs::JS_FreeCString(self.ctx.as_raw().as_ptr(), self.ptr) };
    }
}

/// Calls `f` with `value` converted to a string (as `String(value)` would,
/// which may run JavaScript), borrowing QuickJS's buffer when it can.
pub(crate) fn with_str<'js, R>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    f: impl FnOnce(&str) -> R,
) -> Result<R> {
    let mut len = 0;
    // SAFETY: `value` belongs to `ctx`; a null result means an exception.
    let ptr = unsafe { qjs::JS_ToCStringLen(ctx.as_raw().as_ptr(), &mut len, value.as_raw()) };
    if ptr.is_null() {
        return Err(Error::Exception);
    }
    let s = CStr {
        ctx,
        ptr,
        len: len as _,
    };
    Ok(f(&utf8(s.bytes())))
}

/// `value` converted to an owned string.
pub(crate) fn to_string<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Result<String> {
    with_str(ctx, value, str::to_owned)
}

/// The name of a property key.
pub(crate) fn atom_to_string<'js>(ctx: &Ctx<'js>, atom: qjs::JSAtom) -> Result<String> {
    let mut len = 0;
    // SAFETY: `atom` is alive in `ctx`; a null result means an exception.
    let ptr = unsafe { qjs::JS_AtomToCStringLen(ctx.as_raw().as_ptr(), &mut len, atom) };
    if ptr.is_null() {
        return Err(Error::Exception);
    }
    let s = CStr {
        ctx,
        ptr,
        len: len as _,
    };
    Ok(utf8(s.bytes()).into_owned())
}

/// WTF-8 as UTF-8: borrowed when valid, else with every lone surrogate (and
/// any other invalid sequence) replaced by U+FFFD.
pub(crate) fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return Cow::Owned(out);
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                // A surrogate is encoded as ED A0..BF 80..BF.
                let skip = if bad.len() >= 3 && bad[0] == 0xED && (0xA0..=0xBF).contains(&bad[1]) {
                    3
                } else {
                    e.error_len().unwrap_or(bad.len())
                };
                rest = &bad[skip..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::utf8;

    #[test]
    fn valid_utf8_is_borrowed() {
        assert!(matches!(
            utf8("héllo ✓".as_bytes()),
            std::borrow::Cow::Borrowed("héllo ✓")
        ));
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        // "a", U+D800 (lone high surrogate), "b", U+DC00 (lone low surrogate).
        let wtf8 = [b'a', 0xED, 0xA0, 0x80, b'b', 0xED, 0xB0, 0x80];
        assert_eq!(utf8(&wtf8), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(utf8(&[0xFF, b'x']), "\u{FFFD}x");
    }
}
