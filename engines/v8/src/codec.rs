//! The tagged binary encoding of values crossing the C boundary; the
//! shim's side is `shim/codec.cc`.
//!
//! One tag byte, then the payload; integers are little endian:
//!
//! | tag | value     | payload                                              |
//! |-----|-----------|------------------------------------------------------|
//! | 0   | undefined |                                                      |
//! | 1   | null      |                                                      |
//! | 2   | false     |                                                      |
//! | 3   | true      |                                                      |
//! | 4   | number    | `f64`                                                |
//! | 5   | string    | `u32` byte length, UTF-8                             |
//! | 6   | bytes     | `u32` length, the bytes                              |
//! | 7   | list      | `u32` count, that many values                        |
//! | 8   | map       | `u32` count, that many (`u32` length, UTF-8 key, value) |
//! | 9   | lent bytes| `u64` address, `u32` length                          |
//! | 10  | lent chunks | `u32` count, that many (`u64` address, `u32` length) |
//! | 11  | adopted bytes | `u8` flag, `u64` address, `u32` length, `u64` capacity, `u64` address of the function freeing them |
//!
//! Lent bytes are bytes of at least [`LEND_MIN`] that stay where they are
//! for one call instead of being copied into the encoding; the receiver
//! copies them once, straight into their destination. Lent chunks are
//! [`HostValue::Chunks`] lent the same way (only Rust sends them): the shim
//! makes one buffer of them all. Rust lends them to
//! the shim while it keeps the value encoded alive ([`encode_lending`]),
//! and the shim lends those of an op's arguments, pinned until the op
//! returns ([`decode_op_args`]). Nothing else reads or writes them.
//!
//! Adopted bytes are a `Vec<u8>` of at least [`ADOPT_MIN`] bytes Rust
//! hands over as a whole settled value ([`encode_adoptable`]): the shim
//! makes them the `ArrayBuffer`'s memory without a copy, sets the flag byte
//! to 1 in the encoding once it owns them, and frees them later with the
//! function given ([`free_adopted`]). A flag left at 0 means they are still
//! Rust's.
//!
//! Errors leave the shim as a map `{ name, message, stack }`.

use motu_engine::{HostValue, JsError};

const UNDEFINED: u8 = 0;
const NULL: u8 = 1;
const FALSE: u8 = 2;
const TRUE: u8 = 3;
const NUMBER: u8 = 4;
const STRING: u8 = 5;
const BYTES: u8 = 6;
const LIST: u8 = 7;
const MAP: u8 = 8;
const LENT_BYTES: u8 = 9;
const LENT_CHUNKS: u8 = 10;
const ADOPTED_BYTES: u8 = 11;

/// Byte strings settled as a whole value from this size on are handed over
/// to the shim rather than copied: copying a large body into fresh memory,
/// page by page, was most of what reading it cost the Worker.
pub(crate) const ADOPT_MIN: usize = 64 << 10;

/// Frees the memory of a `Vec<u8>` of `capacity` handed over as adopted
/// bytes; the shim calls it, from any thread, once their buffer is gone.
///
/// # Safety
/// `data` and `capacity` must be those of a vector handed over by
/// [`encode_adoptable`] that the shim took, and freed once.
unsafe extern "C" fn free_adopted(data: *mut u8, capacity: usize) {
    // SAFETY: promised by the caller; `u8` needs no drop, so length 0 does.
    drop(unsafe { Vec::from_raw_parts(data, 0, capacity) });
}

/// Appends the encoding of `bytes` as adopted bytes (see the module docs)
/// to `out`, which must be empty: they are then the whole value. Returns
/// the offset of the flag the shim sets once it took them; `None` (nothing
/// written) when they are too long for a `u32` length.
pub(crate) fn encode_adoptable(
    bytes: &mut [u8],
    capacity: usize,
    out: &mut Vec<u8>,
) -> Option<usize> {
    if !fits(bytes.len()) || bytes.is_empty() {
        return None;
    }
    out.push(ADOPTED_BYTES);
    let flag = out.len();
    out.push(0);
    out.extend_from_slice(&(bytes.as_mut_ptr() as usize as u64).to_le_bytes());
    put_len(out, bytes.len());
    out.extend_from_slice(&(capacity as u64).to_le_bytes());
    let free: unsafe extern "C" fn(*mut u8, usize) = free_adopted;
    out.extend_from_slice(&(free as usize as u64).to_le_bytes());
    Some(flag)
}

