//! Secrets: values a Worker sees in `env` that must never be shown.
//!
//! A Worker's `secrets = ["NAME", …]` names them; each value comes from the
//! process environment, or else from a `.dev.vars` file next to the config
//! (`NAME=value` lines, `#` comments, optional single or double quotes),
//! as in Wrangler's local development.

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

/// The name of the file read for secrets not in the environment.
pub const DEV_VARS: &str = ".dev.vars";

/// Reads `dir/.dev.vars`, if there is one.
pub(crate) fn read_dev_vars(dir: &Path) -> Result<HashMap<String, String>, String> {
    let path = dir.join(DEV_VARS);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse_dev_vars(&text).map_err(|(line, m)| format!("{}:{line}: {m}", path.display()))
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
    fn secret_values_never_print() {
        let s = SecretValue::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }
}
