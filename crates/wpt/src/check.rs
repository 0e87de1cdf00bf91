//! The whole conformance check: select, run, compare with the expectations,
//! print the report and, when asked, rewrite the expectations and summary.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::expectations::escape;
use crate::report::{by_dir, dir_table, replace_marked};
use crate::{
    discover, run, summary_markdown, Comparison, Expectations, FileReport, RunConfig, Selection,
    SUBSET,
};

/// What to check.
#[derive(Debug, Clone)]
pub struct Check {
    /// How to run.
    pub run: RunConfig,
    /// Only files whose path contains one of these (all when empty).
    pub filters: Vec<String>,
    /// Rewrite the expectations (and, for a full run, the summary) from
    /// this run instead of failing on regressions.
    pub update: bool,
    /// Where the expectations (`expectations/<engine>.txt`) and
    /// `SUMMARY.md` are.
    pub data_dir: PathBuf,
    /// A README whose table between the [`crate::README_MARKS`] a full
    /// update rewrites.
    pub readme: Option<PathBuf>,
}

/// The outcome of a check.
#[derive(Debug)]
pub struct Verdict {
    /// Every file's report, per engine.
    pub reports: Vec<FileReport>,
    /// Per engine, how it compares with its expectations.
    pub comparisons: Vec<(String, Comparison)>,
    /// The report, as text.
    pub text: String,
}

impl Verdict {
    /// Whether no engine regressed.
    pub fn ok(&self) -> bool {
        self.comparisons.iter().all(|(_, c)| c.ok())
    }
}

impl Check {
    /// Runs the check. Fails if the WPT subset or the data cannot be read.
    pub fn run(&self) -> anyhow::Result<Verdict> {
        let root = &self.run.wpt_root;
        let selections = discover(root)?;
        let wanted = |path: &str| {
            self.filters.is_empty() || self.filters.iter().any(|f| path.contains(f.as_str()))
        };
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        for s in selections {
            match s {
                Selection::Run(f) if wanted(&f.path) => files.push(f),
                Selection::Run(_) => {}
                Selection::Skip { ref path, .. } if wanted(path) => skipped.push(s),
                Selection::Skip { .. } => {}
            }
        }
        anyhow::ensure!(
            !files.is_empty(),
            "no WPT test files to run under {}",
            root.display()
        );
        let started = std::time::Instant::now();
        let reports = run(&self.run, &files)?;
        let elapsed = started.elapsed();

        let mut text = String::new();
        let _ = writeln!(
            text,
            "WPT: {} files on {} in {:.1} s",
            files.len(),
            self.run.engines.join(", "),
            elapsed.as_secs_f64()
        );
        let dirs = by_dir(&reports);
        for (row, dir) in SUBSET.iter().enumerate() {
            let cells: Vec<String> = self
                .run
                .engines
                .iter()
                .filter_map(|e| dirs.get(&(row, e.clone())).map(|t| format!("{e} {t}")))
                .collect();
            if !cells.is_empty() {
                let _ = writeln!(text, "  {dir:36} {}", cells.join("   "));
            }
        }

        let mut comparisons = Vec::new();
        for engine in &self.run.engines {
            let path = self
                .data_dir
                .join("expectations")
                .join(format!("{engine}.txt"));
            let expectations = Expectations::load(&path)?;
            let mine: Vec<FileReport> = reports
                .iter()
                .filter(|r| &r.engine == engine)
                .cloned()
                .collect();
            let comparison = expectations.compare(&mine);
            describe(&mut text, engine, &comparison);
            if self.update {
                let updated = expectations.updated(&mine);
                std::fs::create_dir_all(self.data_dir.join("expectations"))?;
                std::fs::write(&path, updated.to_text(engine))?;
                let _ = writeln!(
                    text,
                    "  wrote {} ({} expected failures)",
                    path.display(),
                    updated.len()
                );
            }
            comparisons.push((engine.clone(), comparison));
        }
        if self.update && self.filters.is_empty() {
            let source = std::fs::read_to_string(root.join("SOURCE"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "an unknown WPT checkout".to_owned());
            let md = summary_markdown(&reports, &skipped, &self.run.engines, &source);
            let path = self.data_dir.join("SUMMARY.md");
            std::fs::write(&path, md)?;
            let _ = writeln!(text, "wrote {}", path.display());
            if let Some(readme) = &self.readme {
                let old = std::fs::read_to_string(readme)?;
                let table = dir_table(&reports, &self.run.engines);
                if let Some(new) = replace_marked(&old, &table) {
                    std::fs::write(readme, new)?;
                    let _ = writeln!(text, "updated the table in {}", readme.display());
                }
            }
        }
        Ok(Verdict {
            reports,
            comparisons,
            text,
        })
    }
}

fn describe(text: &mut String, engine: &str, c: &Comparison) {
    let _ = writeln!(
        text,
        "{engine}: {} regressions, {} newly passing, {} stale expectations",
        c.regressions.len(),
        c.newly_passing.len(),
        c.stale.len()
    );
    for e in &c.regressions {
        let _ = writeln!(
            text,
            "  REGRESSION {} | {} | {}",
            e.file,
            escape(&e.subtest),
            e.reason
        );
    }
    for e in c.newly_passing.iter().take(50) {
        let _ = writeln!(text, "  now passes {} | {}", e.file, escape(&e.subtest));
    }
    if c.newly_passing.len() > 50 {
        let _ = writeln!(text, "  … and {} more now pass", c.newly_passing.len() - 50);
    }
    for e in c.stale.iter().take(20) {
        let _ = writeln!(text, "  stale {} | {}", e.file, escape(&e.subtest));
    }
}
