//! SQLite's errors in D1's words.
//!
//! D1 reports a failed query as SQLite's message, the offset in the SQL
//! where SQLite has one, and the name of SQLite's result code:
//! `near "SELEC": syntax error at offset 0: SQLITE_ERROR`, or
//! `UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT (extended:
//! SQLITE_CONSTRAINT_UNIQUE)`. The binding puts `D1_ERROR: ` before it.

use rusqlite::ffi;

/// The message D1 gives for `error`.
pub fn describe(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(e, msg) => {
            let text = msg.clone().unwrap_or_else(|| e.to_string());
            with_code(text, e.extended_code)
        }
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => with_code(format!("{msg} at offset {offset}"), error.extended_code),
        rusqlite::Error::InvalidParameterCount(..) => {
            "Wrong number of parameter bindings for SQL query.".to_owned()
        }
        other => other.to_string(),
    }
}

fn with_code(text: String, extended: i32) -> String {
    let primary = extended & 0xff;
    let mut out = format!("{text}: {}", code_name(primary));
    if extended != primary {
        if let Some(name) = extended_name(extended) {
            out.push_str(&format!(" (extended: {name})"));
        }
    }
    out
}

/// The name of a primary result code (`SQLITE_ERROR`, …).
pub fn code_name(code: i32) -> &'static str {
    match code {
        ffi::SQLITE_ERROR => "SQLITE_ERROR",
        ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
        ffi::SQLITE_PERM => "SQLITE_PERM",
        ffi::SQLITE_ABORT => "SQLITE_ABORT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_IOERR => "SQLITE_IOERR",
        ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
        ffi::SQLITE_NOTFOUND => "SQLITE_NOTFOUND",
        ffi::SQLITE_FULL => "SQLITE_FULL",
        ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
        ffi::SQLITE_PROTOCOL => "SQLITE_PROTOCOL",
        ffi::SQLITE_EMPTY => "SQLITE_EMPTY",
        ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
        ffi::SQLITE_NOLFS => "SQLITE_NOLFS",
        ffi::SQLITE_AUTH => "SQLITE_AUTH",
        ffi::SQLITE_FORMAT => "SQLITE_FORMAT",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        ffi::SQLITE_NOTADB => "SQLITE_NOTADB",
        ffi::SQLITE_NOTICE => "SQLITE_NOTICE",
        ffi::SQLITE_WARNING => "SQLITE_WARNING",
        _ => "SQLITE_ERROR",
    }
}

fn extended_name(code: i32) -> Option<&'static str> {
    Some(match code {
        ffi::SQLITE_CONSTRAINT_CHECK => "SQLITE_CONSTRAINT_CHECK",
        ffi::SQLITE_CONSTRAINT_COMMITHOOK => "SQLITE_CONSTRAINT_COMMITHOOK",
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "SQLITE_CONSTRAINT_FOREIGNKEY",
        ffi::SQLITE_CONSTRAINT_FUNCTION => "SQLITE_CONSTRAINT_FUNCTION",
        ffi::SQLITE_CONSTRAINT_NOTNULL => "SQLITE_CONSTRAINT_NOTNULL",
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY => "SQLITE_CONSTRAINT_PRIMARYKEY",
        ffi::SQLITE_CONSTRAINT_TRIGGER => "SQLITE_CONSTRAINT_TRIGGER",
        ffi::SQLITE_CONSTRAINT_UNIQUE => "SQLITE_CONSTRAINT_UNIQUE",
        ffi::SQLITE_CONSTRAINT_VTAB => "SQLITE_CONSTRAINT_VTAB",
        ffi::SQLITE_CONSTRAINT_ROWID => "SQLITE_CONSTRAINT_ROWID",
        ffi::SQLITE_CONSTRAINT_DATATYPE => "SQLITE_CONSTRAINT_DATATYPE",
        ffi::SQLITE_IOERR_READ => "SQLITE_IOERR_READ",
        ffi::SQLITE_IOERR_WRITE => "SQLITE_IOERR_WRITE",
        ffi::SQLITE_IOERR_FSYNC => "SQLITE_IOERR_FSYNC",
        ffi::SQLITE_READONLY_DBMOVED => "SQLITE_READONLY_DBMOVED",
        ffi::SQLITE_CORRUPT_INDEX => "SQLITE_CORRUPT_INDEX",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::describe;

    #[test]
    fn words_errors_as_d1_does() {
        let db = Connection::open_in_memory().unwrap();
        let err = db.prepare("SELEC 1").err().unwrap();
        assert_eq!(
            describe(&err),
            "near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"
        );
        db.execute_batch("CREATE TABLE t (a UNIQUE); INSERT INTO t VALUES (1)")
            .unwrap();
        let err = db.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
        assert_eq!(
            describe(&err),
            "UNIQUE constraint failed: t.a: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"
        );
        let err = db.prepare("SELECT * FROM nope").err().unwrap();
        assert_eq!(describe(&err), "no such table: nope: SQLITE_ERROR");
    }
}
