//! Compiles the Web API prelude and its groups to QuickJS bytecode at build
//! time, so that no isolate of a process has to parse them.
//!
//! The text comes from `crates/webapi/src/prelude_text.rs` (constants over
//! the files in `crates/webapi/js`), the compiler from `motu-quickjs` of this
//! workspace with the same rquickjs. It writes one bytecode file per script
//! and `quickjs_prelude.rs`, a list of `motu_quickjs::Precompiled` that
//! embeds them with `include_bytes!`; `engines.rs` includes it. Each entry
//! carries the compiler's identity and the text's fingerprint, and the
//! engine reads it only if both match at run time. When cross-compiling the
//! list is empty (the host's QuickJS is not the target's) and the prelude is
//! compiled at run time.

#[allow(dead_code)]
#[path = "../crates/webapi/src/prelude_text.rs"]
mod prelude_text;

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../crates/webapi/src/prelude_text.rs");
    println!("cargo:rerun-if-changed=../crates/webapi/js");

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let cross = std::env::var("TARGET").ok() != std::env::var("HOST").ok();

    let mut scripts = vec![(prelude_text::PRELUDE_NAME, prelude_text::PRELUDE)];
    scripts.extend(prelude_text::GROUPS);
    scripts.extend(prelude_text::NODE_GROUPS);
    let compiler = motu_quickjs::compiler_id();
    let mut list = String::from("&[\n");
    if !cross {
        for (i, (name, source)) in scripts.iter().enumerate() {
            let bytecode = motu_quickjs::precompile(name, source)
                .unwrap_or_else(|e| panic!("the prelude script {name} does not compile: {e}"));
            let file = format!("quickjs_prelude_{i}.bin");
            std::fs::write(out.join(&file), bytecode).expect("OUT_DIR is writable");
            writeln!(
                list,
                "    motu_quickjs::Precompiled {{ name: {name:?}, fingerprint: {:#x}, \
                 compiler: {compiler:?}, \
                 bytecode: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{file}\")) }},",
                motu_quickjs::fingerprint(source)
            )
            .expect("writing to a String");
        }
    }
    list.push_str("]\n");
    std::fs::write(out.join("quickjs_prelude.rs"), list).expect("OUT_DIR is writable");
}
