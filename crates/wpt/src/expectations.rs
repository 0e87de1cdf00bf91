//! Per-engine expectations: the subtests known to fail, each with a reason.
//!
//! One line per subtest: `FILE | SUBTEST | REASON`. In FILE and SUBTEST a
//! backslash escapes `\`, `|`, line breaks (`\n`, `\r`, `\t`) and other
//! control characters (`\u{1f}`); the reason is the rest of the line. `#` starts a comment line. A reason that starts
//! with `flaky` marks a subtest whose outcome varies: it is neither a
//! regression nor newly passing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::report::{FileReport, Status, FILE_SUBTEST};

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The file's path under the WPT root.
    pub file: String,
    /// The subtest's name ([`FILE_SUBTEST`] for the file as a whole).
    pub subtest: String,
    /// Why it fails.
    pub reason: String,
}

/// The expected failures of one engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    entries: BTreeMap<(String, String), String>,
}

/// How a run compares with the expectations.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Subtests that fail and are not expected to: the run fails.
    pub regressions: Vec<Expectation>,
    /// Expected failures that now pass: the file can be tightened.
    pub newly_passing: Vec<Expectation>,
    /// Expected failures of files that ran without a subtest of that name
    /// (renamed or removed upstream).
    pub stale: Vec<Expectation>,
}

impl Comparison {
    /// Whether the run is no worse than expected.
    pub fn ok(&self) -> bool {
        self.regressions.is_empty()
    }
}

fn is_flaky(reason: &str) -> bool {
    reason
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("flaky")
}

/// Whether a person wrote the reason (`note: …` or `flaky…`), so an update
/// keeps it instead of the failure message of the day.
fn is_written(reason: &str) -> bool {
    is_flaky(reason) || reason.trim_start().starts_with("note:")
}

impl Expectations {
    /// Reads the file at `path`; a missing file expects nothing to fail.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
        }
    }

    /// Parses the text of an expectations file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (file, subtest, reason) = split_line(line)
                .ok_or_else(|| format!("line {}: not FILE | SUBTEST | REASON", n + 1))?;
            entries.insert((file, subtest), reason);
        }
        Ok(Self { entries })
    }

    /// The expected failures, sorted by file and subtest.
    pub fn iter(&self) -> impl Iterator<Item = Expectation> + '_ {
        self.entries
            .iter()
            .map(|((file, subtest), reason)| Expectation {
                file: file.clone(),
                subtest: subtest.clone(),
                reason: reason.clone(),
            })
    }

    /// How many failures are expected.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no failure is expected.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The reason `subtest` of `file` is expected to fail, if it is.
    pub fn reason(&self, file: &str, subtest: &str) -> Option<&str> {
        self.entries
            .get(&(file.to_owned(), subtest.to_owned()))
            .map(String::as_str)
    }

    /// Compares the reports of one engine with these expectations. Files
    /// that did not run are not compared.
    pub fn compare(&self, reports: &[FileReport]) -> Comparison {
        let mut out = Comparison::default();
        let outcomes = outcomes(reports);
        for ((file, subtest), failure) in &outcomes {
            let expected = self.entries.get(&(file.clone(), subtest.clone()));
            match (failure, expected) {
                (Some(reason), None) => out.regressions.push(Expectation {
                    file: file.clone(),
                    subtest: subtest.clone(),
                    reason: reason.clone(),
                }),
                (None, Some(reason)) if !is_flaky(reason) => out.newly_passing.push(Expectation {
                    file: file.clone(),
                    subtest: subtest.clone(),
                    reason: reason.clone(),
                }),
                _ => {}
            }
        }
        let ran: BTreeSet<&str> = reports.iter().map(|r| r.path.as_str()).collect();
        let broken: BTreeSet<&str> = reports
            .iter()
            .filter(|r| r.file_error().is_some())
            .map(|r| r.path.as_str())
            .collect();
        for e in self.iter() {
            let key = (e.file.clone(), e.subtest.clone());
            if ran.contains(e.file.as_str())
                && !broken.contains(e.file.as_str())
                && !outcomes.contains_key(&key)
            {
                out.stale.push(e);
            }
        }
        out
    }

    /// These expectations brought up to date with the reports of one
    /// engine: the failing subtests of the files that ran, with their
    /// failure messages as reasons (reasons a person wrote, `note: …`, are
    /// kept, and so are flaky entries), and the entries of the files that
    /// did not run.
    pub fn updated(&self, reports: &[FileReport]) -> Self {
        let ran: BTreeSet<&str> = reports.iter().map(|r| r.path.as_str()).collect();
        let mut entries: BTreeMap<(String, String), String> = self
            .entries
            .iter()
            .filter(|((file, _), reason)| !ran.contains(file.as_str()) || is_flaky(reason))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, failure) in outcomes(reports) {
            if let Some(reason) = failure {
                let reason = match self.entries.get(&key) {
                    Some(old) if is_written(old) => old.clone(),
                    _ => reason,
                };
                entries.insert(key, reason);
            }
        }
        Self { entries }
    }

    /// The file's text, with a header naming `engine`.
    pub fn to_text(&self, engine: &str) -> String {
        let mut text = format!(
            "# WPT subtests expected to fail on {engine}, one per line: FILE | SUBTEST | REASON.\n\
             # A subtest that fails and is not listed fails `cargo test -p motu-wpt`; one that is\n\
             # listed and passes is reported, so the list can be tightened. `{FILE_SUBTEST}` stands\n\
             # for the file as a whole. Regenerate with MOTU_WPT_UPDATE=1: reasons are the\n\
             # failure messages, except those a person wrote (`note: …`), which are kept; a\n\
             # reason starting with `flaky` exempts the subtest.\n"
        );
        for ((file, subtest), reason) in &self.entries {
            let reason: String = reason
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let _ = writeln!(text, "{} | {} | {reason}", escape(file), escape(subtest));
        }
        text
    }
}

