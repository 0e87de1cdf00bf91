//! Loading and validating config files.

use std::path::Path;

use motu_config::{ConfigError, HostPattern, Settings};

mod common;

use common::{Dir, ENGINES};

impl Dir {
    fn new() -> Self {
        Dir::with(&[("worker.js", "export default {}")])
    }
    fn load(&self, toml: &str) -> Result<Settings, ConfigError> {
        let p = self.write("motu.toml", toml);
        Settings::load_with_env(&p, ENGINES, Vec::new())
    }
    fn error(&self, toml: &str) -> String {
        self.load(toml).unwrap_err().to_string()
    }
}

#[test]
fn a_full_config_loads_with_defaults_filled_in() {
    let d = Dir::new();
    d.write("api/main.js", "export default {}");
    let s = d
        .load(
            r#"
[server]
engine = "v8"

[[workers]]
name = "site"
main = "worker.js"
routes = ["example.com/*"]

[[workers]]
name = "api"
main = "api/main.js"
routes = ["*.example.com/api/*"]
engine = "quickjs"
[workers.vars]
GREETING = "hello"
LIMIT = 3
"#,
        )
        .unwrap();
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:8787");
    assert_eq!(s.server.engine, "v8");
    assert_eq!(s.server.threads, 0);
    assert_eq!(s.workers.len(), 2);
    assert_eq!(s.workers[1].name, "api");
    assert!(s.workers[1].main.as_ref().unwrap().ends_with("api/main.js"));
    assert_eq!(
        s.workers[1].routes[0].host,
        HostPattern::Suffix(".example.com".into())
    );
    assert_eq!(s.workers[1].engine.as_deref(), Some("quickjs"));
    assert_eq!(
        s.workers[1].vars,
        vec![
            ("GREETING".to_owned(), serde_json::json!("hello")),
            ("LIMIT".to_owned(), serde_json::json!(3)),
        ]
    );
}

#[test]
fn environment_overrides_the_file_and_ignores_unrelated_variables() {
    let d = Dir::new();
    let p = d.write("motu.toml", "[server]\nlisten = \"127.0.0.1:1\"\n");
    let env = vec![
        (
            "MOTU_SERVER__LISTEN".to_owned(),
            "127.0.0.1:9999".to_owned(),
        ),
        ("MOTU_SERVER__THREADS".to_owned(), "3".to_owned()),
        ("MOTU_LIBNODE_PREFIX".to_owned(), "/somewhere".to_owned()),
    ];
    let s = Settings::load_with_env(&p, ENGINES, env).unwrap();
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:9999");
    assert_eq!(s.server.threads, 3);
}

