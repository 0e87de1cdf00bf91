//! `HostValue` ⇄ QuickJS values.

use motu_engine::HostValue;
use rquickjs::{Array, ArrayBuffer, Ctx, Object, Type, TypedArray, Value};

/// Structures nested deeper than this (cyclic ones included) are cut off.
const MAX_DEPTH: usize = 64;

/// Converts a JavaScript value to a host value (see `HostValue`'s docs).
pub(crate) fn to_host<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<HostValue> {
    convert(ctx, v, 0)
}

fn convert<'js>(ctx: &Ctx<'js>, v: &Value<'js>, depth: usize) -> rquickjs::Result<HostValue> {
    if depth > MAX_DEPTH {
        return Ok(HostValue::Undefined);
    }
    Ok(match v.type_of() {
        Type::Undefined | Type::Uninitialized => HostValue::Undefined,
        Type::Null => HostValue::Null,
        Type::Bool => HostValue::Bool(v.as_bool().unwrap_or(false)),
        Type::Int => HostValue::Number(v.as_int().unwrap_or(0) as f64),
        Type::Float => HostValue::Number(v.as_float().unwrap_or(f64::NAN)),
        Type::String => HostValue::String(
            v.as_string()
                .map(|s| s.to_string())
                .transpose()?
                .unwrap_or_default(),
        ),
        Type::BigInt => {
            let s: rquickjs::String = ctx
                .globals()
                .get::<_, rquickjs::Function>("String")?
                .call((v.clone(),))?;
            HostValue::String(s.to_string()?)
        }
        Type::Array => {
            let a = v.as_array().expect("an array");
            let mut items = Vec::with_capacity(a.len());
            for item in a.iter::<Value>() {
                items.push(convert(ctx, &item?, depth + 1)?);
            }
            HostValue::List(items)
        }
        Type::Object | Type::Exception | Type::Promise | Type::Proxy => {
            let o = v.as_object().expect("an object");
            if let Some(bytes) = view_bytes(ctx, o)? {
                return Ok(HostValue::Bytes(bytes));
            }
            let mut entries = Vec::new();
            for key in o.keys::<String>() {
                let key = key?;
                let value: Value = o.get(key.as_str())?;
                entries.push((key, convert(ctx, &value, depth + 1)?));
            }
            HostValue::Map(entries)
        }
        _ => HostValue::Undefined,
    })
}

/// The bytes an `ArrayBuffer` or an `ArrayBuffer` view covers, if `o` is one.
fn view_bytes<'js>(ctx: &Ctx<'js>, o: &Object<'js>) -> rquickjs::Result<Option<Vec<u8>>> {
    // SAFETY (all three `as_bytes` calls): the bytes are copied at once,
    // before any JavaScript can run and detach or resize the buffer.
    if let Some(buffer) = ArrayBuffer::from_object(o.clone()) {
        let bytes = unsafe { buffer.as_bytes() };
        return Ok(Some(bytes.map(<[u8]>::to_vec).unwrap_or_default()));
    }
    if let Ok(u8s) = TypedArray::<u8>::from_object(o.clone()) {
        let bytes = unsafe { u8s.as_bytes() };
        return Ok(Some(bytes.map(<[u8]>::to_vec).unwrap_or_default()));
    }
    let array_buffer: Object = ctx.globals().get("ArrayBuffer")?;
    let is_view: rquickjs::Function = array_buffer.get("isView")?;
    if !is_view.call::<_, bool>((o.clone(),))? {
        return Ok(None);
    }
    let buffer: Object = o.get("buffer")?;
    let offset: usize = o.get::<_, f64>("byteOffset")? as usize;
    let length: usize = o.get::<_, f64>("byteLength")? as usize;
    let bytes = ArrayBuffer::from_object(buffer)
        .and_then(|b| {
            let all = unsafe { b.as_bytes() }?;
            all.get(offset..offset + length).map(<[u8]>::to_vec)
        })
        .unwrap_or_default();
    Ok(Some(bytes))
}

/// Converts a host value to a JavaScript value.
pub(crate) fn to_js<'js>(ctx: &Ctx<'js>, v: HostValue) -> rquickjs::Result<Value<'js>> {
    Ok(match v {
        HostValue::Undefined => Value::new_undefined(ctx.clone()),
        HostValue::Null => Value::new_null(ctx.clone()),
        HostValue::Bool(b) => Value::new_bool(ctx.clone(), b),
        HostValue::Number(n) => Value::new_number(ctx.clone(), n),
        HostValue::String(s) => rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
        HostValue::Bytes(b) => TypedArray::<u8>::new(ctx.clone(), b)?.into_value(),
        HostValue::List(items) => {
            let a = Array::new(ctx.clone())?;
            for (i, item) in items.into_iter().enumerate() {
                a.set(i, to_js(ctx, item)?)?;
            }
            a.into_value()
        }
        HostValue::Map(entries) => {
            let o = Object::new(ctx.clone())?;
            for (k, item) in entries {
                o.set(k, to_js(ctx, item)?)?;
            }
            o.into_value()
        }
    })
}
