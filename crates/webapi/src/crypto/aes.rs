//! AES-GCM, AES-CBC and AES-CTR encryption and decryption and AES-KW key
//! wrapping, with the parameter checks of the Web Crypto specification.

use ::aes::cipher::{
    block_padding::Pkcs7, BlockCipher, BlockDecrypt, BlockDecryptMut, BlockEncrypt,
    BlockEncryptMut, BlockSizeUser, KeyInit, KeyIvInit, StreamCipher,
};
use ::aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::{U12, U16, U32, U64};
use aes_gcm::aead::generic_array::{ArrayLength, GenericArray};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::AesGcm;
use motu_engine::{HostValue, JsError};
use subtle::ConstantTimeEq;

use super::{bytes_param, not_supported, operation_error, opt_bytes_param, uint_param};

/// Runs `$body` with `$c` bound to the AES type for a key of `$len` bytes.
macro_rules! with_aes {
    ($len:expr, $c:ident => $body:expr) => {
        match $len {
            16 => {
                type $c = Aes128;
                $body
            }
            24 => {
                type $c = Aes192;
                $body
            }
            32 => {
                type $c = Aes256;
                $body
            }
            _ => Err(operation_error("AES keys are 128, 192 or 256 bits long")),
        }
    };
}

/// Encrypts (or decrypts) `data` with the AES mode `alg` under `key`.
pub(crate) fn crypt(
    alg: &str,
    params: &HostValue,
    key: &[u8],
    data: &[u8],
    encrypt: bool,
) -> Result<Vec<u8>, JsError> {
    match alg {
        "AES-GCM" => gcm_checked(params, key, data, encrypt),
        "AES-KW" => key_wrap(key, data, encrypt),
        "AES-CBC" => {
            let iv = bytes_param(params, "iv")?;
            if iv.len() != 16 {
                return Err(operation_error("AES-CBC: iv must be 16 bytes long"));
            }
            with_aes!(key.len(), C => cbc::<C>(key, iv, data, encrypt))
        }
        _ => {
            let counter = bytes_param(params, "counter")?;
            let length = uint_param(params, "length")?;
            if counter.len() != 16 {
                return Err(operation_error("AES-CTR: counter must be 16 bytes long"));
            }
            if length == 0 || length > 128 {
                return Err(operation_error("AES-CTR: length must be between 1 and 128"));
            }
            with_aes!(key.len(), C => ctr::<C>(key, counter, length as u32, data))
        }
    }
}

fn gcm_checked(
    params: &HostValue,
    key: &[u8],
    data: &[u8],
    encrypt: bool,
) -> Result<Vec<u8>, JsError> {
    let iv = bytes_param(params, "iv")?;
    let aad = opt_bytes_param(params, "additionalData")?.unwrap_or(&[]);
    let tag_bits = match params.get("tagLength") {
        None | Some(HostValue::Undefined) => 128,
        Some(_) => uint_param(params, "tagLength")?,
    };
    if ![32, 64, 96, 104, 112, 120, 128].contains(&tag_bits) {
        return Err(operation_error(format!(
            "AES-GCM: {tag_bits} is not a valid tag length"
        )));
    }
    if !encrypt && data.len() < (tag_bits / 8) as usize {
        return Err(operation_error("AES-GCM: the data is shorter than the tag"));
    }
    if iv.is_empty() {
        return Err(operation_error("AES-GCM: the iv must not be empty"));
    }
    let tag_len = (tag_bits / 8) as usize;
    with_aes!(key.len(), C => match iv.len() {
        12 => gcm::<C, U12>(key, iv, aad, data, encrypt, tag_len),
        16 => gcm::<C, U16>(key, iv, aad, data, encrypt, tag_len),
        32 => gcm::<C, U32>(key, iv, aad, data, encrypt, tag_len),
        64 => gcm::<C, U64>(key, iv, aad, data, encrypt, tag_len),
        n => Err(not_supported(format!(
            "AES-GCM: an iv of {n} bytes is not supported (use 12, 16, 32 or 64)"
        ))),
    })
}

