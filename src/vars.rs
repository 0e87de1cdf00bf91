//! Config vars as values in `env`.

use motu_runtime::HostValue;

/// A JSON value from the config as the value JavaScript sees.
pub fn to_host_value(v: &serde_json::Value) -> HostValue {
    match v {
        serde_json::Value::Null => HostValue::Null,
        serde_json::Value::Bool(b) => HostValue::Bool(*b),
        serde_json::Value::Number(n) => HostValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => HostValue::String(s.clone()),
        serde_json::Value::Array(a) => HostValue::List(a.iter().map(to_host_value).collect()),
        serde_json::Value::Object(o) => HostValue::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), to_host_value(v)))
                .collect(),
        ),
    }
}
