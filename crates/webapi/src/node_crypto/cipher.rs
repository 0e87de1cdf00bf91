//! `createCipheriv()` and `createDecipheriv()` for AES in CBC, CTR and GCM
//! modes, streaming as Node.js's (OpenSSL's) are: `update()` gives out what
//! it can at once (CBC whole blocks, holding back the last one when
//! decrypting with padding; CTR and GCM every byte), `final()` the rest.
//!
//! The modes are written over the AES block cipher of the `aes` crate and
//! GHASH of the `ghash` crate, because the `aes-gcm` crate's AEAD seals a
//! whole message at once.

use ::aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use ::aes::{Aes128, Aes192, Aes256, Block};
use ghash::universal_hash::UniversalHash;
use ghash::GHash;
use motu_engine::{HostValue, JsError};
use subtle::ConstantTimeEq;

use super::bytes_arg;
use crate::op_state::{handle_arg, OpState};

/// Input ciphered between two looks at the isolate's interrupt.
const SLICE: usize = 64 << 10;

/// An AES key schedule of any size.
enum Aes {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl Aes {
    fn new(key: &[u8]) -> Result<Self, JsError> {
        Ok(match key.len() {
            16 => Aes::A128(Aes128::new(key.into())),
            24 => Aes::A192(Aes192::new(key.into())),
            32 => Aes::A256(Aes256::new(key.into())),
            _ => return Err(JsError::range_error("Invalid key length")),
        })
    }

    fn encrypt(&self, block: &mut Block) {
        match self {
            Aes::A128(c) => c.encrypt_block(block),
            Aes::A192(c) => c.encrypt_block(block),
            Aes::A256(c) => c.encrypt_block(block),
        }
    }

    fn decrypt(&self, block: &mut Block) {
        match self {
            Aes::A128(c) => c.decrypt_block(block),
            Aes::A192(c) => c.decrypt_block(block),
            Aes::A256(c) => c.decrypt_block(block),
        }
    }
}

/// A counter-mode key stream: the counter block, the current block of key
/// stream and how much of it is used. `wide` counters carry over all 128
/// bits (CTR mode); others only the low 32 (GCM).
struct KeyStream {
    counter: Block,
    stream: Block,
    used: usize,
    wide: bool,
}

impl KeyStream {
    fn new(counter: Block, wide: bool) -> Self {
        Self {
            counter,
            stream: Block::default(),
            used: 16,
            wide,
        }
    }

    fn apply(&mut self, aes: &Aes, data: &mut [u8]) {
        for byte in data {
            if self.used == 16 {
                self.stream = self.counter;
                aes.encrypt(&mut self.stream);
                let width = if self.wide { 16 } else { 4 };
                for b in self.counter[16 - width..].iter_mut().rev() {
                    *b = b.wrapping_add(1);
                    if *b != 0 {
                        break;
                    }
                }
                self.used = 0;
            }
            *byte ^= self.stream[self.used];
            self.used += 1;
        }
    }
}

/// GCM's state beside its key stream.
struct Gcm {
    ghash: GHash,
    /// Ciphertext not yet a whole block for GHASH.
    partial: Vec<u8>,
    aad_len: u64,
    text_len: u64,
    /// E(K, J0), which masks the tag.
    tag_mask: Block,
    tag_len: usize,
}

impl Gcm {
    fn absorb(&mut self, text: &[u8]) {
        self.text_len += text.len() as u64;
        let mut text = text;
        if !self.partial.is_empty() {
            let take = (16 - self.partial.len()).min(text.len());
            self.partial.extend_from_slice(&text[..take]);
            text = &text[take..];
            if self.partial.len() < 16 {
                return;
            }
            self.ghash.update(&[*Block::from_slice(&self.partial)]);
            self.partial.clear();
        }
        let whole = text.len() / 16 * 16;
        for block in text[..whole].chunks_exact(16) {
            self.ghash.update(&[*Block::from_slice(block)]);
        }
        self.partial.extend_from_slice(&text[whole..]);
    }

