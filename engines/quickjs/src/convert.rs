//! `HostValue` ⇄ QuickJS values, as `HostValue`'s documentation specifies.
//!
//! The conversion from JavaScript looks at a value's tag and class directly
//! (no global lookups, no calls into JavaScript except property getters and
//! a proxy's traps), so Worker code cannot change how its values cross.

use std::rc::Rc;

use motu_engine::HostValue;
use rquickjs::{qjs, Array, Ctx, Error, Object, Result, Value};

use crate::memory::MemoryState;
use crate::strings::{atom_to_string, to_string};

/// Byte strings from this size on become their `Uint8Array`'s memory as
/// they are (the buffer is adopted) instead of being copied: copying a
/// large body into fresh memory, page by page, was most of what reading it
/// cost the Worker.
const ADOPT_MIN: usize = 64 << 10;

/// How far above the memory in use the collection mark goes at least after
/// an adoption collected garbage.
const ADOPTED_GROWTH: usize = 8 << 20;

/// Structures nested deeper than this (cyclic ones included) are cut off.
const MAX_DEPTH: usize = 64;

/// Converts a JavaScript value to a host value.
pub(crate) fn to_host<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> Result<HostValue> {
    convert(ctx, v, 0)
}

fn convert<'js>(ctx: &Ctx<'js>, v: &Value<'js>, depth: usize) -> Result<HostValue> {
    if depth > MAX_DEPTH {
        return Ok(HostValue::Undefined);
    }
    let raw = v.as_raw();
    // SAFETY: `raw` is a live value of `ctx`; these only read its tag.
    let tag = unsafe { qjs::JS_VALUE_GET_NORM_TAG(raw) };
    Ok(match tag {
        qjs::JS_TAG_NULL => HostValue::Null,
        qjs::JS_TAG_BOOL => HostValue::Bool(v.as_bool().unwrap_or(false)),
        qjs::JS_TAG_INT => HostValue::Number(f64::from(v.as_int().unwrap_or(0))),
        qjs::JS_TAG_FLOAT64 => HostValue::Number(v.as_float().unwrap_or(f64::NAN)),
        qjs::JS_TAG_STRING | qjs::JS_TAG_STRING_ROPE => HostValue::String(to_string(ctx, v)?),
        qjs::JS_TAG_BIG_INT | qjs::JS_TAG_SHORT_BIG_INT => HostValue::String(to_string(ctx, v)?),
        qjs::JS_TAG_OBJECT => object(ctx, v, depth)?,
        _ => HostValue::Undefined,
    })
}

/// What kind of object a value is, as far as conversion cares.
enum Class {
    Array,
    Function,
    TypedArray,
    ArrayBuffer,
    DataView,
    Other,
}

fn object<'js>(ctx: &Ctx<'js>, v: &Value<'js>, depth: usize) -> Result<HostValue> {
    let raw = v.as_raw();
    // SAFETY: `raw` is a live object of `ctx`; these only read its class.
    let class = unsafe {
        if qjs::JS_IsArray(raw) {
            Class::Array
        } else if qjs::JS_IsFunction(ctx.as_raw().as_ptr(), raw) {
            Class::Function
        } else if qjs::JS_GetTypedArrayType(raw) >= 0 {
            Class::TypedArray
        } else if qjs::JS_IsArrayBuffer(raw) {
            Class::ArrayBuffer
        } else if qjs::JS_IsDataView(raw) {
            Class::DataView
        } else {
            Class::Other
        }
    };
    Ok(match class {
        Class::Array => {
            let array = v.as_array().expect("an array");
            let mut items = Vec::with_capacity(array.len());
            for item in array.iter::<Value>() {
                items.push(convert(ctx, &item?, depth + 1)?);
            }
            HostValue::List(items)
        }
        Class::Function => HostValue::Undefined,
        Class::TypedArray => HostValue::Bytes(typed_array_bytes(ctx, v)),
        Class::ArrayBuffer => HostValue::Bytes(buffer_bytes(ctx, v, 0, None)),
        Class::DataView => {
            // QuickJS has no accessor for a DataView's window; its getters
            // give it, and `buffer_bytes` checks what they return.
            let o = v.as_object().expect("an object");
            let buffer: Value = o.get("buffer")?;
            let offset = o.get::<_, f64>("byteOffset")? as usize;
            let length = o.get::<_, f64>("byteLength")? as usize;
            HostValue::Bytes(buffer_bytes(ctx, &buffer, offset, Some(length)))
        }
        Class::Other => map(ctx, v, depth)?,
    })
}

