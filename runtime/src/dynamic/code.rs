//! A dynamic Worker's code as the prelude hands it over (`loader_load`'s
//! third argument, made by `cloudflare/worker_loader.js` from the
//! `WorkerCode` object), read and checked: what the prelude already
//! checked with Cloudflare's messages is checked again here, and what only
//! the host can check (module names that become file names, sizes).

use motu_engine::{HostValue, JsError};

/// The most bytes of module content a dynamic Worker may have (Cloudflare's
/// limit on a Worker's uncompressed size, 64 MiB).
pub(crate) const MAX_CODE_BYTES: usize = 64 << 20;

/// The most bytes its `env` may take in wire form (1 MiB, as Cloudflare).
pub(crate) const MAX_ENV_BYTES: usize = 1 << 20;

/// How deeply brackets may nest in a JavaScript module: the parser that
/// reads its imports recurses once per level, and code that is not trusted
/// must not be able to overflow its stack (which would end the process).
pub(crate) const MAX_NESTING: usize = 2000;

/// How deeply `(`, `[` and `{` nest in `code`, counted over the raw text
/// (brackets in strings and comments count too, which only errs towards
/// refusing).
fn nesting(code: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in code {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// What a module is, from the key of its content object (a string content
/// named `*.js` is `Js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModuleType {
    /// An ES module.
    Js,
    /// A CommonJS module.
    Cjs,
    /// A string of text.
    Text,
    /// An `ArrayBuffer` of bytes.
    Data,
    /// A JSON value (its text).
    Json,
    /// A `WebAssembly.Module` (V8 only).
    Wasm,
}

/// One module: its name (a path relative to the Worker's root), type and
/// content.
#[derive(Debug, Clone)]
pub(crate) struct Module {
    pub(crate) name: String,
    pub(crate) kind: ModuleType,
    pub(crate) content: Vec<u8>,
}

/// A service binding given to a dynamic Worker (in its `env`, or as one
/// of its `tails`): the Worker it calls, its entrypoint and its props.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRef {
    /// The Worker called.
    pub worker: String,
    /// Its named entrypoint; `None`: the default export.
    pub entrypoint: Option<String>,
    /// The props of the calls, in RPC wire form (or undefined).
    pub props: HostValue,
}

/// Where a dynamic Worker's `fetch()` and sockets go (`globalOutbound`).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum GlobalOutbound {
    /// Out to the network, under the server's egress policy, as its
    /// parent's do (`globalOutbound` left out). The default for every
    /// Worker.
    #[default]
    Inherit,
    /// Nowhere: `fetch()` and `connect()` throw (`globalOutbound: null`).
    Blocked,
    /// To a service binding's `fetch` (`globalOutbound: env.SVC` or
    /// `ctx.exports.Name(...)`); `connect()` throws.
    Service {
        /// The Worker called.
        worker: String,
        /// Its named entrypoint; `None`: the default export.
        entrypoint: Option<String>,
        /// The props of the calls, in RPC wire form (or undefined).
        props: HostValue,
    },
}

/// The message `fetch()` and `connect()` throw under `globalOutbound: null`
/// (Cloudflare's words).
pub(crate) const BLOCKED: &str = "This worker is not permitted to access the internet via global functions like fetch(). It must use capabilities (such as bindings in 'env') to talk to the outside world.";

/// CPU and subrequest limits (`limits: { cpuMs, subRequests }`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CodeLimits {
    pub(crate) cpu_ms: Option<f64>,
    pub(crate) subrequests: Option<u32>,
}

/// A dynamic Worker's code and settings.
#[derive(Debug, Clone)]
pub(crate) struct DynamicCode {
    pub(crate) compatibility_date: String,
    pub(crate) compatibility_flags: Vec<String>,
    pub(crate) main_module: String,
    pub(crate) modules: Vec<Module>,
    /// `env` values that are data, in wire form.
    pub(crate) values: Vec<(String, HostValue)>,
    /// `env` values that are service bindings.
    pub(crate) services: Vec<(String, ServiceRef)>,
    pub(crate) outbound: GlobalOutbound,
    pub(crate) limits: CodeLimits,
    /// Tail Workers: each gets a trace of every event.
    pub(crate) tails: Vec<ServiceRef>,
}

fn bad(message: impl Into<String>) -> JsError {
    JsError::type_error(message)
}