#[test]
fn a_missing_file_names_the_file() {
    let e = Settings::load_with_env(Path::new("/nonexistent/motu.toml"), ENGINES, Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/motu.toml: "), "{e}");
}

#[test]
fn a_toml_syntax_error_names_the_file() {
    let d = Dir::new();
    let e = d.error("[server\nlisten = 1");
    assert!(e.contains("motu.toml: ") && e.contains("line 1"), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let d = Dir::new();
    let e = d.error("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 2\n");
    assert!(e.contains("motu.toml") && e.contains("lisen"), "{e}");
    let e = d.error("[[workers]]\nname = \"a\"\nmain = \"worker.js\"\nroute = \"x/*\"\n");
    assert!(e.contains("motu.toml") && e.contains("route"), "{e}");
}

#[test]
fn a_wildcard_in_the_middle_of_a_route_is_refused() {
    let d = Dir::new();
    let e = d.error("[[workers]]\nname = \"a\"\nmain = \"worker.js\"\nroutes = [\"ok.com/*\", \"exa*mple.com/*\"]\n");
    assert!(e.contains("motu.toml: workers[0].routes[1]: "), "{e}");
    assert!(e.contains("'*' is only allowed"), "{e}");
}

#[test]
fn two_workers_with_one_name_are_refused() {
    let d = Dir::new();
    let e = d.error(
        "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n",
    );
    assert!(
        e.contains("workers[1].name: two Workers are named 'a'"),
        "{e}"
    );
}

#[test]
fn a_missing_main_is_refused() {
    let d = Dir::new();
    let e = d.error("[[workers]]\nname = \"a\"\nmain = \"nope.js\"\n");
    assert!(
        e.contains("workers[0].main: ") && e.contains("nope.js"),
        "{e}"
    );
}

#[test]
fn an_engine_that_is_not_built_in_is_refused() {
    let d = Dir::new();
    let p = d.write("motu.toml", "[server]\nengine = \"v8\"\n");
    let e = Settings::load_with_env(&p, &["quickjs"], Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("server.engine: engine 'v8' is not built in"),
        "{e}"
    );
    let e = d.error("[[workers]]\nname = \"a\"\nmain = \"worker.js\"\nengine = \"spidermonkey\"\n");
    assert!(e.contains("workers[0].engine: "), "{e}");
}

#[test]
fn a_bad_listen_address_is_refused() {
    let d = Dir::new();
    let e = d.error("[server]\nlisten = \"localhost\"\n");
    assert!(e.contains("server.listen: "), "{e}");
}

#[test]
fn the_admin_listener_is_off_by_default_and_validated_like_listen() {
    let d = Dir::new();
    assert_eq!(d.load("").unwrap().admin.listen, None);
    let s = d.load("[admin]\nlisten = \"127.0.0.1:9090\"\n").unwrap();
    assert_eq!(s.admin.listen.unwrap().to_string(), "127.0.0.1:9090");
    let e = d.error("[admin]\nlisten = \"localhost\"\n");
    assert!(e.contains("admin.listen: "), "{e}");
    let e = d.error("[admin]\nport = 9090\n");
    assert!(e.contains("port"), "{e}");
    let p = d.write("motu.toml", "");
    let env = vec![("MOTU_ADMIN__LISTEN".to_owned(), "127.0.0.1:9191".to_owned())];
    let s = Settings::load_with_env(&p, ENGINES, env).unwrap();
    assert_eq!(s.admin.listen.unwrap().to_string(), "127.0.0.1:9191");
    let s = Settings::single_worker(&d.0.path().join("worker.js"), ENGINES).unwrap();
    assert_eq!(s.admin.listen, None);
}

#[test]
fn a_single_worker_file_serves_every_route() {
    let d = Dir::new();
    let s = Settings::single_worker(&d.0.path().join("worker.js"), ENGINES).unwrap();
    assert_eq!(s.workers[0].name, "worker");
    assert!(s.workers[0].routes[0].matches("any.host", "/any/path"));
    assert!(Settings::single_worker(&d.0.path().join("missing.js"), ENGINES).is_err());
}

#[test]
fn limits_have_defaults_and_per_worker_overrides() {
    let d = Dir::new();
    let s = d
        .load(
            "[limits]\ncpu_ms = 20\nmemory_mb = 64\n\
             [[workers]]\nname = \"a\"\nmain = \"worker.js\"\n\
             [[workers]]\nname = \"b\"\nmain = \"worker.js\"\n[workers.limits]\ncpu_ms = 500\nidle_timeout_s = 5\n",
        )
        .unwrap();
    let ms = std::time::Duration::from_millis;
    assert_eq!(s.limits.cpu, ms(20));
    assert_eq!(s.limits.startup_cpu, ms(1000));
    assert_eq!(s.workers[0].limits.cpu, ms(20));
    assert_eq!(s.workers[0].limits.memory_bytes, 64 << 20);
    assert_eq!(s.workers[1].limits.cpu, ms(500));
    assert_eq!(s.workers[1].limits.memory_bytes, 64 << 20);
    assert_eq!(
        s.workers[1].limits.idle_timeout,
        std::time::Duration::from_secs(5)
    );
    let defaults = d.load("").unwrap().limits;
    assert_eq!(defaults, motu_config::Limits::default());
    assert_eq!(defaults.cpu, ms(50));
    assert_eq!(defaults.memory_bytes, 128 << 20);
}

#[test]
fn the_executor_busy_threshold_and_the_log_rate_have_defaults_and_checks() {
    let d = Dir::new();
    let s = d.load("").unwrap();
    assert_eq!(s.server.executor_busy.as_millis(), 10);
    assert_eq!(s.server.executor_busy, motu_config::DEFAULT_EXECUTOR_BUSY);
    assert_eq!(s.limits.log_bytes_per_s, 1 << 20);
    let s = d
        .load(
            "[server]\nexecutor_busy_ms = 250\n[limits]\nlog_kb_per_s = 64\n\
             [[workers]]\nname = \"a\"\nmain = \"worker.js\"\n\
             [[workers]]\nname = \"b\"\nmain = \"worker.js\"\n[workers.limits]\nlog_kb_per_s = 4096\n",
        )
        .unwrap();
    assert_eq!(s.server.executor_busy.as_millis(), 250);
    assert_eq!(s.workers[0].limits.log_bytes_per_s, 64 << 10);
    assert_eq!(s.workers[1].limits.log_bytes_per_s, 4096 << 10);
    let e = d.error("[server]\nexecutor_busy_ms = 0\n");
    assert!(
        e.contains("server.executor_busy_ms: must be greater than 0"),
        "{e}"
    );
    let e = d.error("[limits]\nlog_kb_per_s = 0\n");
    assert!(
        e.contains("limits.log_kb_per_s: must be greater than 0"),
        "{e}"
    );
}

#[test]
fn bad_limits_are_refused_by_field() {
    let d = Dir::new();
    let e = d.error("[limits]\ncpu_ms = 0\n");
    assert!(e.contains("limits.cpu_ms: must be greater than 0"), "{e}");
    let e = d.error(
        "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n[workers.limits]\nmemory_mb = 0\n",
    );
    assert!(e.contains("workers[0].limits.memory_mb"), "{e}");
    let e = d.error("[limits]\ncpu = 5\n");
    assert!(e.contains("cpu"), "{e}");
}

#[test]
fn server_wide_limits_are_read_and_refused_per_worker() {
    let d = Dir::new();
    let s = d
        .load("[limits]\nmax_isolates = 10\nmemory_budget_mb = 256\nsubrequests = 7\n")
        .unwrap();
    assert_eq!(s.pool.max_isolates, Some(10));
    assert_eq!(s.pool.memory_budget_bytes, Some(256 << 20));
    assert_eq!(s.limits.subrequests, 7);
    let defaults = d.load("").unwrap();
    assert_eq!(defaults.pool, motu_config::PoolLimits::default());
    assert_eq!(defaults.limits.subrequests, 50);
    let e = d.error(
        "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n[workers.limits]\nmax_isolates = 3\n",
    );
    assert!(
        e.contains("workers[0].limits.max_isolates: applies to the whole server"),
        "{e}"
    );
    let e = d.error("[limits]\nmemory_budget_mb = 0\n");
    assert!(
        e.contains("limits.memory_budget_mb: must be greater than 0"),
        "{e}"
    );
}

#[test]
fn egress_is_public_only_by_default_and_checked() {
    let d = Dir::new();
    let s = d.load("").unwrap();
    assert_eq!(s.egress, motu_config::EgressSettings::default());
    assert!(!s.egress.allow_private);
    let s = d
        .load("[egress]\nallow_private = true\nallow_hosts = [\"LocalHost:9000\", \"10.0.0.7\"]\n")
        .unwrap();
    assert!(s.egress.allow_private);
    assert_eq!(s.egress.allow_hosts, ["localhost:9000", "10.0.0.7"]);
    let e = d.error("[egress]\nallow_hosts = [\"http://x/y\"]\n");
    assert!(e.contains("egress.allow_hosts[0]"), "{e}");
    let e = d.error("[egress]\nallow = true\n");
    assert!(e.contains("allow"), "{e}");
}

#[test]
fn crons_are_parsed_and_bad_ones_name_the_worker_and_expression() {
    let d = Dir::new();
    let s = d
        .load(
            "[server]\nscheduled_endpoint = true\n\
             [[workers]]\nname = \"tick\"\nmain = \"worker.js\"\n\
             crons = [\"*/5 * * * *\", \"@hourly\"]\ncron_overlap = true\n",
        )
        .unwrap();
    assert!(s.server.scheduled_endpoint);
    let w = &s.workers[0];
    let crons: Vec<_> = w.crons.iter().map(|c| c.expression()).collect();
    assert_eq!(crons, ["*/5 * * * *", "@hourly"]);
    assert!(w.cron_overlap);
    assert!(!d.load("").unwrap().server.scheduled_endpoint);
    let e = d.error(
        "[[workers]]\nname = \"tick\"\nmain = \"worker.js\"\ncrons = [\"@hourly\", \"70 * * * *\"]\n",
    );
    assert!(e.contains("workers[0].crons[1]"), "{e}");
    assert!(e.contains("Worker 'tick'"), "{e}");
    assert!(e.contains("'70 * * * *'"), "{e}");
}

#[test]
fn service_bindings_must_name_a_worker() {
    let d = Dir::new();
    let two = "[[workers]]\nname = \"front\"\nmain = \"worker.js\"\n\
               [[workers.services]]\nbinding = \"AUTH\"\nservice = \"auth\"\n\
               [[workers.services]]\nbinding = \"API\"\nservice = \"auth\"\nentrypoint = \"Api\"\n\
               props = { tenant = \"a\", level = 2 }\n\
               [[workers]]\nname = \"auth\"\nmain = \"worker.js\"\n";
    let s = d.load(two).unwrap();
    assert_eq!(
        s.workers[0].services,
        [
            motu_config::ServiceBinding {
                binding: "AUTH".into(),
                service: "auth".into(),
                entrypoint: None,
                props: None,
            },
            motu_config::ServiceBinding {
                binding: "API".into(),
                service: "auth".into(),
                entrypoint: Some("Api".into()),
                props: serde_json::json!({ "tenant": "a", "level": 2 })
                    .as_object()
                    .cloned(),
            }
        ]
    );
    let e = d.error(
        "[[workers]]\nname = \"front\"\nmain = \"worker.js\"\n\
         [[workers.services]]\nbinding = \"AUTH\"\nservice = \"nobody\"\n",
    );
    assert!(e.contains("workers[0].services[0].service"), "{e}");
    assert!(e.contains("there is no Worker 'nobody'"), "{e}");
    let e = d.error(
        "[[workers]]\nname = \"front\"\nmain = \"worker.js\"\n[[workers.services]]\nservice = \"front\"\n",
    );
    assert!(e.contains("workers[0].services[0].binding: missing"), "{e}");
    let e = d.error(
        "[[workers]]\nname = \"front\"\nmain = \"worker.js\"\n[[workers.services]]\n\
         binding = \"A\"\nservice = \"front\"\nprops = 3\n",
    );
    assert!(
        e.contains("workers[0].services[0].props: must be a table"),
        "{e}"
    );
}

#[test]
fn http_settings_have_defaults_overrides_and_checks() {
    let d = Dir::new();
    let s = d.load("").unwrap();
    assert_eq!(s.server.http, motu_config::HttpSettings::default());
    assert_eq!(s.server.http.grace_period.as_secs(), 30);
    assert_eq!(s.server.http.header_timeout.as_millis(), 10_000);
    assert_eq!(s.server.http.max_body_bytes, 100 << 20);
    let p = d.write(
        "motu.toml",
        "[server]\ngrace_period_s = 5\nmax_header_bytes = 16384\nmax_body_mb = 1\n",
    );
    let s = Settings::load_with_env(
        &p,
        ENGINES,
        vec![("MOTU_SERVER__HEADER_TIMEOUT_MS".into(), "250".into())],
    )
    .unwrap();
    assert_eq!(s.server.http.grace_period.as_secs(), 5);
    assert_eq!(s.server.http.header_timeout.as_millis(), 250);
    assert_eq!(s.server.http.max_header_bytes, 16384);
    assert_eq!(s.server.http.max_body_bytes, 1 << 20);
    let e = d.error("[server]\nmax_header_bytes = 1000\n");
    assert!(
        e.contains("server.max_header_bytes: must be at least 8192"),
        "{e}"
    );
    let e = d.error("[server]\nmax_body_mb = 0\n");
    assert!(
        e.contains("server.max_body_mb: must be greater than 0"),
        "{e}"
    );
}

#[test]
fn a_single_worker_without_routes_is_served_everywhere_and_at_its_name() {
    let d = Dir::new();
    let s = d
        .load("[[workers]]\nname = \"only\"\nmain = \"worker.js\"\n")
        .unwrap();
    let w = &s.workers[0];
    assert_eq!(w.routes.len(), 1);
    assert!(w.routes[0].matches("any.host", "/any/path"));
    assert!(w.workers_dev);
    assert_eq!(w.root, d.0.path());
}

#[test]
fn with_several_workers_only_workers_dev_ones_are_at_their_name() {
    let d = Dir::new();
    let s = d
        .load(
            "[[workers]]\nname = \"public\"\nmain = \"worker.js\"\nworkers_dev = true\n\
             [[workers]]\nname = \"internal\"\nmain = \"worker.js\"\n",
        )
        .unwrap();
    assert!(s.workers[0].workers_dev);
    assert!(!s.workers[1].workers_dev);
    assert!(s.workers.iter().all(|w| w.routes.is_empty()));
}

#[test]
fn compatibility_settings_are_read_and_checked() {
    let d = Dir::new();
    let s = d
        .load(
            "[[workers]]\nname = \"w\"\nmain = \"worker.js\"\n\
             compatibility_date = \"2025-01-02\"\ncompatibility_flags = [\"nodejs_compat\"]\n",
        )
        .unwrap();
    assert_eq!(
        s.workers[0].compatibility_date.as_deref(),
        Some("2025-01-02")
    );
    assert_eq!(s.workers[0].compatibility_flags, ["nodejs_compat"]);
    let e =
        d.error("[[workers]]\nname = \"w\"\nmain = \"worker.js\"\ncompatibility_date = \"soon\"\n");
    assert!(e.contains("workers[0].compatibility_date"), "{e}");
    let e = d.error(
        "[[workers]]\nname = \"w\"\nmain = \"worker.js\"\ncompatibility_flags = [\"a b\"]\n",
    );
    assert!(e.contains("workers[0].compatibility_flags[0]"), "{e}");
}

#[test]
fn send_email_bindings_and_the_email_endpoint_are_read() {
    let d = Dir::new();
    let s = d
        .load(
            "[server]\nemail_endpoint = true\n\
             [[workers]]\nname = \"mail\"\nmain = \"worker.js\"\n\
             [[workers.send_email]]\nname = \"EMAIL\"\n\
             allowed_sender_addresses = [\"noreply@example.com\"]\n\
             [[workers.send_email]]\nname = \"OPS\"\ndestination_address = \"ops@example.com\"\n",
        )
        .unwrap();
    assert!(s.server.email_endpoint);
    let bindings = &s.workers[0].send_email;
    assert_eq!(bindings.len(), 2);
    assert_eq!(
        bindings[0].allowed_sender_addresses.as_deref(),
        Some(&["noreply@example.com".to_owned()][..])
    );
    assert_eq!(
        bindings[1].destination_address.as_deref(),
        Some("ops@example.com")
    );
    assert!(!d.load("").unwrap().server.email_endpoint);
    let e = d.error(
        "[[workers]]\nname = \"mail\"\nmain = \"worker.js\"\n\
         [[workers.send_email]]\nname = \"E\"\ndestination_address = \"a@example.com\"\n\
         allowed_destination_addresses = [\"b@example.com\"]\n",
    );
    assert!(
        e.contains("workers[0].send_email[0].destination_address"),
        "{e}"
    );
    let e = d.error(
        "[[workers]]\nname = \"mail\"\nmain = \"worker.js\"\n\
         [workers.vars]\nE = \"x\"\n[[workers.send_email]]\nname = \"E\"\n",
    );
    assert!(e.contains("'E' is already a binding of this Worker"), "{e}");
}

#[test]
fn a_workers_root_is_where_its_paths_start() {
    let d = Dir::new();
    d.write("svc/api/index.js", "export default {}");
    let s = d
        .load("[[workers]]\nname = \"api\"\nroot = \"svc/api\"\nmain = \"index.js\"\n")
        .unwrap();
    let w = &s.workers[0];
    assert!(w.root.ends_with("svc/api"), "{}", w.root.display());
    assert_eq!(w.main.as_deref(), Some(w.root.join("index.js").as_path()));
    // Not found relative to the config's folder.
    let e = d.error("[[workers]]\nname = \"api\"\nroot = \"svc\"\nmain = \"index.js\"\n");
    assert!(e.contains("main"), "{e}");
}
