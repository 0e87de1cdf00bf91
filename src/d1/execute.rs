//! `motu d1 execute DB --command SQL | --file FILE [--json]`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use motu_storage::d1::{D1Value, QueryResult};
use serde_json::{json, Value};

use super::{table, Target};

/// `motu d1 execute`.
#[derive(Debug, Args)]
pub struct ExecuteArgs {
    #[command(flatten)]
    target: Target,
    /// The SQL to run: one statement, or several separated by `;`.
    #[arg(long, value_name = "SQL", conflicts_with = "file")]
    command: Option<String>,
    /// A `.sql` file of statements to run.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Print the results as JSON (one object per statement).
    #[arg(long)]
    json: bool,
    /// Answer yes to any question (accepted as wrangler takes it; motu asks
    /// none).
    #[arg(long, short = 'y')]
    yes: bool,
}

/// Runs `motu d1 execute`.
pub fn run(args: ExecuteArgs) -> anyhow::Result<()> {
    let json = args.json;
    match execute(args) {
        Ok(()) => Ok(()),
        Err(e) if json => {
            let text = format!("{e:#}");
            println!("{}", pretty(&json!({ "error": { "text": text } })));
            std::process::exit(1);
        }
        Err(e) => Err(e),
    }
}

fn execute(args: ExecuteArgs) -> anyhow::Result<()> {
    let _ = args.yes;
    let sql = match (&args.command, &args.file) {
        (Some(sql), None) => sql.clone(),
        (None, Some(file)) => {
            let bytes =
                std::fs::read(file).with_context(|| format!("--file {}", file.display()))?;
            if bytes.starts_with(b"SQLite format 3\0") {
                bail!(
                    "--file {}: this is a SQLite database, not SQL text; \
                     export it as SQL first (sqlite3 FILE .dump)",
                    file.display()
                );
            }
            String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("--file {}: not UTF-8 text", file.display()))?
        }
        _ => bail!("give the SQL with --command \"<SQL>\", or a file of it with --file <FILE>"),
    };
    let resolved = args.target.resolve()?;
    let opened = resolved.open()?;
    if !args.json {
        eprintln!(
            "Executing on local database {} in {}:",
            resolved.shown(),
            resolved.config.display()
        );
    }
    let results = opened.database.script(&sql, None)?;
    if args.json {
        let out: Vec<Value> = results.iter().map(result_json).collect();
        println!("{}", pretty(&Value::Array(out)));
        return Ok(());
    }
    let statements = motu_storage::d1::split_statements(&sql);
    for (i, result) in results.iter().enumerate() {
        if result.rows.is_empty() {
            continue;
        }
        if results.len() > 1 {
            if let Some(text) = statements.get(i) {
                println!("{}", shorten(text, 48));
            }
        }
        let rows: Vec<Vec<String>> = result
            .rows
            .iter()
            .map(|row| row.iter().map(cell).collect())
            .collect();
        print!("{}", table::render(&result.columns, &rows));
    }
    let n = results.len();
    println!(
        "{n} command{} executed successfully.",
        if n == 1 { "" } else { "s" }
    );
    Ok(())
}

/// One statement's result as `wrangler d1 execute --json` prints it.
fn result_json(result: &QueryResult) -> Value {
    let rows: Vec<Value> = result
        .rows
        .iter()
        .map(|row| {
            let mut object = serde_json::Map::new();
            for (name, value) in result.columns.iter().zip(row) {
                object.insert(name.clone(), value_json(value));
            }
            Value::Object(object)
        })
        .collect();
    json!({
        "results": rows,
        "success": true,
        "meta": { "duration": result.meta.duration_ms },
    })
}

/// A value in JSON: numbers and text as they are, blobs as `[1, 2, 3]`
/// text (as wrangler prints them).
fn value_json(value: &D1Value) -> Value {
    match value {
        D1Value::Null => Value::Null,
        D1Value::Integer(i) => Value::from(*i),
        D1Value::Real(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        D1Value::Text(s) => Value::String(s.clone()),
        D1Value::Blob(_) => Value::String(cell(value)),
    }
}

/// A value in a table cell, as JavaScript would show it.
fn cell(value: &D1Value) -> String {
    match value {
        D1Value::Null => "null".to_owned(),
        D1Value::Integer(i) => i.to_string(),
        D1Value::Real(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        D1Value::Real(f) => f.to_string(),
        D1Value::Text(s) => s.clone(),
        D1Value::Blob(b) => format!(
            "[{}]",
            b.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn shorten(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_javascript_shows_them() {
        assert_eq!(cell(&D1Value::Real(2.0)), "2");
        assert_eq!(cell(&D1Value::Real(2.5)), "2.5");
        assert_eq!(cell(&D1Value::Blob(vec![1, 2])), "[1, 2]");
        assert_eq!(cell(&D1Value::Null), "null");
        assert_eq!(value_json(&D1Value::Blob(vec![7])), json!("[7]"));
        assert_eq!(value_json(&D1Value::Integer(-3)), json!(-3));
    }

    #[test]
    fn long_statements_are_shortened_to_one_line() {
        assert_eq!(shorten("SELECT\n  *  FROM t", 48), "SELECT * FROM t");
        assert_eq!(shorten(&"x".repeat(60), 10), format!("{}…", "x".repeat(10)));
    }
}
