//! Running a Worker's custom build (`build.command`, see
//! `motu_config::BuildSettings`), as wrangler does.
//!
//! The command runs in a shell (`sh -c`, or `cmd /C` on Windows) in the
//! build's `cwd`, with motu's environment plus:
//!
//! - `WRANGLER_COMMAND`: `dev` under `motu dev` (`serve --watch`), else
//!   `deploy` (what wrangler sets for `wrangler dev` and `wrangler
//!   deploy`), for build scripts that tell the two apart;
//! - `PATH` with each `node_modules/.bin` from `cwd` up to the root
//!   (nearest first) ahead of it, as `npm run` puts them there: the
//!   templates' `wrangler dev` runs through `npm run dev`, so a bare
//!   `esbuild …` finds the project's own esbuild.
//!
//! Its output is logged line by line, `[custom build] LINE`, stdout and
//! stderr alike (wrangler shows both on its console), blank lines left
//! out. A command that
//! cannot start or exits with a failure is an error naming it and its exit
//! status; so is a `main` or assets folder the build was to make but did
//! not. At start-up that refuses to start; in `motu dev` (see `watch`)
//! the previous version keeps serving until a later change builds.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use motu_config::{BuildSettings, Settings, WorkerSettings};

/// Which wrangler command a build stands in for (`WRANGLER_COMMAND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `motu dev`: as `wrangler dev`.
    Dev,
    /// `motu serve`, `check`, `trigger`: as `wrangler deploy`, which
    /// builds what runs in production.
    Deploy,
}

impl Purpose {
    fn wrangler_command(self) -> &'static str {
        match self {
            Purpose::Dev => "dev",
            Purpose::Deploy => "deploy",
        }
    }
}

/// Runs the custom build of every Worker of `settings` that has one, in
/// order, for `purpose`; or, without one (`--no-build`), only checks that
/// what the builds make is there. The first failure is the error.
pub(crate) fn run_all(settings: &Settings, purpose: Option<Purpose>) -> anyhow::Result<()> {
    for w in &settings.workers {
        match purpose {
            Some(purpose) => run(w, purpose)?,
            None => check_outputs(w, " (not run: --no-build)")?,
        }
    }
    Ok(())
}

/// Runs `w`'s custom build, if it has one, then checks that what the
/// Worker loads (its `main`, its assets folder) exists.
pub(crate) fn run(w: &WorkerSettings, purpose: Purpose) -> anyhow::Result<()> {
    let Some(build) = &w.build else {
        return Ok(());
    };
    run_command(&w.name, build, purpose)?;
    check_outputs(w, "")
}

/// Runs again, for `motu dev`, the custom build of each Worker of `due`,
/// with the changed file that calls for it (none after a config change),
/// off the async threads. False when one fails: that is logged, with the
/// note that the previous version keeps serving, and the rest is not run.
pub(crate) async fn rebuild(due: Vec<(WorkerSettings, Option<PathBuf>)>) -> bool {
    for (w, changed) in due {
        if w.build.is_none() {
            continue;
        }
        if let Some(path) = changed {
            tracing::info!(
                worker = w.name.as_str(),
                "{} changed: running the custom build again",
                path.display()
            );
        }
        let name = w.name.clone();
        let outcome = tokio::task::spawn_blocking(move || run(&w, Purpose::Dev)).await;
        let error = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) => e.to_string(),
        };
        tracing::error!(
            worker = name.as_str(),
            "{error}; the previous version keeps serving: fix the build and save a file to try again"
        );
        return false;
    }
    true
}

/// An error when a Worker with a custom build lacks its `main` or its
/// assets folder; `note` follows the command in the message.
fn check_outputs(w: &WorkerSettings, note: &str) -> anyhow::Result<()> {
    let Some(build) = &w.build else {
        return Ok(());
    };
    if let Some(main) = w.main.as_deref().filter(|m| !m.is_file()) {
        bail!(
            "Worker '{}': `main` {} was not found after the custom build `{}`{note}: \
             `main` should name the file the build makes",
            w.name,
            main.display(),
            build.command
        );
    }
    if let Some(assets) = w.assets.as_ref().filter(|a| !a.directory.is_dir()) {
        bail!(
            "Worker '{}': the assets folder {} was not found after the custom build `{}`{note}",
            w.name,
            assets.directory.display(),
            build.command
        );
    }
    Ok(())
}

/// Runs the command and logs its output; an error unless it exits with
/// success.
fn run_command(worker: &str, build: &BuildSettings, purpose: Purpose) -> anyhow::Result<()> {
    tracing::info!(worker, "[custom build] running: {}", build.command);
    let mut command = shell(&build.command);
    let mut child = command
        .current_dir(&build.cwd)
        .env("WRANGLER_COMMAND", purpose.wrangler_command())
        .env("PATH", search_path(&build.cwd)?)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "Worker '{worker}': the custom build `{}` could not start in {}",
                build.command,
                build.cwd.display()
            )
        })?;
    let stdout = child.stdout.take().map(|out| relay(worker, out));
    let stderr = child.stderr.take().map(|err| relay(worker, err));
    let status = child.wait().context("waiting for the custom build")?;
    // The relays end when the command's output closes, so all of it is
    // logged before the outcome (as with wrangler, a process the command
    // leaves running with its output open holds this up).
    for relay in [stdout, stderr].into_iter().flatten() {
        let _ = relay.join();
    }
    if !status.success() {
        bail!(
            "Worker '{worker}': the custom build `{}` failed ({status}); its output is above",
            build.command
        );
    }
    Ok(())
}

/// The shell command that runs `line`.
fn shell(line: &str) -> Command {
    if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(line);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(line);
        c
    }
}

/// Logs each line `output` gives, on a thread of its own.
fn relay(worker: &str, output: impl Read + Send + 'static) -> std::thread::JoinHandle<()> {
    let worker = worker.to_owned();
    std::thread::spawn(move || {
        let lines = BufReader::new(output).lines().map_while(Result::ok);
        for line in lines.filter(|l| !l.trim().is_empty()) {
            tracing::info!(worker = worker.as_str(), "[custom build] {line}");
        }
    })
}

/// `PATH` with each existing `node_modules/.bin` from `dir` up ahead of
/// the process's own.
fn search_path(dir: &Path) -> anyhow::Result<std::ffi::OsString> {
    let dir = std::path::absolute(dir)?;
    let local: Vec<PathBuf> = dir
        .ancestors()
        .map(|d| d.join("node_modules").join(".bin"))
        .filter(|bin| bin.is_dir())
        .collect();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let all = local
        .into_iter()
        .chain(std::env::split_paths(&inherited))
        .collect::<Vec<_>>();
    std::env::join_paths(all).context("a node_modules/.bin path cannot go in PATH")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_bins_come_first_nearest_first() {
        let top = tempfile::tempdir().unwrap();
        let inner = top.path().join("a/b");
        std::fs::create_dir_all(inner.join("node_modules/.bin")).unwrap();
        std::fs::create_dir_all(top.path().join("node_modules/.bin")).unwrap();
        let path = search_path(&inner).unwrap();
        let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        assert_eq!(dirs[0], inner.join("node_modules/.bin"));
        assert_eq!(dirs[1], top.path().join("node_modules/.bin"));
    }
}
