//! Cron triggers and scheduled events against the real server and the
//! `motu trigger` command, on every engine: triggers fire on time, never
//! overlap unless allowed, the manual trigger endpoint (only when enabled),
//! and `waitUntil` work finishing after the handler.

mod common;

use std::time::{Duration, Instant};

use common::{on_each_engine, run_motu, Server, TempConfig};

/// The Worker counts its runs in module state, which `fetch` reports: it
/// gets one isolate (`max_instances = 1`), or a request could reach an
/// isolate other than the one a tick ran in (a tick due at once, as the
/// server starts, and the first request each start one).
fn config(engine: &str, server: &str, worker: &str) -> TempConfig {
    TempConfig::new(&[
        ("cron.js", include_str!("fixtures/cron.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n{server}\n\
                 [[workers]]\nname = \"cron\"\nmain = \"cron.js\"\nroutes = [\"cron.test/*\"]\n\
                 max_instances = 1\n{worker}\n"
            ),
        ),
    ])
}

fn runs(s: &Server) -> (u32, String) {
    let text = s.request("GET", "/", &[("host", "cron.test")], b"").text();
    let (runs, last) = text.split_once(' ').unwrap();
    (
        runs.trim_start_matches("runs=").parse().unwrap(),
        last.trim_start_matches("last=").to_owned(),
    )
}

#[test]
fn cron_triggers_fire_on_time() {
    on_each_engine("cron_triggers_fire_on_time", |engine| {
        // Six fields: every second.
        let c = config(engine, "", "crons = [\"* * * * * *\"]");
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let start = Instant::now();
        while runs(&s).0 < 2 && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let (count, last) = runs(&s);
        assert!(count >= 2, "{count} runs in {:?}", start.elapsed());
        assert_eq!(last, "* * * * * *");
        let log = s.wait_for_log("scheduled event ran");
        assert!(log.contains("cron=* * * * * * type=scheduled"), "{log}");
        assert!(
            log.contains("outcome=\"Ok\"") || log.contains("outcome=Ok"),
            "{log}"
        );
    });
}

#[test]
fn a_trigger_never_overlaps_its_previous_run_unless_allowed() {
    on_each_engine(
        "a_trigger_never_overlaps_its_previous_run_unless_allowed",
        |engine| {
            let worker = "crons = [\"* * * * * *\"]\n[workers.vars]\nSLOW_MS = \"2500\"";
            let c = config(engine, "", worker);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let log = s.wait_for_log("skipping a cron tick");
            assert!(log.contains("the previous run is still going"), "{log}");
            assert_eq!(log.matches("scheduled run 2 ").count(), 0, "{log}");
            drop(s);

            let worker = "crons = [\"* * * * * *\"]\ncron_overlap = true\n[workers.vars]\nSLOW_MS = \"2500\"";
            let c = config(engine, "", worker);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let log = s.wait_for_log("scheduled run 2 ");
            assert!(log.contains("scheduled run 2 "), "{log}");
            assert!(!log.contains("skipping a cron tick"), "{log}");
        },
    );
}

#[test]
fn the_manual_trigger_endpoint_is_off_unless_enabled() {
    on_each_engine(
        "the_manual_trigger_endpoint_is_off_unless_enabled",
        |engine| {
            let c = config(engine, "", "");
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let r = s.request(
                "GET",
                "/__scheduled?cron=manual",
                &[("host", "cron.test")],
                b"",
            );
            assert_eq!((r.status, r.text()), (200, "runs=0 last=".to_owned()));

            let c = config(engine, "scheduled_endpoint = true", "");
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let r = s.request(
                "GET",
                "/__scheduled?cron=5+*+*+*+*",
                &[("host", "cron.test")],
                b"",
            );
            assert_eq!(
                (r.status, r.text()),
                (200, "Ran scheduled event.\n".to_owned())
            );
            assert_eq!(runs(&s), (1, "5 * * * *".to_owned()));
            let r = s.request(
                "GET",
                "/__scheduled?cron=throw",
                &[("host", "cron.test")],
                b"",
            );
            assert_eq!(r.status, 500);
            assert_eq!(r.text(), "Worker threw an exception.\n");
            let log = s.wait_for_log("scheduled event failed");
            assert!(log.contains("the cron handler failed"), "{log}");
        },
    );
}

#[test]
fn motu_trigger_runs_the_handler_and_waits_for_its_work() {
    on_each_engine(
        "motu_trigger_runs_the_handler_and_waits_for_its_work",
        |engine| {
            let c = config(engine, "", "crons = [\"@daily\"]");
            let file = c.path("motu.toml");
            let (code, out, err) =
                run_motu(&["trigger", "--config", &file, "cron", "--cron", "after"]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(out.contains("cron: scheduled event (after) ran"), "{out}");
            let handler = err.find("scheduled run 1 cron=after").expect(&err);
            let after = err.find("after-work finished").expect(&err);
            assert!(handler < after, "{err}");
            // Without --cron, the Worker's first trigger.
            let (code, _, err) = run_motu(&["trigger", "--config", &file, "cron"]);
            assert_eq!(code, 0);
            assert!(err.contains("cron=@daily"), "{err}");
            let (code, _, err) =
                run_motu(&["trigger", "--config", &file, "cron", "--cron", "throw"]);
            assert_ne!(code, 0);
            assert!(err.contains("the cron handler failed"), "{err}");
            let (code, _, err) = run_motu(&["trigger", "--config", &file, "nobody"]);
            assert_ne!(code, 0);
            assert!(
                err.contains("no Worker is named 'nobody' (Workers: cron)"),
                "{err}"
            );
        },
    );
}

#[test]
fn an_invalid_cron_is_a_config_error_naming_worker_and_expression() {
    let c = config("quickjs", "", "crons = [\"*/5 * * *\"]");
    let (code, _, err) = run_motu(&["check", "--config", &c.path("motu.toml")]);
    assert_ne!(code, 0);
    assert!(err.contains("workers[0].crons[0]"), "{err}");
    assert!(
        err.contains("Worker 'cron': invalid cron expression '*/5 * * *'"),
        "{err}"
    );
}
