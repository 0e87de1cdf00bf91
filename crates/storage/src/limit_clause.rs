//! `DELETE` and `UPDATE` with `ORDER BY` and `LIMIT`, as D1 and Durable
//! Object SQL take them.
//!
//! Cloudflare's SQLite is built with `SQLITE_ENABLE_UPDATE_DELETE_LIMIT`,
//! which only a parser generated from SQLite's full sources can honour; the
//! amalgamation bundled here answers `near "LIMIT": syntax error`. SQLite
//! itself carries such a statement out by limiting its `WHERE` to the rows a
//! subquery picks: `DELETE FROM t WHERE x RETURNING * ORDER BY o LIMIT n`
//! runs as `DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE x ORDER
//! BY o LIMIT n) RETURNING *`. [`prepare`] does the same: a statement that
//! fails with that syntax error is rewritten so and prepared again; when the
//! rewrite does not apply or does not prepare (a `WITHOUT ROWID` table, an
//! `UPDATE … FROM`, named parameters, an `ORDER BY` without `LIMIT`), the
//! first error stands.
//!
//! The statement is cut at its top-level keywords (outside parentheses,
//! strings, quoted names and comments), so nothing inside a subquery, a
//! string or a `CASE` moves. Moving the clauses would change the numbers
//! SQLite gives bare `?` parameters, so each becomes `?N` with the number
//! it had where it stood.

/// Prepares `sql` with `prep` (a connection's `prepare` or
/// `prepare_cached`); a `DELETE` or `UPDATE` with `ORDER BY`/`LIMIT` is
/// rewritten as SQLite itself would run it (see the module docs).
pub(crate) fn prepare<S>(
    sql: &str,
    prep: impl Fn(&str) -> rusqlite::Result<S>,
) -> rusqlite::Result<S> {
    let first = prep(sql);
    let error = match first {
        Ok(stmt) => return Ok(stmt),
        Err(e) => e,
    };
    if !is_limit_syntax_error(&error) {
        return Err(error);
    }
    let Some(rewritten) = rewrite(sql) else {
        return Err(error);
    };
    let again = prep(&rewritten);
    // Where SQLite would have used the primary key (a table without
    // rowids), the parser's error stands; any other error is the
    // statement's own (a missing table or column).
    again.map_err(|e| {
        if message(&e) == Some("no such column: rowid") {
            error
        } else {
            e
        }
    })
}

/// Whether `error` is the parser's refusal of an `ORDER BY` or `LIMIT`.
fn is_limit_syntax_error(error: &rusqlite::Error) -> bool {
    matches!(
        message(error),
        Some("near \"LIMIT\": syntax error" | "near \"ORDER\": syntax error")
    )
}

/// SQLite's message in `error`, without the statement's text.
fn message(error: &rusqlite::Error) -> Option<&str> {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => Some(message),
        rusqlite::Error::SqlInputError { msg, .. } => Some(msg),
        _ => None,
    }
}

/// A token of SQL text that matters here: a word (keyword or bare name), a
/// parameter, or anything else, with its byte range and how deep in
/// parentheses it sits.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
    depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Word,
    /// `?` alone.
    BareParam,
    /// `?NNN`.
    NumberedParam,
    /// `:name`, `@name`, `$name`.
    NamedParam,
    Semicolon,
    Other,
}

/// The tokens of `sql`, or `None` for text this cannot follow (an
/// unterminated string or comment, unbalanced parentheses).
fn tokens(sql: &str) -> Option<Vec<Token>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |n| i + n + 1);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = i + 2 + sql[i + 2..].find("*/")? + 2;
                continue;
            }
            b'\'' | b'"' | b'`' => {
                // Quoted, with the quote doubled inside.
                i += 1;
                loop {
                    let n = sql[i..].find(c as char)?;
                    i += n + 1;
                    if b.get(i) != Some(&c) {
                        break;
                    }
                    i += 1;
                }
                Kind::Other
            }
            b'[' => {
                i += sql[i..].find(']')? + 1;
                Kind::Other
            }
            b'(' => {
                i += 1;
                depth += 1;
                out.push(Token {
                    kind: Kind::Other,
                    start,
                    end: i,
                    depth: depth - 1,
                });
                continue;
            }
            b')' => {
                depth = depth.checked_sub(1)?;
                i += 1;
                Kind::Other
            }
            b';' => {
                i += 1;
                Kind::Semicolon
            }
            b'?' => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i - start > 1 {
                    Kind::NumberedParam
                } else {
                    Kind::BareParam
                }
            }
            b':' | b'@' | b'$' if b.get(i + 1).is_some_and(|&n| word(n)) => {
                i += 1;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                Kind::NamedParam
            }
            _ if word(c) => {
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                if c.is_ascii_digit() {
                    Kind::Other
                } else {
                    Kind::Word
                }
            }
            _ => {
                i += 1;
                Kind::Other
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
            depth,
        });
    }
    (depth == 0).then_some(out)
}

