//! The hyper server.

use std::convert::Infallible;

use actix::Addr;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::responses::text;
use crate::{GatewayActor, GatewayError, Route};

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
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let response = match body.collect().await {
        Ok(body) => {
            let request = http::Request::from_parts(parts, body.to_bytes());
            gateway.send(Route(request)).await.unwrap_or_else(|_| {
                text(
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "The server is shutting down.\n",
                )
            })
        }
        Err(_) => text(
            http::StatusCode::BAD_REQUEST,
            "The request body could not be read.\n",
        ),
    };
    Ok(response.map(Full::new))
}