/// AES-GCM with a nonce of `N` bytes and a tag of `tag_len` bytes. The
/// crate computes the full 16-byte tag; shorter tags are its leading bytes
/// (NIST SP 800-38D, MSB_t). Decrypting with a full tag is the crate's own
/// check; with a shorter one, the GCM keystream applied to the ciphertext
/// gives the plaintext, and encrypting that plaintext again gives the full
/// tag of the ciphertext, compared in constant time.
fn gcm<C, N>(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    data: &[u8],
    encrypt: bool,
    tag_len: usize,
) -> Result<Vec<u8>, JsError>
where
    C: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit,
    N: ArrayLength<u8>,
{
    let cipher = <AesGcm<C, N> as KeyInit>::new_from_slice(key)
        .map_err(|_| operation_error("AES-GCM: invalid key length"))?;
    let nonce = GenericArray::from_slice(iv);
    let failed = || operation_error("The operation failed for an operation-specific reason");
    if encrypt {
        let mut out = data.to_vec();
        let tag = cipher
            .encrypt_in_place_detached(nonce, aad, &mut out)
            .map_err(|_| operation_error("AES-GCM: encryption failed"))?;
        out.extend_from_slice(&tag[..tag_len]);
        return Ok(out);
    }
    let (ciphertext, tag) = data.split_at(data.len() - tag_len);
    let mut plain = ciphertext.to_vec();
    if tag_len == 16 {
        cipher
            .decrypt_in_place_detached(nonce, aad, &mut plain, GenericArray::from_slice(tag))
            .map_err(|_| failed())?;
        return Ok(plain);
    }
    cipher
        .encrypt_in_place_detached(nonce, &[], &mut plain)
        .map_err(|_| failed())?;
    let mut again = plain.clone();
    let full = cipher
        .encrypt_in_place_detached(nonce, aad, &mut again)
        .map_err(|_| failed())?;
    if bool::from(full[..tag_len].ct_eq(tag)) {
        Ok(plain)
    } else {
        Err(failed())
    }
}

/// AES Key Wrap (RFC 3394) of `data` under `key`, or the unwrapping of it.
fn key_wrap(key: &[u8], data: &[u8], wrap: bool) -> Result<Vec<u8>, JsError> {
    if !data.len().is_multiple_of(8) || data.len() < if wrap { 16 } else { 24 } {
        return Err(operation_error(if wrap {
            "AES-KW: the data to wrap must be a multiple of 8 bytes, at least 16"
        } else {
            "AES-KW: the wrapped data must be a multiple of 8 bytes, at least 24"
        }));
    }
    let failed = |_| operation_error("AES-KW: the wrapped key failed its integrity check");
    with_aes!(key.len(), C => {
        let kek = aes_kw::Kek::<C>::try_from(key)
            .map_err(|_| operation_error("AES-KW: invalid key length"))?;
        if wrap {
            kek.wrap_vec(data).map_err(|_| operation_error("AES-KW: wrapping failed"))
        } else {
            kek.unwrap_vec(data).map_err(failed)
        }
    })
}

fn cbc<C>(key: &[u8], iv: &[u8], data: &[u8], encrypt: bool) -> Result<Vec<u8>, JsError>
where
    C: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + BlockDecrypt + KeyInit,
{
    let bad_key = |_| operation_error("AES-CBC: invalid key or iv length");
    if encrypt {
        let cipher = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(bad_key)?;
        Ok(cipher.encrypt_padded_vec_mut::<Pkcs7>(data))
    } else {
        let cipher = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(bad_key)?;
        cipher
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(|_| operation_error("AES-CBC: bad padding or data length"))
    }
}

