//! Gives the `motu-wpt` binary an rpath to libnode when it is built with V8,
//! so it runs without `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_MOTU_V8_SHIM_LIBDIR");
    if let Ok(dir) = std::env::var("DEP_MOTU_V8_SHIM_LIBDIR") {
        println!("cargo:rustc-link-arg-bins=-Wl,--disable-new-dtags,-rpath,{dir}");
    }
}
