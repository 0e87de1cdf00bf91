//! Embedding motu: start the actor system in-process, register Workers from a
//! string and from a file, and send them fetch events through the registry's
//! address, with no HTTP involved.
//!
//! Run it with `cargo run --example embed`; `cargo test --example embed` (and
//! the full test suite) runs it too.

use std::path::Path;

use motu_runtime::prelude::*;
use motu_runtime::Dispatch;

#[actix::main]
async fn main() -> Result<(), RuntimeError> {
    let runtime = Runtime::start(RuntimeConfig::default())?;

    // A Worker from a string, with a var in `env`.
    runtime
        .register(
            WorkerSpec::from_source(
                "greeter",
                "export default { async fetch(request, env) { \
                   const name = new URL(request.url).searchParams.get('name') ?? 'world'; \
                   return new Response(`${env.GREETING}, ${name}!`); } }",
            )
            .with_var("GREETING", "Hello"),
        )
        .await?;

    // A Worker from a file (its imports are read from the same folder).
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello/worker.js");
    runtime
        .register(WorkerSpec::from_file("hello", &hello)?)
        .await?;

    // Send a fetch event and await the response.
    let request = http::Request::get("http://greeter.localhost/?name=motu")
        .body(Body::empty())
        .unwrap();
    let response = runtime.fetch("greeter", request).await?;
    let status = response.status();
    // A body is whole or streamed; `collect` gathers either.
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a complete body");
    let greeting = String::from_utf8_lossy(&body).into_owned();
    println!("greeter answered {status}: {greeting}");
    assert_eq!(greeting, "Hello, motu!");

    // The same, through the registry actor's address.
    let request = http::Request::get("http://hello.localhost/")
        .body(Body::empty())
        .unwrap();
    let response = runtime
        .registry()
        .send(Dispatch::new("hello", request))
        .await
        .expect("the registry is running")?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a complete body");
    println!(
        "hello answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(body.as_ref(), b"Hello World!");

    actix::System::current().stop();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_runs() {
        super::main().expect("the embed example");
    }
}
