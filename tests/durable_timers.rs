//! The timers of Durable Objects, on both engines, with the fixture
//! project `tests/projects/durable-objects` (objects idle for one second
//! leave memory, `wrangler-idle.jsonc`). As on Cloudflare, where an object
//! with a `setTimeout` or `setInterval` callback pending does not
//! hibernate, a pending timer keeps its object in memory until it fires
//! (what the callback does still reaches the object's storage), a cleared
//! one holds nothing, and the hold is bounded: after seven idle timeouts
//! without events the object leaves anyway, and its timers never fire.
//!
//! Time is measured with *witnesses*: objects made after a moment, once
//! they have left memory for being idle, show that idle timeouts have
//! passed since.

mod common;

use std::time::{Duration, Instant};

use common::durable::{get_json, serve_project, state_folder};
use common::{on_each_engine, Server};
use serde_json::json;

fn serve(engine: &str, state: &std::path::Path) -> Server {
    serve_project(
        "durable-objects",
        "wrangler-idle.jsonc",
        engine,
        state,
        &["--admin-listen", "127.0.0.1:0"],
    )
}

/// Whether the object `name` is in memory (the admin listing).
fn listed(server: &Server, name: &str) -> bool {
    let admin = server.admin.clone().expect("an admin listener");
    let r = common::request(&admin, "GET", "/objects", &[], b"");
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == json!(name))
}

/// Waits until the object `name` has left memory.
fn wait_gone(server: &Server, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while listed(server, name) {
        assert!(
            Instant::now() < deadline,
            "{name} stayed in memory\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Makes an object and waits until it left memory, twice, one after the
/// other: two idle timeouts have passed since the call, more than any
/// isolate's sweep of its idle objects lags behind.
fn witness(server: &Server, name: &str) {
    for n in 1..=2 {
        let name = format!("{name}-{n}");
        get_json(server, &format!("/do/{name}/instance"));
        wait_gone(server, &name);
    }
}

#[test]
fn a_pending_timer_keeps_its_object_in_memory_until_it_fires() {
    on_each_engine("do_timer_keeps_object", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        // Due in three idle timeouts: the object stays until it has
        // fired, so the callback's write reaches its storage (an instance
        // no longer in memory has no storage to write to).
        get_json(&server, "/do/later/timer?ms=3000&value=fired");
        wait_gone(&server, "later");
        assert_eq!(
            get_json(&server, "/do/later/read?keys=timer"),
            json!({ "timer": "fired" }),
            "{}",
            server.log()
        );
    });
}

#[test]
fn a_cleared_timer_holds_nothing() {
    on_each_engine("do_cleared_timer", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        get_json(&server, "/do/cleared/timer?ms=600000&value=never");
        assert_eq!(
            get_json(&server, "/do/cleared/clear-timer"),
            json!("cleared")
        );
        // Made after the clear, the witness leaves after the object could.
        witness(&server, "witness");
        assert!(
            !listed(&server, "cleared"),
            "a cleared timer kept its object in memory"
        );
        assert_eq!(get_json(&server, "/do/cleared/read?keys=timer"), json!({}));
    });
}

#[test]
fn timers_hold_an_object_for_seven_idle_timeouts_at_most_then_never_fire() {
    on_each_engine("do_timer_hold_bounded", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        // An interval that never ends (a tick every 100 ms, logged).
        get_json(&server, "/do/ticking/timer?ms=100&every");
        // Without events, it leaves after seven idle timeouts.
        wait_gone(&server, "ticking");
        // What it logged until then is in the log once a witness came and
        // went; then its interval no longer runs: nothing ticks while
        // another one comes and goes.
        witness(&server, "settle");
        let ticks = || server.log().matches("tick ticking").count();
        let at_departure = ticks();
        assert!(at_departure > 0, "{}", server.log());
        witness(&server, "after");
        assert_eq!(ticks(), at_departure, "{}", server.log());
    });
}
