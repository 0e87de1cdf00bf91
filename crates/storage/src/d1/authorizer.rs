//! What D1 refuses to run.
//!
//! D1 runs user SQL under an authorizer: a statement that does one of the
//! things below fails to prepare with `not authorized: SQLITE_AUTH` (or, for
//! reading a column, `access to T.C is prohibited: SQLITE_AUTH`).
//!
//! - Transactions and savepoints (`BEGIN`, `COMMIT`, `SAVEPOINT`, …): D1
//!   runs each call in a transaction of its own; use `batch()` for several
//!   statements that must commit together.
//! - Attached databases, temporary tables, indexes, views and triggers.
//! - Virtual tables other than FTS5 and R*Tree.
//! - Names starting with `_cf_`, which D1 keeps for itself.
//! - `PRAGMA`s other than the ones D1 allows (`table_list`, `table_info`,
//!   `foreign_keys`, `defer_foreign_keys`, `optimize`, …); in particular
//!   nothing may change the journal or the synchronous level that make
//!   writes durable.
//!
//! The store's own statements (its transactions, reading the database
//! size) run with the [`Trust`] flag set and pass.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

/// Set while the store runs its own statements.
#[derive(Debug, Clone, Default)]
pub struct Trust(Arc<AtomicBool>);

impl Trust {
    /// Runs `f` with the store's own statements allowed.
    pub fn trusted<T>(&self, f: impl FnOnce() -> T) -> T {
        self.0.store(true, Ordering::Relaxed);
        let out = f();
        self.0.store(false, Ordering::Relaxed);
        out
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// `PRAGMA`s D1 allows, and whether each takes no argument at all.
const PRAGMAS: &[(&str, bool)] = &[
    ("table_list", false),
    ("table_info", false),
    ("table_xinfo", false),
    ("data_version", true),
    ("page_size", true),
    ("case_sensitive_like", false),
    ("foreign_keys", false),
    ("defer_foreign_keys", false),
    ("ignore_check_constraints", false),
    ("legacy_alter_table", false),
    ("recursive_triggers", false),
    ("reverse_unordered_selects", false),
    ("foreign_key_check", false),
    ("foreign_key_list", false),
    ("index_info", false),
    ("index_list", false),
    ("index_xinfo", false),
    ("quick_check", false),
    ("optimize", false),
];

/// The authorizer callback: allow or deny one action of a statement being
/// prepared.
pub fn authorize(trust: &Trust, ctx: AuthContext<'_>) -> Authorization {
    if trust.is_set() {
        return Authorization::Allow;
    }
    if allowed(&ctx.action) {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

fn allowed(action: &AuthAction<'_>) -> bool {
    use AuthAction as A;
    match *action {
        A::Select | A::Recursive | A::Analyze { .. } | A::Function { .. } => true,
        A::CreateTable { table_name }
        | A::DropTable { table_name }
        | A::Insert { table_name }
        | A::Delete { table_name }
        | A::Read { table_name, .. }
        | A::Update { table_name, .. }
        | A::AlterTable { table_name, .. } => name_ok(table_name),
        A::CreateView { view_name } | A::DropView { view_name } => name_ok(view_name),
        A::Reindex { index_name } => name_ok(index_name),
        A::CreateIndex {
            index_name,
            table_name,
        }
        | A::DropIndex {
            index_name,
            table_name,
        } => name_ok(index_name) && name_ok(table_name),
        A::CreateTrigger {
            trigger_name,
            table_name,
        }
        | A::DropTrigger {
            trigger_name,
            table_name,
        } => name_ok(trigger_name) && name_ok(table_name),
        A::CreateVtable {
            table_name,
            module_name,
        }
        | A::DropVtable {
            table_name,
            module_name,
        } => {
            ["fts5", "fts5vocab", "rtree", "rtree_i32"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(module_name))
                && name_ok(table_name)
        }
        A::Pragma {
            pragma_name,
            pragma_value,
        } => pragma_ok(pragma_name, pragma_value),
        _ => false,
    }
}

fn name_ok(name: &str) -> bool {
    !name
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("_cf_"))
}

fn pragma_ok(name: &str, value: Option<&str>) -> bool {
    let name = name.to_ascii_lowercase();
    match PRAGMAS.iter().find(|(p, _)| *p == name) {
        Some((_, no_arg)) => !no_arg || value.is_none(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{authorize, Trust};

    fn db() -> (Connection, Trust) {
        let db = Connection::open_in_memory().unwrap();
        let trust = Trust::default();
        let t = trust.clone();
        db.authorizer(Some(move |ctx: rusqlite::hooks::AuthContext<'_>| {
            authorize(&t, ctx)
        }));
        (db, trust)
    }

    #[test]
    fn refuses_what_d1_refuses() {
        let (db, trust) = db();
        db.execute_batch("CREATE TABLE t (a); INSERT INTO t VALUES (1); PRAGMA table_list; PRAGMA foreign_keys = on")
            .unwrap();
        trust
            .trusted(|| db.execute_batch("CREATE TABLE _cf_KV (a)"))
            .unwrap();
        for sql in [
            "BEGIN",
            "SAVEPOINT x",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA synchronous = OFF",
            "PRAGMA page_size = 1024",
            "ATTACH 'x.db' AS x",
            "CREATE TEMP TABLE tt (a)",
            "CREATE TABLE _cf_other (a)",
            "SELECT * FROM _CF_kv",
        ] {
            let err = db.prepare(sql).err().unwrap_or_else(|| panic!("{sql} ran"));
            let text = err.to_string();
            let refused = text.contains("not authorized") || text.contains("is prohibited");
            assert!(refused, "{sql}: {err}");
        }
        trust.trusted(|| db.execute_batch("BEGIN; COMMIT")).unwrap();
        assert!(db.prepare("COMMIT").is_err());
    }
}
