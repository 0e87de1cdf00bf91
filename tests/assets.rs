//! Static assets against the real server, on every engine: content types
//! and ETags, 304, 206, HEAD, `html_handling` redirects, SPA and 404-page
//! fallbacks, `run_worker_first` patterns, `_headers` and `_redirects`,
//! `.assetsignore`, traversal attempts and symbolic links refused, an
//! assets-only Worker from a Wrangler config, `env.ASSETS.fetch`, files
//! streamed from disk, no isolate CPU for an asset request, and `motu dev`
//! reading the folder again.
//!
//! The fixture (`tests/fixtures/assets`) is one folder of assets served by
//! five Workers of a motu.toml (`app`, `first`, `plain`, `spa`, `nav`, each on its
//! own host) and by an assets-only `wrangler.jsonc`.

mod common;

use std::time::{Duration, Instant};

use common::{fixture, on_each_engine, request, Response, Server};

/// The fixture copied into a temporary folder, with what cannot be
/// committed: a file outside `public/` and links to it, and a file large
/// enough to be read from disk.
struct Site {
    dir: tempfile::TempDir,
}

/// The size of `public/big.bin`: over the in-memory limit.
const BIG: usize = (1 << 20) + 7;

fn big_byte(i: usize) -> u8 {
    (i % 251) as u8
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(&fixture("assets"), dir.path());
        let root = dir.path();
        std::fs::create_dir_all(root.join("outside")).unwrap();
        std::fs::write(root.join("outside/secret.txt"), "top secret").unwrap();
        std::fs::write(root.join("secret.txt"), "top secret").unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("public/leak.txt")).unwrap();
        std::os::unix::fs::symlink("../outside", root.join("public/leakdir")).unwrap();
        std::os::unix::fs::symlink("about.html", root.join("public/alias.html")).unwrap();
        let big: Vec<u8> = (0..BIG).map(big_byte).collect();
        std::fs::write(root.join("public/big.bin"), big).unwrap();
        Site { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn serve(&self, engine: &str) -> Server {
        Server::start(&[
            "--config",
            &self.path("motu.toml"),
            "--engine",
            engine,
            "--admin-listen",
            "127.0.0.1:0",
        ])
    }
}

/// A request to `host`.
fn ask(s: &Server, method: &str, host: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("host", host)];
    all.extend_from_slice(headers);
    s.request(method, path, &all, b"")
}

fn get(s: &Server, host: &str, path: &str) -> Response {
    ask(s, "GET", host, path, &[])
}

/// The file's text in the fixture.
fn file(name: &str) -> String {
    std::fs::read_to_string(fixture("assets/public").join(name)).unwrap()
}

#[test]
fn assets_have_content_types_etags_and_cache_headers() {
    on_each_engine(
        "assets_have_content_types_etags_and_cache_headers",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            let types = [
                ("/", "text/html; charset=utf-8", "index.html"),
                ("/css/site.css", "text/css; charset=utf-8", "css/site.css"),
                ("/js/app.js", "text/javascript; charset=utf-8", "js/app.js"),
                ("/data.json", "application/json", "data.json"),
                ("/logo.svg", "image/svg+xml", "logo.svg"),
                ("/alphabet.txt", "text/plain; charset=utf-8", "alphabet.txt"),
            ];
            for (path, content_type, name) in types {
                let r = get(&s, "plain.test", path);
                assert_eq!(r.status, 200, "{path}");
                assert_eq!(r.header("content-type"), Some(content_type), "{path}");
                assert_eq!(r.text(), file(name), "{path}");
                let etag = r.header("etag").unwrap_or_default();
                assert!(
                    etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'),
                    "a strong ETag: {etag}"
                );
                assert!(r.header("x-request-id").is_some());
            }
            let r = get(&s, "plain.test", "/about");
            assert_eq!(
                r.header("cache-control"),
                Some("public, max-age=0, must-revalidate")
            );
            // Not for requests with credentials.
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/about",
                &[("authorization", "Bearer x")],
            );
            assert_eq!(r.status, 200);
            assert_eq!(r.header("cache-control"), None);
            // The same content has the same tag on every Worker; another file
            // has another.
            let a = get(&s, "plain.test", "/about")
                .header("etag")
                .map(str::to_owned);
            let b = get(&s, "app.test", "/about")
                .header("etag")
                .map(str::to_owned);
            let c = get(&s, "app.test", "/data.json")
                .header("etag")
                .map(str::to_owned);
            assert_eq!(a, b);
            assert_ne!(a, c);
        },
    );
}

