//! Reading Wrangler configs into settings.

use motu_config::{is_wrangler_config, ConfigError, Loaded};

mod common;

use common::Dir;

impl Dir {
    fn new() -> Self {
        Dir::with(&[("src/index.js", "export default {}")])
    }
    fn load_env(
        &self,
        file: &str,
        text: &str,
        env: Option<&str>,
        vars: &[(&str, &str)],
    ) -> Result<Loaded, ConfigError> {
        self.load_any(file, text, env, vars)
    }
    fn load(&self, file: &str, text: &str, env: Option<&str>) -> Result<Loaded, ConfigError> {
        self.load_any(file, text, env, &[])
    }
}

const TOML: &str = r#"
name = "shop"
main = "src/index.js"
compatibility_date = "2024-09-23"
account_id = "abc"
workers_dev = true
routes = [
  "shop.example.com/*",
  { pattern = "example.com/shop/*", zone_name = "example.com" },
  { pattern = "shop.example.net", custom_domain = true },
]

[triggers]
crons = ["*/5 * * * *"]

[vars]
GREETING = "hello"
LEVEL = 3

[[services]]
binding = "SELF"
service = "shop"

[[services]]
binding = "AUTH"
service = "auth"

[limits]
cpu_ms = 120

[[kv_namespaces]]
binding = "KV"
id = "x"
remote = true

[[vectorize]]
binding = "VEC"
index_name = "i"

[env.staging]
routes = ["staging.example.com/*"]
vars = { GREETING = "hi from staging" }
services = [{ binding = "SELF", service = "shop-staging", entrypoint = "X", props = { tier = "gold" } }]
kv_namespaces = [{ binding = "STAGED", id = "staged" }]
vectorize = [{ binding = "STAGED_VEC", index_name = "i" }]

[env.named]
name = "shop-named-here"
"#;

#[test]
fn the_supported_subset_is_read() {
    let d = Dir::new();
    let Loaded { settings, warnings } = d.load("wrangler.toml", TOML, None).unwrap();
    let w = &settings.workers[0];
    assert_eq!(settings.workers.len(), 1);
    assert_eq!(w.name, "shop");
    assert!(w.main.as_ref().unwrap().ends_with("src/index.js"));
    assert_eq!(w.compatibility_date.as_deref(), Some("2024-09-23"));
    let routes: Vec<String> = w.routes.iter().map(ToString::to_string).collect();
    assert_eq!(
        routes,
        [
            "shop.example.com/*",
            "example.com/shop/*",
            "shop.example.net/*"
        ]
    );
    assert!(w.routes[2].matches("shop.example.net", "/any/path"));
    assert_eq!(w.crons.len(), 1);
    assert_eq!(w.crons[0].expression(), "*/5 * * * *");
    assert_eq!(
        w.vars,
        [
            ("GREETING".to_owned(), serde_json::json!("hello")),
            ("LEVEL".to_owned(), serde_json::json!(3)),
        ]
    );
    assert_eq!(w.limits.cpu, std::time::Duration::from_millis(120));
    // The binding to a Worker this server does not run is set apart, with
    // a warning; the one to itself stays.
    assert_eq!(w.services.len(), 1);
    assert_eq!(w.absent_services, [("AUTH".to_owned(), "auth".to_owned())]);
    assert_eq!(
        (
            w.services[0].binding.as_str(),
            w.services[0].service.as_str()
        ),
        ("SELF", "shop")
    );
    assert!(w.workers_dev, "workers_dev = true is read");
    assert_eq!(
        w.kv_namespaces,
        [motu_config::KvNamespaceSettings {
            binding: "KV".into(),
            id: "x".into(),
            preview_id: None
        }]
    );
    // `account_id` only matters when deploying: read, not warned about.
    assert!(
        !warnings.iter().any(|w| w.contains("account_id")),
        "{warnings:?}"
    );
    for needle in [
        "'vectorize'",
        "'AUTH' names Worker 'auth'",
        "'kv_namespaces.remote'",
    ] {
        assert_eq!(
            warnings.iter().filter(|w| w.contains(needle)).count(),
            1,
            "one warning with {needle}: {warnings:?}"
        );
    }
    assert_eq!(warnings.len(), 3, "{warnings:?}");
}

