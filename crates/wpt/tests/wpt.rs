//! The web-platform-tests subset on every engine built in, compared with
//! `tests/wpt/expectations/<engine>.txt`: a subtest that fails and is not
//! listed fails this test. With `MOTU_WPT_UPDATE=1` the expectations (and
//! `tests/wpt/SUMMARY.md`) are rewritten from the run instead.
//!
//! The tests come from `scripts/fetch-wpt.sh`; without them this test says
//! so loudly and passes, so a checkout without the download still builds
//! and tests.

use motu_wpt::{Check, RunConfig};

#[test]
fn wpt_subset_matches_the_expectations() {
    let wpt = motu_wpt::default_wpt_dir();
    if !wpt.join("resources/testharness.js").is_file() {
        eprintln!(
            "\n\n!!! WPT SKIPPED: no web-platform-tests in {}.\n\
             !!! Run scripts/fetch-wpt.sh to check conformance.\n\n",
            wpt.display()
        );
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
    };
    let verdict = check.run().expect("the WPT run could not start");
    eprintln!("{}", verdict.text);
    assert!(
        verdict.ok() || update,
        "WPT regressions (see above): fix them, or if a failure is expected, list it in \
         tests/wpt/expectations/<engine>.txt with its reason"
    );
}
