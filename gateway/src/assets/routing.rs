//! `run_worker_first`: whether a request goes to the Worker before any asset
//! is looked up.
//!
//! With patterns, a path matching an `!/…` pattern goes to the assets (with
//! `not_found_handling` applied), else one matching a `/…` pattern goes to
//! the Worker; any other request is decided as without patterns, except
//! that `not_found_handling` applies to it too.

use motu_config::RunWorkerFirst;

use super::rules::Glob;

/// Who answers a request, as far as `run_worker_first` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    /// The Worker.
    Worker,
    /// The assets, with `not_found_handling`.
    Assets,
    /// The assets if one matches, else the Worker.
    Lookup,
}

/// `run_worker_first`, compiled.
#[derive(Debug, Default)]
pub(crate) enum WorkerFirst {
    /// `false`.
    #[default]
    Off,
    /// `true`.
    Always,
    /// Patterns.
    Rules {
        worker: Vec<Glob>,
        assets: Vec<Glob>,
    },
}

impl WorkerFirst {
    /// Compiles the setting.
    pub(crate) fn compile(setting: &RunWorkerFirst) -> Result<Self, String> {
        Ok(match setting {
            RunWorkerFirst::Off => Self::Off,
            RunWorkerFirst::Always => Self::Always,
            RunWorkerFirst::Rules { worker, assets } => Self::Rules {
                worker: worker
                    .iter()
                    .map(|r| Glob::compile(r))
                    .collect::<Result<_, _>>()?,
                assets: assets
                    .iter()
                    .map(|r| Glob::compile(r))
                    .collect::<Result<_, _>>()?,
            },
        })
    }

    /// Whether patterns are set (then `not_found_handling` applies to
    /// requests the patterns leave to the asset lookup).
    pub(crate) fn has_rules(&self) -> bool {
        matches!(self, Self::Rules { .. })
    }

    /// Who answers a request for `path` (normalized).
    pub(crate) fn decide(&self, path: &str) -> First {
        match self {
            Self::Off => First::Lookup,
            Self::Always => First::Worker,
            Self::Rules { worker, assets } => {
                if assets.iter().any(|g| g.matches(path)) {
                    First::Assets
                } else if worker.iter().any(|g| g.matches(path)) {
                    First::Worker
                } else {
                    First::Lookup
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_patterns_win_over_positive_ones() {
        let w = WorkerFirst::compile(&RunWorkerFirst::Rules {
            worker: vec!["/api/*".into(), "/login".into()],
            assets: vec!["/api/docs/*".into()],
        })
        .unwrap();
        assert_eq!(w.decide("/api/users"), First::Worker);
        assert_eq!(w.decide("/login"), First::Worker);
        assert_eq!(w.decide("/api/docs/intro"), First::Assets);
        assert_eq!(w.decide("/index.html"), First::Lookup);
        assert_eq!(WorkerFirst::Always.decide("/x"), First::Worker);
        assert_eq!(WorkerFirst::Off.decide("/x"), First::Lookup);
    }
}
