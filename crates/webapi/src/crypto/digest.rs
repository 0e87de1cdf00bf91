//! SHA-1 and the SHA-2 family: `crypto.subtle.digest`, and the hash choice
//! every other algorithm takes.

use motu_engine::{HostValue, JsError};
use sha2::Digest;

use super::{bytes_arg, not_supported, str_arg};
use crate::work::Cancel;

/// Long inputs are hashed in pieces of this size, with a look at the
/// [`Cancel`] flag before each.
pub(crate) const CHUNK: usize = 256 * 1024;

/// Feeds `data` to `update` in [`CHUNK`]s, stopping once `cancel` is set.
pub(crate) fn feed(
    data: &[u8],
    cancel: &Cancel,
    mut update: impl FnMut(&[u8]),
) -> Result<(), JsError> {
    for chunk in data.chunks(CHUNK) {
        cancel.check()?;
        update(chunk);
    }
    Ok(())
}

/// A hash function of Web Crypto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Runs `$body` with `$d` bound to the digest type of the [`Hash`] `$hash`.
macro_rules! with_hash {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            $crate::crypto::Hash::Sha1 => {
                type $d = sha1::Sha1;
                $body
            }
            $crate::crypto::Hash::Sha256 => {
                type $d = sha2::Sha256;
                $body
            }
            $crate::crypto::Hash::Sha384 => {
                type $d = sha2::Sha384;
                $body
            }
            $crate::crypto::Hash::Sha512 => {
                type $d = sha2::Sha512;
                $body
            }
        }
    };
}
pub(crate) use with_hash;

impl Hash {
    /// The hash of the normalised name `name` (`SHA-256`, …), or a
    /// `NotSupportedError`.
    pub(crate) fn parse(name: &str) -> Result<Self, JsError> {
        match name {
            "SHA-1" => Ok(Hash::Sha1),
            "SHA-256" => Ok(Hash::Sha256),
            "SHA-384" => Ok(Hash::Sha384),
            "SHA-512" => Ok(Hash::Sha512),
            other => Err(not_supported(format!("Unrecognized hash: {other}"))),
        }
    }

    /// The hash of `data`, hashed in pieces; an error once `cancel` is set.
    pub(crate) fn digest_checked(self, data: &[u8], cancel: &Cancel) -> Result<Vec<u8>, JsError> {
        with_hash!(self, D => {
            let mut hasher = D::new();
            feed(data, cancel, |chunk| hasher.update(chunk))?;
            Ok(hasher.finalize().to_vec())
        })
    }

    /// The hash of `data`.
    #[cfg(test)]
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        with_hash!(self, D => D::digest(data).to_vec())
    }
}

/// `crypto_digest(hash, data) -> bytes`.
pub(crate) fn digest(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let hash = Hash::parse(str_arg(args, 0)?)?;
    Ok(HostValue::Bytes(
        hash.digest_checked(bytes_arg(args, 1)?, cancel)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            hex(&Hash::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&Hash::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Hash::Sha384.digest(b"").len(), 48);
        assert_eq!(Hash::Sha512.digest(b"").len(), 64);
        assert_eq!(
            digest(&["MD5".into(), vec![].into()], &Cancel::new())
                .unwrap_err()
                .name,
            "NotSupportedError"
        );
    }

    #[test]
    fn long_input_in_pieces_and_cancelled() {
        let data: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let cancel = Cancel::new();
        for hash in [Hash::Sha1, Hash::Sha256, Hash::Sha384, Hash::Sha512] {
            assert_eq!(
                hash.digest_checked(&data, &cancel).unwrap(),
                hash.digest(&data)
            );
        }
        cancel.cancel();
        assert_eq!(
            Hash::Sha256
                .digest_checked(&data, &cancel)
                .unwrap_err()
                .name,
            "AbortError"
        );
    }
}