/// The own enumerable string-keyed properties of an object, in order.
fn map<'js>(ctx: &Ctx<'js>, v: &Value<'js>, depth: usize) -> Result<HostValue> {
    let c = ctx.as_raw().as_ptr();
    let mut tab: *mut qjs::JSPropertyEnum = std::ptr::null_mut();
    let mut len: u32 = 0;
    let flags = (qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_ENUM_ONLY) as i32;
    // SAFETY: `v` is a live object; on success QuickJS fills `tab` with
    // `len` entries that `Keys` frees.
    if unsafe { qjs::JS_GetOwnPropertyNames(c, &mut tab, &mut len, v.as_raw(), flags) } < 0 {
        return Err(Error::Exception);
    }
    let keys = Keys { ctx, tab, len };
    let mut entries = Vec::with_capacity(len as usize);
    for entry in keys.entries() {
        let key = atom_to_string(ctx, entry.atom)?;
        // SAFETY: the atom is alive until `keys` is dropped; the result is
        // owned and handed to `Value`.
        let value = unsafe {
            let raw = qjs::JS_GetProperty(c, v.as_raw(), entry.atom);
            if qjs::JS_IsException(raw) {
                return Err(Error::Exception);
            }
            Value::from_raw(ctx.clone(), raw)
        };
        entries.push((key, convert(ctx, &value, depth + 1)?));
    }
    Ok(HostValue::Map(entries))
}

/// A property table from `JS_GetOwnPropertyNames`, freed on drop.
struct Keys<'a, 'js> {
    ctx: &'a Ctx<'js>,
    tab: *mut qjs::JSPropertyEnum,
    len: u32,
}

impl Keys<'_, '_> {
    fn entries(&self) -> &[qjs::JSPropertyEnum] {
        if self.tab.is_null() {
            return &[];
        }
        // SAFETY: QuickJS filled `len` entries at `tab`.
        unsafe { std::slice::from_raw_parts(self.tab, self.len as usize) }
    }
}

impl Drop for Keys<'_, '_> {
    fn drop(&mut self) {
        // SAFETY: `tab` came from `JS_GetOwnPropertyNames` of this context.
        unsafe { qjs::JS_FreePropertyEnum(self.ctx.as_raw().as_ptr(), self.tab, self.len) };
    }
}

/// The bytes a typed array views (none when its buffer is detached).
fn typed_array_bytes<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> Vec<u8> {
    let (mut offset, mut length, mut size) = (0, 0, 0);
    // SAFETY: `v` is a typed array of `ctx`; the buffer returned is owned.
    let buffer = unsafe {
        let raw = qjs::JS_GetTypedArrayBuffer(
            ctx.as_raw().as_ptr(),
            v.as_raw(),
            &mut offset,
            &mut length,
            &mut size,
        );
        if qjs::JS_IsException(raw) {
            drop(ctx.catch());
            return Vec::new();
        }
        Value::from_raw(ctx.clone(), raw)
    };
    buffer_bytes(ctx, &buffer, offset as _, Some(length as _))
}

/// A copy of `length` bytes (all when `None`) from `offset` of an
/// `ArrayBuffer`; none when it is detached or too short.
fn buffer_bytes<'js>(
    ctx: &Ctx<'js>,
    buffer: &Value<'js>,
    offset: usize,
    length: Option<usize>,
) -> Vec<u8> {
    let mut size = 0;
    // SAFETY: the bytes are copied at once, before any JavaScript can run and
    // detach or resize the buffer.
    unsafe {
        let data = qjs::JS_GetArrayBuffer(ctx.as_raw().as_ptr(), &mut size, buffer.as_raw());
        if data.is_null() {
            drop(ctx.catch());
            return Vec::new();
        }
        let all = std::slice::from_raw_parts(data, size as _);
        let end = length.map_or(all.len(), |l| offset.saturating_add(l));
        all.get(offset..end).map(<[u8]>::to_vec).unwrap_or_default()
    }
}

/// Resizes or (at size 0) frees the memory of an `ArrayBuffer` made by
/// [`uint8_array`], with the runtime's allocator, as QuickJS does its own.
unsafe extern "C" fn runtime_realloc(
    rt: *mut qjs::JSRuntime,
    _opaque: *mut std::ffi::c_void,
    ptr: *mut std::ffi::c_void,
    size: qjs::size_t,
) -> *mut std::ffi::c_void {
    // SAFETY: `ptr` came from this runtime's allocator (`uint8_array`, or an
    // earlier call of this function).
    unsafe { qjs::js_realloc_rt(rt, ptr, size) }
}