#[test]
fn assets_answer_conditional_range_and_head_requests() {
    on_each_engine(
        "assets_answer_conditional_range_and_head_requests",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            let first = get(&s, "plain.test", "/alphabet.txt");
            let etag = first.header("etag").unwrap().to_owned();
            // If-None-Match: 304 with the headers and no body.
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("if-none-match", &etag)],
            );
            assert_eq!(r.status, 304);
            assert!(r.body.is_empty());
            assert_eq!(r.header("etag"), Some(etag.as_str()));
            let weak = format!("W/{etag}");
            let list = format!("\"nope\", {weak}");
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("if-none-match", &list)],
            );
            assert_eq!(r.status, 304, "a weak match in a list");
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("if-none-match", "\"other\"")],
            );
            assert_eq!(r.status, 200);
            // Range: 206 with the bytes asked for.
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("range", "bytes=10-15")],
            );
            assert_eq!(r.status, 206);
            assert_eq!(r.text(), "abcdef");
            assert_eq!(r.header("content-range"), Some("bytes 10-15/36"));
            assert_eq!(r.header("content-length"), Some("6"));
            assert_eq!(r.header("cache-control"), None);
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("range", "bytes=-3")],
            );
            assert_eq!((r.status, r.text().as_str()), (206, "xyz"));
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("range", "bytes=40-")],
            );
            assert_eq!(r.status, 416);
            assert_eq!(r.header("content-range"), Some("bytes */36"));
            // If-Range with another tag: the whole file.
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("range", "bytes=0-0"), ("if-range", "\"old\"")],
            );
            assert_eq!((r.status, r.body.len()), (200, 36));
            let r = ask(
                &s,
                "GET",
                "plain.test",
                "/alphabet.txt",
                &[("range", "bytes=0-0"), ("if-range", &etag)],
            );
            assert_eq!((r.status, r.text().as_str()), (206, "0"));
            // HEAD: the headers of a GET, no body.
            let r = ask(&s, "HEAD", "plain.test", "/alphabet.txt", &[]);
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-length"), Some("36"));
            assert_eq!(r.header("etag"), Some(etag.as_str()));
            assert!(r.body.is_empty());
            // Other methods on an asset: 405.
            let r = ask(&s, "POST", "plain.test", "/alphabet.txt", &[]);
            assert_eq!(r.status, 405);
            assert_eq!(r.header("allow"), Some("GET, HEAD"));
        },
    );
}

#[test]
fn large_assets_stream_from_disk_whole_and_in_ranges() {
    on_each_engine(
        "large_assets_stream_from_disk_whole_and_in_ranges",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            let r = get(&s, "plain.test", "/big.bin");
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-length"), Some(BIG.to_string().as_str()));
            assert_eq!(r.body.len(), BIG);
            assert!(r.body.iter().enumerate().all(|(i, b)| *b == big_byte(i)));
            let start = 700_000;
            let range = format!("bytes={start}-{}", start + 99_999);
            let r = ask(&s, "GET", "plain.test", "/big.bin", &[("range", &range)]);
            assert_eq!(r.status, 206);
            assert_eq!(r.body.len(), 100_000);
            assert!(r
                .body
                .iter()
                .enumerate()
                .all(|(i, b)| *b == big_byte(start + i)));
        },
    );
}

#[test]
fn html_handling_serves_pages_at_their_canonical_urls() {
    on_each_engine(
        "html_handling_serves_pages_at_their_canonical_urls",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            // auto-trailing-slash (the default).
            let redirects = [
                ("/index.html", "/"),
                ("/about.html", "/about"),
                ("/about/", "/about"),
                ("/docs", "/docs/"),
                ("/docs/index.html", "/docs/"),
                ("/about.html?x=1", "/about?x=1"),
            ];
            for (from, to) in redirects {
                let r = get(&s, "plain.test", from);
                assert_eq!(r.status, 307, "{from}");
                assert_eq!(r.header("location"), Some(to), "{from}");
            }
            assert_eq!(get(&s, "plain.test", "/about").text(), file("about.html"));
            assert_eq!(
                get(&s, "plain.test", "/docs/").text(),
                file("docs/index.html")
            );
            // A link inside the folder is served.
            assert_eq!(get(&s, "plain.test", "/alias").text(), file("about.html"));
            // force-trailing-slash (the Wrangler config).
            let w = Server::start(&["--config", &site.path("wrangler.jsonc"), "--engine", engine]);
            let r = get(&w, "static-site.localhost", "/about");
            assert_eq!((r.status, r.header("location")), (307, Some("/about/")));
            assert_eq!(
                get(&w, "static-site.localhost", "/about/").text(),
                file("about.html")
            );
        },
    );
}