    fn tag(mut self) -> Vec<u8> {
        self.ghash.update_padded(&self.partial);
        let mut lengths = Block::default();
        lengths[..8].copy_from_slice(&(self.aad_len * 8).to_be_bytes());
        lengths[8..].copy_from_slice(&(self.text_len * 8).to_be_bytes());
        self.ghash.update(&[lengths]);
        let mut tag = self.ghash.finalize();
        tag.iter_mut()
            .zip(self.tag_mask.iter())
            .for_each(|(t, m)| *t ^= m);
        tag[..self.tag_len].to_vec()
    }
}

enum Mode {
    Cbc { chain: Block, pending: Vec<u8> },
    Ctr(KeyStream),
    Gcm(KeyStream, Box<Gcm>),
}

/// The resource of one `Cipher` or `Decipher` object.
struct Cipher {
    aes: Aes,
    mode: Mode,
    decrypt: bool,
    padding: bool,
}

/// `node_cipher_new(mode, key, iv, decrypt, tagLength)`: `mode` is `cbc`,
/// `ctr` or `gcm`; `tagLength` (bytes) is GCM's.
pub(super) fn new(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let mode = crate::ops::str_arg(args, 0, "node_cipher_new")?;
    let key = bytes_arg(args, 1, "node_cipher_new")?;
    let iv = bytes_arg(args, 2, "node_cipher_new")?;
    let decrypt = matches!(args.get(3), Some(HostValue::Bool(true)));
    let aes = Aes::new(key)?;
    let invalid_iv = || JsError::type_error("Invalid initialization vector");
    let mode = match mode {
        "cbc" | "ctr" => {
            let iv = *Block::from_slice(&<[u8; 16]>::try_from(iv).map_err(|_| invalid_iv())?);
            if mode == "cbc" {
                Mode::Cbc {
                    chain: iv,
                    pending: Vec::new(),
                }
            } else {
                Mode::Ctr(KeyStream::new(iv, true))
            }
        }
        "gcm" => {
            if iv.is_empty() {
                return Err(invalid_iv());
            }
            let tag_len = match args.get(4).and_then(HostValue::as_f64) {
                Some(n) if [4.0, 8.0, 12.0, 13.0, 14.0, 15.0, 16.0].contains(&n) => n as usize,
                None => 16,
                Some(n) => {
                    return Err(JsError::type_error(format!(
                        "Invalid authentication tag length: {n}"
                    )))
                }
            };
            let mut h = Block::default();
            aes.encrypt(&mut h);
            let j0 = if iv.len() == 12 {
                let mut j0 = Block::default();
                j0[..12].copy_from_slice(iv);
                j0[15] = 1;
                j0
            } else {
                let mut g = GHash::new(&h);
                g.update_padded(iv);
                let mut lengths = Block::default();
                lengths[8..].copy_from_slice(&(iv.len() as u64 * 8).to_be_bytes());
                g.update(&[lengths]);
                g.finalize()
            };
            let mut tag_mask = j0;
            aes.encrypt(&mut tag_mask);
            let mut stream = KeyStream::new(j0, false);
            // The text's key stream starts at inc32(J0).
            stream.apply(&aes, &mut [0u8; 16]);
            Mode::Gcm(
                stream,
                Box::new(Gcm {
                    ghash: GHash::new(&h),
                    partial: Vec::new(),
                    aad_len: 0,
                    text_len: 0,
                    tag_mask,
                    tag_len,
                }),
            )
        }
        other => {
            return Err(JsError::type_error(format!(
                "node_cipher_new: unknown mode {other}"
            )))
        }
    };
    let cipher = Cipher {
        aes,
        mode,
        decrypt,
        padding: true,
    };
    Ok(HostValue::Number(f64::from(state.add(cipher)?)))
}

/// `node_cipher_padding(handle, padding)`: `setAutoPadding()`.
pub(super) fn padding(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_cipher_padding")?;
    state.with(handle, |c: &mut Cipher| {
        c.padding = !matches!(args.get(1), Some(HostValue::Bool(false)));
        Ok(HostValue::Undefined)
    })
}

/// `node_cipher_aad(handle, bytes)`: GCM's additional data, before any
/// text.
pub(super) fn aad(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_cipher_aad")?;
    state.with(handle, |c: &mut Cipher| {
        let data = bytes_arg(args, 1, "node_cipher_aad")?;
        match &mut c.mode {
            Mode::Gcm(_, gcm) if gcm.text_len == 0 => {
                gcm.ghash.update_padded(data);
                gcm.aad_len += data.len() as u64;
                Ok(HostValue::Undefined)
            }
            _ => Err(JsError::new("Error", "Unsupported state")),
        }
    })
}

/// CBC over `data`, whole blocks only; the rest waits in `pending`. When
/// decrypting with padding, the last whole block waits too (`final()` will
/// strip the padding from it).
fn cbc(c: &mut Cipher, data: &[u8], state: &OpState) -> Result<Vec<u8>, JsError> {
    let Mode::Cbc { chain, pending } = &mut c.mode else {
        unreachable!()
    };
    pending.extend_from_slice(data);
    let mut whole = pending.len() / 16 * 16;
    if c.decrypt && c.padding && whole == pending.len() && whole > 0 {
        whole -= 16;
    }
    let mut out: Vec<u8> = pending.drain(..whole).collect();
    for (i, block) in out.chunks_exact_mut(16).enumerate() {
        if i % (SLICE / 16) == 0 {
            state.check_interrupt()?;
        }
        let block = Block::from_mut_slice(block);
        if c.decrypt {
            let cipher_text = *block;
            c.aes.decrypt(block);
            block
                .iter_mut()
                .zip(chain.iter())
                .for_each(|(b, x)| *b ^= x);
            *chain = cipher_text;
        } else {
            block
                .iter_mut()
                .zip(chain.iter())
                .for_each(|(b, x)| *b ^= x);
            c.aes.encrypt(block);
            *chain = *block;
        }
    }
    Ok(out)
}

/// `node_cipher_update(handle, bytes) -> bytes`.
pub(super) fn update(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_cipher_update")?;
    let data = bytes_arg(args, 1, "node_cipher_update")?;
    state.with(handle, |c: &mut Cipher| {
        if matches!(c.mode, Mode::Cbc { .. }) {
            return Ok(HostValue::Bytes(cbc(c, data, state)?));
        }
        let mut out = data.to_vec();
        for slice in out.chunks_mut(SLICE) {
            state.check_interrupt()?;
            match &mut c.mode {
                Mode::Ctr(stream) => stream.apply(&c.aes, slice),
                Mode::Gcm(stream, gcm) => {
                    if c.decrypt {
                        gcm.absorb(slice);
                    }
                    stream.apply(&c.aes, slice);
                    if !c.decrypt {
                        gcm.absorb(slice);
                    }
                }
                Mode::Cbc { .. } => unreachable!(),
            }
        }
        Ok(HostValue::Bytes(out))
    })
}

fn openssl_error(code: &str, message: &str) -> JsError {
    JsError::new("Error", format!("{code}:{message}"))
}

/// `node_cipher_final(handle, tag?) -> [bytes, tag]`: the last output
/// and, for GCM encryption, the tag. GCM decryption checks `tag`. The
/// state is gone either way.
pub(super) fn finish(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_cipher_final")?;
    let mut cipher = state.with(handle, |c: &mut Cipher| {
        Ok(std::mem::replace(
            c,
            Cipher {
                aes: Aes::new(&[0; 16])?,
                mode: Mode::Ctr(KeyStream::new(Block::default(), true)),
                decrypt: false,
                padding: false,
            },
        ))
    })?;
    state.remove(handle);
    let (out, tag) = match cipher.mode {
        Mode::Ctr(_) => (Vec::new(), HostValue::Undefined),
        Mode::Gcm(_, gcm) => {
            let tag = gcm.tag();
            if cipher.decrypt {
                let expected = args.get(1).and_then(HostValue::as_bytes);
                match expected {
                    Some(t) if t.len() <= tag.len() && bool::from(t.ct_eq(&tag[..t.len()])) => {}
                    _ => {
                        return Err(JsError::new(
                            "Error",
                            "Unsupported state or unable to authenticate data",
                        ))
                    }
                }
                (Vec::new(), HostValue::Undefined)
            } else {
                (Vec::new(), HostValue::Bytes(tag))
            }
        }
        Mode::Cbc { .. } => {
            let Mode::Cbc { pending, .. } = &mut cipher.mode else {
                unreachable!()
            };
            let rest = std::mem::take(pending);
            if cipher.decrypt {
                if rest.len() % 16 != 0 || (cipher.padding && rest.is_empty()) {
                    return Err(openssl_error(
                        "ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH",
                        "wrong final block length",
                    ));
                }
                let mut out = cbc_all(&mut cipher, &rest, state)?;
                if cipher.padding {
                    let n = usize::from(*out.last().unwrap_or(&0));
                    let ok = (1..=16).contains(&n)
                        && out.len() >= n
                        && out[out.len() - n..].iter().all(|&b| usize::from(b) == n);
                    if !ok {
                        return Err(openssl_error("ERR_OSSL_BAD_DECRYPT", "bad decrypt"));
                    }
                    out.truncate(out.len() - n);
                }
                (out, HostValue::Undefined)
            } else {
                let mut rest = rest;
                if cipher.padding {
                    let n = 16 - rest.len() % 16;
                    rest.extend(std::iter::repeat_n(n as u8, n));
                } else if rest.len() % 16 != 0 {
                    return Err(openssl_error(
                        "ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH",
                        "data not multiple of block length",
                    ));
                }
                (cbc_all(&mut cipher, &rest, state)?, HostValue::Undefined)
            }
        }
    };
    Ok(HostValue::List(vec![HostValue::Bytes(out), tag]))
}

/// CBC over whole blocks `data`, none held back.
fn cbc_all(c: &mut Cipher, data: &[u8], state: &OpState) -> Result<Vec<u8>, JsError> {
    let padding = c.padding;
    c.padding = false;
    let out = cbc(c, data, state);
    c.padding = padding;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::{Aead, Payload};

    fn run(state: &OpState, args: Vec<HostValue>, chunks: &[&[u8]]) -> (Vec<u8>, HostValue) {
        let h = new(state, &args).unwrap();
        let mut out = Vec::new();
        for chunk in chunks {
            let part = update(state, &[h.clone(), chunk.to_vec().into()]).unwrap();
            out.extend_from_slice(part.as_bytes().unwrap());
        }
        let HostValue::List(last) = finish(state, &[h]).unwrap() else {
            panic!()
        };
        out.extend_from_slice(last[0].as_bytes().unwrap());
        (out, last[1].clone())
    }

    #[test]
    fn gcm_matches_the_aead_crate_in_pieces() {
        let state = OpState::new();
        let key = [7u8; 32];
        let nonce = [9u8; 12];
        let text: Vec<u8> = (0..100u8).collect();
        let aad = b"header";
        let h = new(
            &state,
            &["gcm".into(), key.to_vec().into(), nonce.to_vec().into()],
        )
        .unwrap();
        aad_call(&state, &h, aad);
        let mut out = Vec::new();
        for chunk in text.chunks(7) {
            let part = update(&state, &[h.clone(), chunk.to_vec().into()]).unwrap();
            out.extend_from_slice(part.as_bytes().unwrap());
        }
        let HostValue::List(last) = finish(&state, &[h]).unwrap() else {
            panic!()
        };
        out.extend_from_slice(last[1].as_bytes().unwrap());
        let sealed = aes_gcm::Aes256Gcm::new(&key.into())
            .encrypt(&nonce.into(), Payload { msg: &text, aad })
            .unwrap();
        assert_eq!(out, sealed);
    }

    fn aad_call(state: &OpState, h: &HostValue, aad: &[u8]) {
        super::aad(state, &[h.clone(), aad.to_vec().into()]).unwrap();
    }

    #[test]
    fn cbc_round_trip_holds_back_the_padded_block() {
        let state = OpState::new();
        let args = |decrypt: bool| {
            vec![
                "cbc".into(),
                vec![1u8; 16].into(),
                vec![2u8; 16].into(),
                decrypt.into(),
            ]
        };
        let text = b"exactly sixteen!and more";
        let (sealed, _) = run(&state, args(false), &[&text[..5], &text[5..]]);
        assert_eq!(sealed.len(), 32);
        let h = new(&state, &args(true)).unwrap();
        let first = update(&state, &[h.clone(), sealed.clone().into()]).unwrap();
        assert_eq!(first.as_bytes().unwrap(), &text[..16]);
        let HostValue::List(last) = finish(&state, &[h]).unwrap() else {
            panic!()
        };
        assert_eq!(last[0].as_bytes().unwrap(), &text[16..]);
        let mut bad = sealed;
        bad[15] ^= 1; // flips the last byte of the padding
        let h = new(&state, &args(true)).unwrap();
        update(&state, &[h.clone(), bad.into()]).unwrap();
        assert!(finish(&state, &[h])
            .unwrap_err()
            .message
            .contains("bad decrypt"));
    }
}
