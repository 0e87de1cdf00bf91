//! `[workers.assets]` in motu.toml and `assets` in Wrangler configs.

use motu_config::{HtmlHandling, NotFoundHandling, RunWorkerFirst, Settings};

mod common;

use common::{Dir, ENGINES};

impl Dir {
    fn new() -> Self {
        Dir::with(&[
            ("worker.js", "export default {}"),
            ("public/index.html", "<h1>hi</h1>"),
        ])
    }
    fn load(&self, file: &str, text: &str) -> Result<Settings, String> {
        self.load_any(file, text, None, &[])
            .map(|l| l.settings)
            .map_err(|e| e.to_string())
    }
}

#[test]
fn assets_have_documented_defaults() {
    let d = Dir::new();
    let s = d
        .load(
            "motu.toml",
            "[[workers]]\nname = \"site\"\nmain = \"worker.js\"\n[workers.assets]\ndirectory = \"public\"\n",
        )
        .unwrap();
    let a = s.workers[0].assets.as_ref().unwrap();
    assert!(a.directory.ends_with("public"));
    assert_eq!(a.binding, None);
    assert_eq!(a.html_handling, HtmlHandling::AutoTrailingSlash);
    assert_eq!(a.not_found_handling, NotFoundHandling::None);
    assert_eq!(a.run_worker_first, RunWorkerFirst::Off);
}

#[test]
fn every_setting_is_read() {
    let d = Dir::new();
    let s = d
        .load(
            "motu.toml",
            r#"
[[workers]]
name = "site"
main = "worker.js"
[workers.assets]
directory = "public"
binding = "ASSETS"
html_handling = "drop-trailing-slash"
not_found_handling = "single-page-application"
run_worker_first = ["/api/*", "!/api/docs/*"]
"#,
        )
        .unwrap();
    let a = s.workers[0].assets.as_ref().unwrap();
    assert_eq!(a.binding.as_deref(), Some("ASSETS"));
    assert_eq!(a.html_handling, HtmlHandling::DropTrailingSlash);
    assert_eq!(
        a.not_found_handling,
        NotFoundHandling::SinglePageApplication
    );
    assert_eq!(
        a.run_worker_first,
        RunWorkerFirst::Rules {
            worker: vec!["/api/*".into()],
            assets: vec!["/api/docs/*".into()]
        }
    );
    let s = d
        .load(
            "motu.toml",
            "[[workers]]\nname = \"site\"\nmain = \"worker.js\"\n[workers.assets]\ndirectory = \"public\"\nrun_worker_first = true\nnot_found_handling = \"404-page\"\nhtml_handling = \"none\"\n",
        )
        .unwrap();
    let a = s.workers[0].assets.as_ref().unwrap();
    assert_eq!(a.run_worker_first, RunWorkerFirst::Always);
    assert_eq!(a.not_found_handling, NotFoundHandling::NotFoundPage);
    assert_eq!(a.html_handling, HtmlHandling::None);
}

#[test]
fn an_assets_only_worker_needs_no_main() {
    let d = Dir::new();
    let s = d
        .load(
            "motu.toml",
            "[[workers]]\nname = \"site\"\n[workers.assets]\ndirectory = \"public\"\n",
        )
        .unwrap();
    assert_eq!(s.workers[0].main, None);
    // Without assets, main is still required.
    let e = d
        .load("motu.toml", "[[workers]]\nname = \"site\"\n")
        .unwrap_err();
    assert!(e.contains("workers[0].main: missing"), "{e}");
}

#[test]
fn bad_assets_settings_name_the_field() {
    let d = Dir::new();
    let worker = |body: &str| {
        format!("[[workers]]\nname = \"site\"\nmain = \"worker.js\"\n[workers.assets]\n{body}")
    };
    let cases = [
        ("binding = \"A\"\n", "workers[0].assets.directory: missing"),
        ("directory = \"nope\"\n", "does not exist"),
        ("directory = \"worker.js\"\n", "is not a folder"),
        (
            "directory = \"public\"\nhtml_handling = \"sometimes\"\n",
            "workers[0].assets.html_handling: 'sometimes' is not one of",
        ),
        (
            "directory = \"public\"\nnot_found_handling = \"spa\"\n",
            "workers[0].assets.not_found_handling: 'spa'",
        ),
        (
            "directory = \"public\"\nrun_worker_first = [\"api/*\"]\n",
            "workers[0].assets.run_worker_first: 'api/*'",
        ),
        ("directory = \"public\"\ncolour = \"red\"\n", "colour"),
    ];
    for (body, needle) in cases {
        let e = d.load("motu.toml", &worker(body)).unwrap_err();
        assert!(e.contains(needle), "{body}: {e}");
    }
    let e = d
        .load(
            "motu.toml",
            "[[workers]]\nname = \"site\"\nmain = \"worker.js\"\n[workers.vars]\nASSETS = \"x\"\n[workers.assets]\ndirectory = \"public\"\nbinding = \"ASSETS\"\n",
        )
        .unwrap_err();
    assert!(e.contains("workers[0].assets.binding"), "{e}");
}

#[test]
fn an_assets_only_worker_can_have_no_binding_and_no_worker_first() {
    let d = Dir::new();
    let only = |body: &str| {
        format!("[[workers]]\nname = \"site\"\n[workers.assets]\ndirectory = \"public\"\n{body}")
    };
    let e = d
        .load("motu.toml", &only("binding = \"ASSETS\"\n"))
        .unwrap_err();
    assert!(
        e.contains("workers[0].assets.binding: an assets-only Worker"),
        "{e}"
    );
    let e = d
        .load("motu.toml", &only("run_worker_first = true\n"))
        .unwrap_err();
    assert!(e.contains("workers[0].assets.run_worker_first"), "{e}");
    let e = d
        .load(
            "motu.toml",
            "[[workers]]\nname = \"site\"\ncrons = [\"@daily\"]\n[workers.assets]\ndirectory = \"public\"\n",
        )
        .unwrap_err();
    assert!(e.contains("workers[0].crons: an assets-only Worker"), "{e}");
}

#[test]
fn wrangler_assets_are_read_and_inherited_by_environments() {
    let d = Dir::new();
    let text = r#"{
      // An assets-only site: no main.
      "name": "site",
      "assets": {
        "directory": "./public",
        "not_found_handling": "404-page",
        "experimental_serve_directly": true,
      },
      "env": { "staging": {} },
    }"#;
    let p = d.write("wrangler.jsonc", text);
    let loaded = Settings::load_any_with_env(&p, None, ENGINES, Vec::new()).unwrap();
    let w = &loaded.settings.workers[0];
    assert_eq!(w.main, None);
    let a = w.assets.as_ref().unwrap();
    assert_eq!(a.not_found_handling, NotFoundHandling::NotFoundPage);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|l| l.contains("'assets.experimental_serve_directly'")),
        "{:?}",
        loaded.warnings
    );
    assert!(!loaded.warnings.iter().any(|l| l.contains("key 'assets'")));
    let staging = Settings::load_any_with_env(&p, Some("staging"), ENGINES, Vec::new()).unwrap();
    assert!(staging.settings.workers[0].assets.is_some());

    let toml = "name = \"app\"\nmain = \"worker.js\"\n[assets]\ndirectory = \"public\"\nbinding = \"ASSETS\"\nrun_worker_first = [\"/api/*\"]\n";
    let s = d.load("wrangler.toml", toml).unwrap();
    let a = s.workers[0].assets.as_ref().unwrap();
    assert_eq!(a.binding.as_deref(), Some("ASSETS"));
    assert!(matches!(a.run_worker_first, RunWorkerFirst::Rules { .. }));
}
