//! How failures become HTTP responses.

use http::{header, Response, StatusCode};
use motu_runtime::{Body, EngineError, RuntimeError};

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(body))
        .expect("a valid response")
}

/// The response for a request that found no Worker.
pub(crate) fn no_route() -> Response<Body> {
    text(
        StatusCode::NOT_FOUND,
        "No Worker is routed for this host and path.\n",
    )
}

/// The response for a request the runtime could not answer. Bodies are short
/// and never carry a stack or an error message from the Worker.
pub fn error_response(error: &RuntimeError) -> Response<Body> {
    match error {
        RuntimeError::UnknownWorker(_) => no_route(),
        RuntimeError::Exception { .. } => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Worker threw an exception.\n",
        ),
        RuntimeError::StartFailed { .. } | RuntimeError::Source { .. } => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Worker failed to start.\n",
        ),
        RuntimeError::BadResponse { .. } => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Worker returned an invalid response.\n",
        ),
        RuntimeError::Engine { error, .. } => match error {
            EngineError::OutOfMemory => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "Worker exceeded its memory limit.\n",
            ),
            EngineError::Terminated => {
                text(StatusCode::SERVICE_UNAVAILABLE, "Worker was terminated.\n")
            }
            EngineError::Exception(_) | EngineError::Setup(_) => {
                text(StatusCode::INTERNAL_SERVER_ERROR, "Worker failed.\n")
            }
        },
        RuntimeError::CpuLimit { .. } => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Worker exceeded its CPU time limit.\n",
        ),
        RuntimeError::MemoryLimit { .. } => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Worker exceeded its memory limit.\n",
        ),
        RuntimeError::StartupCpuLimit { .. } => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Worker failed to start: its top-level code exceeded the start-up CPU time limit.\n",
        ),
        RuntimeError::Hang(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The Worker's code had hung and would never generate a response.\n",
        ),
        RuntimeError::Evicted { .. } | RuntimeError::Unavailable(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Worker was restarted while this request was in flight; retry it.\n",
        ),
        RuntimeError::Lost(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "Worker stopped before it answered.\n",
        ),
        RuntimeError::UnknownEngine { .. }
        | RuntimeError::Startup(_)
        | RuntimeError::Storage { .. } => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not run this Worker.\n",
        ),
    }
}
