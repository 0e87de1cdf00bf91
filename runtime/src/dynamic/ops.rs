//! The host's half of a Worker Loader binding: the ops its prelude calls.
//!
//! - `loader_ready(binding, id, name) -> name | null` (sync): the name of
//!   the dynamic Worker a stub calls if it is loaded (by `id` when the stub
//!   has one, else by the `name` it was given), else null: the prelude then
//!   asks for the code and loads it.
//! - `loader_load(binding, id, code) -> name` (async): checks the code,
//!   writes its modules and loads them, registers the Worker (unless a
//!   Worker of that id was loaded meanwhile) and answers its name.
//!
//! Only a Worker with a Worker Loader binding of that name may call them.

use std::sync::Arc;

use motu_engine::{HostValue, JsError};

use super::{DynamicCode, RegisterDynamic};
use crate::{Outbound, WorkerSpec};

/// Whether `spec` has a Worker Loader binding named `binding`.
fn has_loader(spec: &WorkerSpec, binding: &str) -> bool {
    spec.platform.iter().any(|(name, data)| {
        name == binding && data.get("type").and_then(HostValue::as_str) == Some("worker_loader")
    })
}

/// The binding named by the ops' first argument, checked.
fn binding<'a>(spec: &WorkerSpec, args: &'a [HostValue]) -> Result<&'a str, JsError> {
    let binding = args.first().and_then(HostValue::as_str).unwrap_or_default();
    if has_loader(spec, binding) {
        Ok(binding)
    } else {
        Err(JsError::type_error(format!(
            "'{binding}' is not a Worker Loader binding of this Worker"
        )))
    }
}

/// The name of the dynamic Worker of id `id` loaded through `binding` of
/// Worker `parent`: `PARENT:BINDING:id:ID`, apart from the anonymous ones'
/// `PARENT:BINDING:#N` whatever the id.
fn name_for_id(parent: &str, binding: &str, id: &str) -> String {
    format!("{parent}:{binding}:id:{id}")
}

/// `loader_ready(binding, id, name)`.
pub(crate) fn ready(
    spec: &WorkerSpec,
    outbound: &Outbound,
    args: &[HostValue],
) -> Result<HostValue, JsError> {
    let binding = binding(spec, args)?;
    let table = outbound
        .dynamic()
        .ok_or_else(|| JsError::new("Error", "Worker Loaders are not available"))?
        .1;
    let name = match (args.get(1).and_then(HostValue::as_str), args.get(2)) {
        (Some(id), _) => name_for_id(&spec.name, binding, id),
        (None, Some(HostValue::String(name))) => name.clone(),
        _ => return Ok(HostValue::Null),
    };
    // A name of another Worker's loader is not this one's to call.
    let ours = name
        .strip_prefix(spec.name.as_str())
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.strip_prefix(binding))
        .is_some_and(|rest| rest.starts_with(':'));
    if !ours {
        return Ok(HostValue::Null);
    }
    Ok(if table.touch(&name) {
        HostValue::String(name)
    } else {
        HostValue::Null
    })
}

/// `loader_load(binding, id, code)`: the future that loads the Worker and
/// answers its name.
pub(crate) fn load(
    spec: Arc<WorkerSpec>,
    outbound: &Outbound,
    args: &[HostValue],
) -> Result<impl std::future::Future<Output = Result<HostValue, JsError>>, JsError> {
    let binding = binding(&spec, args)?.to_owned();
    let (registry, table) = outbound
        .dynamic()
        .map(|(r, t)| (r.clone(), t.clone()))
        .ok_or_else(|| JsError::new("Error", "Worker Loaders are not available"))?;
    let code = DynamicCode::from_host(args.get(2).unwrap_or(&HostValue::Undefined))?;
    let anonymous = args.get(1).and_then(HostValue::as_str).is_none();
    let name = match args.get(1).and_then(HostValue::as_str) {
        Some(id) => name_for_id(&spec.name, &binding, id),
        None => format!("{}:{binding}:#{}", spec.name, table.next_number()),
    };
    let dir = table.new_dir().map_err(|m| JsError::new("Error", m))?;
    let parent = spec.name.clone();
    Ok(async move {
        // Writing the modules and walking their imports reads and writes
        // files: done on a thread of its own, not the isolate's.
        let (tx, rx) = futures::channel::oneshot::channel();
        let built_dir = dir.clone();
        let worker = name.clone();
        std::thread::Builder::new()
            .name("motu-dynamic".into())
            // Room for the parser's recursion (nesting is capped, see
            // `code::MAX_NESTING`).
            .stack_size(64 << 20)
            .spawn(move || {
                let _ = tx.send(super::spec::build(
                    &spec, worker, &code, &built_dir, anonymous,
                ));
            })
            .map_err(|e| JsError::new("Error", format!("cannot load the Worker: {e}")))?;
        let Ok(built) = rx.await else {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(JsError::new("Error", "loading the Worker stopped"));
        };
        let child = match built {
            Ok(child) => child,
            Err(message) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(JsError::new(
                    "Error",
                    format!("Failed to start the dynamic Worker: {message}"),
                ));
            }
        };
        registry
            .send(RegisterDynamic {
                parent,
                spec: child,
                dir,
                fresh: anonymous,
            })
            .await
            .map_err(|_| JsError::new("Error", "the registry is gone"))?
            .map_err(|e| JsError::new("Error", e.to_string()))?;
        Ok(HostValue::String(name))
    })
}

/// Props as the host compares them: none when undefined or null.
fn props_of(props: Option<&HostValue>) -> Option<&HostValue> {
    props.filter(|p| !matches!(p, HostValue::Undefined | HostValue::Null))
}

/// Whether sandboxed Worker `spec` may call `entrypoint` of `worker` with
/// `props`: itself (its `ctx.exports`), or exactly a service binding its
/// parent gave it (a platform entry of type `service`). A Worker that is
/// not sandboxed may call any.
pub(crate) fn may_call(
    spec: &WorkerSpec,
    worker: &str,
    entrypoint: Option<&str>,
    props: Option<&HostValue>,
) -> Result<(), JsError> {
    if !spec.sandboxed || worker == spec.name {
        return Ok(());
    }
    fn text<'a>(data: &'a HostValue, k: &str) -> Option<&'a str> {
        data.get(k).and_then(HostValue::as_str)
    }
    let given = spec.platform.iter().any(|(_, data)| {
        text(data, "type") == Some("service")
            && text(data, "worker") == Some(worker)
            && text(data, "entrypoint") == entrypoint
            && props_of(data.get("props")) == props_of(props)
    });
    if given {
        Ok(())
    } else {
        Err(JsError::type_error(
            "This Worker has no binding to call that service: a dynamic Worker may call only itself and the service bindings in its env",
        ))
    }
}
