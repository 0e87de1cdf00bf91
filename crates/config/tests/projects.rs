//! Several Wrangler projects loaded as one server's Workers
//! (`Settings::load_wrangler_projects`, what `motu dev -c a -c b` reads).

use motu_config::Settings;

mod common;

use common::{Dir, ENGINES};

fn load(d: &Dir, files: &[&str]) -> Result<motu_config::Loaded, motu_config::ConfigError> {
    let paths: Vec<_> = files.iter().map(|f| d.0.path().join(f)).collect();
    Settings::load_wrangler_projects_with_env(&paths, None, ENGINES, Vec::new())
}

#[test]
fn each_project_keeps_its_folder_and_bindings_cross_them() {
    let d = Dir::with(&[
        (
            "web/wrangler.toml",
            "name = \"web\"\nmain = \"index.js\"\nservices = [{ binding = \"API\", service = \"api\", entrypoint = \"Api\" }, { binding = \"GONE\", service = \"elsewhere\" }]\n\
             [[durable_objects.bindings]]\nname = \"C\"\nclass_name = \"Counter\"\nscript_name = \"api\"\n",
        ),
        ("web/index.js", "export default {}"),
        ("api/wrangler.jsonc", "{ \"name\": \"api\", \"main\": \"src/index.js\" }"),
        ("api/src/index.js", "export default {}"),
        ("api/.dev.vars", "TOKEN=t\n"),
    ]);
    let loaded = load(&d, &["web/wrangler.toml", "api/wrangler.jsonc"]).unwrap();
    let [web, api] = &loaded.settings.workers[..] else {
        panic!("two Workers expected");
    };
    assert!(web.root.ends_with("web") && api.root.ends_with("api"));
    assert_eq!(
        api.main.as_deref(),
        Some(api.root.join("src/index.js").as_path())
    );
    assert_eq!(api.secrets.len(), 1, "api's own .dev.vars");
    // The binding to the other project's Worker is a service binding, with
    // its entrypoint; the one to a Worker of neither stays absent.
    assert_eq!(
        web.services
            .iter()
            .map(|s| (
                s.binding.as_str(),
                s.service.as_str(),
                s.entrypoint.as_deref()
            ))
            .collect::<Vec<_>>(),
        [("API", "api", Some("Api"))]
    );
    assert_eq!(
        web.absent_services,
        [("GONE".to_owned(), "elsewhere".to_owned())]
    );
    assert_eq!(
        web.durable_objects.bindings[0].script_name.as_deref(),
        Some("api")
    );
    assert!(
        loaded.warnings.iter().all(|w| !w.contains("'API'")),
        "{:?}",
        loaded.warnings
    );
    assert!(
        loaded.warnings.iter().any(|w| w.contains("'GONE'")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn the_projects_must_be_wrangler_configs_with_distinct_names() {
    let d = Dir::with(&[
        ("a/wrangler.toml", "name = \"same\"\nmain = \"i.js\"\n"),
        ("a/i.js", "export default {}"),
        ("b/wrangler.toml", "name = \"same\"\nmain = \"i.js\"\n"),
        ("b/i.js", "export default {}"),
        (
            "c/motu.toml",
            "[[workers]]\nname = \"c\"\nmain = \"i.js\"\n",
        ),
    ]);
    let e = load(&d, &["a/wrangler.toml", "b/wrangler.toml"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("same"), "{e}");
    let e = load(&d, &["a/wrangler.toml", "c/motu.toml"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("each must be a wrangler.toml"), "{e}");
}
