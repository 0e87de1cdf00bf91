//! Node.js compatibility: what a Worker's compatibility date and flags turn
//! on, resolved as Cloudflare's runtime resolves them.
//!
//! - `nodejs_compat` turns on the `node:*` built-in modules. From the
//!   compatibility date 2024-09-23 it implies `nodejs_compat_v2`.
//! - `nodejs_compat_v2` implies `nodejs_compat` and adds the `Buffer` and
//!   `process` globals (and `process.getBuiltinModule`).
//! - From the compatibility date 2026-08-04 both are on by default;
//!   `no_nodejs_compat` and `no_nodejs_compat_v2` turn them off.
//! - `process.env` holds the Worker's string vars and secrets with
//!   `nodejs_compat_populate_process_env`, and by default with Node.js
//!   compatibility from the date 2025-04-01;
//!   `nodejs_compat_do_not_populate_process_env` turns that off.
//! - `nodejs_als` alone gives `node:async_hooks` (no other module).
//! - With Node.js compatibility, `node:fs` and `node:fs/promises` are there
//!   from the compatibility date 2025-09-15 or with
//!   `enable_nodejs_fs_module` (`disable_nodejs_fs_module` takes them
//!   away), and `node:http` and `node:https` from 2025-08-15 or with
//!   `enable_nodejs_http_modules` (`disable_nodejs_http_modules`).
//! - With `node:http`, its server half (`http.createServer`, and
//!   `httpServerHandler` of `cloudflare:node` to hand a Worker's requests
//!   to it) is there from 2025-09-01 or with
//!   `enable_nodejs_http_server_modules`
//!   (`disable_nodejs_http_server_modules`).

/// The date from which `nodejs_compat` implies `nodejs_compat_v2`.
pub const NODEJS_COMPAT_V2_DATE: &str = "2024-09-23";
/// The date from which `process.env` is populated by default.
pub const POPULATE_PROCESS_ENV_DATE: &str = "2025-04-01";
/// The date from which Node.js compatibility is on by default.
pub const NODEJS_COMPAT_DEFAULT_DATE: &str = "2026-08-04";

/// The date from which `node:fs` is there with Node.js compatibility.
pub const NODEJS_FS_MODULE_DATE: &str = "2025-09-15";
/// The date from which `node:http` and `node:https` are there with Node.js
/// compatibility.
pub const NODEJS_HTTP_MODULES_DATE: &str = "2025-08-15";
/// The date from which `node:http` has its server half with Node.js
/// compatibility (when it has `node:http` at all).
pub const NODEJS_HTTP_SERVER_MODULES_DATE: &str = "2025-09-01";

/// What Node.js compatibility a Worker has. The default: none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCompat {
    /// The `node:*` modules are importable (`nodejs_compat`).
    pub modules: bool,
    /// `Buffer` and `process` are globals (`nodejs_compat_v2`).
    pub globals: bool,
    /// `process.env` holds the Worker's string vars and secrets.
    pub populate_process_env: bool,
    /// Only `node:async_hooks` is importable (`nodejs_als` without
    /// `nodejs_compat`).
    pub als_only: bool,
    /// `node:fs` and `node:fs/promises` are importable (with `modules`).
    pub fs: bool,
    /// `node:http` and `node:https` are importable (with `modules`).
    pub http: bool,
    /// `http.createServer` makes a server that `cloudflare:node`'s
    /// `httpServerHandler` hands requests to (with `http`).
    pub http_server: bool,
}

impl NodeCompat {
    /// Resolves a Worker's `compatibility_date` (`YYYY-MM-DD`, compared as
    /// text) and `compatibility_flags`.
    pub fn resolve(date: Option<&str>, flags: &[String]) -> Self {
        let has = |f: &str| flags.iter().any(|x| x == f);
        let from = |d: &str| date.is_some_and(|date| date >= d);
        let v2_flag = has("nodejs_compat_v2")
            || (from(NODEJS_COMPAT_DEFAULT_DATE) && !has("no_nodejs_compat_v2"));
        let v1 = has("nodejs_compat")
            || v2_flag
            || (from(NODEJS_COMPAT_DEFAULT_DATE) && !has("no_nodejs_compat"));
        let v2 = v2_flag || (v1 && from(NODEJS_COMPAT_V2_DATE) && !has("no_nodejs_compat_v2"));
        let populate = v1
            && !has("nodejs_compat_do_not_populate_process_env")
            && (has("nodejs_compat_populate_process_env") || from(POPULATE_PROCESS_ENV_DATE));
        let http = v1
            && !has("disable_nodejs_http_modules")
            && (has("enable_nodejs_http_modules") || from(NODEJS_HTTP_MODULES_DATE));
        NodeCompat {
            modules: v1,
            globals: v2,
            populate_process_env: populate,
            als_only: !v1 && has("nodejs_als"),
            fs: v1
                && !has("disable_nodejs_fs_module")
                && (has("enable_nodejs_fs_module") || from(NODEJS_FS_MODULE_DATE)),
            http,
            http_server: http
                && !has("disable_nodejs_http_server_modules")
                && (has("enable_nodejs_http_server_modules")
                    || from(NODEJS_HTTP_SERVER_MODULES_DATE)),
        }
    }

