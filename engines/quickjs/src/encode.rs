//! UTF-8 encoding of long strings (`TextEncoder.encode` and every other use
//! of the `utf8_encode` op), in slices a termination can come between.
//!
//! The op's usual way converts its argument to a Rust string (QuickJS's
//! UTF-8 form of it, checked, then copied) and hands those bytes back: for
//! a string of 16 Mi units, passes of some milliseconds each over it, and
//! the copy goes into fresh memory whose pages the kernel faults in on
//! first touch, which nothing between can interrupt. A string of
//! [`SLICED_MIN`] units or more is instead encoded here, [`SLICE`] units at
//! a time, straight from QuickJS's own characters (read where they lie,
//! through a function motu's patch adds to QuickJS) into the result's
//! buffer; between two slices a termination asked for is delivered. Each
//! slice has the kernel fault in the pages it is about to write at once
//! (`MADV_POPULATE_WRITE`, cheaper than a fault per page on first touch;
//! on older kernels the writes fault them in as before, still within the
//! slice). The buffer then becomes the result's `ArrayBuffer` as it is; its
//! bytes count against the isolate's memory limit as it grows.
//!
//! The bytes are exactly the usual way's: a Latin-1 unit from U+0080 on
//! takes two bytes, a lone surrogate becomes U+FFFD, and a surrogate pair
//! split between two slices is kept whole.

use rquickjs::{qjs, Ctx, Result, Value};

use crate::memory::MemoryState;

/// Strings of this many UTF-16 units or more are encoded in slices.
pub(crate) const SLICED_MIN: usize = 1 << 20;

/// Units per slice: well under a millisecond of converting, beside which
/// the cost of a slice (a flag's load, a system call) is nothing.
const SLICE: usize = 256 << 10;

// Added to QuickJS by motu's patch (declared in `quickjs/quickjs.h`).
extern "C" {
    fn JS_GetStringChars(
        val: qjs::JSValue,
        pchars: *mut *const std::ffi::c_void,
        plen: *mut u32,
        pwide: *mut bool,
    ) -> std::ffi::c_int;
}

/// A string's characters as QuickJS keeps them.
#[derive(Clone, Copy)]
pub(crate) enum Units<'a> {
    /// One byte per unit (Latin-1).
    Latin1(&'a [u8]),
    /// UTF-16 units.
    Wide(&'a [u16]),
}

impl Units<'_> {
    fn len(&self) -> usize {
        match self {
            Units::Latin1(u) => u.len(),
            Units::Wide(u) => u.len(),
        }
    }
}

/// The number of UTF-16 units of `value` if it is a string (a rope
/// included).
pub(crate) fn string_len(value: &Value<'_>) -> Option<usize> {
    let (mut chars, mut len, mut wide) = (std::ptr::null(), 0, false);
    // SAFETY: `value` is alive; the function only reads its header.
    let kind = unsafe { JS_GetStringChars(value.as_raw(), &mut chars, &mut len, &mut wide) };
    (kind >= 0).then_some(len as usize)
}

/// Calls `f` with the characters of the string `value` (made linear first
/// if it is a rope).
fn with_units<'js, R>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    f: impl FnOnce(Units<'_>) -> R,
) -> Result<R> {
    let (mut chars, mut len, mut wide) = (std::ptr::null(), 0, false);
    // SAFETY: `value` is alive; the function only reads its header.
    let mut kind = unsafe { JS_GetStringChars(value.as_raw(), &mut chars, &mut len, &mut wide) };
    let mut linear = None;
    if kind == 1 {
        // SAFETY: `value` belongs to `ctx`; the result is owned and handed
        // to `Value`.
        let raw = unsafe { qjs::JS_ToString(ctx.as_raw().as_ptr(), value.as_raw()) };
        // SAFETY: as above.
        if unsafe { qjs::JS_IsException(raw) } {
            return Err(rquickjs::Error::Exception);
        }
        // SAFETY: `raw` is owned and live.
        let v = unsafe { Value::from_raw(ctx.clone(), raw) };
        // SAFETY: as above.
        kind = unsafe { JS_GetStringChars(v.as_raw(), &mut chars, &mut len, &mut wide) };
        linear = Some(v);
    }
    if kind != 0 {
        return Err(rquickjs::Error::new_from_js("value", "string"));
    }
    let len = len as usize;
    // SAFETY: QuickJS keeps `len` units at `chars` unchanged while the
    // string lives: `value`, or `linear`, both alive until `f` returns.
    let units = unsafe {
        if len == 0 {
            Units::Latin1(&[])
        } else if wide {
            Units::Wide(std::slice::from_raw_parts(chars.cast(), len))
        } else {
            Units::Latin1(std::slice::from_raw_parts(chars.cast(), len))
        }
    };
    let r = f(units);
    drop(linear);
    Ok(r)
}

