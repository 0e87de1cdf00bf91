//! Wrangler configs against the real server, on every engine: routes
//! (patterns, zones, custom domains), vars, a service binding, an
//! `[env.NAME]` section, crons, unsupported keys warned about once each,
//! and the compatibility date shown; as TOML and as JSON with comments.

mod common;

use common::{fixture, on_each_engine, run_motu, Server};

fn get(s: &Server, host: &str, path: &str) -> common::Response {
    s.request("GET", path, &[("host", host)], b"")
}

fn serves_the_top_level(file: &str, engine: &str) {
    let config = fixture(&format!("wrangler/{file}"));
    let s = Server::start(&["--config", config.to_str().unwrap(), "--engine", engine]);
    for (host, path) in [
        ("shop.example.com", "/a"),
        ("example.com", "/shop/b"),
        ("shop.example.net", "/any/path"),
        ("shop.localhost", "/c"),
    ] {
        let r = get(&s, host, path);
        assert_eq!(r.status, 200, "{host}{path}: {}", r.text());
        let body = r.json();
        assert_eq!(body["path"], path);
        assert_eq!(body["greeting"], "hello");
        assert_eq!(body["level"], 3);
        assert_eq!(body["inner"], "inner", "the SELF service binding");
    }
    for (host, path) in [("example.com", "/other"), ("staging.example.com", "/")] {
        assert_eq!(get(&s, host, path).status, 404, "{host}{path}");
    }
    let log = s.wait_for_log("compatibility date");
    assert!(log.contains("compatibility date 2024-09-23"), "{log}");
    for key in ["'vectorize'", "'not_a_motu_flag'"] {
        assert_eq!(
            log.matches(key).count(),
            1,
            "one warning naming {key}:\n{log}"
        );
    }
    assert!(
        log.contains("compatibility flag 'not_a_motu_flag' is not supported by motu"),
        "{log}"
    );
    assert!(
        !log.contains("'url_standard'"),
        "a flag motu implements is not warned about:\n{log}"
    );
    assert!(
        !log.contains("'compatibility_flags'"),
        "the key is read:\n{log}"
    );
    assert!(
        log.contains(&format!("{file}: key 'vectorize' is not supported")),
        "{log}"
    );
}

fn serves_an_env_section(file: &str, engine: &str) {
    let config = fixture(&format!("wrangler/{file}"));
    let s = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--env",
        "staging",
        "--engine",
        engine,
    ]);
    for host in ["staging.example.com", "shop-staging.localhost"] {
        let r = get(&s, host, "/x");
        assert_eq!(r.status, 200, "{host}: {}", r.text());
        let body = r.json();
        assert_eq!(body["greeting"], "hi from staging");
        assert_eq!(
            body["level"],
            serde_json::Value::Null,
            "vars are not inherited"
        );
        assert_eq!(body["inner"], "inner");
    }
    assert_eq!(get(&s, "shop.example.com", "/").status, 404);
    let log = s.wait_for_log("compatibility date");
    assert!(log.contains("compatibility date 2024-09-23"), "{log}");
    assert_eq!(log.matches("'env.staging.vectorize'").count(), 1, "{log}");
}

#[test]
fn wrangler_toml_is_served() {
    on_each_engine("wrangler_toml_is_served", |engine| {
        serves_the_top_level("wrangler.toml", engine);
        serves_an_env_section("wrangler.toml", engine);
    });
}

#[test]
fn wrangler_jsonc_is_served() {
    on_each_engine("wrangler_jsonc_is_served", |engine| {
        serves_the_top_level("wrangler.jsonc", engine);
        serves_an_env_section("wrangler.jsonc", engine);
    });
}