    /// Whether the Worker has any Node.js module at all.
    pub fn any(&self) -> bool {
        self.modules || self.als_only
    }
}

/// The compatibility flags this module resolves, each with what it means.
pub const FLAGS: &[(&str, &str)] = &[
    (
        "nodejs_compat",
        "the node:* built-in modules (see the README's nodejs_compat section)",
    ),
    (
        "nodejs_compat_v2",
        "nodejs_compat plus the Buffer and process globals",
    ),
    (
        "no_nodejs_compat",
        "turns off nodejs_compat where the compatibility date has it on",
    ),
    (
        "no_nodejs_compat_v2",
        "turns off nodejs_compat_v2 where the compatibility date has it on",
    ),
    (
        "nodejs_compat_populate_process_env",
        "process.env holds the string vars and secrets",
    ),
    (
        "nodejs_compat_do_not_populate_process_env",
        "process.env starts empty",
    ),
    (
        "nodejs_als",
        "node:async_hooks without the other node:* modules",
    ),
    (
        "enable_nodejs_fs_module",
        "node:fs and node:fs/promises with nodejs_compat (on by default from 2025-09-15)",
    ),
    (
        "disable_nodejs_fs_module",
        "no node:fs where the compatibility date has it",
    ),
    (
        "enable_nodejs_http_modules",
        "node:http and node:https with nodejs_compat (on by default from 2025-08-15)",
    ),
    (
        "disable_nodejs_http_modules",
        "no node:http or node:https where the compatibility date has them",
    ),
    (
        "enable_nodejs_http_server_modules",
        "http.createServer and cloudflare:node's httpServerHandler with node:http (on by \
         default from 2025-09-01)",
    ),
    (
        "disable_nodejs_http_server_modules",
        "no http.createServer where the compatibility date has it",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(date: &str, flags: &[&str]) -> NodeCompat {
        let flags: Vec<String> = flags.iter().map(|f| (*f).to_owned()).collect();
        NodeCompat::resolve(Some(date), &flags)
    }

    #[test]
    fn flags_and_dates_resolve_as_cloudflare_does() {
        assert_eq!(resolve("2025-01-01", &[]), NodeCompat::default());
        let old = resolve("2024-01-01", &["nodejs_compat"]);
        assert!(old.modules && !old.globals && !old.populate_process_env);
        let v2 = resolve("2024-09-23", &["nodejs_compat"]);
        assert!(v2.modules && v2.globals && !v2.populate_process_env);
        assert!(resolve("2025-04-01", &["nodejs_compat"]).populate_process_env);
        assert!(
            !resolve(
                "2025-04-01",
                &["nodejs_compat", "nodejs_compat_do_not_populate_process_env"]
            )
            .populate_process_env
        );
        assert!(
            resolve(
                "2024-01-01",
                &["nodejs_compat", "nodejs_compat_populate_process_env"]
            )
            .populate_process_env
        );
        let explicit = resolve("2023-01-01", &["nodejs_compat_v2"]);
        assert!(explicit.modules && explicit.globals);
        assert!(!resolve("2024-10-01", &["nodejs_compat", "no_nodejs_compat_v2"]).globals);
        let default_on = resolve("2026-08-04", &[]);
        assert!(default_on.modules && default_on.globals && default_on.populate_process_env);
        assert!(!resolve("2026-09-01", &["no_nodejs_compat", "no_nodejs_compat_v2"]).modules);
        let als = resolve("2024-01-01", &["nodejs_als"]);
        assert!(als.als_only && !als.modules && als.any());
        assert!(!NodeCompat::resolve(None, &[]).any());
    }

    #[test]
    fn fs_and_http_follow_their_dates_and_flags() {
        let before = resolve("2025-08-14", &["nodejs_compat"]);
        assert!(before.modules && !before.fs && !before.http);
        let http = resolve("2025-08-15", &["nodejs_compat"]);
        assert!(http.http && !http.fs);
        assert!(!http.http_server);
        assert!(resolve("2025-09-01", &["nodejs_compat"]).http_server);
        let both = resolve("2025-09-15", &["nodejs_compat"]);
        assert!(both.http && both.fs && both.http_server);
        assert!(
            !resolve(
                "2025-10-08",
                &["nodejs_compat", "disable_nodejs_http_server_modules"]
            )
            .http_server
        );
        assert!(
            resolve(
                "2025-08-15",
                &["nodejs_compat", "enable_nodejs_http_server_modules"]
            )
            .http_server
        );
        let flagged = resolve(
            "2024-01-01",
            &[
                "nodejs_compat",
                "enable_nodejs_fs_module",
                "enable_nodejs_http_modules",
            ],
        );
        assert!(flagged.fs && flagged.http);
        let off = resolve(
            "2026-01-01",
            &[
                "nodejs_compat",
                "disable_nodejs_fs_module",
                "disable_nodejs_http_modules",
            ],
        );
        assert!(off.modules && !off.fs && !off.http);
        // The flags need Node.js compatibility, as on Workers.
        let alone = resolve("2025-01-01", &["enable_nodejs_fs_module"]);
        assert!(!alone.fs && !alone.any());
        let default_on = resolve("2026-08-04", &[]);
        assert!(default_on.fs && default_on.http);
    }
}
