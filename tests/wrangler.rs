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
    for key in ["'analytics_engine_datasets'", "'not_a_motu_flag'"] {
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
        log.contains(&format!(
            "{file}: key 'analytics_engine_datasets' is not supported"
        )),
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
    assert_eq!(
        log.matches("'env.staging.analytics_engine_datasets'")
            .count(),
        1,
        "{log}"
    );
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
