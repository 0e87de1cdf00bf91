//! Helpers the crypto tests share.

use motu_engine::HostValue;

/// Bytes from a hex string.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// An algorithm dictionary, as the prelude passes it.
pub(crate) fn map(entries: &[(&str, HostValue)]) -> HostValue {
    HostValue::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}
