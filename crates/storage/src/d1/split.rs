//! Splitting SQL text into statements.
//!
//! A statement ends at a `;` where SQLite's own `sqlite3_complete` says the
//! text so far is complete, so semicolons inside strings, quoted names,
//! comments and `CREATE TRIGGER … BEGIN … END` bodies do not split.

use std::ffi::CString;

use rusqlite::ffi;

/// The statements of `sql`, in order, each with its `;` when it had one.
/// Pieces with nothing but blanks and comments are left out.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in sql.bytes().enumerate() {
        if b == b';' && i >= start {
            let piece = &sql[start..=i];
            if is_complete(piece) {
                if has_statement(piece) {
                    out.push(piece.trim());
                }
                start = i + 1;
            }
        }
    }
    let rest = &sql[start..];
    if has_statement(rest) {
        out.push(rest.trim());
    }
    out
}

/// Whether `sql` is a single statement: no `;` before its end (other than
/// trailing blanks and comments). A `;` inside a string makes this answer
/// `false`; callers then split properly.
pub fn is_single(sql: &str) -> bool {
    match sql.find(';') {
        None => true,
        Some(i) => !has_statement(&sql[i + 1..]),
    }
}

/// Whether `sql` holds anything besides blanks, comments and `;`.
pub fn has_statement(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b';' => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            _ => return true,
        }
    }
    false
}

fn is_complete(sql: &str) -> bool {
    let Ok(c) = CString::new(sql) else {
        // A NUL byte: SQLite would stop reading there anyway.
        return true;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call;
    // sqlite3_complete only reads it.
    unsafe { ffi::sqlite3_complete(c.as_ptr()) != 0 }
}

#[cfg(test)]
mod tests {
    use super::{has_statement, is_single, split_statements};

    #[test]
    fn splits_at_semicolons_that_end_statements() {
        assert_eq!(
            split_statements("CREATE TABLE t(a); INSERT INTO t VALUES (';');\nSELECT 1"),
            vec![
                "CREATE TABLE t(a);",
                "INSERT INTO t VALUES (';');",
                "SELECT 1"
            ]
        );
        let trigger = "CREATE TRIGGER x AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END;";
        assert_eq!(
            split_statements(&format!("{trigger} SELECT 2;")),
            vec![trigger, "SELECT 2;"]
        );
        assert_eq!(
            split_statements("-- a comment; still\nSELECT 1; /* ; */ ;; -- end"),
            vec!["-- a comment; still\nSELECT 1;"]
        );
        assert!(split_statements("  -- nothing\n").is_empty());
    }

    #[test]
    fn knows_single_statements_and_empty_text() {
        assert!(is_single("SELECT 1"));
        assert!(is_single("SELECT 1; -- done"));
        assert!(!is_single("SELECT 1; SELECT 2"));
        assert!(!has_statement(" -- x\n /* y */ ;"));
        assert!(has_statement("/* y */ x"));
    }
}
