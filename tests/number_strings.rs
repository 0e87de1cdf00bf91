//! Numbers as text, on every engine: the shortest digits that read back as
//! the same number, as V8 (which Workers run) writes them. QuickJS-ng wrote
//! 17 digits for some powers of two where 16 read back the same (2^-24 as
//! `5.9604644775390625e-8`, not `5.960464477539063e-8`): the gap below a
//! power of two is half the one above it, and its search tried only the
//! nearest digits (patched in `vendor/rquickjs-sys`, see its MOTU.md). The
//! digest is of `String(2 ** k)` for every `k` from -1074 to 1023, one per
//! line, as V8 writes them.

mod common;

use common::{on_each_engine, Server};
use serde_json::json;

#[test]
fn numbers_are_written_with_the_shortest_digits() {
    on_each_engine("number_strings", |engine| {
        let s = Server::worker("number_strings.js", engine, &[]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            json!({
                "digest": "2f251a067d4e7c3c4a2512831bbed978d5d82a527fc5bff3e19a7f9e1513e15e",
                "some": [
                    "5.960464477539063e-8",
                    "1.1125369292536007e-308",
                    "5e-324",
                    "1.2676506002282294e+30",
                    "0.30000000000000004",
                    "0.3333333333333333",
                    "1e+21",
                    "1.23e-18"
                ],
                "json": "{\"x\":5.960464477539063e-8}"
            })
        );
    });
}