/// A `Uint8Array` of a copy of `bytes`. The copy goes into memory of the
/// runtime's allocator (so it counts against the isolate's memory limit)
/// that is not zeroed first, unlike `JS_NewUint8ArrayCopy`'s.
fn uint8_array<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> Result<Value<'js>> {
    uint8_array_of(ctx, &[bytes])
}

/// A fresh `Uint8Array` of `pieces` one after the other, filled straight
/// from them.
fn uint8_array_of<'js, B: AsRef<[u8]>>(ctx: &Ctx<'js>, pieces: &[B]) -> Result<Value<'js>> {
    let total = pieces.iter().map(|p| p.as_ref().len()).sum::<usize>();
    let c = ctx.as_raw().as_ptr();
    // SAFETY: `data` is fresh memory of `total` bytes from the runtime's
    // allocator, which the pieces fill exactly; the ArrayBuffer owns it once
    // made (until then it is freed here on failure); every value made here
    // is owned and freed or handed to `Value`.
    unsafe {
        if total == 0 {
            let raw = qjs::JS_NewUint8ArrayCopy(c, [0u8; 0].as_ptr(), 0);
            if qjs::JS_IsException(raw) {
                return Err(Error::Exception);
            }
            return Ok(Value::from_raw(ctx.clone(), raw));
        }
        let rt = qjs::JS_GetRuntime(c);
        let data = qjs::js_malloc_rt(rt, total as _) as *mut u8;
        if data.is_null() {
            qjs::JS_ThrowOutOfMemory(c);
            return Err(Error::Exception);
        }
        let mut at = 0;
        for piece in pieces {
            let piece = piece.as_ref();
            std::ptr::copy_nonoverlapping(piece.as_ptr(), data.add(at), piece.len());
            at += piece.len();
        }
        let mut buffer = qjs::JS_NewArrayBuffer(
            c,
            data,
            total as _,
            0,
            Some(runtime_realloc),
            std::ptr::null_mut(),
            false,
        );
        if qjs::JS_IsException(buffer) {
            qjs::js_free_rt(rt, data as *mut std::ffi::c_void);
            return Err(Error::Exception);
        }
        let array = qjs::JS_NewTypedArray(
            c,
            1,
            &mut buffer,
            qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT8,
        );
        qjs::JS_FreeValue(c, buffer);
        if qjs::JS_IsException(array) {
            return Err(Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), array))
    }
}

/// What a context's conversions need to adopt host buffers: the isolate's
/// memory figures, against which adopted bytes count. Kept as the
/// context's user data; without it, large byte strings are copied.
pub(crate) struct Adopter(pub(crate) Rc<MemoryState>);

// SAFETY: `Adopter` holds no JavaScript value; it is the same type at every
// lifetime.
unsafe impl<'js> rquickjs::JsLifetime<'js> for Adopter {
    type Changed<'to> = Adopter;
}

/// A `Vec<u8>` an `ArrayBuffer` adopted, as its realloc function needs it:
/// the vector's length and capacity, the bytes counted in use for it and
/// the figures they count in.
struct Adopted {
    len: usize,
    capacity: usize,
    counted: usize,
    memory: Rc<MemoryState>,
}

/// Resizes or (at size 0) frees the memory of an `ArrayBuffer` made by
/// [`adopt`], as the `Vec` it was: QuickJS calls it with size 0 when the
/// buffer is collected or detached, and with the new size when it is
/// transferred to another length.
unsafe extern "C" fn adopted_realloc(
    _rt: *mut qjs::JSRuntime,
    opaque: *mut std::ffi::c_void,
    ptr: *mut std::ffi::c_void,
    size: qjs::size_t,
) -> *mut std::ffi::c_void {
    let adopted = opaque.cast::<Adopted>();
    // SAFETY: `opaque` is the `Adopted` that `adopt` leaked for this
    // buffer, whose memory is `ptr`: a `Vec<u8>`'s, of that capacity (the
    // bytes need no drop, so its length may be set to any within it).
    unsafe {
        let a = &mut *adopted;
        let mut vec = Vec::from_raw_parts(ptr.cast::<u8>(), a.len, a.capacity);
        let size: usize = size as _;
        if size == 0 {
            drop(vec);
            a.memory.release(a.counted);
            drop(Box::from_raw(adopted));
            return std::ptr::null_mut();
        }
        if size > a.capacity {
            if !a.memory.adopt(size - a.capacity) {
                // Refused: the buffer stays as it was.
                std::mem::forget(vec);
                return std::ptr::null_mut();
            }
            a.counted += size - a.capacity;
            vec.reserve_exact(size - vec.len());
        }
        vec.resize(size, 0);
        let mut vec = std::mem::ManuallyDrop::new(vec);
        a.len = vec.len();
        a.capacity = vec.capacity();
        vec.as_mut_ptr().cast()
    }
}

