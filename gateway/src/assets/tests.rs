//! The asset server's routing decisions, without HTTP.

use motu_config::{AssetsSettings, HtmlHandling, NotFoundHandling, RunWorkerFirst};

use super::{AssetOptions, AssetServer};

fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

fn server(
    dir: &tempfile::TempDir,
    not_found: NotFoundHandling,
    options: AssetOptions,
) -> AssetServer {
    let settings = AssetsSettings {
        directory: dir.path().to_path_buf(),
        binding: None,
        html_handling: HtmlHandling::AutoTrailingSlash,
        not_found_handling: not_found,
        run_worker_first: RunWorkerFirst::Off,
    };
    AssetServer::load(&settings, options).unwrap().0
}

fn get(path: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut b = http::Request::get(path).header("host", "example.com:8787");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap()
}

const WITH_WORKER: AssetOptions = AssetOptions {
    has_worker: true,
    navigation_prefers_assets: false,
};

#[test]
fn navigations_prefer_the_fallback_when_the_flag_is_on() {
    let d = site(&[("index.html", "shell")]);
    let navigate = [("sec-fetch-mode", "navigate")];
    let off = server(&d, NotFoundHandling::SinglePageApplication, WITH_WORKER);
    assert!(off.route(&get("/app/route", &navigate)).is_none());
    let on = server(
        &d,
        NotFoundHandling::SinglePageApplication,
        AssetOptions {
            navigation_prefers_assets: true,
            ..WITH_WORKER
        },
    );
    let r = on.route(&get("/app/route", &navigate)).expect("the shell");
    assert_eq!(r.status(), 200);
    assert!(on
        .route(&get("/app/route", &[("sec-fetch-mode", "cors")]))
        .is_none());
    assert!(on.route(&get("/app/route", &[])).is_none());
}

#[test]
fn a_rewrite_to_nothing_is_a_404_not_the_worker() {
    let d = site(&[
        ("index.html", "x"),
        ("_redirects", "/gone/* /missing 200\n"),
    ]);
    let s = server(&d, NotFoundHandling::None, WITH_WORKER);
    let r = s.route(&get("/gone/x", &[])).expect("the assets answer");
    assert_eq!(r.status(), 404);
    assert!(
        s.route(&get("/other", &[])).is_none(),
        "no rule, no file: the Worker"
    );
}

#[test]
fn files_are_served_at_their_encoded_names() {
    let d = site(&[("[id].txt", "bracket"), ("café.txt", "accent")]);
    let s = server(&d, NotFoundHandling::None, WITH_WORKER);
    let r = s.route(&get("/[id].txt?v=1", &[])).unwrap();
    assert_eq!(r.status(), 307);
    assert_eq!(r.headers()["location"], "/%5Bid%5D.txt?v=1");
    assert_eq!(s.route(&get("/%5Bid%5D.txt", &[])).unwrap().status(), 200);
    assert_eq!(s.route(&get("/caf%C3%A9.txt", &[])).unwrap().status(), 200);
    let r = s.route(&get("/caf%c3%a9.txt", &[])).unwrap();
    assert_eq!(r.status(), 307);
    assert_eq!(r.headers()["location"], "/caf%C3%A9.txt");
}

#[test]
fn other_methods_on_an_asset_are_refused_even_with_a_worker() {
    let d = site(&[("a.txt", "x")]);
    let s = server(&d, NotFoundHandling::None, WITH_WORKER);
    let post = http::Request::post("/a.txt").body(()).unwrap();
    assert_eq!(s.route(&post).unwrap().status(), 405);
    let post = http::Request::post("/b").body(()).unwrap();
    assert!(s.route(&post).is_none());
}

#[test]
fn without_a_worker_nothing_matching_is_an_empty_404() {
    let d = site(&[("a.txt", "x"), ("_headers", "/*\n  x-site: yes\n")]);
    let s = server(&d, NotFoundHandling::None, AssetOptions::default());
    let r = s.route(&get("/missing", &[])).unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.headers()["x-site"],
        "yes",
        "_headers apply to the 404 too"
    );
}
