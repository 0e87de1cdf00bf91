//! `import.meta` of a module (see the [parent module](super)): each
//! `import.meta` becomes `__motu_meta` (the same length, so positions stay),
//! a constant the first line defines.

use super::js_string;

/// The binding each `import.meta` becomes: as long as `import.meta`.
const META: &str = "__motu_meta";

/// `code` with its `import.meta`s (byte ranges `spans`) made the object of
/// the module `name` (`main`: the Worker's entry).
pub(crate) fn with_import_meta(code: &str, spans: &[(u32, u32)], name: &str, main: bool) -> String {
    let url = format!("file:///bundle/{name}");
    let filename = format!("/bundle/{name}");
    let dirname = filename
        .rsplit_once('/')
        .map_or("/", |(dir, _)| if dir.is_empty() { "/" } else { dir })
        .to_owned();
    let mut out = format!(
        "const {META} = {{ __proto__: null, url: {url}, filename: {filename}, dirname: {dirname}, \
         main: {main}, resolve(specifier) {{ \
         const r = globalThis[Symbol.for('motu.resolveMeta')]; \
         return r ? r(specifier, {url}) : new URL(String(specifier), {url}).href; }} }};",
        url = js_string(&url),
        filename = js_string(&filename),
        dirname = js_string(&dirname),
    );
    let mut sorted = spans.to_vec();
    sorted.sort_unstable();
    let mut at = 0;
    for (start, end) in sorted {
        let (start, end) = (start as usize, end as usize);
        if start < at || end > code.len() || end - start < META.len() {
            continue;
        }
        out.push_str(&code[at..start]);
        out.push_str(META);
        // `import . meta`, or a line break inside: the breaks (so lines
        // keep their numbers), then spaces for the length.
        let span = &code[start..end];
        let breaks: String = span.chars().filter(|c| *c == '\n' || *c == '\r').collect();
        out.push_str(&breaks);
        out.extend(std::iter::repeat_n(
            ' ',
            span.len() - META.len() - breaks.len(),
        ));
        at = end;
    }
    out.push_str(&code[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_meta_keeps_positions() {
        let code = "const a = import.meta.url;\nconst b = import\n  .meta;";
        let first = code.find("import.meta").unwrap() as u32;
        let second = code.rfind("import").unwrap() as u32;
        let out = with_import_meta(
            code,
            &[(first, first + 11), (second, code.len() as u32 - 1)],
            "src/index.js",
            true,
        );
        let (head, rest) = out.split_once("};").unwrap();
        assert!(
            head.contains("url: \"file:///bundle/src/index.js\""),
            "{head}"
        );
        assert!(head.contains("dirname: \"/bundle/src\""), "{head}");
        assert!(head.contains("main: true"), "{head}");
        assert_eq!(rest.len(), code.len());
        assert_eq!(rest.lines().count(), code.lines().count());
        assert!(!rest.contains("import"), "{rest}");
        assert!(rest.starts_with("const a = __motu_meta.url;"), "{rest}");
    }

    #[test]
    fn a_top_level_module_has_the_bundle_as_its_folder() {
        let out = with_import_meta("import.meta", &[(0, 11)], "index.js", false);
        assert!(out.contains("dirname: \"/bundle\""), "{out}");
        assert!(out.contains("main: false"), "{out}");
    }
}
