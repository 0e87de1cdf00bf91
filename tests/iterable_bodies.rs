//! `fetch_iterable_type_support`, on both engines: from its compatibility
//! date (2026-02-19) a `Response` or `Request` body may be a sync or async
//! iterable of strings and buffers, and `process` (with `nodejs_compat`)
//! is tagged `[object process]`, as workerd's own is; before it, such a
//! body is its text and `process` a plain object, as wrangler's bundler
//! gives it. Astro's server build chooses its way by that tag.

mod common;

use common::{on_each_engine, Server, TempConfig};

const WORKER: &str = r#"
async function* pieces() {
  yield '<h1>';
  yield new TextEncoder().encode('hi');
  yield new Uint8Array([60, 47, 104, 49, 62]).buffer;
}
export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/async') return new Response(pieces());
    if (pathname === '/sync') return new Response(['a', 'b', new Uint8Array([99])]);
    if (pathname === '/request') {
      const r = new Request('http://x/', { method: 'POST', body: pieces(), duplex: 'half' });
      return new Response(await r.text());
    }
    if (pathname === '/bad') {
      try {
        await new Response([1, 2]).text();
        return new Response('no error');
      } catch (e) {
        return new Response(`${e.name}: ${e.message}`);
      }
    }
    return new Response(Object.prototype.toString.call(process));
  },
};
"#;

fn serve(engine: &str, date: &str) -> (TempConfig, Server) {
    let config = format!(
        "name = \"w\"\nmain = \"index.js\"\ncompatibility_date = \"{date}\"\ncompatibility_flags = [\"nodejs_compat\"]\n"
    );
    let c = TempConfig::new(&[("wrangler.toml", &config), ("index.js", WORKER)]);
    let path = c.path("wrangler.toml");
    let server = Server::start(&["--config", &path, "--engine", engine]);
    (c, server)
}

#[test]
fn bodies_may_be_iterables_from_their_date() {
    on_each_engine("iterable_bodies_from_their_date", |engine| {
        let (_c, server) = serve(engine, "2026-02-19");
        assert_eq!(server.get("/async").text(), "<h1>hi</h1>");
        assert_eq!(server.get("/sync").text(), "abc");
        assert_eq!(server.get("/request").text(), "<h1>hi</h1>");
        assert_eq!(
            server.get("/bad").text(),
            "TypeError: A body iterable may only yield strings, ArrayBuffers and ArrayBuffer views"
        );
        assert_eq!(server.get("/").text(), "[object process]");
    });
}

#[test]
fn before_their_date_bodies_are_text_and_process_is_an_object() {
    on_each_engine("iterable_bodies_before_their_date", |engine| {
        let (_c, server) = serve(engine, "2026-02-18");
        assert_eq!(server.get("/async").text(), "[object AsyncGenerator]");
        assert_eq!(server.get("/sync").text(), "a,b,99");
        assert_eq!(server.get("/").text(), "[object Object]");
    });
}
