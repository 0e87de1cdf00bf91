//! Values as D1 stores them and hands them back.
//!
//! D1 converts a JavaScript value bound to a statement into one of SQLite's
//! storage classes, and a stored value back into JavaScript (Cloudflare's
//! "Type conversion" table):
//!
//! | JavaScript (write)      | D1        | JavaScript (read) |
//! |-------------------------|-----------|-------------------|
//! | `null`                  | `NULL`    | `null`            |
//! | Number (not integral)   | `REAL`    | Number            |
//! | Number (integral)       | `INTEGER` | Number            |
//! | String                  | `TEXT`    | String            |
//! | Boolean                 | `INTEGER` | Number (`0`, `1`) |
//! | ArrayBuffer, views      | `BLOB`    | Array of bytes    |
//!
//! The JavaScript side of the binding turns booleans into `0`/`1` and
//! buffers into bytes; this module decides between `INTEGER` and `REAL`
//! ([`D1Value::from_number`]).

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

/// One value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum D1Value {
    /// `NULL`.
    Null,
    /// `INTEGER`: a 64-bit signed integer.
    Integer(i64),
    /// `REAL`: a double.
    Real(f64),
    /// `TEXT`.
    Text(String),
    /// `BLOB`.
    Blob(Vec<u8>),
}

impl D1Value {
    /// A JavaScript number as D1 binds it: `INTEGER` when it is a whole
    /// number that a 64-bit integer holds (not `-0`), `REAL` otherwise.
    pub fn from_number(n: f64) -> Self {
        // 2^63 as a double: the first whole number an i64 cannot hold.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        let whole = n.is_finite() && n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n);
        if whole && !(n == 0.0 && n.is_sign_negative()) {
            D1Value::Integer(n as i64)
        } else {
            D1Value::Real(n)
        }
    }

    /// How many bytes the value holds (its text or blob; 8 for numbers).
    pub fn size(&self) -> usize {
        match self {
            D1Value::Null => 0,
            D1Value::Integer(_) | D1Value::Real(_) => 8,
            D1Value::Text(s) => s.len(),
            D1Value::Blob(b) => b.len(),
        }
    }

    pub(crate) fn from_ref(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => D1Value::Null,
            ValueRef::Integer(i) => D1Value::Integer(i),
            ValueRef::Real(f) => D1Value::Real(f),
            // SQLite may hold text that is not UTF-8 (written as a blob and
            // cast); it reads back with replacement characters, never fails.
            ValueRef::Text(t) => D1Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => D1Value::Blob(b.to_vec()),
        }
    }
}

impl ToSql for D1Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            D1Value::Null => ValueRef::Null,
            D1Value::Integer(i) => ValueRef::Integer(*i),
            D1Value::Real(f) => ValueRef::Real(*f),
            D1Value::Text(s) => ValueRef::Text(s.as_bytes()),
            D1Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::D1Value;

    #[test]
    fn whole_numbers_bind_as_integers_others_as_reals() {
        assert_eq!(D1Value::from_number(42.0), D1Value::Integer(42));
        assert_eq!(D1Value::from_number(-7.0), D1Value::Integer(-7));
        assert_eq!(D1Value::from_number(0.0), D1Value::Integer(0));
        assert_eq!(
            D1Value::from_number(9_007_199_254_740_991.0),
            D1Value::Integer(9_007_199_254_740_991)
        );
        assert_eq!(D1Value::from_number(1.5), D1Value::Real(1.5));
        assert!(matches!(D1Value::from_number(-0.0), D1Value::Real(z) if z == 0.0));
        assert!(matches!(D1Value::from_number(1e300), D1Value::Real(_)));
        assert!(matches!(D1Value::from_number(f64::NAN), D1Value::Real(_)));
        assert!(matches!(
            D1Value::from_number(f64::INFINITY),
            D1Value::Real(_)
        ));
        assert!(matches!(
            D1Value::from_number(9_223_372_036_854_775_808.0),
            D1Value::Real(_)
        ));
        assert_eq!(
            D1Value::from_number(-9_223_372_036_854_775_808.0),
            D1Value::Integer(i64::MIN)
        );
    }
}