/// Bytes from this size on are lent by address rather than copied (the
/// shim's `kLendMin` is the same): below it, the copy costs less than the
/// bookkeeping.
pub(crate) const LEND_MIN: usize = 4096;

/// Values nested deeper than this are refused when decoding, which bounds
/// the recursion (the shim cuts JavaScript values off at 64 levels).
const MAX_DECODE_DEPTH: usize = 1000;

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

/// Whether a length fits the encoding's `u32`.
fn fits(n: usize) -> bool {
    u32::try_from(n).is_ok()
}

/// Appends the encoding of `v` to `out`. A string, byte string, list or map
/// too long for a `u32` length (4 GiB) is encoded as `undefined`, as is a
/// map key that long (the key as empty).
pub(crate) fn encode(v: &HostValue, out: &mut Vec<u8>) {
    encode_with(v, out, false)
}

/// As [`encode`], but byte strings of at least [`LEND_MIN`] bytes are lent
/// by address.
///
/// # Safety
/// `v` must stay alive and unchanged until the shim has decoded `out`.
pub(crate) unsafe fn encode_lending(v: &HostValue, out: &mut Vec<u8>) {
    encode_with(v, out, true)
}

fn encode_with(v: &HostValue, out: &mut Vec<u8>, lend: bool) {
    match v {
        HostValue::Undefined => out.push(UNDEFINED),
        HostValue::Null => out.push(NULL),
        HostValue::Bool(false) => out.push(FALSE),
        HostValue::Bool(true) => out.push(TRUE),
        HostValue::Number(n) => {
            out.push(NUMBER);
            out.extend_from_slice(&n.to_le_bytes());
        }
        HostValue::String(s) if fits(s.len()) => {
            out.push(STRING);
            put_len(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        HostValue::Bytes(b) if lend && b.len() >= LEND_MIN && fits(b.len()) => {
            out.push(LENT_BYTES);
            out.extend_from_slice(&(b.as_ptr() as usize as u64).to_le_bytes());
            put_len(out, b.len());
        }
        HostValue::Bytes(b) if fits(b.len()) => {
            out.push(BYTES);
            put_len(out, b.len());
            out.extend_from_slice(b);
        }
        HostValue::Chunks(pieces) if fits(pieces.iter().map(|p| p.len()).sum()) => {
            let total: usize = pieces.iter().map(|p| p.len()).sum();
            if lend && total >= LEND_MIN {
                out.push(LENT_CHUNKS);
                put_len(out, pieces.len());
                for piece in pieces {
                    out.extend_from_slice(&(piece.as_ptr() as usize as u64).to_le_bytes());
                    put_len(out, piece.len());
                }
            } else {
                out.push(BYTES);
                put_len(out, total);
                for piece in pieces {
                    out.extend_from_slice(piece);
                }
            }
        }
        HostValue::List(items) if fits(items.len()) => {
            out.push(LIST);
            put_len(out, items.len());
            for item in items {
                encode_with(item, out, lend);
            }
        }
        HostValue::Map(entries) if fits(entries.len()) => {
            out.push(MAP);
            put_len(out, entries.len());
            for (key, item) in entries {
                let key = if fits(key.len()) { key.as_str() } else { "" };
                put_len(out, key.len());
                out.extend_from_slice(key.as_bytes());
                encode_with(item, out, lend);
            }
        }
        HostValue::String(_)
        | HostValue::Bytes(_)
        | HostValue::Chunks(_)
        | HostValue::List(_)
        | HostValue::Map(_) => out.push(UNDEFINED),
    }
}

/// Reads values off the front of a byte slice; lent bytes only where the
/// lender keeps them alive (`lent`).
struct Reader<'a> {
    input: &'a [u8],
    lent: bool,
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { input, lent: false }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.input.len() < n {
            return None;
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Some(head)
    }

    fn len(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    /// A count of items that each take at least `min_size` bytes; refused
    /// when the rest of the input cannot hold them.
    fn count(&mut self, min_size: usize) -> Option<usize> {
        let n = self.len()?;
        (n <= self.input.len() / min_size).then_some(n)
    }

    fn string(&mut self) -> Option<String> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        Some(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }

    fn list(&mut self, depth: usize) -> Option<Vec<HostValue>> {
        let n = self.count(1)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Some(items)
    }

    fn value(&mut self, depth: usize) -> Option<HostValue> {
        if depth > MAX_DECODE_DEPTH {
            return None;
        }
        Some(match *self.take(1)?.first()? {
            UNDEFINED => HostValue::Undefined,
            NULL => HostValue::Null,
            FALSE => HostValue::Bool(false),
            TRUE => HostValue::Bool(true),
            NUMBER => HostValue::Number(f64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            STRING => HostValue::String(self.string()?),
            BYTES => {
                let n = self.len()?;
                HostValue::Bytes(self.take(n)?.to_vec())
            }
            LENT_BYTES if self.lent => {
                let address = u64::from_le_bytes(self.take(8)?.try_into().ok()?) as usize;
                let n = self.len()?;
                if address == 0 {
                    return None;
                }
                // SAFETY: `lent` is only set by `decode_op_args`, whose
                // caller guarantees that the shim lends `n` readable bytes
                // at `address` for the call.
                HostValue::Bytes(
                    unsafe { std::slice::from_raw_parts(address as *const u8, n) }.to_vec(),
                )
            }
            LIST => HostValue::List(self.list(depth)?),
            MAP => {
                let n = self.count(5)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.string()?;
                    entries.push((key, self.value(depth + 1)?));
                }
                HostValue::Map(entries)
            }
            _ => return None,
        })
    }
}

/// Decodes one value that fills `bytes`; `None` when they are not a valid
/// encoding.
pub(crate) fn decode(bytes: &[u8]) -> Option<HostValue> {
    let mut reader = Reader::new(bytes);
    let v = reader.value(0)?;
    reader.input.is_empty().then_some(v)
}

/// Decodes an encoded list straight into its items.
#[cfg(test)]
fn decode_list(bytes: &[u8]) -> Option<Vec<HostValue>> {
    list_items(Reader::new(bytes))
}

/// Decodes the encoded list of an op's arguments into its items, copying
/// lent bytes.
///
/// # Safety
/// `bytes` must be the arguments the shim encoded for the op being called:
/// the buffers it lends stay pinned until the op returns.
pub(crate) unsafe fn decode_op_args(bytes: &[u8]) -> Option<Vec<HostValue>> {
    list_items(Reader {
        input: bytes,
        lent: true,
    })
}

fn list_items(mut reader: Reader<'_>) -> Option<Vec<HostValue>> {
    if *reader.take(1)?.first()? != LIST {
        return None;
    }
    let items = reader.list(0)?;
    reader.input.is_empty().then_some(items)
}

/// Decodes the shim's `{ name, message, stack }` map; what is missing
/// becomes `Error`, an empty message and no stack.
pub(crate) fn decode_error(bytes: &[u8]) -> JsError {
    let mut v = decode(bytes).unwrap_or_default();
    let mut field = |k: &str| match v.take(k) {
        Some(HostValue::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    JsError {
        name: field("name").unwrap_or_else(|| "Error".into()),
        message: field("message").unwrap_or_default(),
        stack: field("stack"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(v: &HostValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    fn sample() -> HostValue {
        HostValue::Map(vec![
            ("u".into(), HostValue::Undefined),
            ("n".into(), HostValue::Null),
            ("b".into(), HostValue::List(vec![true.into(), false.into()])),
            ("x".into(), HostValue::Number(-0.5)),
            ("big".into(), HostValue::Number(f64::MAX)),
            ("s".into(), "héllo ✓ 😀".into()),
            ("".into(), HostValue::String(String::new())),
            ("y".into(), HostValue::Bytes(vec![0, 255])),
            ("e".into(), HostValue::Bytes(vec![])),
            (
                "nested".into(),
                HostValue::List(vec![HostValue::Map(vec![("k".into(), HostValue::Null)])]),
            ),
        ])
    }

    #[test]
    fn every_kind_round_trips() {
        let v = sample();
        assert_eq!(decode(&encoded(&v)), Some(v));
    }

    #[test]
    fn chunks_encode_as_the_bytes_they_join_to() {
        let pieces = vec![
            bytes::Bytes::from_static(b"ab"),
            bytes::Bytes::new(),
            bytes::Bytes::from_static(b"c"),
        ];
        assert_eq!(
            decode(&encoded(&HostValue::Chunks(pieces))),
            Some(HostValue::Bytes(b"abc".to_vec()))
        );
        assert_eq!(
            decode(&encoded(&HostValue::Chunks(vec![]))),
            Some(HostValue::Bytes(vec![]))
        );
    }

    #[test]
    fn special_numbers_keep_their_bits() {
        for n in [f64::NAN, -0.0, f64::INFINITY, f64::NEG_INFINITY, 5e-324] {
            match decode(&encoded(&HostValue::Number(n))) {
                Some(HostValue::Number(m)) => assert_eq!(m.to_bits(), n.to_bits()),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_layout_is_the_documented_one() {
        assert_eq!(
            encoded(&HostValue::List(vec![
                HostValue::Null,
                "ab".into(),
                HostValue::Bytes(vec![7]),
            ])),
            [7, 3, 0, 0, 0, 1, 5, 2, 0, 0, 0, b'a', b'b', 6, 1, 0, 0, 0, 7]
        );
        assert_eq!(
            encoded(&HostValue::Map(vec![("k".into(), true.into())])),
            [8, 1, 0, 0, 0, 1, 0, 0, 0, b'k', 3]
        );
        assert_eq!(
            encoded(&HostValue::Number(1.0)),
            [4, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
        );
    }

    #[test]
    fn truncated_or_trailing_input_is_refused() {
        let bytes = encoded(&sample());
        for end in 0..bytes.len() {
            assert_eq!(decode(&bytes[..end]), None, "prefix of {end} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        assert_eq!(decode(&[42]), None);
    }

    #[test]
    fn impossible_counts_are_refused_before_allocating() {
        assert_eq!(decode(&[LIST, 255, 255, 255, 255]), None);
        assert_eq!(decode(&[MAP, 255, 255, 255, 255, 0]), None);
        assert_eq!(decode(&[BYTES, 255, 255, 255, 255]), None);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            decode(&[STRING, 2, 0, 0, 0, 0xff, b'a']),
            Some(HostValue::String("\u{fffd}a".into()))
        );
    }

    #[test]
    fn deep_input_is_refused() {
        let mut bytes = Vec::new();
        for _ in 0..=MAX_DECODE_DEPTH {
            bytes.extend_from_slice(&[LIST, 1, 0, 0, 0]);
        }
        bytes.push(NULL);
        assert_eq!(decode(&bytes), None);
        assert!(decode(&bytes[5..]).is_some());
    }

    #[test]
    fn argument_lists_decode_to_their_items() {
        let args = vec![HostValue::Number(1.0), "two".into()];
        assert_eq!(
            decode_list(&encoded(&HostValue::List(args.clone()))),
            Some(args)
        );
        assert_eq!(decode_list(&encoded(&HostValue::Null)), None);
    }

    #[test]
    fn large_bytes_are_lent_by_address_and_copied_by_the_reader() {
        let big = vec![7u8; LEND_MIN];
        let v = HostValue::List(vec![
            HostValue::Bytes(big.clone()),
            HostValue::Bytes(vec![1]),
        ]);
        let mut out = Vec::new();
        // SAFETY: `v` outlives `out`'s decoding below.
        unsafe { encode_lending(&v, &mut out) };
        assert_eq!(out[5], LENT_BYTES);
        assert_eq!(out.len(), 5 + 13 + 6);
        // Only an op's arguments may hold lent bytes.
        assert_eq!(decode_list(&out), None);
        assert_eq!(decode(&out), None);
        // SAFETY: `v` lends its bytes for the call.
        assert_eq!(
            unsafe { decode_op_args(&out) },
            v.as_list().map(<[_]>::to_vec)
        );
        // Small bytes and plain encoding copy.
        assert_eq!(decode(&encoded(&v)), Some(v));
    }

    #[test]
    fn errors_decode_with_defaults() {
        let full = HostValue::Map(vec![
            ("name".into(), "TypeError".into()),
            ("message".into(), "m".into()),
            ("stack".into(), "TypeError: m\n    at x".into()),
        ]);
        assert_eq!(
            decode_error(&encoded(&full)),
            JsError {
                name: "TypeError".into(),
                message: "m".into(),
                stack: Some("TypeError: m\n    at x".into()),
            }
        );
        let bare = HostValue::Map(vec![
            ("name".into(), "".into()),
            ("message".into(), "".into()),
            ("stack".into(), "".into()),
        ]);
        assert_eq!(decode_error(&encoded(&bare)), JsError::new("Error", ""));
        assert_eq!(decode_error(&[]), JsError::new("Error", ""));
    }
}
