//! Builds the C++ shim against Debian libnode's V8 and links `libnode.so`.
//!
//! libnode is looked for in `$MOTU_LIBNODE_PREFIX`, then in the project's
//! `.libnode` (what `scripts/fetch-libnode.sh` fills), then in `/usr`.

use std::path::{Path, PathBuf};

const LIB_DIR: &str = "usr/lib/x86_64-linux-gnu";

fn has_libnode(prefix: &Path) -> bool {
    prefix.join("usr/include/node/v8.h").is_file()
        && prefix.join(LIB_DIR).join("libnode.so").exists()
}

fn main() {
    println!("cargo:rerun-if-env-changed=MOTU_LIBNODE_PREFIX");
    println!("cargo:rerun-if-changed=shim");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.join("../..");
    let candidates: Vec<PathBuf> = std::env::var_os("MOTU_LIBNODE_PREFIX")
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace.join(".libnode"), PathBuf::from("/")])
        .collect();
    let Some(prefix) = candidates.iter().find(|p| has_libnode(p)) else {
        panic!(
            "\n\nThe V8 engine needs Debian's libnode (V8 10.2 with headers), and it was not found in \
             $MOTU_LIBNODE_PREFIX, {} or /usr.\nRun this first:\n\n    scripts/fetch-libnode.sh\n\n\
             (or build without `--features v8`).\n",
            workspace.join(".libnode").display()
        );
    };
    let prefix = prefix.canonicalize().unwrap_or_else(|_| prefix.clone());
    let include = prefix.join("usr/include/node");
    let lib_dir = prefix.join(LIB_DIR);
    println!("cargo:rerun-if-changed={}", include.join("v8.h").display());

    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .flag("-fno-rtti")
        .flag_if_supported("-Wno-unused-parameter")
        .include(&include)
        .files(
            ["codec.cc", "errors.cc", "isolate.cc", "modules.cc"]
                .map(|f| manifest.join("shim").join(f)),
        )
        .compile("motu_v8_shim");

    // Cargo adds link-search folders inside the target directory to the
    // library path of `cargo run` and `cargo test`, for every crate that
    // links this one; so the libraries are linked from there.
    let out_lib = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("lib");
    std::fs::create_dir_all(&out_lib).unwrap();
    for entry in std::fs::read_dir(&lib_dir).unwrap().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if ["libnode.so", "libuv.so", "libcares.so"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            let link = out_lib.join(&*name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(entry.path(), &link).unwrap();
        }
    }
    println!("cargo:rustc-link-search=native={}", out_lib.display());
    println!("cargo:rustc-link-lib=dylib=node");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    // This crate's own tests, and (through DEP_MOTU_V8_SHIM_LIBDIR) binaries
    // of crates that depend on it, find libnode without a library path.
    println!(
        "cargo:rustc-link-arg=-Wl,--disable-new-dtags,-rpath,{}",
        lib_dir.display()
    );
    println!("cargo:libdir={}", lib_dir.display());
}
