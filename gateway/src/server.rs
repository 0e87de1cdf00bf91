//! The hyper server.

use std::convert::Infallible;

use actix::Addr;
use futures::TryStreamExt;
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use motu_runtime::{Body, BodyError};

use crate::responses::text;
use crate::{GatewayActor, GatewayError, Route};

/// Request bodies up to this size (by `content-length`) are read whole
/// before the Worker runs; larger or unsized ones are streamed to it.
const WHOLE_BODY_LIMIT: u64 = 64 * 1024;

/// Accepts connections on `listener` and serves every request through the
/// gateway actor, until accepting fails. Must run inside an actix system.
pub async fn serve(listener: TcpListener, gateway: Addr<GatewayActor>) -> Result<(), GatewayError> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let gateway = gateway.clone();
        actix_rt::spawn(async move {
            let service = service_fn(move |req| handle(req, gateway.clone()));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, "connection ended with an error: {e}");
            }
        });
    }
}

async fn handle(
    request: http::Request<Incoming>,
    gateway: Addr<GatewayActor>,
) -> Result<http::Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match request_body(body).await {
        Ok(body) => body,
        Err(_) => {
            return Ok(text(
                http::StatusCode::BAD_REQUEST,
                "The request body could not be read.\n",
            ))
        }
    };
    let request = http::Request::from_parts(parts, body);
    Ok(gateway.send(Route(request)).await.unwrap_or_else(|_| {
        text(
            http::StatusCode::SERVICE_UNAVAILABLE,
            "The server is shutting down.\n",
        )
    }))
}

/// The request body as the runtime takes it: empty and small bodies whole,
/// others as a stream of the chunks hyper reads.
async fn request_body(body: Incoming) -> Result<Body, hyper::Error> {
    if body.is_end_stream() {
        return Ok(Body::empty());
    }
    let hint = body.size_hint();
    if hint.exact().is_some_and(|n| n <= WHOLE_BODY_LIMIT) {
        return Ok(body.collect().await?.to_bytes().into());
    }
    Ok(Body::from_stream(body.into_data_stream().map_err(|e| {
        BodyError::new(format!("the request body failed: {e}"))
    })))
}
