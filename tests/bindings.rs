//! Bindings in `env` against the real server, on every engine: vars of
//! every JSON type, and secrets from the environment or `.dev.vars` that
//! never show in the log or an error page.

mod common;

use common::{on_each_engine, run_motu, Server, TempConfig};

const SECRET: &str = "s3cr3t-value-that-must-not-leak";

fn config(engine: &str, dev_vars: Option<&str>) -> TempConfig {
    let toml = format!(
        "[server]\nengine = \"{engine}\"\n\
         [[workers]]\nname = \"b\"\nmain = \"bindings.js\"\nroutes = [\"b.test/*\"]\n\
         secrets = [\"API_KEY\", \"TOKEN\"]\n\
         [workers.vars]\nGREETING = \"hi\"\nFLAG = true\nCOUNT = 3\nLIMITS = {{ a = [1, 2], b = \"x\" }}\n"
    );
    let mut files = vec![
        (
            "bindings.js",
            include_str!("fixtures/bindings.js").to_owned(),
        ),
        ("motu.toml", toml),
    ];
    if let Some(d) = dev_vars {
        files.push((".dev.vars", d.to_owned()));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    TempConfig::new(&files)
}

fn ask(s: &Server, path: &str) -> (u16, String) {
    let r = s.request("GET", path, &[("host", "b.test")], b"");
    (r.status, r.text())
}

#[test]
fn vars_arrive_with_their_json_types() {
    on_each_engine("vars_arrive_with_their_json_types", |engine| {
        let c = config(engine, Some("API_KEY=x\nTOKEN=y\n"));
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let r = s.request("GET", "/vars", &[("host", "b.test")], b"");
        assert_eq!(
            r.json(),
            serde_json::json!({"greeting": "hi", "limits": {"a": [1, 2], "b": "x"}, "flag": true, "count": 3})
        );
    });
}

#[test]
fn secrets_come_from_the_environment_or_dev_vars_and_never_leak() {
    on_each_engine(
        "secrets_come_from_the_environment_or_dev_vars_and_never_leak",
        |engine| {
            // API_KEY from the environment, TOKEN from .dev.vars.
            let c = config(
                engine,
                Some("# local only\nTOKEN=\"abcd\"\nAPI_KEY=from-file\n"),
            );
            let s = Server::start_with_env(
                &["--config", &c.path("motu.toml")],
                &[("API_KEY", SECRET), ("RUST_LOG", "debug")],
            );
            let expected = format!("string {} true 4", SECRET.len());
            assert_eq!(
                ask(&s, "/secret"),
                (200, expected),
                "the environment wins over .dev.vars"
            );
            let (status, body) = ask(&s, "/throw");
            assert_eq!(status, 500);
            assert!(!body.contains(SECRET) && !body.contains("abcd"), "{body}");
            let log = s.wait_for_log("failing on purpose");
            assert!(log.contains("failing on purpose"), "{log}");
            assert!(!log.contains(SECRET), "the secret is in the log:\n{log}");
        },
    );
}

#[test]
fn a_missing_secret_is_a_config_error() {
    let c = config("quickjs", Some("TOKEN=1\n"));
    let (code, out, err) = run_motu(&["check", "--config", &c.path("motu.toml")]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("workers[0].secrets[0]"), "{err}");
    assert!(err.contains("secret 'API_KEY' is not set"), "{err}");
    let c = config("quickjs", Some("API_KEY=1\nTOKEN=2\nbroken line\n"));
    let (code, _, err) = run_motu(&["check", "--config", &c.path("motu.toml")]);
    assert_ne!(code, 0);
    assert!(err.contains(".dev.vars:3: expected NAME=value"), "{err}");
}