/// Why [`encode`] stopped before the end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// A termination was asked for.
    Terminated,
    /// The memory limit (or the C heap) refused the bytes.
    OutOfMemory,
}

/// The UTF-8 bytes of the string `value` (as [`utf8_of`]), made in slices;
/// before each slice, `stop` says whether to give up (a termination asked
/// for). The buffer's bytes count in `memory` while it is made (and not
/// once it is returned).
pub(crate) fn encode<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    memory: &MemoryState,
    stop: impl FnMut() -> bool,
) -> Result<std::result::Result<Vec<u8>, Stopped>> {
    with_units(ctx, value, |units| {
        let mut out = Counted {
            bytes: Vec::new(),
            counted: 0,
            memory,
        };
        let r = utf8_sliced(units, &mut out, SLICE, stop);
        memory.release(out.counted);
        r.map(|()| std::mem::take(&mut out.bytes))
    })
}

/// The result's buffer, its capacity counted in the isolate's memory.
struct Counted<'a> {
    bytes: Vec<u8>,
    counted: usize,
    memory: &'a MemoryState,
}

impl Output for Counted<'_> {
    fn reserve(&mut self, more: usize) -> std::result::Result<(), Stopped> {
        let v = &mut self.bytes;
        if v.capacity() - v.len() >= more {
            return Ok(());
        }
        // Half as much again at least, so that growing copies little.
        let wanted = v.len() + more.max(v.capacity() / 2);
        let grow = wanted - v.capacity();
        if !self.memory.adopt(grow) {
            return Err(if self.memory.exhausted() {
                Stopped::OutOfMemory
            } else {
                Stopped::Terminated
            });
        }
        self.counted += grow;
        v.try_reserve_exact(wanted - v.len())
            .map_err(|_| Stopped::OutOfMemory)
    }

    fn slice(&mut self, more: usize) -> std::result::Result<&mut Vec<u8>, Stopped> {
        self.reserve(more)?;
        populate(&mut self.bytes, more);
        Ok(&mut self.bytes)
    }

    fn finish(&mut self) {
        self.bytes.shrink_to_fit();
    }
}

/// Has the kernel fault in the pages of `v`'s next `more` bytes at once.
fn populate(v: &mut Vec<u8>, more: usize) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        // Linux 5.14's MADV_POPULATE_WRITE.
        const POPULATE_WRITE: libc::c_int = 23;
        if more < 16 * PAGE {
            return;
        }
        let spare = v.spare_capacity_mut();
        let from = spare.as_mut_ptr() as usize;
        let to = from + more.min(spare.len());
        // Whole pages that the buffer holds a byte of: all mapped.
        let (start, end) = (from / PAGE * PAGE, to.div_ceil(PAGE) * PAGE);
        // SAFETY: the range lies in pages the buffer holds bytes of (its
        // spare capacity); populating changes no byte of them. On failure
        // (an older kernel) the writes fault the pages in themselves.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, POPULATE_WRITE) };
    }
}

/// Where [`utf8_sliced`] writes.
trait Output {
    /// Room for `more` bytes after what is written.
    fn reserve(&mut self, more: usize) -> std::result::Result<(), Stopped>;
    /// The buffer, ready for a slice's `more` bytes.
    fn slice(&mut self, more: usize) -> std::result::Result<&mut Vec<u8>, Stopped>;
    /// Called once all is written.
    fn finish(&mut self) {}
}

#[cfg(test)]
impl Output for Vec<u8> {
    fn reserve(&mut self, more: usize) -> std::result::Result<(), Stopped> {
        Vec::reserve(self, more);
        Ok(())
    }

    fn slice(&mut self, more: usize) -> std::result::Result<&mut Vec<u8>, Stopped> {
        Vec::reserve(self, more);
        Ok(self)
    }
}

