//! `createHash()` and `createHmac()`: a hash or HMAC state kept between
//! `update()` calls, copied by `hash.copy()`, taken by `digest()`.

use ::hmac::{Hmac, Mac};
use motu_engine::{HostValue, JsError};
use sha2::digest::{FixedOutput, Update};

use super::{bytes_arg, with_node_hash, NodeHash};
use crate::op_state::{handle_arg, OpState};

/// Input hashed between two looks at the isolate's interrupt.
const SLICE: usize = 64 << 10;

/// A running hash or HMAC of any digest.
trait Running {
    fn feed(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
    fn boxed_clone(&self) -> Box<dyn Running>;
}

impl<T: Update + FixedOutput + Clone + 'static> Running for T {
    fn feed(&mut self, data: &[u8]) {
        Update::update(self, data);
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        (*self).finalize_fixed().to_vec()
    }

    fn boxed_clone(&self) -> Box<dyn Running> {
        Box::new(self.clone())
    }
}

/// The resource of one `Hash` or `Hmac` object.
struct HashState(Box<dyn Running>);

/// `node_hash_new(digest, key?) -> handle | null`: a hash, or with `key`
/// an HMAC; `null` when the digest is not one Node.js has here.
pub(super) fn new(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let name = crate::ops::str_arg(args, 0, "node_hash_new")?;
    let Some(hash) = NodeHash::parse(name) else {
        return Ok(HostValue::Null);
    };
    let running: Box<dyn Running> = match args.get(1).and_then(HostValue::as_bytes) {
        Some(key) => with_node_hash!(hash, D => Box::new(
            <Hmac<D> as Mac>::new_from_slice(key).map_err(|e| JsError::type_error(e.to_string()))?
        )),
        None => with_node_hash!(hash, D => Box::new(<D as sha2::Digest>::new())),
    };
    Ok(HostValue::Number(f64::from(state.add(HashState(running))?)))
}

/// `node_hash_update(handle, bytes)`.
pub(super) fn update(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_hash_update")?;
    let data = bytes_arg(args, 1, "node_hash_update")?;
    state.with(handle, |h: &mut HashState| {
        for slice in data.chunks(SLICE) {
            state.check_interrupt()?;
            h.0.feed(slice);
        }
        Ok(HostValue::Undefined)
    })
}

/// `node_hash_copy(handle) -> handle`: a new state where this one is.
pub(super) fn copy(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_hash_copy")?;
    let copy = state.with(handle, |h: &mut HashState| Ok(HashState(h.0.boxed_clone())))?;
    Ok(HostValue::Number(f64::from(state.add(copy)?)))
}

/// `node_hash_digest(handle) -> bytes`: the hash; the state is gone.
pub(super) fn digest(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "node_hash_digest")?;
    let running = state.with(handle, |h: &mut HashState| {
        Ok(std::mem::replace(&mut h.0, Box::new(md5::Md5::default())))
    })?;
    state.remove(handle);
    Ok(HostValue::Bytes(running.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(v: HostValue) -> String {
        v.as_bytes()
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn streaming_copy_and_hmac() {
        let state = OpState::new();
        let h = new(&state, &["md5".into()]).unwrap();
        update(&state, &[h.clone(), b"a".to_vec().into()]).unwrap();
        let c = copy(&state, std::slice::from_ref(&h)).unwrap();
        update(&state, &[h.clone(), b"bc".to_vec().into()]).unwrap();
        assert_eq!(
            hex(digest(&state, std::slice::from_ref(&h)).unwrap()),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(digest(&state, &[c]).unwrap()),
            "0cc175b9c0f1b6a831c399e269772661"
        );
        assert!(digest(&state, &[h]).is_err());
        let m = new(&state, &["sha256".into(), b"Jefe".to_vec().into()]).unwrap();
        update(
            &state,
            &[m.clone(), b"what do ya want for nothing?".to_vec().into()],
        )
        .unwrap();
        assert_eq!(
            hex(digest(&state, &[m]).unwrap()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(new(&state, &["md4".into()]).unwrap(), HostValue::Null);
        assert!(state.is_empty());
    }
}
