//! Builds the C++ shim against the V8 inside Debian's libnode, as a shared
//! object of its own (`libmotu_v8_shim.so`) linked against `libnode.so`.
//!
//! libnode is looked for in `$MOTU_LIBNODE_PREFIX`, then in the workspace's
//! `.libnode` (what `scripts/fetch-libnode.sh` fills), then in `/usr`.
//!
//! Nothing of this crate's output links libnode: the crate loads the shim
//! with `dlopen` when the first V8 isolate is made (see `src/shim.rs`), so a
//! process that runs only QuickJS never pays for loading and relocating
//! libnode. The shim lands in `$OUT_DIR/lib`, whose path is compiled into the
//! crate as `MOTU_V8_SHIM_PATH`; the shim carries an rpath to libnode's
//! folder (old-style DT_RPATH, which also serves libnode's own dependencies,
//! libuv and libcares). `$OUT_DIR/lib` also holds symlinks to those
//! libraries, and since cargo puts link-search folders inside its target
//! folder on the library path of `cargo run` and `cargo test`, they are
//! found there too.

use std::path::{Path, PathBuf};

/// The shim's sources, under `shim/`.
const SOURCES: &[&str] = &[
    "accessors.cc",
    "async_context.cc",
    "builtins.cc",
    "calls.cc",
    "codec.cc",
    "compile.cc",
    "encode.cc",
    "errors.cc",
    "isolate.cc",
    "json.cc",
    "memory.cc",
    "modules.cc",
    "ops.cc",
    "pages.cc",
    "platform.cc",
    "slices.cc",
    "snapshot.cc",
    "sort.cc",
    "stops.cc",
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
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .pic(true)
        .flag("-fno-rtti")
        .flag_if_supported("-Wno-unused-parameter")
        .include(&include)
        .files(SOURCES.iter().map(|f| shim.join(f)));
    let objects = build.compile_intermediates();

    let out_lib = out_dir.join("lib");
    link_libraries(&lib_dir, &out_lib);
    let shared = out_lib.join("libmotu_v8_shim.so");
    let mut link = build.get_compiler().to_command();
    link.arg("-shared")
        .arg("-o")
        .arg(&shared)
        .args(&objects)
        .arg(format!("-L{}", lib_dir.display()))
        .arg("-lnode")
        .arg("-Wl,-z,lazy")
        .arg(format!(
            "-Wl,--disable-new-dtags,-rpath,{}",
            lib_dir.display()
        ));
    let status = link
        .status()
        .unwrap_or_else(|e| panic!("running the linker for {}: {e}", shared.display()));
    assert!(status.success(), "linking {} failed", shared.display());
    println!("cargo:rustc-env=MOTU_V8_SHIM_PATH={}", shared.display());
    println!("cargo:rustc-link-search=native={}", out_lib.display());
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