fn field<'a>(map: &'a [(String, HostValue)], key: &str) -> Option<&'a HostValue> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn string(map: &[(String, HostValue)], key: &str) -> Result<String, JsError> {
    field(map, key)
        .and_then(HostValue::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("WorkerCode.{key} must be a string")))
}

/// Checks that `name` can be a module's name: a relative path of plain
/// segments (it becomes a file name under the Worker's folder).
pub(crate) fn check_module_name(name: &str) -> Result<(), JsError> {
    let plain = !name.is_empty()
        && name.len() <= 1024
        && !name.starts_with('/')
        && !name.contains(['\\', '\0'])
        && name
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && s.len() <= 255);
    if plain {
        Ok(())
    } else {
        Err(bad(format!(
            "Module name '{name}' must be a relative path of plain segments (no '.', '..', empty segments, leading '/' or backslashes)"
        )))
    }
}

/// Checks a compatibility date: `YYYY-MM-DD`, not after today (UTC).
fn check_date(date: &str) -> Result<(), JsError> {
    let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(|| {
            bad(format!(
                "Invalid compatibility date: '{date}' (expected YYYY-MM-DD)"
            ))
        })?;
    if parsed > chrono::Utc::now().date_naive() {
        return Err(JsError::new(
            "Error",
            format!("Can't set compatibility date in the future: {date}"),
        ));
    }
    Ok(())
}

fn service_ref(value: &HostValue) -> Result<ServiceRef, JsError> {
    let malformed = || bad("a service binding in WorkerCode is malformed");
    let list = value.as_list().ok_or_else(malformed)?;
    let worker = list
        .first()
        .and_then(HostValue::as_str)
        .ok_or_else(malformed)?
        .to_owned();
    let entrypoint = list.get(1).and_then(HostValue::as_str).map(str::to_owned);
    let props = list.get(2).cloned().unwrap_or_default();
    Ok(ServiceRef {
        worker,
        entrypoint,
        props,
    })
}

fn pairs(value: Option<&HostValue>) -> Vec<(String, &HostValue)> {
    value
        .and_then(HostValue::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|pair| {
            let pair = pair.as_list()?;
            Some((pair.first()?.as_str()?.to_owned(), pair.get(1)?))
        })
        .collect()
}

/// About how many bytes a wire value takes.
fn wire_bytes(value: &HostValue) -> usize {
    match value {
        HostValue::String(s) => s.len() + 2,
        HostValue::Bytes(b) => b.len(),
        HostValue::Chunks(c) => c.iter().map(|b| b.len()).sum(),
        HostValue::List(l) => 2 + l.iter().map(wire_bytes).sum::<usize>(),
        HostValue::Map(m) => {
            2 + m
                .iter()
                .map(|(k, v)| k.len() + wire_bytes(v))
                .sum::<usize>()
        }
        _ => 8,
    }
}

