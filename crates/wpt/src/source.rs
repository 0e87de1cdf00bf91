//! Reading WPT files, with the substitutions WPT's server makes in `.sub.`
//! files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::server::{HOST, REMOTE_HOST};

/// WPT files under a root, read once and shared.
#[derive(Debug, Clone)]
pub struct Sources {
    root: PathBuf,
    /// The test server's port, for `{{ports[http][0]}}`.
    port: u16,
    cache: Arc<Mutex<HashMap<String, Option<Arc<str>>>>>,
}

impl Sources {
    /// The files under `root`, served by a test server on `port`.
    pub fn new(root: PathBuf, port: u16) -> Self {
        Self {
            root,
            port,
            cache: Arc::default(),
        }
    }

    /// The directory the files are under.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// The text of the file at the absolute WPT path `path`
    /// (`/common/utils.js`), or `None` if it is missing.
    pub fn get(&self, path: &str) -> Option<Arc<str>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = cache.get(path) {
            return hit.clone();
        }
        let rel = path.trim_start_matches('/');
        let text = if rel.split('/').any(|s| s == "..") {
            None
        } else {
            std::fs::read_to_string(self.root.join(rel)).ok()
        };
        let text = text.map(|t| {
            if rel.contains(".sub.") {
                Arc::from(substitute(&t, self.port))
            } else {
                Arc::from(t)
            }
        });
        cache.insert(path.to_owned(), text.clone());
        text
    }
}

/// Replaces the `{{…}}` templates WPT's server fills in (`{{host}}`,
/// `{{ports[http][0]}}`, `{{domains[www]}}`, …) with the values of a
/// server at [`HOST`] on `port`; every other host name is [`REMOTE_HOST`].
/// Unknown templates become empty.
fn substitute(text: &str, port: u16) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&value(after[..end].trim(), port));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn value(template: &str, port: u16) -> String {
    let key = |prefix: &str| {
        template
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('['))
            .and_then(|r| r.split(']').next())
            .map(str::to_owned)
    };
    if template == "host" {
        return HOST.to_owned();
    }
    if let Some(which) = key("ports") {
        return match which.as_str() {
            "http" => port.to_string(),
            "https" => "8443".to_owned(),
            "ws" => "8001".to_owned(),
            "wss" => "8444".to_owned(),
            "h2" => "9000".to_owned(),
            _ => "8000".to_owned(),
        };
    }
    if let Some(sub) = key("domains").or_else(|| key("hosts[]")) {
        return if sub.is_empty() { HOST } else { REMOTE_HOST }.to_owned();
    }
    if key("hosts[alt]").is_some() {
        return REMOTE_HOST.to_owned();
    }
    if template == "location[scheme]" {
        return "http".to_owned();
    }
    if template == "location[host]" {
        return format!("{HOST}:{port}");
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_filled_in() {
        assert_eq!(
            substitute(
                "'{{host}}:{{ports[http][0]}}' {{domains[www]}} {{hosts[alt][]}} {{GET[x]}}",
                8123
            ),
            "'localhost:8123' 127.0.0.1 127.0.0.1 "
        );
        assert_eq!(substitute("no {{ end", 1), "no {{ end");
    }
}