#[test]
fn not_found_handling_serves_the_spa_shell_or_a_404_page() {
    on_each_engine(
        "not_found_handling_serves_the_spa_shell_or_a_404_page",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            // An assets-only single-page application: the shell, status 200.
            let r = get(&s, "spa.test", "/users/42/settings");
            assert_eq!(r.status, 200);
            assert_eq!(r.text(), file("index.html"));
            assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
            assert_eq!(get(&s, "spa.test", "/data.json").text(), file("data.json"));
            // The assets-only 404-page site: the nearest 404.html, status 404.
            let w = Server::start(&["--config", &site.path("wrangler.jsonc"), "--engine", engine]);
            let r = get(&w, "static-site.localhost", "/nothing/here");
            assert_eq!(r.status, 404);
            assert_eq!(r.text(), file("404.html"));
            let r = get(&w, "static-site.localhost", "/blog/missing-post");
            assert_eq!(r.status, 404);
            assert_eq!(r.text(), file("blog/404.html"));
            // With code behind the assets and no patterns, a missing path goes
            // to the Worker, not to the fallback.
            let r = get(&s, "plain.test", "/users/42");
            assert_eq!(r.json()["worker"], "/users/42");
            // A path an `!/…` pattern gives to the assets gets the fallback too.
            let r = get(&s, "app.test", "/api/docs/missing");
            assert_eq!(r.status, 200);
            assert_eq!(r.text(), file("index.html"));
        },
    );
}

#[test]
fn run_worker_first_patterns_choose_worker_or_assets() {
    on_each_engine(
        "run_worker_first_patterns_choose_worker_or_assets",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            // app: ["/api/*", "!/api/docs/*"], single-page-application.
            let r = get(&s, "app.test", "/api/users");
            assert_eq!(r.json()["worker"], "/api/users");
            let r = get(&s, "app.test", "/api/docs/");
            assert_eq!(r.text(), file("api/docs/index.html"));
            assert_eq!(get(&s, "app.test", "/about").text(), file("about.html"));
            // Outside the patterns, not-found handling applies (as on Cloudflare
            // when patterns are set): the shell, not the Worker.
            assert_eq!(get(&s, "app.test", "/app/route").text(), file("index.html"));
            // first: run_worker_first = true. Even a file's path goes to the
            // Worker.
            let r = get(&s, "first.test", "/about");
            assert_eq!(r.json()["worker"], "/about");
            // plain: the default; assets when they match, the Worker otherwise,
            // for any method.
            assert_eq!(get(&s, "plain.test", "/about").text(), file("about.html"));
            let r = ask(&s, "POST", "plain.test", "/submit", &[]);
            assert_eq!(r.json()["method"], "POST");
            // nav: a compatibility date from 2025-04-01 on; a browser's
            // navigation gets the fallback, a fetch() the Worker.
            let navigate = [("sec-fetch-mode", "navigate")];
            let r = ask(&s, "GET", "nav.test", "/deep/link", &navigate);
            assert_eq!(r.text(), file("index.html"));
            let r = ask(
                &s,
                "GET",
                "nav.test",
                "/deep/link",
                &[("sec-fetch-mode", "cors")],
            );
            assert_eq!(r.json()["worker"], "/deep/link");
        },
    );
}

#[test]
fn headers_and_redirects_files_apply_to_asset_responses() {
    on_each_engine(
        "headers_and_redirects_files_apply_to_asset_responses",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            let r = get(&s, "plain.test", "/about");
            assert_eq!(r.header("x-frame-options"), Some("DENY"));
            assert_eq!(r.header("x-robots-tag"), Some("noindex"));
            let r = get(&s, "plain.test", "/css/site.css");
            assert_eq!(
                r.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "a rule replaces the default"
            );
            assert_eq!(r.header("x-robots-tag"), None, "`! Name` removes a header");
            assert_eq!(r.header("x-frame-options"), Some("DENY"));
            let r = get(&s, "plain.test", "/docs/intro");
            assert_eq!(r.header("x-doc-page"), Some("intro"), "a placeholder");
            // Never on the Worker's own responses.
            let r = get(&s, "plain.test", "/not-an-asset");
            assert!(r.json()["worker"].is_string());
            assert_eq!(r.header("x-frame-options"), None);
            // _redirects, with their statuses; query strings are kept.
            let cases = [
                ("/home", 301, "/"),
                ("/old-about?ref=x", 308, "/about?ref=x"),
                ("/guide", 302, "/docs/"),
                ("/blog/2024/hello", 301, "/posts/hello?year=2024"),
                ("/external/a/b", 302, "https://example.com/a/b"),
            ];
            for (from, status, to) in cases {
                let r = get(&s, "plain.test", from);
                assert_eq!(r.status, status, "{from}");
                assert_eq!(r.header("location"), Some(to), "{from}");
                assert_eq!(
                    r.header("x-frame-options"),
                    Some("DENY"),
                    "{from}: _headers too"
                );
            }
            // A 200 rule rewrites: another page at the requested URL.
            let r = get(&s, "plain.test", "/shell/any/route");
            assert_eq!(r.status, 200);
            assert_eq!(r.text(), file("about.html"));
            // The files themselves and what .assetsignore lists are not served.
            for hidden in [
                "/_headers",
                "/_redirects",
                "/.assetsignore",
                "/private/notes.txt",
            ] {
                let r = get(&s, "spa.test", hidden);
                assert_eq!(
                    r.text(),
                    file("index.html"),
                    "{hidden} falls back to the shell"
                );
            }
        },
    );
}

