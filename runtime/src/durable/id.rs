//! Durable Object ids: 64 hex digits, 32 bytes. The first 16 bytes name the
//! object (a hash of the name for `idFromName`, random for
//! `newUniqueId`); the last 16 are a tag that binds it to its namespace, so
//! `idFromString` can tell an id of this namespace from a made-up one or one
//! of another namespace. Everything is derived from the namespace's key
//! (see [`namespace_key`]), so the same name gives the same id across
//! restarts and across the nodes of a cluster.

use sha2::{Digest, Sha256};

/// The key of the namespace of class `class` exported by Worker `worker`
/// (the class's original name, before any rename): 32 hex digits, which
/// also name its folder in the state folder.
pub fn namespace_key(worker: &str, class: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"motu durable namespace\0")
        .chain_update(worker.as_bytes())
        .chain_update(b"\0")
        .chain_update(class.as_bytes())
        .finalize();
    hex(&digest[..16])
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The value of the hex digit `d` (checked to be one).
fn nibble(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        _ => (d | 0x20) - b'a' + 10,
    }
}

/// The tag of an id's first half in `namespace`.
fn tag(namespace: &str, head: &[u8]) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update(b"motu durable id\0")
        .chain_update(namespace.as_bytes())
        .chain_update(b"\0")
        .chain_update(head)
        .finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

fn with_tag(namespace: &str, head: [u8; 16]) -> String {
    let mut id = hex(&head);
    id.push_str(&hex(&tag(namespace, &head)));
    id
}

/// The id `idFromName(name)` gives in `namespace`.
pub fn from_name(namespace: &str, name: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"motu durable name\0")
        .chain_update(namespace.as_bytes())
        .chain_update(b"\0")
        .chain_update(name.as_bytes())
        .finalize();
    let mut head = [0; 16];
    head.copy_from_slice(&digest[..16]);
    with_tag(namespace, head)
}

/// A new random id in `namespace` (`newUniqueId()`).
pub fn unique(namespace: &str) -> String {
    let mut head = [0u8; 16];
    getrandom::getrandom(&mut head).expect("the system's random source");
    // Random ids are told from named ones by their first bit, as
    // Cloudflare's are by a marker of their own.
    head[0] |= 0x80;
    with_tag(namespace, head)
}

/// Checks `id` (`idFromString(id)`): Cloudflare's error message when it is
/// not an id of `namespace`.
pub fn check(namespace: &str, id: &str) -> Result<(), &'static str> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("Invalid Durable Object ID: must be 64 hex digits");
    }
    let digits = id.as_bytes();
    let mut head = [0u8; 16];
    for (i, byte) in head.iter_mut().enumerate() {
        *byte = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
    }
    let tag = tag(namespace, &head);
    let matches = tag
        .iter()
        .enumerate()
        .all(|(i, b)| nibble(digits[32 + 2 * i]) == b >> 4 && nibble(digits[33 + 2 * i]) == b & 15);
    if !matches {
        return Err("Invalid Durable Object ID. The ID does not match this Durable Object class.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_the_same_id_and_ids_are_checked() {
        let ns = namespace_key("w", "Counter");
        assert_eq!(ns.len(), 32);
        let a = from_name(&ns, "a");
        assert_eq!(a, from_name(&ns, "a"));
        assert_ne!(a, from_name(&ns, "b"));
        assert_eq!(a.len(), 64);
        check(&ns, &a).unwrap();
        check(&ns, &a.to_ascii_uppercase()).unwrap();
        let u = unique(&ns);
        assert_ne!(u, unique(&ns));
        check(&ns, &u).unwrap();
        let other = namespace_key("w", "Other");
        assert!(check(&other, &a).unwrap_err().contains("does not match"));
        assert!(check(&ns, "xyz").unwrap_err().contains("64 hex"));
        let mut forged = a.clone();
        forged.replace_range(0..1, if &a[..1] == "0" { "1" } else { "0" });
        assert!(check(&ns, &forged).is_err());
        // A tag digit changed (in either case) is caught too.
        let mut forged = a.to_ascii_uppercase();
        forged.replace_range(63..64, if &a[63..] == "a" { "B" } else { "A" });
        assert!(check(&ns, &forged).is_err());
        assert_eq!(hex(&[0x0a, 0xff, 0x90]), "0aff90");
    }
}
