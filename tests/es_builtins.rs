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