#[test]
fn an_env_section_overrides_and_does_not_inherit_bindings() {
    let d = Dir::new();
    let Loaded { settings, warnings } = d.load("wrangler.toml", TOML, Some("staging")).unwrap();
    let w = &settings.workers[0];
    assert_eq!(w.name, "shop-staging");
    let routes: Vec<String> = w.routes.iter().map(ToString::to_string).collect();
    assert_eq!(routes, ["staging.example.com/*"]);
    // Inherited: main, compatibility_date, triggers, limits.
    assert!(w.main.as_ref().unwrap().ends_with("src/index.js"));
    assert_eq!(w.compatibility_date.as_deref(), Some("2024-09-23"));
    assert_eq!(w.crons.len(), 1);
    assert_eq!(w.limits.cpu, std::time::Duration::from_millis(120));
    // Not inherited: vars and services.
    assert_eq!(
        w.vars,
        [("GREETING".to_owned(), serde_json::json!("hi from staging"))]
    );
    assert_eq!(w.services.len(), 1);
    assert_eq!(w.services[0].service, "shop-staging");
    assert_eq!(w.services[0].entrypoint.as_deref(), Some("X"));
    assert_eq!(
        w.services[0].props,
        serde_json::json!({ "tier": "gold" }).as_object().cloned()
    );
    let kv: Vec<_> = w
        .kv_namespaces
        .iter()
        .map(|k| (k.binding.as_str(), k.id.as_str()))
        .collect();
    assert_eq!(
        kv,
        [("STAGED", "staged")],
        "the environment's own namespaces only"
    );
    for needle in ["'env.staging.vectorize'", "'vectorize'"] {
        assert!(
            warnings.iter().any(|w| w.contains(needle)),
            "a warning with {needle}: {warnings:?}"
        );
    }
    let named = d.load("wrangler.toml", TOML, Some("named")).unwrap();
    assert_eq!(named.settings.workers[0].name, "shop-named-here");
    assert!(named.settings.workers[0].vars.is_empty());
    assert!(named.settings.workers[0].kv_namespaces.is_empty());
    assert!(
        named
            .warnings
            .iter()
            .any(|w| w.contains("'kv_namespaces' is set at the top level but not in [env.named]")),
        "{:?}",
        named.warnings
    );
}

