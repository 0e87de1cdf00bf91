//! motu's web-platform-tests (WPT) runner.
//!
//! # Concepts
//!
//! - **The subset** ([`SUBSET`]): the WPT directories of the Web APIs motu
//!   implements. `scripts/fetch-wpt.sh` extracts them (with
//!   `resources/testharness.js` and the files the tests import) from the
//!   firefox-esr source tarball into `.wpt/`.
//! - **Selection** ([`discover`]): every `*.any.js` test meant for a worker
//!   global and every `*.worker.js` test in the subset runs, and the few
//!   `*.window.js` tests that use nothing of a window
//!   ([`WINDOW_TESTS_WITHOUT_A_DOCUMENT`]); the other `*.window.js` and the
//!   `.html` tests need a document and are listed as skipped, as are
//!   `.any.js` tests declared for window globals only.
//! - **Running** ([`run`]): each test file runs in a fresh motu Worker (the
//!   shim in `src/shim.js`) on each engine, through the embedding API, with
//!   code generation allowed. The shim evaluates the real `testharness.js`,
//!   the `META: script=` dependencies and the test, and answers with the
//!   results. A file that hangs, throws at top level or hits a limit counts
//!   as failing; it never stops the run.
//! - **Expectations** ([`Expectations`]): one file per engine lists the
//!   subtests that fail, each with a reason. A subtest that fails and is not
//!   listed is a regression; a listed one that passes is reported so the
//!   list can be tightened.
//! - **Summary** ([`summary_markdown`]): pass / total per directory and
//!   engine, committed as `tests/wpt/SUMMARY.md`; the table ([`dir_table`])
//!   also goes into README.md, between [`README_MARKS`].
//! - **Peers** ([`PeerRun`]): the same files, with the same shim, on
//!   workerd ([`run_workerd`]) next to motu's engines in one run, written
//!   to `tests/wpt/PEERS.md` by `scripts/wpt-workerd.sh`; [`emit`] writes
//!   the workerd configuration for a list of files.

mod check;
mod expectations;
mod peers;
mod report;
mod run;
mod select;
mod server;
mod source;
mod workerd;

pub use check::{Check, Verdict};
pub use expectations::{Comparison, Expectation, Expectations};
pub use peers::{PeerResults, PeerRun};
pub use report::{
    dir_table, replace_marked, summary_markdown, FileReport, Status, Subtest, Tally, FILE_SUBTEST,
    README_MARKS,
};
pub use run::{run, RunConfig};
pub use select::{discover, Kind, Selection, TestFile, SUBSET, WINDOW_TESTS_WITHOUT_A_DOCUMENT};
pub use server::{WptServer, HOST};
pub use source::Sources;
pub use workerd::{emit, run_workerd, service_name, Workerd, CHUNK, WORKERD};

use std::path::PathBuf;

/// The repository's root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or(here)
}

/// Where the WPT subset is: `$MOTU_WPT_DIR`, else `.wpt/` in the repository.
pub fn default_wpt_dir() -> PathBuf {
    std::env::var_os("MOTU_WPT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".wpt"))
}

/// Where the expectations and the summary live: `tests/wpt/` in the
/// repository.
pub fn data_dir() -> PathBuf {
    repo_root().join("tests/wpt")
}

/// The engines this build has.
pub fn engines() -> Vec<String> {
    motu_runtime::EngineSet::builtin_names()
        .iter()
        .map(|e| (*e).to_owned())
        .collect()
}