/// CTR mode where only the rightmost `length` bits of the counter block
/// count; they wrap around without carrying into the rest. The keystream is
/// the `ctr` crate's, restarted at the wrap.
fn ctr<C>(key: &[u8], counter: &[u8], length: u32, data: &[u8]) -> Result<Vec<u8>, JsError>
where
    C: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit,
{
    let mut block = [0u8; 16];
    block.copy_from_slice(counter);
    let start = u128::from_be_bytes(block);
    let mask = if length == 128 {
        u128::MAX
    } else {
        (1u128 << length) - 1
    };
    let blocks = data.len().div_ceil(16) as u128;
    if length < 128 && blocks > mask + 1 {
        return Err(operation_error(
            "AES-CTR: the data is too long for the counter length",
        ));
    }
    // Blocks until the counter bits wrap (saturating: with 128 bits the
    // crate's own 128-bit counter wraps the same way).
    let before_wrap = (mask - (start & mask)).saturating_add(1);
    let mut out = data.to_vec();
    let first = if length == 128 || blocks <= before_wrap {
        out.len()
    } else {
        before_wrap as usize * 16
    };
    let (head, tail) = out.split_at_mut(first);
    let bad_key = |_| operation_error("AES-CTR: invalid key length");
    ctr::Ctr128BE::<C>::new_from_slices(key, &block)
        .map_err(bad_key)?
        .apply_keystream(head);
    if !tail.is_empty() {
        let wrapped = (start & !mask).to_be_bytes();
        ctr::Ctr128BE::<C>::new_from_slices(key, &wrapped)
            .map_err(bad_key)?
            .apply_keystream(tail);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::{map as params, unhex};

    #[test]
    fn gcm_nist_test_case_2() {
        // GCM spec test case 2: zero key, zero iv, one zero block.
        let p = params(&[("iv", vec![0u8; 12].into())]);
        let out = crypt("AES-GCM", &p, &[0; 16], &[0; 16], true).unwrap();
        assert_eq!(
            out,
            unhex("0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf")
        );
        assert_eq!(
            crypt("AES-GCM", &p, &[0; 16], &out, false).unwrap(),
            [0; 16]
        );
        let mut bad = out.clone();
        bad[0] ^= 1;
        assert_eq!(
            crypt("AES-GCM", &p, &[0; 16], &bad, false)
                .unwrap_err()
                .name,
            "OperationError"
        );
    }

    #[test]
    fn ctr_counter_bits_wrap_without_carry() {
        let key = [7u8; 16];
        let mut counter = [0u8; 16];
        counter[15] = 0xff; // one block before an 8-bit counter wraps
        let p = params(&[("counter", counter.to_vec().into()), ("length", 8.0.into())]);
        let out = crypt("AES-CTR", &p, &key, &[0; 32], true).unwrap();
        // The second block uses counter ...00, not ...0100.
        let zero = params(&[("counter", vec![0u8; 16].into()), ("length", 8.0.into())]);
        let second = crypt("AES-CTR", &zero, &key, &[0; 16], true).unwrap();
        assert_eq!(&out[16..], &second[..]);
        let small = params(&[("counter", vec![0u8; 16].into()), ("length", 1.0.into())]);
        assert_eq!(
            crypt("AES-CTR", &small, &key, &[0; 48], true)
                .unwrap_err()
                .name,
            "OperationError"
        );
    }

    #[test]
    fn cbc_round_trip_and_bad_padding() {
        let p = params(&[("iv", vec![1u8; 16].into())]);
        let out = crypt("AES-CBC", &p, &[2; 32], b"hello", true).unwrap();
        assert_eq!(out.len(), 16);
        assert_eq!(
            crypt("AES-CBC", &p, &[2; 32], &out, false).unwrap(),
            b"hello"
        );
        assert_eq!(
            crypt("AES-CBC", &p, &[2; 32], &out[..15], false)
                .unwrap_err()
                .name,
            "OperationError"
        );
    }

    #[test]
    fn key_wrap_rfc_3394_4_1() {
        let kek = unhex("000102030405060708090a0b0c0d0e0f");
        let key = unhex("00112233445566778899aabbccddeeff");
        let wrapped = unhex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
        let none = params(&[]);
        assert_eq!(crypt("AES-KW", &none, &kek, &key, true).unwrap(), wrapped);
        assert_eq!(crypt("AES-KW", &none, &kek, &wrapped, false).unwrap(), key);
        let mut bad = wrapped.clone();
        bad[3] ^= 1;
        assert_eq!(
            crypt("AES-KW", &none, &kek, &bad, false).unwrap_err().name,
            "OperationError"
        );
        assert_eq!(
            crypt("AES-KW", &none, &kek, &key[..12], true)
                .unwrap_err()
                .name,
            "OperationError"
        );
    }

    #[test]
    fn gcm_short_tags_are_the_leading_bytes_of_the_full_tag() {
        let key = [3u8; 16];
        let full = params(&[
            ("iv", vec![5u8; 32].into()),
            ("additionalData", vec![1u8, 2].into()),
        ]);
        let out = crypt("AES-GCM", &full, &key, b"some text", true).unwrap();
        for bits in [32.0, 64.0, 96.0, 120.0] {
            let p = params(&[
                ("iv", vec![5u8; 32].into()),
                ("additionalData", vec![1u8, 2].into()),
                ("tagLength", bits.into()),
            ]);
            let short = crypt("AES-GCM", &p, &key, b"some text", true).unwrap();
            assert_eq!(short[..], out[..9 + bits as usize / 8]);
            assert_eq!(
                crypt("AES-GCM", &p, &key, &short, false).unwrap(),
                b"some text"
            );
            let mut bad = short.clone();
            bad[10] ^= 0x80;
            assert_eq!(
                crypt("AES-GCM", &p, &key, &bad, false).unwrap_err().name,
                "OperationError"
            );
        }
    }
}