#[test]
fn wrangler_crons_reach_the_scheduled_handler() {
    let config = fixture("wrangler/wrangler.toml");
    let (code, stdout, stderr) =
        run_motu(&["trigger", "--config", config.to_str().unwrap(), "shop"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("shop: scheduled event (*/5 * * * *) ran"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_env_is_refused() {
    let config = fixture("wrangler/wrangler.toml");
    let (code, _, stderr) = run_motu(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--env",
        "production",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("no [env.production] section"), "{stderr}");
    assert!(stderr.contains("staging"), "{stderr}");
}

/// A project after a build with the Cloudflare Vite plugin: its own
/// wrangler.jsonc names sources that are not there to run, the build wrote
/// the Worker and a generated config (every binding kind listed empty,
/// `exports` and `migrations` both empty) under build/server, and
/// .wrangler/deploy/config.json points there.
fn built_project() -> common::TempConfig {
    common::TempConfig::new(&[
        (
            "wrangler.jsonc",
            r#"{ "name": "app", "main": "./workers/app.ts", "compatibility_date": "2025-10-08" }"#,
        ),
        (
            "build/server/index.js",
            "export default { fetch: () => new Response('built') };",
        ),
        (
            "build/server/wrangler.json",
            r#"{"configPath":"/elsewhere/wrangler.jsonc","userConfigPath":"/elsewhere/wrangler.jsonc",
                "topLevelName":"app","definedEnvironments":[],"name":"app","main":"index.js",
                "compatibility_date":"2025-10-08","triggers":{},"workflows":[],"migrations":[],
                "exports":{},"kv_namespaces":[],"durable_objects":{"bindings":[]},
                "queues":{"producers":[],"consumers":[]}}"#,
        ),
        (
            ".wrangler/deploy/config.json",
            r#"{"configPath":"../../build/server/wrangler.json","auxiliaryWorkers":[]}"#,
        ),
    ])
}

#[test]
fn a_builds_redirected_config_is_served() {
    on_each_engine("a_builds_redirected_config_is_served", |engine| {
        let project = built_project();
        let dir = project.dir.path().to_path_buf();
        let s = Server::start_in(Some(&dir), "dev", &["--port", "0", "--engine", engine], &[]);
        let r = s.get("/");
        assert_eq!((r.status, r.text().as_str()), (200, "built"), "{}", s.log());
        let log = s.log();
        assert!(
            log.contains("using the redirected config build/server/wrangler.json"),
            "{log}"
        );
        assert!(!log.contains("not supported"), "{log}");
    });
}

#[test]
fn a_redirect_to_a_missing_config_is_an_error() {
    let project = built_project();
    let dir = project.dir.path().to_path_buf();
    std::fs::remove_file(dir.join("build/server/wrangler.json")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_motu"))
        .current_dir(&dir)
        .args(["check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("points to build/server/wrangler.json, which does not exist"),
        "{stderr}"
    );
}

/// `motu dev` gives a Wrangler project a `request.cf` as `wrangler dev`
/// does: the `cf.json` wrangler cached in the project, else wrangler's
/// offline placeholder (Austin, Texas); `motu serve` invents no location.
#[test]
fn motu_dev_gives_request_cf_as_wrangler_dev() {
    on_each_engine("motu_dev_gives_request_cf_as_wrangler_dev", |engine| {
        let c = common::TempConfig::new(&[
            (
                "cf.js",
                "export default { fetch(request) { return Response.json(request.cf); } };",
            ),
            ("wrangler.jsonc", r#"{ "name": "where", "main": "cf.js" }"#),
        ]);
        let args = ["--config", &c.path("wrangler.jsonc"), "--engine", engine];
        let cf = |command: &str| {
            let s = Server::start_command(command, &args, &[]);
            let r = s.get("/");
            assert_eq!(r.status, 200, "{}", s.log());
            r.json()
        };
        let placeholder = cf("dev");
        assert_eq!(placeholder["city"], "Austin", "{placeholder}");
        assert_eq!(placeholder["latitude"], "30.27130");
        assert_eq!(placeholder["longitude"], "-97.74260");
        assert_eq!(placeholder["httpProtocol"], "HTTP/1.1", "motu's own field");
        let served = cf("serve");
        assert!(served.get("city").is_none(), "{served}");
        let cache = std::path::Path::new(&c.path("wrangler.jsonc"))
            .parent()
            .unwrap()
            .join(".wrangler/cache");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(
            cache.join("cf.json"),
            r#"{ "city": "Lisbon", "country": "PT", "latitude": "38.71" }"#,
        )
        .unwrap();
        let cached = cf("dev");
        assert_eq!(
            (&cached["city"], &cached["country"], &cached["latitude"]),
            (&"Lisbon".into(), &"PT".into(), &"38.71".into()),
            "{cached}"
        );
        assert!(
            cached.get("asn").is_none(),
            "only the cached file: {cached}"
        );
    });
}

/// A Wrangler project's version metadata and Analytics Engine dataset, as
/// `wrangler dev` gives them: `{ id, tag, timestamp }` with a fresh UUID,
/// and a dataset whose `writeDataPoint` records nothing.
#[test]
fn version_metadata_and_analytics_engine_bindings() {
    on_each_engine("version_metadata_and_analytics_engine_bindings", |engine| {
        let c = common::TempConfig::new(&[
            (
                "meta.js",
                "export default { fetch(request, env) {\n\
                   const written = env.STATS.writeDataPoint({ blobs: ['a'], doubles: [1], indexes: ['i'] });\n\
                   let bad = 'none';\n\
                   try { env.STATS.writeDataPoint(5); } catch (e) { bad = e.constructor.name; }\n\
                   return Response.json({ meta: env.CF_VERSION_METADATA, written: written === undefined, bad,\n\
                     kind: Object.prototype.toString.call(env.STATS) });\n\
                 } };",
            ),
            (
                "wrangler.jsonc",
                r#"{ "name": "meta", "main": "meta.js",
                     "version_metadata": { "binding": "CF_VERSION_METADATA" },
                     "analytics_engine_datasets": [{ "binding": "STATS", "dataset": "requests" }] }"#,
            ),
        ]);
        let s = Server::start(&["--config", &c.path("wrangler.jsonc"), "--engine", engine]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let v = r.json();
        let id = v["meta"]["id"].as_str().unwrap();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert_eq!(&id[14..15], "4", "a version 4 UUID: {id}");
        assert_eq!(v["meta"]["tag"], "");
        let timestamp = v["meta"]["timestamp"].as_str().unwrap();
        assert!(chrono_like(timestamp), "{timestamp}");
        assert_eq!(v["written"], true);
        assert_eq!(v["bad"], "TypeError");
        assert_eq!(v["kind"], "[object AnalyticsEngineDataset]");
    });
}

/// Whether `text` looks like `2026-12-07T15:30:00.000Z`.
fn chrono_like(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && text.ends_with('Z')
}

/// A rate limiting binding, as `wrangler dev` gives one: calls per key in a
/// window of the binding's period, counted in its namespace (which another
/// binding of the same namespace shares), and the options checked with
/// wrangler's messages. The Worker makes its calls in one request and says
/// whether a window boundary fell among them (then the test asks again).
#[test]
fn rate_limiting_bindings_count_per_key_and_namespace() {
    on_each_engine(
        "rate_limiting_bindings_count_per_key_and_namespace",
        |engine| {
            let c = common::TempConfig::new(&[
            (
                "limit.js",
                "export default { async fetch(request, env) {\n\
                   const window = () => Math.floor(Date.now() / 60000);\n\
                   const start = window();\n\
                   const a = 'a' + new URL(request.url).searchParams.get('n');\n\
                   const calls = [];\n\
                   for (let i = 0; i < 4; i++) calls.push((await env.RL.limit({ key: a })).success);\n\
                   const other = (await env.RL.limit({ key: 'b' })).success;\n\
                   const shared = (await env.RL_MORE.limit({ key: a })).success;\n\
                   const errors = [];\n\
                   for (const o of [undefined, { key: 1 }, { key: 'a', period: 30 }, { key: 'a', nope: 1 }]) {\n\
                     try { await env.RL.limit(o); errors.push('none'); } catch (e) { errors.push(e.message); }\n\
                   }\n\
                   return Response.json({ calls, other, shared, errors, sameWindow: start === window() });\n\
                 } };",
            ),
            (
                "wrangler.jsonc",
                r#"{ "name": "limits", "main": "limit.js",
                     "ratelimits": [
                       { "name": "RL", "namespace_id": "1001", "simple": { "limit": 3, "period": 60 } },
                       { "name": "RL_MORE", "namespace_id": "1001", "simple": { "limit": 5, "period": 60 } }
                     ] }"#,
            ),
        ]);
            let s = Server::start(&["--config", &c.path("wrangler.jsonc"), "--engine", engine]);
            // Each attempt counts a key of its own; one that a minute's turn
            // split is asked again.
            let v = (0..).find_map(|n| {
                let r = s.get(&format!("/?n={n}"));
                assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
                let v = r.json();
                (v["sameWindow"] == true).then_some(v)
            });
            let v = v.unwrap();
            assert_eq!(
                v["calls"],
                serde_json::json!([true, true, true, false]),
                "{v}"
            );
            assert_eq!(v["other"], true, "another key has its own count: {v}");
            assert_eq!(v["shared"], true, "4 calls counted, under RL_MORE's 5: {v}");
            assert_eq!(
                v["errors"],
                serde_json::json!([
                    "invalid rate limit options",
                    "invalid key: 1",
                    "unsupported period: 30",
                    "bad rate limit options: [nope]"
                ])
            );
        },
    );
}

#[test]
fn a_binding_to_a_worker_not_run_here_answers_as_wrangler_devs() {
    on_each_engine("wrangler_absent_service", |engine| {
        let c = common::TempConfig::new(&[
            (
                "wrangler.toml",
                "name = \"app\"\nmain = \"index.js\"\nservices = [{ binding = \"AUTH\", service = \"auth\" }]\n",
            ),
            (
                "index.js",
                "export default { async fetch(request, env) {\n\
                   const r = await env.AUTH.fetch(request);\n\
                   let thrown;\n\
                   try { await env.AUTH.check('x'); } catch (e) { thrown = e.message; }\n\
                   return Response.json({ status: r.status, text: await r.text(), thrown });\n\
                 } };\n",
            ),
        ]);
        let s = Server::start(&["--config", &c.path("wrangler.toml"), "--engine", engine]);
        let message = "Worker \"auth\" not found. Make sure it is running locally.";
        assert_eq!(
            s.get("/").json(),
            serde_json::json!({ "status": 503, "text": message, "thrown": message })
        );
        assert!(
            s.log().contains("'AUTH' names Worker 'auth'"),
            "{}",
            s.log()
        );
    });
}

/// `alias` swaps a package for a file of the project, in the Worker's own
/// modules and in its packages; `dev.ip`/`dev.port` say where `motu dev`
/// listens; the keys that only matter when deploying are not warned about.
#[test]
fn aliases_dev_settings_and_deploy_only_keys() {
    on_each_engine("aliases_dev_settings_and_deploy_only_keys", |engine| {
        let project = common::TempConfig::new(&[
            (
                "wrangler.jsonc",
                r#"{
                  "name": "app", "main": "src/index.js", "compatibility_date": "2025-10-08",
                  "compatibility_flags": ["nodejs_compat"],
                  // port 0: any free port (without this table, motu dev takes 8787)
                  "dev": { "ip": "127.0.0.2", "port": 0, "local_protocol": "http", "inspector_port": 9230 },
                  "alias": { "node-fetch": "./shims/fetch.js", "old-events": "node:events" },
                  "observability": { "enabled": true, "head_sampling_rate": 1 },
                  "upload_source_maps": true,
                  "placement": { "mode": "smart" },
                  "account_id": "0123"
                }"#,
            ),
            (
                "src/index.js",
                "import fetchLike from 'node-fetch';\n\
                 import viaPackage from 'lib';\n\
                 import sub from 'node-fetch/sub.js';\n\
                 import { EventEmitter } from 'old-events';\n\
                 export default { fetch: () => Response.json({ fetchLike: fetchLike(), viaPackage,\n\
                   sub, emitter: typeof EventEmitter }) };",
            ),
            ("shims/fetch.js", "export default () => 'shim';"),
            (
                "node_modules/node-fetch/package.json",
                r#"{ "name": "node-fetch", "main": "index.js" }"#,
            ),
            (
                "node_modules/node-fetch/index.js",
                "module.exports = () => 'real';",
            ),
            ("node_modules/node-fetch/sub.js", "module.exports = 'sub';"),
            (
                "node_modules/lib/package.json",
                r#"{ "name": "lib", "main": "index.js" }"#,
            ),
            (
                "node_modules/lib/index.js",
                "module.exports = require('node-fetch').default();",
            ),
        ]);
        let dir = project.dir.path().to_path_buf();
        let s = Server::start_in(Some(&dir), "dev", &["--engine", engine], &[]);
        let (ip, port) = s.addr.rsplit_once(':').unwrap();
        assert_eq!(ip, "127.0.0.2", "dev.ip: {}", s.log());
        assert_ne!(port, "8787", "dev.port: {}", s.log());
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}", s.log());
        let body = r.json();
        assert_eq!(body["fetchLike"], "shim");
        assert_eq!(body["viaPackage"], "shim", "inside a package too");
        assert_eq!(body["sub"], "sub", "a subpath is not the alias");
        assert_eq!(body["emitter"], "function", "an alias to a built-in module");
        let log = s.log();
        assert!(
            log.contains("key 'dev.inspector_port' is not supported"),
            "{log}"
        );
        for key in [
            "observability",
            "upload_source_maps",
            "placement",
            "account_id",
            "'dev'",
            "'alias'",
        ] {
            assert!(!log.contains(key), "{key} is read:\n{log}");
        }
    });
}
