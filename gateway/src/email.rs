//! The email endpoint, for development: as under `wrangler dev`, a `POST
//! /cdn-cgi/handler/email?from=SENDER&to=RECIPIENT` (or
//! `/cdn-cgi/local/email`, wrangler's newer name) on a Worker's host,
//! with the raw RFC 5322 message as the body, runs the Worker's `email`
//! handler with it (when `[server] email_endpoint` is on).
//!
//! The message is checked first, with wrangler's answers (400): the
//! envelope addresses and a body are required, the message is at most 25
//! MiB, and it has a `Message-ID`. A `From` header that does not name the
//! envelope sender, or `To` headers that do not name its recipient, are
//! warned about in the log.
//!
//! The answer tells what the handler did: `200 Worker successfully
//! processed email` (then a line per forward and reply, with the file the
//! message went to), `400 Worker rejected email with the following reason:
//! …` after `setReject()`, or the usual error answer when it threw (the
//! exception goes to the log). With `&format=json`, as wrangler's:
//! `{ outcome, rejectReason, forwards: [{ messageId, recipient, headers,
//! file }], replies: [{ messageId, sender, raw, file }] }`, status 200 when
//! the handler ran to its end, 500 otherwise.

use actix::Addr;
use http::StatusCode;
use motu_runtime::email::checks::MAX_MESSAGE_BYTES;
use motu_runtime::email::mime::{addresses, first_address, same_address, MessageHeaders};
use motu_runtime::email::{DeliverEmail, EmailDelivered, EmailReport};
use motu_runtime::{Body, Registry, RuntimeError};

use crate::responses::error_response;

/// The paths that fire a Worker's `email` handler, when enabled.
pub const EMAIL_PATHS: [&str; 2] = ["/cdn-cgi/handler/email", "/cdn-cgi/local/email"];

/// Whether `path` is one of [`EMAIL_PATHS`].
pub(crate) fn is_email_path(path: &str) -> bool {
    EMAIL_PATHS.contains(&path)
}

fn answer(status: StatusCode, content_type: &str, body: String) -> http::Response<Body> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a valid response")
}

fn bad_request(message: &str) -> http::Response<Body> {
    answer(
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
        format!("{message}\n"),
    )
}

/// Runs `worker`'s `email` handler with the message `request` carries, and
/// answers what it did.
pub(crate) async fn deliver(
    registry: Addr<Registry>,
    worker: String,
    request: http::Request<Body>,
) -> http::Response<Body> {
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let json = param("format").as_deref() == Some("json");
    let (from, to) = (param("from"), param("to"));
    let Ok(raw) = request.into_body().collect().await else {
        return bad_request("The request body could not be read.");
    };
    let (Some(from), Some(to), false) = (from, to, raw.is_empty()) else {
        return bad_request(
            "Invalid email. Your request must include URL parameters specifying the `from` and \
             `to` addresses, as well as an email in the body",
        );
    };
    if raw.len() > MAX_MESSAGE_BYTES {
        return bad_request(
            "Email message size is bigger than the production size limit of 25MiB.",
        );
    }
    let headers = MessageHeaders::parse(&raw);
    if headers.message_id().is_none() {
        return bad_request("Email could not be parsed: invalid or no message id provided");
    }
    let header_from = headers.get("from").and_then(first_address);
    if !header_from
        .as_deref()
        .is_some_and(|a| same_address(a, &from))
    {
        tracing::warn!(
            worker = worker.as_str(),
            "the MAIL FROM address ({from}) is not the message's \"From\" header ({})",
            header_from.as_deref().unwrap_or("none")
        );
    }
    let header_to: Vec<String> = headers
        .0
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("to"))
        .flat_map(|(_, v)| addresses(v))
        .collect();
    if !header_to.iter().any(|a| same_address(a, &to)) {
        tracing::warn!(
            worker = worker.as_str(),
            "the RCPT TO address ({to}) is not in the message's \"To\" headers ({})",
            header_to.join(", ")
        );
    }
    let delivered = registry
        .send(DeliverEmail {
            worker: worker.clone(),
            from: from.clone(),
            to: to.clone(),
            raw: raw.to_vec(),
            retried: false,
        })
        .await
        .unwrap_or_else(|_| EmailDelivered {
            result: Err(RuntimeError::Startup("the registry stopped".into())),
            report: None,
        });
    let report = delivered.report.unwrap_or_default();
    match &delivered.result {
        Ok(()) => tracing::info!(
            worker = worker.as_str(),
            "email handler ran for a message from {from} to {to}{}",
            report
                .reject_reason
                .as_deref()
                .map(|r| format!(": rejected ({r})"))
                .unwrap_or_default()
        ),
        Err(error) => tracing::error!(
            worker = worker.as_str(),
            "the email handler failed for a message from {from} to {to}: {error}"
        ),
    }
    if json {
        // Replies carry their text, as wrangler's answer does.
        let mut raws = Vec::new();
        for a in report.actions.iter().filter(|a| a.kind == "reply") {
            // Small files of a development endpoint: read in place.
            let raw = std::fs::read(&a.file).unwrap_or_default();
            raws.push(String::from_utf8_lossy(&raw).into_owned());
        }
        return json_answer(&delivered.result, &report, &raws);
    }
    match (&delivered.result, &report.reject_reason) {
        (Err(error), _) => error_response(error),
        (Ok(()), Some(reason)) => bad_request(&format!(
            "Worker rejected email with the following reason: {reason}"
        )),
        (Ok(()), None) => {
            let mut text = "Worker successfully processed email\n".to_owned();
            for action in &report.actions {
                let line = match action.kind.as_str() {
                    "forward" => format!("Forwarded to {}: {}\n", action.address, action.file),
                    _ => format!("Replied from {}: {}\n", action.address, action.file),
                };
                text.push_str(&line);
            }
            answer(StatusCode::OK, "text/plain; charset=utf-8", text)
        }
    }
}

/// The `format=json` answer: wrangler's fields, and the file of each
/// forward and reply; `raws` are the replies' texts.
fn json_answer(
    result: &Result<(), RuntimeError>,
    report: &EmailReport,
    raws: &[String],
) -> http::Response<Body> {
    let of = |kind: &str, key: &str| -> Vec<serde_json::Value> {
        report
            .actions
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| {
                let mut entry = serde_json::json!({
                    "messageId": a.message_id,
                    key: a.address,
                    "file": a.file,
                });
                if kind == "forward" {
                    entry["headers"] = serde_json::json!(a.headers);
                }
                entry
            })
            .collect()
    };
    let mut replies = of("reply", "sender");
    for (reply, raw) in replies.iter_mut().zip(raws) {
        reply["raw"] = serde_json::json!(raw);
    }
    let body = serde_json::json!({
        "outcome": if result.is_ok() { "ok" } else { "exception" },
        "rejectReason": report.reject_reason,
        "forwards": of("forward", "recipient"),
        "replies": replies,
    });
    let status = if result.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    answer(status, "application/json", body.to_string())
}
