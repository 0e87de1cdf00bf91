//! Secrets: values a Worker sees in `env` that must never be shown.
//!
//! A Worker's `secrets = ["NAME", …]` names them; each value comes from the
//! process environment, or else from the Worker's secret files next to the
//! config (`NAME=value` lines, `#` comments, optional single or double
//! quotes): `secret_files`, `.dev.vars` by default, the first file that has
//! a name giving its value.
//!
//! A Wrangler config's secrets are the names in the files Wrangler's local
//! development reads ([`wrangler_secret_files`]): `.dev.vars.<env>` for
//! an environment that has one, else `.dev.vars`, else the `.env` files
//! (`.env.<env>.local`, `.env.local`, `.env.<env>`, `.env`, the first one
//! that has a name giving its value).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A secret's value. Its `Debug` and `Display` show `[redacted]`, so it
/// never reaches a log line or an error page by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the Worker's `env`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The file read for secrets not in the environment, unless a Worker names
/// its own `secret_files`.
pub const DEV_VARS: &str = ".dev.vars";

/// Whether a file named `name` next to a config may hold its secrets:
/// `.dev.vars`, `.dev.vars.<env>`, `.env` and its variants (`.env.local`,
/// `.env.<env>`, `.env.<env>.local`).
pub fn is_secret_file(name: &str) -> bool {
    name == DEV_VARS
        || name.starts_with(".dev.vars.")
        || name == ".env"
        || name.starts_with(".env.")
}

/// Reads the secret files `files` of `dir` that exist: for each name, the
/// value of the first file that has it.
pub(crate) fn read_secret_files(
    dir: &Path,
    files: &[String],
) -> Result<HashMap<String, String>, String> {
    let mut vars = HashMap::new();
    for file in files.iter().rev() {
        let path = dir.join(file);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let read =
            parse_dev_vars(&text).map_err(|(line, m)| format!("{}:{line}: {m}", path.display()))?;
        vars.extend(read);
    }
    Ok(vars)
}

/// The secret files Wrangler's local development reads for the config in
/// `dir` and the environment `env`, most specific first: `.dev.vars.<env>`
/// alone when it exists, else `.dev.vars` alone when it exists, else the
/// `.env` files that exist (none when `dot_env` is false, as with
/// `CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false`).
pub(crate) fn wrangler_secret_files(dir: &Path, env: Option<&str>, dot_env: bool) -> Vec<String> {
    let exists = |name: &String| dir.join(name).is_file();
    let dev_vars: Vec<String> = env
        .map(|e| format!("{DEV_VARS}.{e}"))
        .into_iter()
        .chain([DEV_VARS.to_owned()])
        .collect();
    if let Some(file) = dev_vars.into_iter().find(exists) {
        return vec![file];
    }
    if !dot_env {
        return Vec::new();
    }
    let mut files = Vec::new();
    if let Some(e) = env {
        files.push(format!(".env.{e}.local"));
    }
    files.push(".env.local".to_owned());
    if let Some(e) = env {
        files.push(format!(".env.{e}"));
    }
    files.push(".env".to_owned());
    files.into_iter().filter(exists).collect()
}

/// Parses `NAME=value` lines; returns the first bad line's number and why.
fn parse_dev_vars(text: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut vars = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err((i + 1, "expected NAME=value".into()));
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err((i + 1, "the name must be letters, digits or '_'".into()));
        }
        let value = value.trim();
        let unquoted = [('"', '"'), ('\'', '\'')].iter().find_map(|(open, close)| {
            value
                .strip_prefix(*open)
                .and_then(|v| v.strip_suffix(*close))
        });
        vars.insert(name.to_owned(), unquoted.unwrap_or(value).to_owned());
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_vars_lines_are_read() {
        let vars = parse_dev_vars(
            "# comment\nAPI_KEY=abc=def\nexport TOKEN = \"quoted value\"\nSINGLE='x'\n\n",
        )
        .unwrap();
        assert_eq!(vars["API_KEY"], "abc=def");
        assert_eq!(vars["TOKEN"], "quoted value");
        assert_eq!(vars["SINGLE"], "x");
        assert_eq!(parse_dev_vars("A=1\nnot a line\n").unwrap_err().0, 2);
        assert_eq!(parse_dev_vars("BAD NAME=1\n").unwrap_err().0, 1);
    }

    #[test]
    fn wrangler_reads_dev_vars_else_the_env_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
        write(".env", "A=env\nB=env\nC=env\n");
        write(".env.local", "B=local\n");
        write(".env.staging", "A=staging\nC=staging\n");
        write(".env.staging.local", "C=staging-local\n");
        let files = wrangler_secret_files(d, Some("staging"), true);
        assert_eq!(
            files,
            [".env.staging.local", ".env.local", ".env.staging", ".env"]
        );
        let vars = read_secret_files(d, &files).unwrap();
        assert_eq!(
            (vars["A"].as_str(), vars["B"].as_str(), vars["C"].as_str()),
            ("staging", "local", "staging-local")
        );
        assert_eq!(wrangler_secret_files(d, None, true), [".env.local", ".env"]);
        assert!(wrangler_secret_files(d, None, false).is_empty());
        // .dev.vars wins over every .env file, and .dev.vars.<env> over it.
        write(".dev.vars", "A=dev\n");
        assert_eq!(
            wrangler_secret_files(d, Some("staging"), true),
            [".dev.vars"]
        );
        write(".dev.vars.staging", "A=dev-staging\n");
        assert_eq!(
            wrangler_secret_files(d, Some("staging"), true),
            [".dev.vars.staging"]
        );
        assert_eq!(wrangler_secret_files(d, None, true), [".dev.vars"]);
    }

    #[test]
    fn secret_values_never_print() {
        let s = SecretValue::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }
}
