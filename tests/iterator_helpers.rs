//! Iterator helpers (ECMAScript 2025) in a Worker, on every engine, as the
//! V8 of Cloudflare Workers has them: QuickJS has its own, and motu installs
//! them where V8 (Debian's libnode, before 12.x) lacks them
//! (`crates/webapi/js/iterator_helpers.js`). The fixture
//! `tests/fixtures/iterator_helpers.js` reports what they give: chains on
//! array, Map, Set and generator iterators, laziness, when the underlying
//! iterator is closed, the helpers' and `Iterator`'s shapes, a subclass of
//! `Iterator`, and `Iterator.from`. Libraries rely on them: PartyServer's
//! rooms without hibernation list their connections with
//! `map.values().filter(…)`.

mod common;

use common::{on_each_engine, Server};
use serde_json::json;

#[test]
fn iterator_helpers_work_on_every_engine() {
    on_each_engine("iterator_helpers", |engine| {
        let s = Server::worker("iterator_helpers.js", engine, &[]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let calls = |next: u32, ret: u32| json!({ "next": next, "return": ret });
        let done = json!({ "done": true });
        assert_eq!(
            r.json(),
            json!({
                "prototype": true,
                "chain": [32, 54],
                "mapValues": ["a", "c"],
                "setKeys": ["X", "Y"],
                "flatMap": [1, 10, 2, 20, 3, 30],
                "flatMapString": "TypeError",
                "reduce": [6, 16],
                "reduceEmpty": "TypeError",
                "forEach": [null, [[1, 0], [2, 1], [3, 2]]],
                "some": [true, false],
                "every": [true, false],
                "find": [2, null],
                "takeInfinity": [1, 2, 3],
                "badLimits": ["RangeError", "RangeError", "TypeError"],
                "lazy": [0, { "value": 2, "done": false }, 1],
                "take": [[1], calls(1, 1)],
                "someCloses": [true, calls(2, 1)],
                "findCloses": [1, calls(1, 1)],
                "throwCloses": ["RangeError", calls(1, 1)],
                "returnEarly": [done, done, calls(0, 1)],
                "flatReturn": ["a", done, calls(1, 1)],
                "helperTag": ["[object Iterator Helper]", true, ["next", "return"]],
                "iteratorTag": "Iterator",
                "methodShape": [true, false, true, 1, "map", 1, 1],
                "abstract": ["TypeError", "TypeError"],
                "subclass": [6, 4, 2],
                "from": [true, true, false, [1, 2], ["a", "\u{1F600}"], [7], "TypeError"]
            })
        );
    });
}