/// The UTF-8 of `units`, `slice` units at a time, asking `stop` before
/// each slice (and once at the end).
fn utf8_sliced(
    units: Units<'_>,
    out: &mut impl Output,
    slice: usize,
    mut stop: impl FnMut() -> bool,
) -> std::result::Result<(), Stopped> {
    let length = units.len();
    // Every unit takes at least a byte: ASCII text fills the first
    // reservation exactly.
    out.reserve(length)?;
    let mut k = 0;
    while k < length {
        if stop() {
            return Err(Stopped::Terminated);
        }
        let mut n = (length - k).min(slice);
        match units {
            Units::Latin1(all) => {
                let part = &all[k..k + n];
                let v = out.slice(latin1_utf8_len(part))?;
                latin1_to_utf8(part, v);
            }
            Units::Wide(all) => {
                // A pair split by the slice's end is taken whole.
                if k + n < length && is_high(all[k + n - 1]) && is_low(all[k + n]) {
                    n += 1;
                }
                let part = &all[k..k + n];
                let v = out.slice(utf16_utf8_len(part))?;
                utf16_to_utf8(part, v);
            }
        }
        k += n;
    }
    if stop() {
        return Err(Stopped::Terminated);
    }
    out.finish();
    Ok(())
}

/// The UTF-8 of a whole string at once, as [`encode`] makes it.
#[cfg(test)]
pub(crate) fn utf8_of(units: Units<'_>, slice: usize) -> Vec<u8> {
    let mut v = Vec::new();
    utf8_sliced(units, &mut v, slice, || false).unwrap();
    v
}

fn is_high(u: u16) -> bool {
    u & 0xFC00 == 0xD800
}

fn is_low(u: u16) -> bool {
    u & 0xFC00 == 0xDC00
}

/// The UTF-8 length of Latin-1 units: one byte each, two from U+0080 on.
fn latin1_utf8_len(units: &[u8]) -> usize {
    if units.is_ascii() {
        return units.len();
    }
    units.len() + units.iter().filter(|&&b| b >= 0x80).count()
}

/// Latin-1 units to UTF-8, runs of ASCII copied whole.
fn latin1_to_utf8(units: &[u8], out: &mut Vec<u8>) {
    if units.is_ascii() {
        out.extend_from_slice(units);
        return;
    }
    let mut rest = units;
    while !rest.is_empty() {
        let ascii = rest.iter().position(|&b| b >= 0x80).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..ascii]);
        rest = &rest[ascii..];
        while let Some((&b, tail)) = rest.split_first() {
            if b < 0x80 {
                break;
            }
            out.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
            rest = tail;
        }
    }
}

/// The UTF-8 length of UTF-16 units as [`utf16_to_utf8`] writes them.
fn utf16_utf8_len(units: &[u16]) -> usize {
    let mut bytes = 0;
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        bytes += if u < 0x80 {
            1
        } else if u < 0x800 {
            2
        } else if is_high(u) && units.get(i + 1).is_some_and(|&l| is_low(l)) {
            i += 1;
            4
        } else {
            3
        };
        i += 1;
    }
    bytes
}

/// UTF-16 units to UTF-8, a lone surrogate as U+FFFD.
fn utf16_to_utf8(units: &[u16], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        i += 1;
        if u < 0x80 {
            out.push(u as u8);
            continue;
        }
        let c = if is_high(u) && units.get(i).is_some_and(|&l| is_low(l)) {
            let c = 0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(units[i]) - 0xDC00);
            i += 1;
            char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER)
        } else {
            char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)
        };
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::{utf8_of, Units};

    fn wide(s: &[u16], slice: usize) -> Vec<u8> {
        utf8_of(Units::Wide(s), slice)
    }

    #[test]
    fn pairs_split_between_slices_stay_whole() {
        // "a😀b" is a, D83D, DE00, b: the pair straddles slices of 2.
        let units: Vec<u16> = "a😀b".encode_utf16().collect();
        for slice in 1..=4 {
            assert_eq!(wide(&units, slice), "a😀b".as_bytes(), "slice {slice}");
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        // A lone high surrogate last of all, one before a slice's end, a
        // lone low one, a reversed pair.
        let units = [0x61, 0xD800, 0x62, 0xDC00, 0xDC00, 0xD800, 0x63, 0xD800];
        let expected = "a\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}c\u{FFFD}".as_bytes();
        for slice in 1..=9 {
            assert_eq!(wide(&units, slice), expected, "slice {slice}");
        }
    }

    #[test]
    fn latin1_takes_two_bytes_from_u0080() {
        let units = [b'a', 0x80, 0xE9, 0xFF, b'z'];
        for slice in 1..=6 {
            assert_eq!(
                utf8_of(Units::Latin1(&units), slice),
                "a\u{80}éÿz".as_bytes()
            );
        }
    }
}
