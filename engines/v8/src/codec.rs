//! The tagged binary encoding of values crossing to the shim; the shim's
//! side is `shim/codec.cc`.
//!
//! `0` undefined, `1` null, `2` false, `3` true, `4` number (f64, little
//! endian), `5` string (u32 length + UTF-8), `6` bytes (u32 length + data),
//! `7` list (u32 count + items), `8` map (u32 count + (u32 length + UTF-8
//! key, value)*).

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

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Appends the encoding of `v` to `out`.
pub(crate) fn encode(v: &HostValue, out: &mut Vec<u8>) {
    match v {
        HostValue::Undefined => out.push(UNDEFINED),
        HostValue::Null => out.push(NULL),
        HostValue::Bool(false) => out.push(FALSE),
        HostValue::Bool(true) => out.push(TRUE),
        HostValue::Number(n) => {
            out.push(NUMBER);
            out.extend_from_slice(&n.to_le_bytes());
        }
        HostValue::String(s) => {
            out.push(STRING);
            put_str(out, s);
        }
        HostValue::Bytes(b) => {
            out.push(BYTES);
            put_len(out, b.len());
            out.extend_from_slice(b);
        }
        HostValue::List(items) => {
            out.push(LIST);
            put_len(out, items.len());
            for item in items {
                encode(item, out);
            }
        }
        HostValue::Map(entries) => {
            out.push(MAP);
            put_len(out, entries.len());
            for (k, item) in entries {
                put_str(out, k);
                encode(item, out);
            }
        }
    }
}

/// The encoding of `v`.
pub(crate) fn to_bytes(v: &HostValue) -> Vec<u8> {
    let mut out = Vec::new();
    encode(v, &mut out);
    out
}

/// The encoding of an error, as the shim reads it.
pub(crate) fn error_to_bytes(e: &JsError) -> Vec<u8> {
    to_bytes(&HostValue::Map(vec![
        ("name".into(), e.name.clone().into()),
        ("message".into(), e.message.clone().into()),
        ("stack".into(), e.stack.clone().unwrap_or_default().into()),
    ]))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn len(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    fn string(&mut self) -> Option<String> {
        let n = self.len()?;
        Some(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn value(&mut self) -> Option<HostValue> {
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
            LIST => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value()?);
                }
                HostValue::List(items)
            }
            MAP => {
                let n = self.len()?;
                let mut entries = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    let k = self.string()?;
                    entries.push((k, self.value()?));
                }
                HostValue::Map(entries)
            }
            _ => return None,
        })
    }
}

/// Decodes one value; `None` when the bytes are not a valid encoding.
pub(crate) fn decode(bytes: &[u8]) -> Option<HostValue> {
    Reader(bytes).value()
}

/// Decodes an encoded error map.
pub(crate) fn decode_error(bytes: &[u8]) -> JsError {
    let v = decode(bytes).unwrap_or_default();
    let field = |k: &str| {
        v.get(k)
            .and_then(HostValue::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let stack = field("stack");
    JsError {
        name: Some(field("name"))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Error".into()),
        message: field("message"),
        stack: (!stack.is_empty()).then_some(stack),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let v = HostValue::Map(vec![
            ("u".into(), HostValue::Undefined),
            ("n".into(), HostValue::Null),
            ("b".into(), HostValue::List(vec![true.into(), false.into()])),
            ("x".into(), HostValue::Number(-0.5)),
            ("s".into(), "héllo".into()),
            ("y".into(), HostValue::Bytes(vec![0, 255])),
        ]);
        assert_eq!(decode(&to_bytes(&v)), Some(v));
    }

    #[test]
    fn truncated_input_is_refused() {
        let bytes = to_bytes(&HostValue::String("abc".into()));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[42]), None);
        assert_eq!(decode(&[LIST, 255, 255, 255, 255]), None);
    }

    #[test]
    fn errors_round_trip() {
        let e = JsError {
            name: "TypeError".into(),
            message: "m".into(),
            stack: Some("at x".into()),
        };
        assert_eq!(decode_error(&error_to_bytes(&e)), e);
        assert_eq!(decode_error(&[]).name, "Error");
    }
}