/// `sql` with its `ORDER BY`/`LIMIT` moved into a subquery that picks the
/// rows by `rowid`, or `None` when the statement is not a `DELETE` or
/// `UPDATE` with a top-level `LIMIT` this can rewrite.
pub(crate) fn rewrite(sql: &str) -> Option<String> {
    let toks = tokens(sql)?;
    let is = |t: &Token, keyword: &str| {
        t.kind == Kind::Word && sql[t.start..t.end].eq_ignore_ascii_case(keyword)
    };
    if toks.iter().any(|t| t.kind == Kind::NamedParam) {
        return None;
    }
    // The statement's own tokens: up to a `;` (only blanks may follow).
    let end = toks
        .iter()
        .position(|t| t.kind == Kind::Semicolon)
        .unwrap_or(toks.len());
    if toks.len() > end + 1 {
        return None;
    }
    let toks = &toks[..end];
    let top = |from: usize, keyword: &str| {
        (from..toks.len()).find(|&i| toks[i].depth == 0 && is(&toks[i], keyword))
    };
    // After an optional WITH clause, DELETE FROM or UPDATE [OR x].
    let verb = (0..toks.len())
        .find(|&i| toks[i].depth == 0 && (is(&toks[i], "DELETE") || is(&toks[i], "UPDATE")))?;
    if verb > 0 && !is(&toks[0], "WITH") {
        return None;
    }
    let delete = is(&toks[verb], "DELETE");
    let (table_from, table_to, set) = if delete {
        if !toks.get(verb + 1).is_some_and(|t| is(t, "FROM")) {
            return None;
        }
        let from = verb + 2;
        let to = ["WHERE", "RETURNING", "ORDER", "LIMIT"]
            .iter()
            .filter_map(|k| top(from, k))
            .min()?;
        (from, to, None)
    } else {
        let mut from = verb + 1;
        if toks.get(from).is_some_and(|t| is(t, "OR")) {
            from += 2;
        }
        let set = top(from, "SET")?;
        (from, set, Some(set))
    };
    if table_from >= table_to {
        return None;
    }
    let after = table_to;
    let limit = top(after, "LIMIT")?;
    let order = top(after, "ORDER").filter(|&o| o < limit);
    let returning = top(after, "RETURNING").filter(|&r| r < order.unwrap_or(limit));
    let clause_end = returning.or(order).unwrap_or(limit);
    let filter = top(after, "WHERE").filter(|&w| w < clause_end);
    if let Some(set) = set {
        // UPDATE … FROM joins other tables: left to the error.
        if top(set, "FROM").is_some_and(|f| f < filter.unwrap_or(clause_end)) {
            return None;
        }
    }

    // Each bare `?` gets the number SQLite would have given it.
    let mut numbers = Vec::new();
    let mut largest = 0u64;
    for t in toks {
        match t.kind {
            Kind::BareParam => {
                largest += 1;
                numbers.push((t.start, largest));
            }
            Kind::NumberedParam => largest = largest.max(sql[t.start + 1..t.end].parse().ok()?),
            _ => {}
        }
    }
    let text = |from: usize, to: usize| -> String {
        let (Some(a), Some(b)) = (toks.get(from), to.checked_sub(1).and_then(|t| toks.get(t)))
        else {
            return String::new();
        };
        if from >= to {
            return String::new();
        }
        let mut out = String::new();
        let mut at = a.start;
        for &(pos, n) in numbers.iter().filter(|(p, _)| *p >= a.start && *p < b.end) {
            out.push_str(&sql[at..pos]);
            out.push_str(&format!("?{n}"));
            at = pos + 1;
        }
        out.push_str(&sql[at..b.end]);
        out
    };
    let head = text(0, table_from);
    let table = text(table_from, table_to);
    let set_clause = set.map(|s| text(s, filter.unwrap_or(clause_end)));
    let filter_clause = filter.map(|w| text(w, clause_end));
    let order_clause = order.map(|o| text(o, limit));
    let limit_clause = text(limit, toks.len());
    let returning_clause = returning.map(|r| text(r, order.unwrap_or(limit)));

    let mut out = format!("{head} {table}");
    if let Some(set) = set_clause {
        out.push(' ');
        out.push_str(&set);
    }
    out.push_str(&format!(" WHERE rowid IN (SELECT rowid FROM {table}"));
    for clause in [filter_clause, order_clause, Some(limit_clause)]
        .into_iter()
        .flatten()
    {
        out.push(' ');
        out.push_str(&clause);
    }
    out.push(')');
    if let Some(r) = returning_clause {
        out.push(' ');
        out.push_str(&r);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_with_a_limit_picks_its_rows_in_a_subquery() {
        assert_eq!(
            rewrite("DELETE FROM tasks WHERE id = ? RETURNING * LIMIT 1").unwrap(),
            "DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE id = ?1 LIMIT 1) RETURNING *"
        );
        assert_eq!(
            rewrite("delete from t order by a desc limit 2 offset 1;").unwrap(),
            "delete from t WHERE rowid IN (SELECT rowid FROM t order by a desc limit 2 offset 1)"
        );
        assert_eq!(
            rewrite("WITH old AS (SELECT 1) DELETE FROM t AS x INDEXED BY i WHERE x.a IN (SELECT * FROM old) LIMIT 5").unwrap(),
            "WITH old AS (SELECT 1) DELETE FROM t AS x INDEXED BY i WHERE rowid IN (SELECT rowid FROM t AS x INDEXED BY i WHERE x.a IN (SELECT * FROM old) LIMIT 5)"
        );
    }

    #[test]
    fn an_update_keeps_its_set_clause_and_its_parameters_numbers() {
        assert_eq!(
            rewrite("UPDATE OR IGNORE t SET a = ?, b = 'x LIMIT y' WHERE c = ? RETURNING ? ORDER BY d LIMIT ?").unwrap(),
            "UPDATE OR IGNORE t SET a = ?1, b = 'x LIMIT y' WHERE rowid IN (SELECT rowid FROM t WHERE c = ?2 ORDER BY d LIMIT ?4) RETURNING ?3"
        );
        assert_eq!(
            rewrite("UPDATE t SET a = ?5, b = ? LIMIT ?").unwrap(),
            "UPDATE t SET a = ?5, b = ?6 WHERE rowid IN (SELECT rowid FROM t LIMIT ?7)"
        );
    }

    #[test]
    fn keywords_inside_parentheses_strings_and_comments_stay_where_they_are() {
        // Comments between the clauses are left out.
        assert_eq!(
            rewrite("DELETE FROM \"LIMIT\" -- LIMIT 3\nWHERE a = (SELECT b FROM c ORDER BY b LIMIT 1) /* ORDER */ LIMIT 2").unwrap(),
            "DELETE FROM \"LIMIT\" WHERE rowid IN (SELECT rowid FROM \"LIMIT\" WHERE a = (SELECT b FROM c ORDER BY b LIMIT 1) LIMIT 2)"
        );
    }

    #[test]
    fn what_it_cannot_rewrite_is_left_alone() {
        for sql in [
            "SELECT * FROM t LIMIT 1",
            "DELETE FROM t WHERE a = 1",
            "DELETE FROM t ORDER BY a",
            "DELETE FROM t WHERE a = :a LIMIT 1",
            "UPDATE t SET a = 1 FROM u WHERE t.b = u.b LIMIT 1",
            "DELETE FROM t WHERE a = 'unterminated LIMIT 1",
            "DELETE FROM t WHERE (a = 1 LIMIT 1",
            "DELETE FROM t LIMIT 1; SELECT 1",
            "INSERT INTO t SELECT * FROM u LIMIT 1",
        ] {
            assert_eq!(rewrite(sql), None, "{sql}");
        }
    }

    use rusqlite::Connection;

    #[test]
    fn sqlite_runs_the_rewritten_statements() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER);
             INSERT INTO t(n) VALUES (5), (4), (3), (2), (1);
             CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;",
        )
        .unwrap();
        let sql = "DELETE FROM t WHERE n > ? RETURNING n ORDER BY n LIMIT 2";
        let mut stmt = prepare(sql, |s| conn.prepare_cached(s)).unwrap();
        let mut gone: Vec<i64> = stmt
            .query_map([1], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // RETURNING gives the rows in no particular order.
        gone.sort();
        assert_eq!(gone, [2, 3]);
        drop(stmt);
        let changed = prepare("UPDATE t SET n = n * 10 ORDER BY n DESC LIMIT 1", |s| {
            conn.prepare(s)
        })
        .unwrap()
        .execute([])
        .unwrap();
        assert_eq!(changed, 1);
        let left: Vec<i64> = conn
            .prepare("SELECT n FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(left, [50, 4, 1]);
        // A table without rowids keeps SQLite's own error.
        let err = prepare("DELETE FROM w LIMIT 1", |s| conn.prepare(s))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("near \"LIMIT\": syntax error"),
            "{err}"
        );
        // The rewritten statement's own errors are the statement's.
        let err = prepare("DELETE FROM nope LIMIT 1", |s| conn.prepare(s))
            .err()
            .unwrap();
        assert!(err.to_string().contains("no such table: nope"), "{err}");
        let err = prepare("DELETE FROM t WHERE z = 1 LIMIT 1", |s| conn.prepare(s))
            .err()
            .unwrap();
        assert!(err.to_string().contains("no such column: z"), "{err}");
        let err = prepare("SELEC 1", |s| conn.prepare(s)).err().unwrap();
        assert!(err.to_string().contains("near \"SELEC\""), "{err}");
    }
}
