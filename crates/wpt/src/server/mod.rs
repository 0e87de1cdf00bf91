//! The WPT test server: what `wptserve` is to a browser run, for the test
//! files motu runs. It listens on loopback on an ephemeral port, serves the
//! WPT files (with `.sub.` substitution and `.headers` side files), and
//! answers the handful of Python resource scripts the selected tests fetch
//! with Rust re-implementations (see [`resources`]). Workers reach it with
//! their real `fetch()`: the runner allows this port in the egress policy.
//!
//! The test origin is `http://localhost:PORT`; `127.0.0.1:PORT` is the
//! "remote" origin of cross-origin tests, as WPT's `get_host_info()` has it
//! when the host is `localhost`.

mod files;
mod resources;
mod stash;

use std::convert::Infallible;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::Sources;
use stash::Stash;

/// The host name the tests are served under.
pub const HOST: &str = "localhost";
/// The other host name of the same server: the tests' cross-origin host.
pub const REMOTE_HOST: &str = "127.0.0.1";

/// A response body: whole, or produced over time.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A whole response body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// What every handler sees.
pub(crate) struct State {
    pub(crate) sources: Sources,
    pub(crate) stash: Arc<Stash>,
}

/// A running test server; it stops when the process ends.
#[derive(Debug, Clone)]
pub struct WptServer {
    port: u16,
    sources: Sources,
}

impl WptServer {
    /// Starts a server for the WPT files under `root` on a thread of its
    /// own.
    pub fn start(root: PathBuf) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        // `localhost` may resolve to ::1 first: answer there too when the
        // host has IPv6 loopback.
        let v6 = std::net::TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port)))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .ok();
        let sources = Sources::new(root, port);
        let state = Arc::new(State {
            sources: sources.clone(),
            stash: Arc::default(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("wpt-server".into())
            .spawn(move || {
                tokio::task::LocalSet::new().block_on(&runtime, async move {
                    let mut listeners = vec![TcpListener::from_std(std_listener)];
                    if let Some(v6) = v6 {
                        listeners.push(TcpListener::from_std(v6));
                    }
                    let accepts = listeners
                        .into_iter()
                        .flatten()
                        .map(|l| tokio::task::spawn_local(accept(l, state.clone())));
                    futures::future::join_all(accepts).await;
                })
            })?;
        Ok(Self { port, sources })
    }

    /// The files it serves, with templates filled in for it.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test origin, `http://localhost:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{HOST}:{}", self.port)
    }
}

async fn accept(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::task::spawn_local(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(resources::handle(&state, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
