//! Results of test files, and the summary table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use crate::{Selection, SUBSET};

/// The name of the pseudo-subtest that stands for a file as a whole: it fails
/// when the file could not run to completion (an exception at top level, a
/// missing dependency, a timeout, a limit) or its harness reported an error.
pub const FILE_SUBTEST: &str = "(file)";

/// A subtest's outcome, as testharness.js reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// It passed.
    Pass,
    /// An assertion failed or it threw.
    Fail,
    /// It did not finish in time.
    Timeout,
    /// It never ran.
    NotRun,
    /// An optional feature it needs is missing.
    PreconditionFailed,
}

impl Status {
    /// testharness.js's numeric test status.
    pub fn from_code(code: Option<u64>) -> Status {
        match code {
            Some(0) => Status::Pass,
            Some(1) => Status::Fail,
            Some(2) => Status::Timeout,
            Some(4) => Status::PreconditionFailed,
            _ => Status::NotRun,
        }
    }

    /// The name WPT uses.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Timeout => "TIMEOUT",
            Status::NotRun => "NOTRUN",
            Status::PreconditionFailed => "PRECONDITION_FAILED",
        }
    }
}

/// One subtest's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtest {
    /// Its name, as the test gives it.
    pub name: String,
    /// Its outcome.
    pub status: Status,
    /// The failure message, if any.
    pub message: Option<String>,
}

impl Subtest {
    /// A one-line reason for a failure: the status and the first line of the
    /// message, shortened.
    pub fn reason(&self) -> String {
        let first = self
            .message
            .as_deref()
            .and_then(|m| m.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or("");
        let mut reason = if first.is_empty() {
            self.status.name().to_owned()
        } else if self.status == Status::Fail {
            first.to_owned()
        } else {
            format!("{}: {first}", self.status.name())
        };
        reason = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if reason.chars().count() > 160 {
            reason = reason.chars().take(157).collect::<String>() + "...";
        }
        reason
    }
}

/// The results of one test file on one engine.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file's path under the WPT root.
    pub path: String,
    /// The subset entry it belongs to.
    pub dir: &'static str,
    /// The engine it ran on.
    pub engine: String,
    /// Its subtests, in the order the harness reported them, with
    /// [`FILE_SUBTEST`] when the file as a whole failed.
    pub subtests: Vec<Subtest>,
    /// How long it took.
    pub elapsed: Duration,
    /// What the shim had to add to the global scope.
    pub shimmed: Vec<String>,
}

impl FileReport {
    /// Passed and total subtests.
    pub fn tally(&self) -> Tally {
        Tally {
            pass: self
                .subtests
                .iter()
                .filter(|s| s.status == Status::Pass)
                .count(),
            total: self.subtests.len(),
        }
    }

    /// Why the file as a whole failed, if it did.
    pub fn file_error(&self) -> Option<&Subtest> {
        self.subtests.iter().find(|s| s.name == FILE_SUBTEST)
    }
}

/// Passed of total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Subtests that passed.
    pub pass: usize,
    /// All subtests.
    pub total: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.pass += other.pass;
        self.total += other.total;
    }

    fn cell(self) -> String {
        if self.total == 0 {
            return "–".to_owned();
        }
        format!(
            "{} / {} ({:.1}%)",
            self.pass,
            self.total,
            100.0 * self.pass as f64 / self.total as f64
        )
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.cell())
    }
}

/// Pass / total per subset directory (in [`SUBSET`] order) and engine.
pub fn by_dir(reports: &[FileReport]) -> BTreeMap<(usize, String), Tally> {
    let mut out: BTreeMap<(usize, String), Tally> = BTreeMap::new();
    for r in reports {
        let row = SUBSET
            .iter()
            .position(|d| *d == r.dir)
            .unwrap_or(usize::MAX);
        out.entry((row, r.engine.clone()))
            .or_default()
            .add(r.tally());
    }
    out
}

