//! TypeScript at load: a generated TypeScript Worker of about 5,000 lines
//! that routes with hono (imported from `node_modules`, as projects do), and
//! the same Worker written in JavaScript, per engine. Each figure is the
//! median time to open the project, create an isolate, load the Worker and
//! answer its first request:
//!
//! - **TS cold**: nothing cached (every module transpiled);
//! - **TS disk**: the memory cache emptied, the disk cache full (a restart);
//! - **TS memory**: both caches full (a second isolate, a `motu dev` reload);
//! - **JS**: the same Worker as JavaScript (the transpiler's output, as
//!   `tsc` would emit it): nothing to transpile, no positions to map.
//!
//! Printed as times and as ratios to JS, measured in the same run. The
//! engine's own caches (QuickJS keeps compiled bytecode by source text) are
//! warm for all four alike, so the differences are the loader's.
//!
//! hono is copied from the npm test project (`scripts/install-test-projects.sh`
//! installs it); without it the bench says so and stops.
//!
//! `cargo bench --bench typescript` (QuickJS); add `--features v8` for both.

mod common;
mod http;

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use motu_engine::{Syntax, WorkerCode};
use motu_loader::{Project, ProjectOptions};

/// Modules besides the entry, and units of code in each.
const MODULES: usize = 10;
const UNITS: usize = 20;
/// Runs per figure (the median is shown).
const RUNS: usize = 15;

/// One unit of TypeScript (about 27 lines), numbered `n`.
fn ts_unit(n: usize) -> String {
    format!(
        "export interface Item{n} {{\n  id: number;\n  name: string;\n  tags: readonly string[];\n}}\n\
         export enum Kind{n} {{\n  A = 1,\n  B,\n  C,\n}}\n\
         export class Store{n}<T extends Item{n}> {{\n  private readonly items = new Map<number, T>();\n\
         \x20 constructor(private readonly prefix: string) {{}}\n\
         \x20 add(item: T): this {{\n    this.items.set(item.id, item);\n    return this;\n  }}\n\
         \x20 names(): string[] {{\n    return [...this.items.values()].map((i: T) => `${{this.prefix}}${{i.name}}`);\n  }}\n}}\n\
         export function compute{n}(xs: number[], k: Kind{n} = Kind{n}.B): number {{\n\
         \x20 let total: number = 0;\n  for (const x of xs) total += x * (k as number);\n  return total;\n}}\n"
    )
}

/// Writes the TypeScript Worker into `dir/src`; the number of lines.
fn write_ts_worker(dir: &Path) -> usize {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut lines = 0;
    let mut calls = Vec::new();
    let mut entry = String::new();
    for m in 0..MODULES {
        let mut text = String::new();
        for u in 0..UNITS {
            text.push_str(&ts_unit(m * UNITS + u));
        }
        lines += text.lines().count();
        std::fs::write(src.join(format!("m{m}.ts")), text).unwrap();
        let first = m * UNITS;
        entry.push_str(&format!(
            "import {{ compute{first}, Store{first} }} from './m{m}.ts';\n"
        ));
        calls.push(format!(
            "compute{first}([1, 2, 3]) + new Store{first}('p').add({{ id: 1, name: 'n', tags: [] }}).names().length"
        ));
    }
    entry.push_str(&format!(
        "import {{ Hono }} from 'hono';\n\
         const app = new Hono();\n\
         app.all('*', (c) => c.text(String({})));\n\
         export default {{\n  fetch(request: Request): Response | Promise<Response> {{\n    return app.fetch(request);\n  }},\n}};\n",
        calls.join(" + ")
    ));
    lines += entry.lines().count();
    std::fs::write(src.join("index.ts"), entry).unwrap();
    lines
}

/// Writes the same Worker in JavaScript into `js/src`: each module as the
/// transpiler writes it (what `tsc` would emit and a JavaScript author
/// would ship), imports naming `.js` files; the number of lines.
fn write_js_worker(ts: &Path, js: &Path) -> usize {
    http::copy_dir(&ts.join("node_modules"), &js.join("node_modules"));
    let options = motu_loader::transpile::TranspileOptions::for_project(
        &ProjectOptions::new(ts, "src/index.ts"),
        &ts.join("src/index.ts"),
    )
    .unwrap();
    std::fs::create_dir_all(js.join("src")).unwrap();
    let mut lines = 0;
    for entry in std::fs::read_dir(ts.join("src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let code = motu_loader::transpile::transpile(&name, &text, true, &options)
            .unwrap()
            .code
            .replace(".ts\"", ".js\"");
        lines += code.lines().count();
        std::fs::write(js.join("src").join(name.replace(".ts", ".js")), code).unwrap();
    }
    lines
}

/// Opens the project, then creates an isolate, loads it and answers one
/// request; the time it all took.
fn cold_start(engine: &dyn motu_engine::Engine, options: &ProjectOptions) -> Duration {
    let start = Instant::now();
    let project = Project::load(options).unwrap();
    let code = WorkerCode {
        syntax: Syntax::Module,
        entry: project.entry().to_owned(),
        modules: Arc::new(project),
    };
    let host = Rc::new(common::BenchHost::mapping_positions(
        code.modules.maps_positions(),
    ));
    let mut iso = engine.new_isolate(&common::config(), host.clone()).unwrap();
    iso.load_worker(&code).unwrap();
    iso.run_microtasks().unwrap();
    common::request(&mut *iso, &host, 1);
    start.elapsed()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("typescript: bench");
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let hono =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/npm-basics/node_modules/hono");
    if !hono.is_dir() {
        println!("typescript: hono is not installed; run scripts/install-test-projects.sh first");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ts_dir, js_dir) = (dir.path().join("ts"), dir.path().join("js"));
    http::copy_dir(&hono, &ts_dir.join("node_modules/hono"));
    let ts_lines = write_ts_worker(&ts_dir);
    let js_lines = write_js_worker(&ts_dir, &js_dir);
    let ts = ProjectOptions::new(&ts_dir, "src/index.ts");
    let mut ts_disk = ts.clone();
    ts_disk.cache_dir = Some(dir.path().join("cache"));
    let js = ProjectOptions::new(&js_dir, "src/index.js");
    println!(
        "a TypeScript Worker of {ts_lines} lines in {} modules plus hono from node_modules (as JavaScript: {js_lines} lines); median of {RUNS} runs",
        MODULES + 1
    );
    for engine in common::engines() {
        let engine = &*engine;
        // Once each first: engine start-up and the engine's own caches.
        cold_start(engine, &js);
        cold_start(engine, &ts_disk);
        let mut figures = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..RUNS {
            motu_loader::cache::clear_memory();
            figures[0].push(cold_start(engine, &ts));
            motu_loader::cache::clear_memory();
            figures[1].push(cold_start(engine, &ts_disk));
            figures[2].push(cold_start(engine, &ts));
            figures[3].push(cold_start(engine, &js));
        }
        let [cold, disk, memory, plain] = figures.map(median);
        let ratio = |d: Duration| d.as_secs_f64() / plain.as_secs_f64();
        println!(
            "{:8} TS cold {:7.2} ms ({:.2}x JS) | TS disk cache {:6.2} ms ({:.2}x) | TS memory cache {:6.2} ms ({:.2}x) | JS {:6.2} ms",
            engine.name(),
            ms(cold),
            ratio(cold),
            ms(disk),
            ratio(disk),
            ms(memory),
            ratio(memory),
            ms(plain),
        );
    }
}