/// Per (file, subtest): `None` if it passed, else the reason it failed. A
/// name reported twice fails if either fails.
fn outcomes(reports: &[FileReport]) -> BTreeMap<(String, String), Option<String>> {
    let mut out: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for r in reports {
        for s in &r.subtests {
            let failure = (s.status != Status::Pass).then(|| s.reason());
            let slot = out.entry((r.path.clone(), s.name.clone())).or_insert(None);
            if slot.is_none() {
                *slot = failure;
            }
        }
    }
    out
}

pub(crate) fn escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Splits `FILE | SUBTEST | REASON`, unescaping the first two fields.
fn split_line(line: &str) -> Option<(String, String, String)> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next()?.1 {
                'n' => current.push('\n'),
                'r' => current.push('\r'),
                't' => current.push('\t'),
                'u' => {
                    let rest = &line[chars.peek()?.0..];
                    let hex = rest.strip_prefix('{')?.split('}').next()?;
                    current.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                    for _ in 0..hex.len() + 2 {
                        chars.next();
                    }
                }
                other => current.push(other),
            },
            ' ' if line[i..].starts_with(" | ") => {
                fields.push(std::mem::take(&mut current));
                chars.next();
                chars.next();
                if fields.len() == 2 {
                    let rest = chars.peek().map_or(line.len(), |(j, _)| *j);
                    return Some((fields.remove(0), fields.remove(0), line[rest..].to_owned()));
                }
            }
            c => current.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Subtest;
    use std::time::Duration;

    fn report(path: &str, subtests: &[(&str, Status)]) -> FileReport {
        FileReport {
            path: path.to_owned(),
            dir: "url",
            engine: "quickjs".to_owned(),
            subtests: subtests
                .iter()
                .map(|(name, status)| Subtest {
                    name: (*name).to_owned(),
                    status: *status,
                    message: (*status != Status::Pass).then(|| "assert_true: nope".to_owned()),
                })
                .collect(),
            elapsed: Duration::ZERO,
            shimmed: Vec::new(),
        }
    }

    #[test]
    fn lines_round_trip_with_awkward_names() {
        let mut e = Expectations::default();
        for name in [
            "a | b",
            "line\nbreak",
            "back\\slash",
            " padded ",
            "tab\there",
            "",
            "nul\0\u{1f}x",
        ] {
            e.entries
                .insert(("x/y.any.js".into(), name.into()), "why | not".into());
        }
        let text = e.to_text("quickjs");
        let back = Expectations::parse(&text).unwrap();
        assert_eq!(back, e);
        assert!(Expectations::parse("just one field\n").is_err());
    }

    #[test]
    fn regressions_and_newly_passing_are_told_apart() {
        let e = Expectations::parse(
            "a.any.js | known | note: why\na.any.js | fixed | why\na.any.js | wobbly | flaky: timing\n\
             a.any.js | new-message | old message\n\
             a.any.js | gone | why\nb.any.js | other | not run\n",
        )
        .unwrap();
        let reports = [report(
            "a.any.js",
            &[
                ("known", Status::Fail),
                ("fixed", Status::Pass),
                ("wobbly", Status::Pass),
                ("new", Status::Timeout),
                ("new-message", Status::Fail),
                ("fine", Status::Pass),
            ],
        )];
        let c = e.compare(&reports);
        assert!(!c.ok());
        assert_eq!(c.regressions.len(), 1);
        assert_eq!(c.regressions[0].subtest, "new");
        assert!(c.regressions[0].reason.starts_with("TIMEOUT"));
        let passing: Vec<_> = c.newly_passing.iter().map(|e| e.subtest.as_str()).collect();
        assert_eq!(passing, ["fixed"]);
        let stale: Vec<_> = c.stale.iter().map(|e| e.subtest.as_str()).collect();
        assert_eq!(stale, ["gone"]);

        let u = e.updated(&reports);
        assert_eq!(u.reason("a.any.js", "known"), Some("note: why"));
        assert_eq!(
            u.reason("a.any.js", "new-message"),
            Some("assert_true: nope")
        );
        assert_eq!(
            u.reason("a.any.js", "new"),
            Some("TIMEOUT: assert_true: nope")
        );
        assert_eq!(u.reason("a.any.js", "wobbly"), Some("flaky: timing"));
        assert_eq!(u.reason("a.any.js", "fixed"), None);
        assert_eq!(u.reason("a.any.js", "gone"), None);
        assert_eq!(u.reason("b.any.js", "other"), Some("not run"));
        assert!(u.compare(&reports).ok());
    }

    #[test]
    fn a_file_that_breaks_is_a_regression() {
        let e = Expectations::parse("a.any.js | known | why\n").unwrap();
        let mut r = report("a.any.js", &[]);
        r.subtests.push(Subtest {
            name: FILE_SUBTEST.into(),
            status: Status::Fail,
            message: Some("the file timed out".into()),
        });
        let c = e.compare(&[r]);
        assert_eq!(c.regressions.len(), 1);
        assert_eq!(c.regressions[0].subtest, FILE_SUBTEST);
        assert!(
            c.stale.is_empty(),
            "subtests of a broken file are not stale"
        );
    }
}