#[test]
fn an_unknown_env_is_an_error_naming_the_known_ones() {
    let d = Dir::new();
    let e = d
        .load("wrangler.toml", TOML, Some("prod"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("[env.prod]"), "{e}");
    assert!(e.contains("staging") && e.contains("named"), "{e}");
    let e = d
        .load("motu.toml", "", Some("prod"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Wrangler config"), "{e}");
}

#[test]
fn jsonc_reads_the_same_as_toml() {
    let d = Dir::new();
    let text = r#"{
  // comments and trailing commas, as wrangler.jsonc allows
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "shop",
  "main": "src/index.js",
  "compatibility_date": "2024-09-23",
  "route": { "pattern": "shop.example.com/*", "zone_name": "example.com" },
  "triggers": { "crons": ["0 * * * *"] },
  "vars": { "CONFIG": { "a": [1, 2] }, },
  "limits": { "cpu_ms": 80 },
  /* unsupported */ "vectorize": [{ "binding": "VEC", "index_name": "i" }],
  "env": { "dev": { "vars": { "CONFIG": "dev" } } },
}"#;
    for file in ["wrangler.jsonc", "wrangler.json"] {
        let Loaded { settings, warnings } = d.load(file, text, None).unwrap();
        let w = &settings.workers[0];
        assert_eq!(w.routes[0].to_string(), "shop.example.com/*");
        assert_eq!(w.crons[0].expression(), "0 * * * *");
        assert_eq!(w.vars[0].1, serde_json::json!({ "a": [1, 2] }));
        assert_eq!(w.limits.cpu, std::time::Duration::from_millis(80));
        assert_eq!(w.compatibility_date.as_deref(), Some("2024-09-23"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("'vectorize'"), "{warnings:?}");
        let dev = d.load(file, text, Some("dev")).unwrap().settings;
        assert_eq!(dev.workers[0].name, "shop-dev");
        assert_eq!(dev.workers[0].vars[0].1, serde_json::json!("dev"));
    }
}

#[test]
fn environment_overrides_apply_to_wrangler_configs() {
    let d = Dir::new();
    let loaded = d
        .load_env(
            "wrangler.toml",
            "name = \"a\"\nmain = \"src/index.js\"\n",
            None,
            &[
                ("MOTU_SERVER__LISTEN", "0.0.0.0:9999"),
                ("MOTU_SERVER__ENGINE", "v8"),
                ("MOTU_LIMITS__MEMORY_MB", "64"),
            ],
        )
        .unwrap();
    assert_eq!(loaded.settings.server.listen.to_string(), "0.0.0.0:9999");
    assert_eq!(loaded.settings.server.engine, "v8");
    assert_eq!(loaded.settings.workers[0].limits.memory_bytes, 64 << 20);
}

#[test]
fn dev_vars_become_secrets() {
    let d = Dir::new();
    d.write(".dev.vars", "API_KEY=s3cret\nGREETING=from dev vars\n");
    let loaded = d
        .load(
            "wrangler.toml",
            "name = \"a\"\nmain = \"src/index.js\"\n[vars]\nGREETING = \"hello\"\nOTHER = \"x\"\n",
            None,
        )
        .unwrap();
    let w = &loaded.settings.workers[0];
    let secrets: Vec<(&str, &str)> = w
        .secrets
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect();
    assert_eq!(
        secrets,
        [("API_KEY", "s3cret"), ("GREETING", "from dev vars")]
    );
    assert_eq!(w.vars, [("OTHER".to_owned(), serde_json::json!("x"))]);
}

/// The secrets a Worker of `loaded` sees, by name.
fn secrets_of(loaded: &Loaded) -> Vec<(String, String)> {
    loaded.settings.workers[0]
        .secrets
        .iter()
        .map(|(k, v)| (k.clone(), v.expose().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn env_files_become_secrets_when_there_is_no_dev_vars() {
    let d = Dir::new();
    d.write(".env", "API_KEY=base\nTOKEN=base\nGREETING=from .env\n");
    d.write(".env.local", "TOKEN=local\n");
    d.write(".env.staging", "API_KEY=staging\n");
    let config = "name = \"a\"\nmain = \"src/index.js\"\n[vars]\nGREETING = \"hello\"\nOTHER = \"x\"\n[env.staging]\nvars = { GREETING = \"hi\" }\n";
    let loaded = d.load("wrangler.toml", config, None).unwrap();
    assert_eq!(
        secrets_of(&loaded),
        pairs(&[
            ("API_KEY", "base"),
            ("GREETING", "from .env"),
            ("TOKEN", "local")
        ])
    );
    assert_eq!(
        loaded.settings.workers[0].vars,
        [("OTHER".to_owned(), serde_json::json!("x"))]
    );
    // An environment's own .env file comes before the shared ones.
    let loaded = d.load("wrangler.toml", config, Some("staging")).unwrap();
    assert_eq!(
        secrets_of(&loaded),
        pairs(&[
            ("API_KEY", "staging"),
            ("GREETING", "from .env"),
            ("TOKEN", "local")
        ])
    );
    // With .dev.vars, the .env files are not read at all; with
    // .dev.vars.<env>, neither is .dev.vars for that environment.
    d.write(".dev.vars", "API_KEY=dev\n");
    let loaded = d.load("wrangler.toml", config, None).unwrap();
    assert_eq!(secrets_of(&loaded), pairs(&[("API_KEY", "dev")]));
    d.write(".dev.vars.staging", "TOKEN=dev-staging\n");
    let loaded = d.load("wrangler.toml", config, Some("staging")).unwrap();
    assert_eq!(secrets_of(&loaded), pairs(&[("TOKEN", "dev-staging")]));
    assert_eq!(
        loaded.settings.workers[0].vars,
        [("GREETING".to_owned(), serde_json::json!("hi"))]
    );
}

#[test]
fn secrets_required_picks_the_names_and_warns_of_missing_ones() {
    let d = Dir::new();
    d.write(".env", "API_KEY=k\nUNLISTED=u\n");
    let config = "name = \"a\"\nmain = \"src/index.js\"\n[vars]\nUNLISTED = \"var\"\n[secrets]\nrequired = [\"API_KEY\", \"MISSING\"]\n";
    let loaded = d.load("wrangler.toml", config, None).unwrap();
    assert_eq!(secrets_of(&loaded), pairs(&[("API_KEY", "k")]));
    assert_eq!(
        loaded.settings.workers[0].vars,
        [("UNLISTED".to_owned(), serde_json::json!("var"))]
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("'MISSING'") && w.contains(".env")),
        "{:?}",
        loaded.warnings
    );
    assert!(
        !loaded.warnings.iter().any(|w| w.contains("key 'secrets'")),
        "{:?}",
        loaded.warnings
    );
    let bad = "name = \"a\"\nmain = \"src/index.js\"\nsecrets = [\"X\"]\n";
    let e = d.load("wrangler.toml", bad, None).unwrap_err().to_string();
    assert!(e.contains("secrets"), "{e}");
}

#[test]
fn invalid_values_are_errors_naming_the_field() {
    let d = Dir::new();
    let base = "name = \"a\"\nmain = \"src/index.js\"\n";
    for (extra, needle) in [
        ("compatibility_date = \"soon\"", "compatibility_date"),
        ("routes = [\"exa*mple.com/*\"]", "routes[0]"),
        (
            "routes = [{ pattern = \"a.com/*\", custom_domain = true }]",
            "custom domain",
        ),
        ("[triggers]\ncrons = [\"not a cron\"]", "crons[0]"),
        ("[limits]\ncpu_ms = 0", "cpu_ms"),
        ("routes = 3", "routes"),
        (
            "[[migrations]]\ntag = \"v1\"\n[exports.A]\ntype = \"durable-object\"",
            "exports: cannot be set with 'migrations'",
        ),
        (
            "[exports.A]\ntype = \"durable-object\"\nstate = \"gone\"",
            "exports.A.state",
        ),
    ] {
        let e = d
            .load("wrangler.toml", &format!("{base}{extra}\n"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{extra}: {e}");
        assert!(e.contains("wrangler.toml"), "{extra}: {e}");
    }
    let e = d
        .load("wrangler.toml", "main = \"src/index.js\"\n", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("name: missing"), "{e}");
    let e = d
        .load(
            "wrangler.toml",
            "name = \"a\"\nmain = \"src/nope.js\"\n",
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn the_format_follows_the_file_name() {
    for (name, wrangler) in [
        ("wrangler.toml", true),
        ("wrangler.staging.toml", true),
        ("wrangler.json", true),
        ("x/config.jsonc", true),
        ("motu.toml", false),
        ("config.toml", false),
    ] {
        assert_eq!(is_wrangler_config(name.as_ref()), wrangler, "{name}");
    }
}

#[test]
fn define_is_read_and_not_inherited_and_the_root_is_the_configs_folder() {
    let d = Dir::new();
    let text = "name = \"a\"\nmain = \"src/index.js\"\n\
                [define]\nDEBUG = \"true\"\n\"process.env.API\" = '\"https://api\"'\n\
                [env.prod]\n[env.prod.define]\nDEBUG = \"false\"\n[env.bare]\n";
    let w = &d
        .load("wrangler.toml", text, None)
        .unwrap()
        .settings
        .workers[0];
    assert_eq!(
        w.define,
        [
            ("DEBUG".to_owned(), "true".to_owned()),
            ("process.env.API".to_owned(), "\"https://api\"".to_owned())
        ]
    );
    assert_eq!(w.root, d.0.path());
    let prod = d.load("wrangler.toml", text, Some("prod")).unwrap();
    assert_eq!(
        prod.settings.workers[0].define,
        [("DEBUG".to_owned(), "false".to_owned())]
    );
    let bare = d.load("wrangler.toml", text, Some("bare")).unwrap();
    assert!(bare.settings.workers[0].define.is_empty(), "not inherited");
    let e = d
        .load(
            "wrangler.toml",
            "name = \"a\"\nmain = \"src/index.js\"\n[define]\nX = 1\n",
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("define.X") && e.contains("must be a string"),
        "{e}"
    );
}

#[test]
fn jsx_and_tsconfig_keys_are_read_and_inherited() {
    let d = Dir::new();
    let text = "name = \"a\"\nmain = \"src/index.js\"\n\
                jsx_factory = \"h\"\njsx_fragment = \"Fragment\"\ntsconfig = \"tsconfig.worker.json\"\n\
                [env.prod]\njsx_factory = \"jsx\"\n";
    let loaded = d.load("wrangler.toml", text, None).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let w = &loaded.settings.workers[0];
    assert_eq!(w.jsx_factory.as_deref(), Some("h"));
    assert_eq!(w.jsx_fragment.as_deref(), Some("Fragment"));
    assert_eq!(
        w.tsconfig.as_deref(),
        Some(d.0.path().join("tsconfig.worker.json").as_path())
    );
    let prod = &d
        .load("wrangler.toml", text, Some("prod"))
        .unwrap()
        .settings
        .workers[0];
    assert_eq!(prod.jsx_factory.as_deref(), Some("jsx"));
    assert_eq!(prod.jsx_fragment.as_deref(), Some("Fragment"), "inherited");
    let e = d
        .load(
            "wrangler.toml",
            "name = \"a\"\nmain = \"src/index.js\"\ntsconfig = 3\n",
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tsconfig") && e.contains("must be a string"),
        "{e}"
    );
}

#[test]
fn a_generated_configs_empty_keys_ask_for_nothing() {
    // As the Cloudflare Vite plugin writes build/server/wrangler.json: every
    // binding kind listed empty, `exports` and `migrations` both there and
    // empty, and keys saying where the config came from.
    let d = Dir::new();
    let text = r#"{"configPath":"/p/wrangler.jsonc","userConfigPath":"/p/wrangler.jsonc",
        "topLevelName":"app","definedEnvironments":[],"name":"app","main":"src/index.js",
        "compatibility_date":"2025-10-08","triggers":{},"durable_objects":{"bindings":[]},
        "workflows":[],"migrations":[],"exports":{},"kv_namespaces":[],"cloudchamber":{},
        "queues":{"producers":[],"consumers":[]},"vectorize":[],"logfwdr":{"bindings":[]},
        "unsafe":null,"minify":true,"tail_consumers":[{"service":"t"}]}"#;
    let Loaded { settings, warnings } = d.load("wrangler.json", text, None).unwrap();
    assert_eq!(settings.workers[0].name, "app");
    // Only the key that asks for something is named.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("'tail_consumers'"), "{warnings:?}");
    // An empty `exports` beside `migrations`, or the other way round, is no conflict.
    for extra in [
        "[[migrations]]\ntag = \"v1\"\nnew_classes = [\"A\"]\n[exports]\n",
        "migrations = []\n[exports.A]\ntype = \"durable-object\"\n",
    ] {
        let text = format!("name = \"a\"\nmain = \"src/index.js\"\n{extra}");
        d.load("wrangler.toml", &text, None)
            .unwrap_or_else(|e| panic!("{extra}: {e}"));
    }
}

#[test]
fn without_limits_cpu_ms_a_worker_gets_cloudflares_default() {
    use std::time::Duration;
    let d = Dir::new();
    let bare = "name = \"w\"\nmain = \"src/index.js\"\n";
    let cpu = |text: &str, vars: &[(&str, &str)]| {
        let loaded = d.load_env("wrangler.toml", text, None, vars).unwrap();
        loaded.settings.workers[0].limits.cpu
    };
    // Cloudflare's 30 s, not motu.toml's 50 ms.
    assert_eq!(cpu(bare, &[]), Duration::from_secs(30));
    // The config's own limit, then the server-wide override, still win.
    let own = format!("{bare}[limits]\ncpu_ms = 70\n");
    assert_eq!(cpu(&own, &[]), Duration::from_millis(70));
    let env = [("MOTU_LIMITS__CPU_MS", "2000")];
    assert_eq!(cpu(bare, &env), Duration::from_millis(2000));
    assert_eq!(cpu(&own, &env), Duration::from_millis(70));
    // motu.toml keeps motu's default.
    let toml = "[[workers]]\nname = \"w\"\nmain = \"src/index.js\"\n";
    let loaded = d.load_env("motu.toml", toml, None, &[]).unwrap();
    assert_eq!(
        loaded.settings.workers[0].limits.cpu,
        Duration::from_millis(50)
    );
}

#[test]
fn rate_limiters_come_from_ratelimits_and_unsafe_bindings() {
    let d = Dir::new();
    let config = r#"
name = "a"
main = "src/index.js"

[[ratelimits]]
name = "NEW"
namespace_id = "1001"
simple = { limit = 100, period = 60 }

[[unsafe.bindings]]
name = "OLD"
type = "ratelimit"
namespace_id = "1002"
simple = { limit = 5, period = 10 }

[[unsafe.bindings]]
name = "OTHER"
type = "something"
"#;
    let loaded = d.load("wrangler.toml", config, None).unwrap();
    let limits: Vec<(&str, &str, u64, u64)> = loaded.settings.workers[0]
        .ratelimits
        .iter()
        .map(|r| (r.name.as_str(), r.namespace_id.as_str(), r.limit, r.period))
        .collect();
    assert_eq!(limits, [("NEW", "1001", 100, 60), ("OLD", "1002", 5, 10)]);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("'unsafe.bindings[1]'")),
        "{:?}",
        loaded.warnings
    );
    let bad = "name = \"a\"\nmain = \"src/index.js\"\n[[ratelimits]]\nname = \"X\"\nnamespace_id = \"1\"\nsimple = { limit = 1, period = 15 }\n";
    let e = d.load("wrangler.toml", bad, None).unwrap_err().to_string();
    assert!(e.contains("ratelimits[0].simple.period"), "{e}");
}

#[test]
fn workflows_are_read_with_their_step_limit() {
    let d = Dir::new();
    let config = r#"{
  "name": "a", "main": "src/index.js",
  "workflows": [
    { "name": "my-workflow", "binding": "MY_WORKFLOW", "class_name": "MyWorkflow" },
    { "name": "other", "binding": "OTHER", "class_name": "Other", "limits": { "steps": 20 } }
  ]
}"#;
    let loaded = d.load("wrangler.jsonc", config, None).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let flows: Vec<(&str, &str, &str, u64)> = loaded.settings.workers[0]
        .workflows
        .iter()
        .map(|f| {
            (
                f.binding.as_str(),
                f.name.as_str(),
                f.class_name.as_str(),
                f.steps,
            )
        })
        .collect();
    assert_eq!(
        flows,
        [
            ("MY_WORKFLOW", "my-workflow", "MyWorkflow", 10_000),
            ("OTHER", "other", "Other", 20)
        ]
    );
    // A class of another Worker must be one of this server's.
    let elsewhere = r#"{ "name": "a", "main": "src/index.js",
        "workflows": [{ "name": "w", "binding": "W", "class_name": "C", "script_name": "nowhere" }] }"#;
    let e = d
        .load("wrangler.jsonc", elsewhere, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("workflows[0].script_name"), "{e}");
}

#[test]
fn worker_loaders_are_read_and_not_inherited_by_environments() {
    let d = Dir::new();
    let config = r#"{
  "name": "a", "main": "src/index.js",
  "worker_loaders": [{ "binding": "LOADER" }, { "binding": "SANDBOX" }],
  "env": { "staging": {} }
}"#;
    let loaded = d.load("wrangler.jsonc", config, None).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(
        loaded.settings.workers[0].worker_loaders,
        ["LOADER", "SANDBOX"]
    );
    let staging = d.load("wrangler.jsonc", config, Some("staging")).unwrap();
    assert!(staging.settings.workers[0].worker_loaders.is_empty());
    assert!(
        staging.warnings.iter().any(
            |w| w.contains("'worker_loaders' is set at the top level but not in [env.staging]")
        ),
        "{:?}",
        staging.warnings
    );
    // A name taken by another binding is refused.
    let taken = r#"{ "name": "a", "main": "src/index.js", "vars": {},
        "kv_namespaces": [{ "binding": "X", "id": "1" }], "worker_loaders": [{ "binding": "X" }] }"#;
    let e = d
        .load("wrangler.jsonc", taken, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("worker_loaders[0].binding"), "{e}");
}

#[test]
fn alias_and_dev_reach_the_settings_and_environments() {
    let d = Dir::new();
    let text = r#"{
  "name": "shop", "main": "src/index.js",
  "alias": { "node-fetch": "./shims/fetch" },
  "dev": { "port": 9001 },
  "observability": { "enabled": true },
  "env": { "staging": { "upload_source_maps": true, "observability": { "enabled": false } } }
}"#;
    for env in [None, Some("staging")] {
        let Loaded { settings, warnings } = d.load("wrangler.jsonc", text, env).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            settings.workers[0].alias,
            [("node-fetch".to_owned(), "./shims/fetch".to_owned())]
        );
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:9001");
    }
    let Loaded { settings, .. } = d
        .load_env(
            "wrangler.jsonc",
            text,
            None,
            &[("MOTU_SERVER__LISTEN", "127.0.0.1:7")],
        )
        .unwrap();
    assert_eq!(settings.server.listen.to_string(), "127.0.0.1:7");
    // In an environment, `dev` and `alias` are the top level's only.
    let nested = r#"{ "name": "shop", "main": "src/index.js",
      "env": { "staging": { "alias": { "a": "./b" }, "dev": { "port": 1 } } } }"#;
    let Loaded { settings, warnings } = d.load("wrangler.jsonc", nested, Some("staging")).unwrap();
    assert!(settings.workers[0].alias.is_empty());
    assert_eq!(settings.server.listen.port(), 8787);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let err = d
        .load(
            "wrangler.jsonc",
            r#"{ "name": "s", "main": "src/index.js", "alias": { "a": 1 } }"#,
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("alias.a"), "{err}");
    // motu.toml's form.
    let toml = "[[workers]]\nname = \"s\"\nmain = \"src/index.js\"\n[workers.alias]\n\"node-fetch\" = \"./x\"\n";
    let Loaded { settings, .. } = d.load("motu.toml", toml, None).unwrap();
    assert_eq!(settings.workers[0].alias[0].1, "./x");
}