/// The Markdown summary: pass / total per directory and engine, the skipped
/// files, and pass / total per file. `source` says where the tests came from.
pub fn summary_markdown(
    reports: &[FileReport],
    skipped: &[Selection],
    engines: &[String],
    source: &str,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# web-platform-tests: pass / total\n");
    let _ = writeln!(
        md,
        "Generated by the WPT runner (`MOTU_WPT_UPDATE=1 cargo test -p motu-wpt --features v8 \
         --test wpt`); do not edit by hand. Tests: {source}. Each subtest of each file counts \
         once; a file that could not run to completion, or whose harness reported an error, \
         counts one more failing subtest, `{FILE_SUBTEST}`.\n"
    );
    md.push_str(&dir_table(reports, engines));
    md.push('\n');

    let files: BTreeMap<&str, usize> = reports.iter().fold(BTreeMap::new(), |mut m, r| {
        m.entry(r.path.as_str()).or_insert(0);
        m
    });
    let _ = writeln!(
        md,
        "{} test files run on each engine; {} skipped:\n",
        files.len(),
        skipped.len()
    );
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for s in skipped {
        if let Selection::Skip { reason, .. } = s {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    for (reason, n) in reasons {
        let _ = writeln!(md, "- {n}: {reason}");
    }

    let mut shimmed: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in reports {
        for name in &r.shimmed {
            shimmed
                .entry(name.as_str())
                .or_default()
                .insert(r.engine.as_str());
        }
    }
    if !shimmed.is_empty() {
        let _ = writeln!(
            md,
            "\nWhat the shim added to the global scope because the runtime has none \
             (see `crates/wpt/src/shim.js`):\n"
        );
        for (name, engines) in shimmed {
            let engines: Vec<&str> = engines.into_iter().collect();
            let _ = writeln!(md, "- `{name}` ({})", engines.join(", "));
        }
    }

    let _ = writeln!(md, "\n## Per file\n");
    table_header(&mut md, "File", engines);
    for path in files.keys() {
        let _ = write!(md, "| {path} |");
        for e in engines {
            let cell = reports
                .iter()
                .find(|r| r.path == *path && r.engine == *e)
                .map(|r| {
                    let t = r.tally();
                    if r.file_error().is_some() {
                        format!("{} / {} ⚠", t.pass, t.total)
                    } else {
                        format!("{} / {}", t.pass, t.total)
                    }
                })
                .unwrap_or_else(|| "–".to_owned());
            let _ = write!(md, " {cell} |");
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "\n⚠: the file as a whole failed (see `{FILE_SUBTEST}` in the engine's expectations)."
    );
    md
}

fn table_header(md: &mut String, first: &str, engines: &[String]) {
    let _ = write!(md, "| {first} |");
    for e in engines {
        let _ = write!(md, " {e} |");
    }
    let _ = write!(md, "\n|---|");
    for _ in engines {
        let _ = write!(md, "---:|");
    }
    md.push('\n');
}

/// The Markdown table of pass / total per subset directory and engine, with
/// the totals.
pub fn dir_table(reports: &[FileReport], engines: &[String]) -> String {
    let mut md = String::new();
    let dirs = by_dir(reports);
    table_header(&mut md, "Directory", engines);
    let mut totals = vec![Tally::default(); engines.len()];
    for (row, dir) in SUBSET.iter().enumerate() {
        let _ = write!(md, "| {dir} |");
        for (i, e) in engines.iter().enumerate() {
            let t = dirs.get(&(row, e.clone())).copied().unwrap_or_default();
            totals[i].add(t);
            let _ = write!(md, " {t} |");
        }
        md.push('\n');
    }
    let _ = write!(md, "| **all** |");
    for t in &totals {
        let _ = write!(md, " **{t}** |");
    }
    md.push('\n');
    md
}

/// The marks around the table in README.md that a full update rewrites.
pub const README_MARKS: (&str, &str) = ("<!-- wpt-summary:start -->", "<!-- wpt-summary:end -->");

/// `text` with what lies between [`README_MARKS`] replaced by `table`, or
/// `None` if the marks are not there.
pub fn replace_marked(text: &str, table: &str) -> Option<String> {
    let (start, end) = README_MARKS;
    let a = text.find(start)? + start.len();
    let b = a + text[a..].find(end)?;
    Some(format!("{}\n{table}{}", &text[..a], &text[b..]))
}
