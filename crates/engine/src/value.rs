//! Plain data that crosses the engine boundary.

/// A value passed between JavaScript and Rust.
///
/// Conversion from JavaScript: `undefined`, `null`, booleans, numbers and
/// strings map one to one; an `ArrayBuffer` or any `ArrayBuffer` view (typed
/// array, `DataView`) becomes [`HostValue::Bytes`] (a copy of the viewed bytes);
/// an array becomes a [`HostValue::List`]; any other object becomes a
/// [`HostValue::Map`] of its own enumerable string-keyed properties, in order.
/// Functions and symbols become `Undefined`; a bigint becomes its decimal
/// string. Structures nested deeper than 64 levels, cyclic ones included, are
/// cut off there: what lies below becomes `Undefined`.
///
/// Conversion to JavaScript: `Bytes` becomes a fresh `Uint8Array` (over a
/// buffer of its own: an engine may adopt a large vector as the buffer's
/// memory rather than copy it, counted against the memory limit), `Chunks`
/// one fresh `Uint8Array` of its chunks one after the other, `List` an
/// array, `Map` a plain object. Conversion from JavaScript never makes
/// `Chunks`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum HostValue {
    /// `undefined`.
    #[default]
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// Bytes (`Uint8Array` towards JavaScript).
    Bytes(Vec<u8>),
    /// Bytes in pieces, as the host read them: towards JavaScript one
    /// `Uint8Array` of their concatenation, which the engine fills straight
    /// from the pieces (no joined copy is made first).
    Chunks(Vec<bytes::Bytes>),
    /// An array.
    List(Vec<HostValue>),
    /// A plain object, keys in insertion order.
    Map(Vec<(String, HostValue)>),
}

impl HostValue {
    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            HostValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number inside, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            HostValue::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The bytes inside, if these are bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            HostValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The items inside, if this is a list.
    pub fn as_list(&self) -> Option<&[HostValue]> {
        match self {
            HostValue::List(l) => Some(l),
            _ => None,
        }
    }

    /// The value under `key`, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&HostValue> {
        match self {
            HostValue::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Takes the value under `key` out of a map, leaving `Undefined`.
    pub fn take(&mut self, key: &str) -> Option<HostValue> {
        match self {
            HostValue::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k == key)
                .map(|(_, v)| std::mem::take(v)),
            _ => None,
        }
    }
}

impl From<&str> for HostValue {
    fn from(s: &str) -> Self {
        HostValue::String(s.to_owned())
    }
}

impl From<String> for HostValue {
    fn from(s: String) -> Self {
        HostValue::String(s)
    }
}

impl From<f64> for HostValue {
    fn from(n: f64) -> Self {
        HostValue::Number(n)
    }
}

impl From<bool> for HostValue {
    fn from(b: bool) -> Self {
        HostValue::Bool(b)
    }
}

impl From<Vec<u8>> for HostValue {
    fn from(b: Vec<u8>) -> Self {
        HostValue::Bytes(b)
    }
}
