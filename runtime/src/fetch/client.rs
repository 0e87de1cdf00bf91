//! The HTTP client of each executor thread, with the egress check in its
//! name resolution.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::egress::EgressPolicy;

/// The body of an outbound request.
pub(crate) type OutBody = UnsyncBoxBody<Bytes, io::Error>;

/// An HTTP/1 client over TCP or TLS whose connections only reach the
/// addresses its policy allows.
pub(crate) type HttpClient = Client<HttpsConnector<HttpConnector<CheckedResolver>>, OutBody>;

/// Refused by the egress policy: every address the host has is non-public.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) host: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "'{}' resolves only to addresses the server's egress policy does not allow {}",
            self.host,
            super::egress::REFUSAL_HINT
        )
    }
}

impl std::error::Error for Refused {}

/// Resolves names with the system resolver and keeps only the addresses
/// the policy allows, so the check holds for the address actually
/// connected to, whatever the name pointed to when the Worker asked.
#[derive(Clone)]
pub(crate) struct CheckedResolver {
    policy: Arc<EgressPolicy>,
}

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = BoxFuture<'static, Result<Self::Response, io::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.allows_ip(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    Refused { host },
                ));
            }
            Ok(allowed.into_iter())
        })
    }
}

fn build(policy: Arc<EgressPolicy>) -> HttpClient {
    let mut http = HttpConnector::new_with_resolver(CheckedResolver { policy });
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(30)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
        .expect("the ring provider supports the default TLS versions")
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(https)
}

thread_local! {
    /// The clients of this thread, one per policy (each keeps its own pool
    /// of connections, which live on this thread's event loop).
    static CLIENTS: RefCell<Vec<(Arc<EgressPolicy>, HttpClient)>> = const { RefCell::new(Vec::new()) };
}

/// This thread's client for `policy`.
pub(crate) fn client(policy: &Arc<EgressPolicy>) -> HttpClient {
    CLIENTS.with(|clients| {
        let mut clients = clients.borrow_mut();
        if let Some((_, c)) = clients.iter().find(|(p, _)| **p == **policy) {
            return c.clone();
        }
        let c = build(policy.clone());
        clients.push((policy.clone(), c.clone()));
        c
    })
}