#[test]
fn traversal_attempts_and_links_out_of_the_folder_are_refused() {
    on_each_engine(
        "traversal_attempts_and_links_out_of_the_folder_are_refused",
        |engine| {
            let site = Site::new();
            let w = Server::start(&["--config", &site.path("wrangler.jsonc"), "--engine", engine]);
            let attempts = [
                "/../secret.txt",
                "/../../secret.txt",
                "/%2e%2e/secret.txt",
                "/%2E%2E/%2e%2e/secret.txt",
                "/..%2fsecret.txt",
                "/..%2f..%2fsecret.txt",
                "/docs/..%2f..%2fsecret.txt",
                "/..\\secret.txt",
                "/%5c..%5csecret.txt",
                "/.%2e/secret.txt",
                "/leak.txt",
                "/leakdir/secret.txt",
                "/outside/secret.txt",
                "/..%00/secret.txt",
                "//secret.txt",
            ];
            for path in attempts {
                let r = get(&w, "static-site.localhost", path);
                assert!(
                    !r.text().contains("top secret"),
                    "{path} leaked: {} {}",
                    r.status,
                    r.text()
                );
                // 400: a target hyper refuses outright (a raw `\`).
                assert!(
                    matches!(r.status, 400 | 404 | 307),
                    "{path}: {} {}",
                    r.status,
                    r.text()
                );
            }
            let log = w.wait_for_log("leads out of the assets folder");
            assert!(log.contains("'leak.txt' is a symbolic link"), "{log}");
            // The server serves on.
            assert_eq!(get(&w, "static-site.localhost", "/about/").status, 200);
        },
    );
}

#[test]
fn an_assets_only_worker_from_a_wrangler_config() {
    on_each_engine("an_assets_only_worker_from_a_wrangler_config", |engine| {
        let site = Site::new();
        let w = Server::start(&[
            "--config",
            &site.path("wrangler.jsonc"),
            "--engine",
            engine,
            "--admin-listen",
            "127.0.0.1:0",
        ]);
        let r = get(&w, "static-site.localhost", "/");
        assert_eq!((r.status, r.text()), (200, file("index.html")));
        let r = ask(&w, "HEAD", "static-site.localhost", "/css/site.css", &[]);
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
        let r = ask(&w, "POST", "static-site.localhost", "/about/", &[]);
        assert_eq!(r.status, 405);
        let log = w.wait_for_log("assets: ");
        assert!(log.contains("assets: "), "{log}");
        assert!(
            !log.contains("isolate started"),
            "no isolate for an assets-only Worker: {log}"
        );
        let text = metrics(w.admin.as_ref().unwrap());
        let ok = [("worker", "static-site"), ("status", "2xx")];
        assert_eq!(
            sample(&text, "motu_requests_total", &ok),
            Some(2.0),
            "{text}"
        );
        let refused = [("worker", "static-site"), ("status", "4xx")];
        assert_eq!(
            sample(&text, "motu_requests_total", &refused),
            Some(1.0),
            "{text}"
        );
        let starts = [("worker", "static-site")];
        assert_eq!(
            sample(&text, "motu_isolate_starts_total", &starts),
            None,
            "{text}"
        );
    });
}