/// A `Uint8Array` over `bytes` themselves: the vector becomes the
/// `ArrayBuffer`'s memory, counted against the isolate's memory limit like
/// memory of its allocator (refused past it, once garbage is collected:
/// out of memory).
fn adopt<'js>(ctx: &Ctx<'js>, bytes: Vec<u8>) -> Result<Value<'js>> {
    let Some(memory) = ctx.userdata::<Adopter>().map(|a| a.0.clone()) else {
        return uint8_array(ctx, &bytes);
    };
    let c = ctx.as_raw().as_ptr();
    // SAFETY: `c` is the live context of `ctx`, not collecting now.
    unsafe {
        let rt = qjs::JS_GetRuntime(c);
        let mark: usize = qjs::JS_GetGCThreshold(rt) as _;
        if !memory.fits(bytes.capacity()) || memory.used() + bytes.capacity() > mark {
            // Adopted bytes count towards the next collection as the
            // heap's own do (QuickJS looks only at its own allocations, so
            // buffers let go of, a stream's chunks say, would pile up to the
            // memory limit), and garbage may make room for them. The next
            // mark is half the memory in use again above it, as QuickJS
            // sets its own, and at least ADOPTED_GROWTH: each collection
            // walks the whole heap, and a stream's chunks come by the MiB.
            qjs::JS_RunGC(rt);
            let used = memory.used();
            qjs::JS_SetGCThreshold(rt, (used + (used / 2).max(ADOPTED_GROWTH)) as _);
        }
    }
    if !memory.adopt(bytes.capacity()) {
        drop(bytes);
        // SAFETY: `c` is the live context of `ctx`.
        unsafe { qjs::JS_ThrowOutOfMemory(c) };
        return Err(Error::Exception);
    }
    let mut bytes = std::mem::ManuallyDrop::new(bytes);
    let (ptr, len, capacity) = (bytes.as_mut_ptr(), bytes.len(), bytes.capacity());
    let opaque = Box::into_raw(Box::new(Adopted {
        len,
        capacity,
        counted: capacity,
        memory,
    }));
    // SAFETY: the vector's memory and `opaque` go to the ArrayBuffer, which
    // frees them through `adopted_realloc`; when it cannot be made, they are
    // freed here the same way. Every value made here is owned and freed or
    // handed to `Value`.
    unsafe {
        let mut buffer = qjs::JS_NewArrayBuffer(
            c,
            ptr,
            len as _,
            0,
            Some(adopted_realloc),
            opaque.cast(),
            false,
        );
        if qjs::JS_IsException(buffer) {
            adopted_realloc(qjs::JS_GetRuntime(c), opaque.cast(), ptr.cast(), 0);
            return Err(Error::Exception);
        }
        let array = qjs::JS_NewTypedArray(
            c,
            1,
            &mut buffer,
            qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT8,
        );
        qjs::JS_FreeValue(c, buffer);
        if qjs::JS_IsException(array) {
            return Err(Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), array))
    }
}

/// Converts a host value to a JavaScript value.
pub(crate) fn to_js<'js>(ctx: &Ctx<'js>, v: HostValue) -> Result<Value<'js>> {
    Ok(match v {
        HostValue::Undefined => Value::new_undefined(ctx.clone()),
        HostValue::Null => Value::new_null(ctx.clone()),
        HostValue::Bool(b) => Value::new_bool(ctx.clone(), b),
        HostValue::Number(n) => Value::new_number(ctx.clone(), n),
        HostValue::String(s) => rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
        HostValue::Bytes(b) if b.len() >= ADOPT_MIN => adopt(ctx, b)?,
        HostValue::Bytes(b) => uint8_array(ctx, &b)?,
        HostValue::Chunks(pieces) => uint8_array_of(ctx, &pieces)?,
        HostValue::List(items) => {
            let array = Array::new(ctx.clone())?;
            for (i, item) in items.into_iter().enumerate() {
                array.set(i, to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        HostValue::Map(entries) => {
            let object = Object::new(ctx.clone())?;
            for (key, item) in entries {
                object.set(key.as_str(), to_js(ctx, item)?)?;
            }
            object.into_value()
        }
    })
}
