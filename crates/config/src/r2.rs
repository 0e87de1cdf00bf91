//! R2 bucket bindings: `[[workers.r2_buckets]]` in motu.toml, `r2_buckets`
//! in a Wrangler config (not inherited by `[env.NAME]` sections, as in
//! Wrangler).
//!
//! ```toml
//! [[workers.r2_buckets]]
//! binding = "MY_BUCKET"       # the name in `env`
//! bucket_name = "my-bucket"   # default: the binding's name
//! jurisdiction = "eu"         # "eu" or "fedramp" (default none)
//! ```
//!
//! Two Workers that name the same bucket (and jurisdiction) share it; its
//! objects live in the state folder (`[server] state_dir`).

use serde::Deserialize;

/// The keys of an `r2_buckets` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] = &["binding", "bucket_name", "jurisdiction"];

/// The jurisdictions R2 documents.
pub const R2_JURISDICTIONS: [&str; 2] = ["eu", "fedramp"];

/// One `[[workers.r2_buckets]]` entry, as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawR2Bucket {
    pub(crate) binding: Option<String>,
    pub(crate) bucket_name: Option<String>,
    pub(crate) jurisdiction: Option<String>,
}

/// An R2 bucket binding: `env.BINDING` is an `R2Bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R2BucketBinding {
    /// The name in `env`.
    pub binding: String,
    /// The bucket: 1 to 63 ASCII letters, digits, `-` and `_`. Default: the
    /// binding's name.
    pub bucket_name: String,
    /// `eu` or `fedramp`; a bucket of that name in a jurisdiction is
    /// another bucket. Default none.
    pub jurisdiction: Option<String>,
}

/// The bindings of `raw`; `taken` tells whether a name in `env` is already
/// used by another binding. On error, the field (relative to the Worker,
/// e.g. `r2_buckets[0].bucket_name`) and what is wrong.
pub(crate) fn validate(
    raw: &[RawR2Bucket],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<R2BucketBinding>, (String, String)> {
    let mut out: Vec<R2BucketBinding> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let field = |f: &str| format!("r2_buckets[{i}].{f}");
        let binding = r
            .binding
            .clone()
            .ok_or_else(|| (field("binding"), "missing".to_owned()))?;
        let identifier = binding
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && binding
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !identifier {
            return Err((
                field("binding"),
                format!("'{binding}' is not a JavaScript identifier"),
            ));
        }
        if taken(&binding) || out.iter().any(|b| b.binding == binding) {
            return Err((
                field("binding"),
                format!("'{binding}' is already a binding of this Worker"),
            ));
        }
        let bucket_name = r.bucket_name.clone().unwrap_or_else(|| binding.clone());
        let name_ok = (1..=63).contains(&bucket_name.len())
            && bucket_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err((
                field("bucket_name"),
                format!(
                    "'{bucket_name}' is not a bucket name (1 to 63 letters, digits, '-' or '_')"
                ),
            ));
        }
        if let Some(j) = &r.jurisdiction {
            if !R2_JURISDICTIONS.contains(&j.as_str()) {
                return Err((
                    field("jurisdiction"),
                    format!("'{j}' is not a jurisdiction (\"eu\" or \"fedramp\")"),
                ));
            }
        }
        out.push(R2BucketBinding {
            binding,
            bucket_name,
            jurisdiction: r.jurisdiction.clone(),
        });
    }
    Ok(out)
}
