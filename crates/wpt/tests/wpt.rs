//! The web-platform-tests subset on every engine built in, compared with
//! `tests/wpt/expectations/<engine>.txt`: a subtest that fails and is not
//! listed fails this test. With `MOTU_WPT_UPDATE=1` the expectations (and
//! `tests/wpt/SUMMARY.md`) are rewritten from the run instead.
//!
//! The tests come from `scripts/fetch-wpt.sh`; without them this test says
//! so loudly and passes, so a checkout without the download still builds
//! and tests.

use std::io::Write as _;

use motu_wpt::{Check, RunConfig};

/// Writes to stderr past the test harness's capture, so the message shows
/// even when the test passes.
fn loud(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The longest the whole run may take: it normally takes about a minute,
/// and every file has its own time limit; this only stops a run that hangs
/// as a whole from holding CI until its own timeout.
const WHOLE_RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

#[test]
fn wpt_subset_matches_the_expectations() {
    std::thread::spawn(|| {
        std::thread::sleep(WHOLE_RUN_LIMIT);
        loud(&format!(
            "\n\n!!! WPT run still going after {} minutes: aborting it as hung.\n\n",
            WHOLE_RUN_LIMIT.as_secs() / 60
        ));
        std::process::exit(101);
    });
    let wpt = motu_wpt::default_wpt_dir();
    if !wpt.join("resources/testharness.js").is_file() {
        loud(&format!(
            "\n\n!!! WPT SKIPPED: no web-platform-tests in {}.\n\
             !!! Run scripts/fetch-wpt.sh to check conformance.\n\n",
            wpt.display()
        ));
        return;
    }
    let update = std::env::var("MOTU_WPT_UPDATE").is_ok_and(|v| !v.is_empty() && v != "0");
    let filters = std::env::var("MOTU_WPT_FILTER")
        .map(|f| f.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let check = Check {
        run: RunConfig::new(wpt),
        filters,
        update,
        data_dir: motu_wpt::data_dir(),
        readme: Some(motu_wpt::repo_root().join("README.md")),
    };
    let verdict = check.run().expect("the WPT run could not start");
    loud(&verdict.text);
    assert!(
        verdict.ok() || update,
        "WPT regressions (see above): fix them, or if a failure is expected, list it in \
         tests/wpt/expectations/<engine>.txt with its reason"
    );
}
