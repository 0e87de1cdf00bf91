//! `workflows`: a Worker's Workflow bindings, `[[workers.workflows]]` in
//! motu.toml and `workflows` in a Wrangler config (the same keys; not
//! inherited by `[env.NAME]` sections, as bindings are not).
//!
//! ```toml
//! [[workers.workflows]]
//! binding = "MY_WORKFLOW"     # env.MY_WORKFLOW creates and finds instances
//! name = "my-workflow"        # the Workflow: bindings naming it share its instances
//! class_name = "MyWorkflow"   # its class (extends WorkflowEntrypoint)
//! script_name = "other"       # optional: the Worker of this server that exports it
//! limits = { steps = 10000 }  # optional: step.do calls allowed per run (Cloudflare's default)
//! ```
//!
//! A Workflow is identified by its `name` across the server: every binding
//! of that name reaches the same instances, which run in the Worker that
//! exports the class (`script_name`, else the binding's own Worker).

use serde::Deserialize;

/// The keys of a `workflows` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] =
    &["binding", "name", "class_name", "script_name", "limits"];

/// Cloudflare's default and highest `limits.steps`.
pub const DEFAULT_WORKFLOW_STEPS: u64 = 10_000;
const MAX_STEPS: u64 = 25_000;

/// Cloudflare's longest Workflow name.
const MAX_NAME_LEN: usize = 64;

/// One `[[workers.workflows]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkflow {
    pub(crate) binding: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) class_name: Option<String>,
    pub(crate) script_name: Option<String>,
    pub(crate) limits: Option<RawWorkflowLimits>,
}

/// `limits = { steps }`, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkflowLimits {
    pub(crate) steps: Option<serde_json::Value>,
}

/// A Workflow binding: `env.BINDING.create()` and `get(id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowBinding {
    /// `binding`: the name in `env`. Required.
    pub binding: String,
    /// `name`: the Workflow's name (letters, digits, `-` and `_`, at most
    /// 64). Required.
    pub name: String,
    /// `class_name`: the exported class that extends
    /// `WorkflowEntrypoint`. Required.
    pub class_name: String,
    /// `script_name`: the Worker of this server that exports the class.
    /// Default none: this Worker.
    pub script_name: Option<String>,
    /// `limits.steps`: the `step.do` calls a run may make (at most
    /// 25,000). Default [`DEFAULT_WORKFLOW_STEPS`].
    pub steps: u64,
}

/// Validates a Worker's `workflows`; `taken` tells whether a name in `env`
/// is already used by another binding. Errors are `(field, message)`.
pub(crate) fn validate(
    raw: &[RawWorkflow],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<WorkflowBinding>, (String, String)> {
    let mut out: Vec<WorkflowBinding> = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let field = |f: &str| format!("workflows[{i}].{f}");
        let required = |v: &Option<String>, f: &str| {
            v.clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| (field(f), "missing".to_owned()))
        };
        let binding = required(&w.binding, "binding")?;
        if taken(&binding) || out.iter().any(|b| b.binding == binding) {
            return Err((
                field("binding"),
                format!("'{binding}' is already a binding in env"),
            ));
        }
        let name = required(&w.name, "name")?;
        if name.len() > MAX_NAME_LEN
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err((
                field("name"),
                format!("'{name}' is not a Workflow name: letters, digits, '-' and '_', at most {MAX_NAME_LEN}"),
            ));
        }
        let class_name = required(&w.class_name, "class_name")?;
        let steps = match w.limits.as_ref().and_then(|l| l.steps.as_ref()) {
            None => DEFAULT_WORKFLOW_STEPS,
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=MAX_STEPS).contains(n))
                .ok_or_else(|| {
                    (
                        field("limits.steps"),
                        format!("must be a whole number from 1 to {MAX_STEPS}"),
                    )
                })?,
        };
        out.push(WorkflowBinding {
            binding,
            name,
            class_name,
            script_name: w.script_name.clone().filter(|s| !s.is_empty()),
            steps,
        });
    }
    Ok(out)
}

