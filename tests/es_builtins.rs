//! Recent ECMAScript built-ins (2023 to 2025) in a Worker, on every engine,
//! as the V8 of Cloudflare Workers has them: QuickJS has its own, and motu
//! installs them where V8 (Debian's libnode, 10.2) lacks them
//! (`crates/webapi/js/es_builtins.js`). The fixture
//! `tests/fixtures/es_builtins.js` reports what they give: each method's
//! shape (`length`, `name`, attributes, not a constructor), the copying
//! array methods (holes, negative and fractional indexes, `with`'s
//! RangeError, a comparator that throws, typed arrays),
//! `Promise.withResolvers` (and on a subclass), `Object.groupBy` and
//! `Map.groupBy` (keys in first-seen order, -0 as +0), the Set methods with
//! Sets, a Map and a set-like object (which of `has` and `keys` they use,
//! when they close its iterator, the argument's validation), lone
//! surrogates, and `Array.fromAsync` over async iterables, iterables of
//! promises and array-likes.

mod common;

use common::{on_each_engine, Server};
use serde_json::json;

#[test]
fn es_builtins_work_on_every_engine() {
    on_each_engine("es_builtins", |engine| {
        let s = Server::worker("es_builtins.js", engine, &[]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let method = |length: u32, name: &str| format!("{length},{name},false,true,true,false");
        assert_eq!(
            r.json(),
            json!({
                "shapes": {
                    "toSorted": method(1, "toSorted"),
                    "toReversed": method(0, "toReversed"),
                    "toSpliced": method(2, "toSpliced"),
                    "with": method(2, "with"),
                    "typedToSorted": method(1, "toSorted"),
                    "typedToReversed": method(0, "toReversed"),
                    "typedWith": method(2, "with"),
                    "withResolvers": method(0, "withResolvers"),
                    "objectGroupBy": method(2, "groupBy"),
                    "mapGroupBy": method(2, "groupBy"),
                    "isWellFormed": method(0, "isWellFormed"),
                    "toWellFormed": method(0, "toWellFormed"),
                    "fromAsync": method(1, "fromAsync"),
                    "union": method(1, "union"),
                    "intersection": method(1, "intersection"),
                    "difference": method(1, "difference"),
                    "symmetricDifference": method(1, "symmetricDifference"),
                    "isSubsetOf": method(1, "isSubsetOf"),
                    "isSupersetOf": method(1, "isSupersetOf"),
                    "isDisjointFrom": method(1, "isDisjointFrom")
                },
                "toSorted": [[1, 2, 3, null], true, [3, 2, 1, null], [3, 1, null, 2]],
                "toSortedBad": ["TypeError", "RangeError"],
                "toReversed": [[3, null, 1], true, ["b", "a"]],
                "toSpliced": [[1, "x", 4], [1, 2], [1, 2, 3], [1, "y", "z", 2, 3], [1, null, 3]],
                "with": [[1, 2, 9], ["a", 2, 3], "RangeError", "RangeError", [0, null, 3]],
                "arrayLike": ["RangeError", "TypeError"],
                "typed": [
                    [-1, 3, 5],
                    [3, -1, 5],
                    [5, -1, 44],
                    true,
                    [5, -1, 3],
                    "RangeError",
                    "TypeError",
                    "7",
                    "TypeError"
                ],
                "withResolvers": ["done", "function", true, "no", "TypeError", "TypeError"],
                "objectGroupBy": [null, ["first", "a", "b", "c"], ["banana", "blueberry"]],
                "objectGroupByKeys": ["10", "x", "__proto__"],
                "mapGroupBy": [[0, 1, "a"], 2, [1, 1]],
                "groupByString": { "a": ["a", "a"], "b": ["b"] },
                "groupByBad": ["TypeError", "TypeError"],
                "groupByThrows": "SyntaxError",
                "sets": [[1, 2, 3, 4], [2, 3], [1, 3], [1, 2, 4], true, true, true, [1, 2, 3]],
                "intersectionHas": [[2, 3], ["has:1", "has:2", "has:3"]],
                "intersectionKeys": [[3], ["keys", "next", "next", "next"]],
                "mapAsSetLike": [[1, 2, 3, 5], false],
                "supersetCloses": [false, ["keys", "next", "next", "return"]],
                "minusZero": [false],
                "setLikeBad": [
                    "TypeError",
                    "TypeError",
                    "RangeError",
                    "TypeError",
                    "TypeError",
                    "TypeError"
                ],
                "strings": [
                    true,
                    false,
                    false,
                    "a\u{FFFD}b\u{FFFD}\u{1F600}\u{FFFD}",
                    "TypeError"
                ],
                "fromAsync": [
                    [1, 2, 3],
                    ["a", "b"],
                    ["x", "y"],
                    [10, 21],
                    [4, 5],
                    "TypeError",
                    "URIError",
                    true
                ]
            })
        );
    });
}

/// `Promise.try`, `RegExp.escape`, `Math.f16round` and `Math.sumPrecise`
/// (`crates/webapi/js/es_builtins_2025.js` where the engine lacks them) and
/// `Error.isError` (native in V8's shim, `engines/v8/shim/builtins.cc`), and
/// `Uint8Array`'s base64 and hex methods (`crates/webapi/js/es_base64.js`): the
/// report of `tests/fixtures/es_builtins_2025.js`, the same on every engine.
#[test]
fn es_2025_builtins_work_on_every_engine() {
    on_each_engine("es_builtins_2025", |engine| {
        let s = Server::worker("es_builtins_2025.js", engine, &[]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            json!({
                "shapes": [
                    "1,try,false,true,true",
                    "1,escape,false,true,true",
                    "1,f16round,false,true,true",
                    "1,sumPrecise,false,true,true",
                    "1,isError,false,true,true",
                    "1,getFloat16,false,true,true",
                    "2,setFloat16,false,true,true",
                    "1,fromBase64,false,true,true",
                    "1,fromHex,false,true,true",
                    "0,toBase64,false,true,true",
                    "0,toHex,false,true,true",
                    "1,setFromBase64,false,true,true",
                    "1,setFromHex,false,true,true"
                ],
                "toBase64": [
                    "SGVsbG8=",
                    "SGVsbG8",
                    "+/8=",
                    "-_8=",
                    "",
                    "AQI=",
                    "TypeError",
                    "TypeError",
                    "TypeError",
                    "TypeError",
                    "000f10ff",
                    "TypeError"
                ],
                "fromBase64": [
                    [72, 101, 108, 108, 111],
                    [72, 101, 108, 108, 111],
                    [72, 101, 108, 108, 111],
                    "SyntaxError",
                    [72, 101, 108],
                    [72, 101, 108, 108, 111],
                    "SyntaxError",
                    [251, 255],
                    "SyntaxError",
                    "SyntaxError",
                    "SyntaxError",
                    "SyntaxError",
                    [],
                    [0],
                    "SyntaxError",
                    "SyntaxError",
                    [],
                    "TypeError",
                    "TypeError"
                ],
                "fromHex": [[0, 15, 16, 255], "SyntaxError", "SyntaxError", [], "TypeError"],
                "setFrom": [
                    [{ "read": 4, "written": 3 }, [72, 101, 108, 0]],
                    [{ "read": 8, "written": 5 }, [72, 101, 108, 108, 111]],
                    ["SyntaxError", [72, 101, 108, 0, 0, 0, 0, 0]],
                    [{ "read": 4, "written": 2 }, [170, 187]],
                    ["SyntaxError", [170, 0, 0, 0]]
                ],
                // A DOMException is no error object, as in workerd (a host object
                // inheriting from Error.prototype).
                "isError": [true, true, true, true, false, false, false, false, false, false],
                "promiseTry": [
                    ["called", "after"],
                    1,
                    5,
                    "followed",
                    "RangeError",
                    "TypeError",
                    true,
                    true,
                    "TypeError"
                ],
                "regexpEscape": [
                    "\\x66oo\\.bar",
                    "\\x31\\+1\\x3d2",
                    "\\(a\\|b\\)",
                    "\\x61\\x20b\\tc\\n\\v\\f\\r",
                    "_x",
                    "\\u2028\\u2029\\ufeff\\xa0\\u3000",
                    "\\ud800x\\udc00",
                    "\u{1F600}",
                    "\\/path\\/",
                    "\\x2c\\x2d\\x3d\\x3c\\x3e\\x23\\x26\\x21\\x25\\x3a\\x3b\\x40\\x7e\\x27\\x60\\x22",
                    "",
                    "\u{1}\u{E9}\u{85}\u{FF}",
                    true,
                    true,
                    "TypeError",
                    "TypeError"
                ],
                "f16round": [
                    "1.3369140625",
                    "65504",
                    "65504",
                    "Infinity",
                    "-Infinity",
                    "-0",
                    "NaN",
                    "0.0999755859375",
                    "1",
                    "1.001953125",
                    "2",
                    "Infinity"
                ],
                "f16subnormal": ["1", "0", "1", "2", "923"],
                "dataViewHalf": [
                    [
                        "1.3369140625",
                        "Infinity",
                        "-Infinity",
                        "NaN",
                        "-0",
                        "5.960464477539063e-8",
                        "0",
                        "0.0999755859375",
                        "65504"
                    ],
                    [0, 62, 62, 0],
                    "TypeError",
                    "TypeError",
                    "RangeError",
                    "RangeError"
                ],
                "sumPrecise": [
                    "0.1",
                    "0.6",
                    "-0",
                    "-0",
                    "0",
                    "NaN",
                    "NaN",
                    "Infinity",
                    "NaN",
                    "1.7976931348623157e+308",
                    "Infinity",
                    "-Infinity",
                    "9007199254740994",
                    "Infinity",
                    "1.7976931348623157e+308",
                    "5",
                    "0"
                ],
                "sumPreciseOther": [
                    "0.75",
                    "TypeError",
                    ["return"],
                    "TypeError",
                    "TypeError",
                    "TypeError",
                    "TypeError"
                ]
            })
        );
    });
}
