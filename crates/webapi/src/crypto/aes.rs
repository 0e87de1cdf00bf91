//! AES-GCM, AES-CBC and AES-CTR encryption and decryption, with the
//! parameter checks of the Web Crypto specification.

use ::aes::cipher::{
    block_padding::Pkcs7, BlockCipher, BlockDecrypt, BlockDecryptMut, BlockEncrypt,
    BlockEncryptMut, BlockSizeUser, KeyInit, KeyIvInit, StreamCipher,
};
use ::aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
use aes_gcm::aead::generic_array::{ArrayLength, GenericArray};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::AesGcm;
use motu_engine::{HostValue, JsError};

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
    /// Picks the tag size type for a nonce size type.
    macro_rules! tag {
        ($c:ty, $n:ty) => {
            match tag_bits {
                96 => gcm::<$c, $n, U12>(key, iv, aad, data, encrypt),
                104 => gcm::<$c, $n, U13>(key, iv, aad, data, encrypt),
                112 => gcm::<$c, $n, U14>(key, iv, aad, data, encrypt),
                120 => gcm::<$c, $n, U15>(key, iv, aad, data, encrypt),
                128 => gcm::<$c, $n, U16>(key, iv, aad, data, encrypt),
                _ => Err(not_supported(format!(
                    "AES-GCM: tag length {tag_bits} is not supported"
                ))),
            }
        };
    }
    with_aes!(key.len(), C => match iv.len() {
        12 => tag!(C, U12),
        16 => tag!(C, U16),
        n => Err(not_supported(format!(
            "AES-GCM: an iv of {n} bytes is not supported (use 12 or 16)"
        ))),
    })
}

fn gcm<C, N, T>(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    data: &[u8],
    encrypt: bool,
) -> Result<Vec<u8>, JsError>
where
    C: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit,
    N: ArrayLength<u8>,
    T: aes_gcm::TagSize,
{
    let cipher = <AesGcm<C, N, T> as KeyInit>::new_from_slice(key)
        .map_err(|_| operation_error("AES-GCM: invalid key length"))?;
    let nonce = GenericArray::from_slice(iv);
    let payload = Payload { msg: data, aad };
    if encrypt {
        cipher
            .encrypt(nonce, payload)
            .map_err(|_| operation_error("AES-GCM: encryption failed"))
    } else {
        cipher
            .decrypt(nonce, payload)
            .map_err(|_| operation_error("The operation failed for an operation-specific reason"))
    }
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
}
