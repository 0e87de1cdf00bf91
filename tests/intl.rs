//! `Intl` on every engine. V8 has ICU's; QuickJS has none, so the prelude
//! gives it one (`crates/webapi/js/intl_*.js`) that formats as ICU does
//! for en-US. The fixture `tests/fixtures/intl.js` answers a table of
//! cases (NumberFormat's styles, notations and digit options, BigInt,
//! DateTimeFormat's fields, styles, hour cycles and fixed time zones,
//! PluralRules, RelativeTimeFormat, ListFormat, Collator, the
//! locale-sensitive methods of Number, Date, String and Array, and the
//! errors of bad options): run on both engines, QuickJS's answer to each
//! case must be V8's.

mod common;

use common::{engines, on_each_engine, Server};
use serde_json::{json, Value};

/// Cases the fixture answers per request.
const PAGE: usize = 5;

/// The fixture's `[case, answer]` list on `engine`, a page at a time,
/// the server run with environment variables `env` (`TZ`).
fn answers(engine: &str, env: &[(&str, &str)], query: &str) -> Vec<(String, Value)> {
    let fixture = common::fixture("intl.js");
    let s = Server::start_with_env(&[fixture.to_str().unwrap(), "--engine", engine], env);
    let mut all = Vec::new();
    loop {
        let r = s.get(&format!(
            "/?from={}&to={}{query}",
            all.len(),
            all.len() + PAGE
        ));
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let page = r.json();
        let cases: Vec<(String, Value)> =
            serde_json::from_value(page["cases"].clone()).expect("a list of [case, answer]");
        all.extend(cases);
        if all.len() as u64 >= page["total"].as_u64().expect("the number of cases") {
            return all;
        }
    }
}

/// Each case's answer from the fixture on QuickJS is V8's (with ICU).
#[test]
fn quickjs_intl_answers_as_v8_does() {
    compare_engines(&[], "");
}

/// The same in a process whose local time zone is not UTC (and has
/// daylight saving time): the date cases that format in the local zone
/// (the fixture's `?local`) give V8's times too. QuickJS cannot name the
/// zone (its `resolvedOptions().timeZone` is the Etc/GMT name of the offset
/// now, not Europe/Paris): the fixture leaves those cases out.
#[test]
fn quickjs_intl_answers_as_v8_does_in_local_time() {
    compare_engines(&[("TZ", "Europe/Paris")], "&local");
}

/// Runs the fixture on V8 and on QuickJS with `env` (the cases `query`
/// selects) and fails naming each case whose answers differ.
fn compare_engines(env: &[(&str, &str)], query: &str) {
    if !engines().contains(&"v8") {
        eprintln!("comparing Intl with V8's: built without V8, the reference");
        return;
    }
    let reference = answers("v8", env, query);
    let ours = answers("quickjs", env, query);
    assert_eq!(
        reference.len(),
        ours.len(),
        "the same cases on both engines"
    );
    let mismatches: Vec<String> = reference
        .iter()
        .zip(&ours)
        .filter(|((_, v8), (_, quickjs))| v8 != quickjs)
        .map(|((case, v8), (_, quickjs))| format!("{case}:\n  v8:      {v8}\n  quickjs: {quickjs}"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        reference.len(),
        mismatches.join("\n")
    );
}

/// A few answers every engine gives as they are: what Workers use most.
#[test]
fn intl_formats_en_us_on_every_engine() {
    on_each_engine("intl", |engine| {
        let answers = answers(engine, &[], "");
        let answer = |case: &str| {
            answers
                .iter()
                .find(|(c, _)| c == case)
                .unwrap_or_else(|| panic!("no case {case}"))
                .1
                .clone()
        };
        assert_eq!(
            answer("Number toLocaleString"),
            json!(["1,234.5", "0", "-1,000,000", "50%"])
        );
        assert_eq!(answer("DateTimeFormat default"), json!("12/5/2026"));
        assert_eq!(answer("Date toLocaleDateString"), json!("December 5, 2026"));
        assert_eq!(
            answer(r#"NumberFormat "en-US" {"style":"currency","currency":"USD"} 1234.5"#),
            json!("$1,234.50")
        );
        assert_eq!(
            answer(
                r#"DateTimeFormat [] {"hour":"2-digit","minute":"2-digit","second":"2-digit","hour12":false,"timeZone":"UTC"} 2026-12-05T14:05:09.123Z"#
            ),
            json!("14:05:09")
        );
        assert_eq!(
            answer("NumberFormat \"en-US\" undefined 1.005"),
            json!("1.005")
        );
        assert_eq!(
            answer("NumberFormat \"en\" {\"minimumFractionDigits\":2} 1.005"),
            json!("1.005")
        );
    });
}

/// On QuickJS the Intl group is evaluated on first use only: a Worker that
/// never touches Intl leaves `Intl` the accessor that would load it, and
/// formatting a number (a shim of `Number.prototype.toLocaleString`) loads
/// it. V8's Intl is its own from the start.
#[test]
fn intl_group_loads_on_first_use() {
    on_each_engine("intl_lazy", |engine| {
        let s = Server::worker("intl_lazy.js", engine, &[]);
        let lazy = if engine == "quickjs" {
            "function"
        } else {
            "undefined"
        };
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(r.json(), json!({ "before": lazy, "after": lazy }));
        let r = s.get("/format");
        assert_eq!(
            r.json(),
            json!({ "before": lazy, "text": "1,234.5", "after": "undefined", "intl": "object" })
        );
    });
}
