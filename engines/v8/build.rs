//! Builds the C++ shim against the V8 inside Debian's libnode and links
//! `libnode.so`.
//!
//! libnode is looked for in `$MOTU_LIBNODE_PREFIX`, then in the workspace's
//! `.libnode` (what `scripts/fetch-libnode.sh` fills), then in `/usr`.
//!
//! Finding the library at run time: cargo puts link-search folders that lie
//! inside its target folder on the library path of `cargo run` and
//! `cargo test`, for this crate and every crate that depends on it; so the
//! libraries are linked through symlinks in `$OUT_DIR/lib`. This crate's own
//! binaries also get an rpath to the prefix, and crates that depend on it
//! directly can read that folder as `DEP_MOTU_V8_SHIM_LIBDIR` to give their
//! binaries the same rpath (the workspace's root build script does).

use std::path::{Path, PathBuf};

/// The shim's sources, under `shim/`.
const SOURCES: &[&str] = &[
    "builtins.cc",
    "calls.cc",
    "codec.cc",
    "compile.cc",
    "errors.cc",
    "isolate.cc",
    "memory.cc",
    "modules.cc",
    "ops.cc",
    "platform.cc",
];
const HEADERS: &[&str] = &["internal.h", "motu_v8.h"];

/// The libraries linked through `$OUT_DIR/lib`: libnode and what it needs
/// that a system with Node.js installed may lack.
const LIBRARIES: &[&str] = &["libnode.so", "libuv.so", "libcares.so"];

/// Debian's multiarch folder for the target, e.g. `x86_64-linux-gnu`.
fn multiarch() -> String {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".into());
    match arch.as_str() {
        "arm" => "arm-linux-gnueabihf".into(),
        "x86" => "i386-linux-gnu".into(),
        "powerpc64" => "powerpc64le-linux-gnu".into(),
        other => format!("{other}-linux-gnu"),
    }
}

fn has_libnode(prefix: &Path, lib_dir: &str) -> bool {
    prefix.join("usr/include/node/v8.h").is_file()
        && prefix.join(lib_dir).join("libnode.so").exists()
}

fn main() {
    println!("cargo:rerun-if-env-changed=MOTU_LIBNODE_PREFIX");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let workspace = manifest.join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let local = workspace.join(".libnode");
    let lib_dir = format!("usr/lib/{}", multiarch());

    let candidates: Vec<PathBuf> = std::env::var_os("MOTU_LIBNODE_PREFIX")
        .map(PathBuf::from)
        .into_iter()
        .chain([local.clone(), PathBuf::from("/")])
        .collect();
    let Some(prefix) = candidates.iter().find(|p| has_libnode(p, &lib_dir)) else {
        panic!(
            "\n\nmotu's V8 engine needs Debian's libnode (V8 10.2 and its headers); it was not \
             found in $MOTU_LIBNODE_PREFIX, {} or /usr.\n\
             Fetch it into the workspace (nothing is installed system-wide) with:\n\n    \
             {}/scripts/fetch-libnode.sh\n\n\
             or build without the `v8` feature.\n",
            local.display(),
            workspace.display(),
        );
    };
    let prefix = prefix.canonicalize().unwrap_or_else(|_| prefix.clone());
    let include = prefix.join("usr/include/node");
    let lib_dir = prefix.join(&lib_dir);
    println!("cargo:rerun-if-changed={}", include.join("v8.h").display());
    println!(
        "cargo:rerun-if-changed={}",
        lib_dir.join("libnode.so").display()
    );

    let shim = manifest.join("shim");
    for file in SOURCES.iter().chain(HEADERS) {
        println!("cargo:rerun-if-changed={}", shim.join(file).display());
    }
    // Debian builds V8 without pointer compression or the sandbox, so
    // neither V8_COMPRESS_POINTERS nor V8_ENABLE_SANDBOX may be defined.
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .flag("-fno-rtti")
        .flag_if_supported("-Wno-unused-parameter")
        .include(&include)
        .files(SOURCES.iter().map(|f| shim.join(f)))
        .compile("motu_v8_shim");

    let out_lib = out_dir.join("lib");
    link_libraries(&lib_dir, &out_lib);
    println!("cargo:rustc-link-search=native={}", out_lib.display());
    println!("cargo:rustc-link-lib=dylib=node");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    // The old-style rpath (DT_RPATH, not DT_RUNPATH) also serves libnode's
    // own dependencies (libuv, libcares) from the same folder.
    println!(
        "cargo:rustc-link-arg=-Wl,--disable-new-dtags,-rpath,{}",
        lib_dir.display()
    );
    println!("cargo:libdir={}", lib_dir.display());
}

/// Symlinks libnode and the libraries it needs into `out_lib`.
fn link_libraries(lib_dir: &Path, out_lib: &Path) {
    std::fs::create_dir_all(out_lib).expect("creating $OUT_DIR/lib");
    let entries =
        std::fs::read_dir(lib_dir).unwrap_or_else(|e| panic!("reading {}: {e}", lib_dir.display()));
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !LIBRARIES.iter().any(|lib| name.starts_with(lib)) {
            continue;
        }
        let link = out_lib.join(&*name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(entry.path(), &link)
            .unwrap_or_else(|e| panic!("linking {}: {e}", link.display()));
    }
}