#[test]
fn the_assets_binding_reaches_the_same_asset_server() {
    on_each_engine(
        "the_assets_binding_reaches_the_same_asset_server",
        |engine| {
            let site = Site::new();
            let s = site.serve(engine);
            // `first` runs its Worker for every request; the Worker answers
            // /via-binding/PATH with env.ASSETS.fetch(PATH).
            let r = get(&s, "first.test", "/via-binding/css/site.css");
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-via"), Some("worker"));
            assert_eq!(r.text(), file("css/site.css"));
            assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
            assert_eq!(r.header("x-frame-options"), Some("DENY"), "_headers apply");
            let etag = r.header("etag").unwrap().to_owned();
            assert_eq!(
                Some(etag.as_str()),
                get(&s, "plain.test", "/css/site.css").header("etag")
            );
            // The request's headers reach it: 304 and 206.
            let r = ask(
                &s,
                "GET",
                "first.test",
                "/via-binding/css/site.css",
                &[("if-none-match", &etag)],
            );
            assert_eq!(r.status, 304);
            let r = ask(
                &s,
                "GET",
                "first.test",
                "/via-binding/alphabet.txt",
                &[("range", "bytes=0-2")],
            );
            assert_eq!((r.status, r.text().as_str()), (206, "012"));
            // HTML handling and redirects, as for requests from outside.
            let r = get(&s, "first.test", "/via-binding/about.html");
            assert_eq!((r.status, r.header("location")), (307, Some("/about")));
            let r = get(&s, "first.test", "/via-binding/about");
            assert_eq!(r.text(), file("about.html"));
            // A missing file: an empty 404 (this Worker's not_found_handling is
            // none).
            let r = get(&s, "first.test", "/via-binding/missing");
            assert_eq!((r.status, r.body.len()), (404, 0));
            // Files streamed from disk come through the binding whole.
            let r = get(&s, "first.test", "/via-binding/big.bin");
            assert_eq!(r.body.len(), BIG);
            assert!(r.body.iter().enumerate().all(|(i, b)| *b == big_byte(i)));
        },
    );
}

/// The value of the sample `name{labels}` (in any order) in a Prometheus
/// text, if there is one.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            let mut set: Vec<String> = rest
                .trim_end_matches('}')
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            set.sort();
            (metric == name && set == wanted).then(|| value.parse().ok())?
        })
}

fn metrics(admin: &str) -> String {
    request(admin, "GET", "/metrics", &[], b"").text()
}

#[test]
fn an_asset_request_costs_no_isolate_cpu() {
    on_each_engine("an_asset_request_costs_no_isolate_cpu", |engine| {
        let site = Site::new();
        let s = site.serve(engine);
        let admin = s.admin.clone().unwrap();
        for _ in 0..20 {
            assert_eq!(get(&s, "plain.test", "/css/site.css").status, 200);
        }
        let text = metrics(&admin);
        let plain = [("worker", "plain")];
        let ok = [("worker", "plain"), ("status", "2xx")];
        assert_eq!(
            sample(&text, "motu_requests_total", &ok),
            Some(20.0),
            "{text}"
        );
        let events = "motu_event_cpu_seconds_count";
        assert_eq!(sample(&text, events, &plain).unwrap_or(0.0), 0.0, "{text}");
        // One request the Worker answers is one event: the metric counts.
        assert!(get(&s, "plain.test", "/not-an-asset").json()["worker"].is_string());
        let start = Instant::now();
        loop {
            let text = metrics(&admin);
            if sample(&text, events, &plain) == Some(1.0) {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    });
}

#[test]
fn motu_dev_reads_the_assets_folder_again() {
    on_each_engine("motu_dev_reads_the_assets_folder_again", |engine| {
        let site = Site::new();
        let w = Server::start_command(
            "dev",
            &["--config", &site.path("wrangler.jsonc"), "--engine", engine],
            &[],
        );
        w.wait_for_log("watching for changes");
        let before = get(&w, "static-site.localhost", "/about/");
        assert_eq!(before.text(), file("about.html"));
        std::fs::write(site.path("public/about.html"), "<h1>about, edited</h1>").unwrap();
        std::fs::write(site.path("public/new.txt"), "new file").unwrap();
        let start = Instant::now();
        loop {
            let r = get(&w, "static-site.localhost", "/new.txt");
            if r.status == 200 {
                assert_eq!(r.text(), "new file");
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(15), "{}", w.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        let after = get(&w, "static-site.localhost", "/about/");
        assert_eq!(after.text(), "<h1>about, edited</h1>");
        assert_ne!(before.header("etag"), after.header("etag"), "a new ETag");
        let old = before.header("etag").unwrap();
        let r = ask(
            &w,
            "GET",
            "static-site.localhost",
            "/about/",
            &[("if-none-match", old)],
        );
        assert_eq!(r.status, 200, "the old tag no longer matches");
    });
}
