//! The assets binding: `env.ASSETS.fetch(request)` in a Worker reaches its
//! static assets.
//!
//! The runtime does not serve files itself. An embedder that does (motu's
//! gateway serves a Worker's asset folder before any isolate is touched)
//! implements [`AssetFetcher`] and attaches it to the Worker's spec with
//! [`WorkerSpec::with_assets`](crate::WorkerSpec::with_assets); the Worker
//! then finds a Fetcher under the binding's name in `env`, like a service
//! binding, answered by the Rust object instead of another Worker. The
//! request goes to it whole (method, URL, headers, body) and its response
//! streams back into the Worker.
//!
//! A call to the assets binding is not counted against the event's
//! `subrequests` limit; like other subrequests it can only be made while
//! the Worker handles an event.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::Body;

/// Answers a Worker's requests to its assets binding.
pub trait AssetFetcher: Send + Sync + 'static {
    /// The response to `request`, whose URI is absolute (the URL the Worker
    /// gave). Failures are answers too (a 404, a 500), never errors.
    fn fetch(&self, request: http::Request<Body>) -> BoxFuture<'static, http::Response<Body>>;
}

/// A Worker's assets binding: its name in `env` and what answers it.
#[derive(Clone)]
pub struct AssetBinding {
    /// The name in `env`, e.g. `ASSETS`.
    pub binding: String,
    /// What answers `env.<binding>.fetch(request)`.
    pub fetcher: Arc<dyn AssetFetcher>,
}

impl std::fmt::Debug for AssetBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetBinding")
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}
