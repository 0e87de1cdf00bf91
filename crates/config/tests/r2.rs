//! R2 bucket bindings in Wrangler configs and motu.toml.

use motu_config::{ConfigError, Loaded, R2BucketBinding, Settings};

const ENGINES: &[&str] = &["quickjs", "v8"];

fn load(file: &str, text: &str, env: Option<&str>) -> Result<Loaded, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.js"), "export default {}").unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, text).unwrap();
    Settings::load_any_with_env(&path, env, ENGINES, Vec::new())
}

fn bucket(binding: &str, name: &str, jurisdiction: Option<&str>) -> R2BucketBinding {
    R2BucketBinding {
        binding: binding.into(),
        bucket_name: name.into(),
        jurisdiction: jurisdiction.map(Into::into),
    }
}

const WRANGLER: &str = r#"{
  "name": "files",
  "main": "src/index.js",
  "r2_buckets": [
    { "binding": "FILES", "bucket_name": "files", "preview_bucket_name": "files-preview" },
    { "binding": "EU", "bucket_name": "files", "jurisdiction": "eu" },
    { "binding": "DEFAULTED" }
  ],
  "env": {
    "staging": { "r2_buckets": [{ "binding": "FILES", "bucket_name": "files-staging" }] },
    "bare": { "vars": { "X": "1" } }
  }
}"#;

#[test]
fn wrangler_r2_buckets_are_read_and_not_inherited_by_environments() {
    let Loaded { settings, warnings } = load("wrangler.jsonc", WRANGLER, None).unwrap();
    assert_eq!(
        settings.workers[0].r2_buckets,
        [
            bucket("FILES", "files", None),
            bucket("EU", "files", Some("eu")),
            bucket("DEFAULTED", "DEFAULTED", None),
        ]
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("'r2_buckets.preview_bucket_name'")),
        "{warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("'r2_buckets'")),
        "{warnings:?}"
    );
    let staging = load("wrangler.jsonc", WRANGLER, Some("staging")).unwrap();
    assert_eq!(
        staging.settings.workers[0].r2_buckets,
        [bucket("FILES", "files-staging", None)]
    );
    let bare = load("wrangler.jsonc", WRANGLER, Some("bare")).unwrap();
    assert!(bare.settings.workers[0].r2_buckets.is_empty());
}

#[test]
fn motu_toml_takes_the_same_fields() {
    let Loaded { settings, .. } = load(
        "motu.toml",
        r#"
[[workers]]
name = "a"
main = "src/index.js"
[[workers.r2_buckets]]
binding = "B"
bucket_name = "shared"
[[workers]]
name = "b"
main = "src/index.js"
[[workers.r2_buckets]]
binding = "OTHER"
bucket_name = "shared"
jurisdiction = "fedramp"
"#,
        None,
    )
    .unwrap();
    assert_eq!(
        settings.workers[0].r2_buckets,
        [bucket("B", "shared", None)]
    );
    assert_eq!(
        settings.workers[1].r2_buckets,
        [bucket("OTHER", "shared", Some("fedramp"))]
    );
}

#[test]
fn bad_r2_buckets_are_errors_naming_the_field() {
    let base = "[[workers]]\nname = \"a\"\nmain = \"src/index.js\"\n";
    for (entry, needle) in [
        ("bucket_name = \"x\"", "r2_buckets[0].binding: missing"),
        ("binding = \"1B\"", "not a JavaScript identifier"),
        (
            "binding = \"B\"\nbucket_name = \"a/b\"",
            "r2_buckets[0].bucket_name",
        ),
        (
            "binding = \"B\"\njurisdiction = \"mars\"",
            "r2_buckets[0].jurisdiction",
        ),
        ("binding = \"B\"\nnope = 1", "nope"),
    ] {
        let text = format!("{base}[[workers.r2_buckets]]\n{entry}\n");
        let e = load("motu.toml", &text, None).unwrap_err().to_string();
        assert!(e.contains(needle), "{entry}: {e}");
    }
    let twice =
        format!("{base}[workers.vars]\nB = \"v\"\n[[workers.r2_buckets]]\nbinding = \"B\"\n");
    let e = load("motu.toml", &twice, None).unwrap_err().to_string();
    assert!(e.contains("already a binding"), "{e}");
    let e = load(
        "wrangler.toml",
        "name = \"a\"\nmain = \"src/index.js\"\nr2_buckets = 3\n",
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("r2_buckets: must be a list"), "{e}");
}