/// Checks that the Workflows of the server's Workers agree: each `name`
/// is one class of one Worker, whichever binding names it. `workers`
/// gives each Worker's index, name and bindings; errors are `(field,
/// message)`.
pub(crate) fn validate_across<'a>(
    workers: impl Iterator<Item = (usize, &'a str, &'a [WorkflowBinding])>,
) -> Result<(), (String, String)> {
    let mut seen: Vec<(&str, &str, &str)> = Vec::new();
    for (i, worker, bindings) in workers {
        for (j, b) in bindings.iter().enumerate() {
            let exporter = b.script_name.as_deref().unwrap_or(worker);
            match seen.iter().find(|(name, ..)| *name == b.name) {
                Some((_, w, c)) if (*w, *c) != (exporter, b.class_name.as_str()) => {
                    return Err((
                        format!("workers[{i}].workflows[{j}].name"),
                        format!(
                            "Workflow '{}' is class '{c}' of Worker '{w}' in another binding, not class '{}' of Worker '{exporter}'",
                            b.name, b.class_name
                        ),
                    ));
                }
                Some(_) => {}
                None => seen.push((&b.name, exporter, &b.class_name)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(binding: &str, name: &str) -> RawWorkflow {
        RawWorkflow {
            binding: Some(binding.into()),
            name: Some(name.into()),
            class_name: Some("Flow".into()),
            script_name: None,
            limits: None,
        }
    }

    #[test]
    fn bindings_are_checked() {
        let ok = validate(&[raw("WF", "my-flow_1")], &|_| false).unwrap();
        assert_eq!(
            (ok[0].binding.as_str(), ok[0].name.as_str()),
            ("WF", "my-flow_1")
        );
        let (field, message) = validate(&[raw("WF", "my flow")], &|_| false).unwrap_err();
        assert_eq!(field, "workflows[0].name");
        assert!(message.contains("not a Workflow name"), "{message}");
        let long = "a".repeat(65);
        assert!(validate(&[raw("WF", &long)], &|_| false).is_err());
        let (field, _) = validate(&[raw("WF", "a")], &|n| n == "WF").unwrap_err();
        assert_eq!(field, "workflows[0].binding");
        let (field, _) = validate(&[raw("WF", "a"), raw("WF", "b")], &|_| false).unwrap_err();
        assert_eq!(field, "workflows[1].binding");
        let mut missing = raw("WF", "a");
        missing.class_name = None;
        let (field, _) = validate(&[missing], &|_| false).unwrap_err();
        assert_eq!(field, "workflows[0].class_name");
        assert_eq!(ok[0].steps, DEFAULT_WORKFLOW_STEPS);
        let mut limited = raw("WF", "a");
        limited.limits = Some(RawWorkflowLimits {
            steps: Some(50.into()),
        });
        assert_eq!(validate(&[limited], &|_| false).unwrap()[0].steps, 50);
        let mut over = raw("WF", "a");
        over.limits = Some(RawWorkflowLimits {
            steps: Some(25_001.into()),
        });
        let (field, _) = validate(&[over], &|_| false).unwrap_err();
        assert_eq!(field, "workflows[0].limits.steps");
    }

    #[test]
    fn one_name_is_one_class() {
        let a = validate(&[raw("WF", "flow")], &|_| false).unwrap();
        let mut other = raw("WF2", "flow");
        other.script_name = Some("a".into());
        let b = validate(&[other], &|_| false).unwrap();
        validate_across([(0, "a", &a[..]), (1, "b", &b[..])].into_iter()).unwrap();
        let c = validate(&[raw("WF", "flow")], &|_| false).unwrap();
        let (field, message) =
            validate_across([(0, "a", &a[..]), (1, "c", &c[..])].into_iter()).unwrap_err();
        assert_eq!(field, "workers[1].workflows[0].name");
        assert!(message.contains("another binding"), "{message}");
    }
}