impl DynamicCode {
    /// Reads the code object the prelude made.
    pub(crate) fn from_host(value: &HostValue) -> Result<Self, JsError> {
        let HostValue::Map(map) = value else {
            return Err(bad("WorkerCode must be an object"));
        };
        let compatibility_date = string(map, "compatibilityDate")?;
        check_date(&compatibility_date)?;
        let compatibility_flags = field(map, "compatibilityFlags")
            .and_then(HostValue::as_list)
            .unwrap_or_default()
            .iter()
            .map(|f| f.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("WorkerCode.compatibilityFlags must be strings"))?;
        let main_module = string(map, "mainModule")?;
        let mut modules = Vec::new();
        let mut total = 0usize;
        for entry in field(map, "modules")
            .and_then(HostValue::as_list)
            .unwrap_or_default()
        {
            let malformed = || bad("WorkerCode.modules is malformed");
            let parts = entry.as_list().ok_or_else(malformed)?;
            let name = parts
                .first()
                .and_then(HostValue::as_str)
                .ok_or_else(malformed)?;
            check_module_name(name)?;
            let kind = match parts.get(1).and_then(HostValue::as_str) {
                Some("js") => ModuleType::Js,
                Some("cjs") => ModuleType::Cjs,
                Some("text") => ModuleType::Text,
                Some("data") => ModuleType::Data,
                Some("json") => ModuleType::Json,
                Some("wasm") => ModuleType::Wasm,
                _ => return Err(malformed()),
            };
            let content = match parts.get(2) {
                Some(HostValue::String(s)) => s.clone().into_bytes(),
                Some(HostValue::Bytes(b)) => b.clone(),
                _ => return Err(malformed()),
            };
            total += content.len();
            if matches!(kind, ModuleType::Js | ModuleType::Cjs | ModuleType::Json)
                && nesting(&content) > MAX_NESTING
            {
                return Err(JsError::new(
                    "SyntaxError",
                    format!("Module '{name}' nests brackets more than {MAX_NESTING} levels deep"),
                ));
            }
            if modules.iter().any(|m: &Module| m.name == name) {
                return Err(bad(format!("Module '{name}' is given twice")));
            }
            modules.push(Module {
                name: name.to_owned(),
                kind,
                content,
            });
        }
        if modules.is_empty() {
            return Err(bad("Dynamic Worker code must contain at least one module."));
        }
        if total > MAX_CODE_BYTES {
            return Err(JsError::new(
                "Error",
                format!("Dynamic Worker code size ({total} bytes) exceeds the maximum allowed size of {MAX_CODE_BYTES} bytes."),
            ));
        }
        if !modules.iter().any(|m| m.name == main_module) {
            return Err(bad(format!(
                "WorkerCode.mainModule '{main_module}' is not one of its modules"
            )));
        }
        let values: Vec<(String, HostValue)> = pairs(field(map, "env"))
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        let env_bytes: usize = values.iter().map(|(k, v)| k.len() + wire_bytes(v)).sum();
        if env_bytes > MAX_ENV_BYTES {
            return Err(JsError::new(
                "Error",
                format!("Dynamic Worker env size ({env_bytes} bytes) exceeds the maximum allowed size of {MAX_ENV_BYTES} bytes."),
            ));
        }
        let services = pairs(field(map, "services"))
            .into_iter()
            .map(|(k, v)| Ok((k, service_ref(v)?)))
            .collect::<Result<Vec<_>, JsError>>()?;
        let outbound = match field(map, "outbound") {
            None | Some(HostValue::Undefined) => GlobalOutbound::Inherit,
            Some(HostValue::Null) => GlobalOutbound::Blocked,
            Some(other) => {
                let s = service_ref(other)?;
                GlobalOutbound::Service {
                    worker: s.worker,
                    entrypoint: s.entrypoint,
                    props: s.props,
                }
            }
        };
        let tails = field(map, "tails")
            .and_then(HostValue::as_list)
            .unwrap_or_default()
            .iter()
            .map(service_ref)
            .collect::<Result<Vec<_>, JsError>>()?;
        let limits = match field(map, "limits") {
            Some(HostValue::Map(l)) => CodeLimits {
                cpu_ms: match field(l, "cpuMs").and_then(HostValue::as_f64) {
                    Some(ms) if !(ms.is_finite() && ms > 0.0 && ms <= 3.6e6) => {
                        return Err(JsError::new(
                            "RangeError",
                            format!("WorkerCode.limits.cpuMs must be a number of milliseconds from 1 to 3600000, not {ms}"),
                        ))
                    }
                    ms => ms,
                },
                subrequests: field(l, "subRequests")
                    .and_then(HostValue::as_f64)
                    .map(|n| n.clamp(0.0, f64::from(u32::MAX)) as u32),
            },
            _ => CodeLimits::default(),
        };
        Ok(Self {
            compatibility_date,
            compatibility_flags,
            main_module,
            modules,
            values,
            services,
            outbound,
            limits,
            tails,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_plain_relative_paths() {
        for ok in ["a.js", "src/lib/x.js", "node_modules/p/index.js", "a b.txt"] {
            assert!(check_module_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a.js",
            "../a.js",
            "a/../../b.js",
            "a//b.js",
            "./a.js",
            "a\\b.js",
            "a\0",
        ] {
            assert!(check_module_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nesting_counts_the_deepest_brackets() {
        assert_eq!(nesting(b"f(a[0], {b: (1)})"), 3);
        assert_eq!(nesting(b"x"), 0);
        assert_eq!(nesting(b"))(("), 2);
    }

    #[test]
    fn dates_are_past_days() {
        assert!(check_date("2025-06-01").is_ok());
        for bad in [
            "2025-6-01",
            "2025-13-01",
            "2025-01-32",
            "yesterday",
            "2025-01-01x",
            "9999-01-01",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }
}
