//! What becomes of each message of a delivered batch.
//!
//! The handler's calls are recorded in the isolate (`js/cloudflare/
//! queue_batch.js`, with workerd's rules: `retry()` after `ack()` or
//! `ackAll()` has no effect, `ack()` after `retry()` or `retryAll()` has
//! none, …) and reported when the event ends, as a [`Report`]. Then, per
//! message ([`settle`]):
//!
//! - acknowledged explicitly (`msg.ack()`): deleted, whatever the handler
//!   did afterwards (even if it threw);
//! - retried explicitly (`msg.retry({ delaySeconds })`): retried after its
//!   delay (else the consumer's `retry_delay`);
//! - otherwise, when the handler threw, ran out of a limit or could not
//!   run: retried after the consumer's `retry_delay`;
//! - otherwise, after `retryAll({ delaySeconds })`: retried after that
//!   delay (else `retry_delay`);
//! - otherwise (the handler returned, with or without `ackAll()`): deleted.
//!
//! A message retried for the `max_retries`-th time is not retried again:
//! it goes to the dead-letter queue, or is dropped.

use std::collections::{HashMap, HashSet};

use motu_engine::HostValue;

/// The handler's calls, as the isolate reported them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// `ackAll()` was called (and took effect).
    pub ack_all: bool,
    /// `retryAll()` was called (and took effect), with its delay in
    /// seconds, if it gave one.
    pub retry_all: Option<Option<u32>>,
    /// Messages acknowledged with `ack()`.
    pub acks: HashSet<String>,
    /// Messages retried with `retry()`, with the delay each gave.
    pub retries: HashMap<String, Option<u32>>,
}

fn delay(value: Option<&HostValue>) -> Option<u32> {
    value
        .and_then(HostValue::as_f64)
        .filter(|d| *d >= 0.0)
        .map(|d| d as u32)
}

impl Report {
    /// The report the prelude's `queue_result(id, report)` op carries:
    /// `{ ackAll, retryAll, retryAllDelay, acks: [id…], retries: [[id,
    /// delay]…] }` (a delay of `null` when none was given).
    pub fn from_value(value: &HostValue) -> Self {
        let get = |k: &str| value.get(k);
        let list = |k: &str| get(k).and_then(HostValue::as_list).unwrap_or(&[]);
        Self {
            ack_all: matches!(get("ackAll"), Some(HostValue::Bool(true))),
            retry_all: matches!(get("retryAll"), Some(HostValue::Bool(true)))
                .then(|| delay(get("retryAllDelay"))),
            acks: list("acks")
                .iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect(),
            retries: list("retries")
                .iter()
                .filter_map(|r| {
                    let r = r.as_list()?;
                    Some((r.first()?.as_str()?.to_owned(), delay(r.get(1))))
                })
                .collect(),
        }
    }
}

/// What to do with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Delete it.
    Ack,
    /// Deliver it again after this many seconds.
    Retry(u32),
}

/// The fate of message `id` of a batch whose handler `succeeded` (or not)
/// with `report`; `retry_delay` is the consumer's.
pub fn fate(id: &str, succeeded: bool, report: Option<&Report>, retry_delay: u32) -> Fate {
    let empty = Report::default();
    let report = report.unwrap_or(&empty);
    if report.acks.contains(id) {
        return Fate::Ack;
    }
    if let Some(d) = report.retries.get(id) {
        return Fate::Retry(d.unwrap_or(retry_delay));
    }
    if !succeeded {
        return Fate::Retry(retry_delay);
    }
    match report.retry_all {
        Some(d) => Fate::Retry(d.unwrap_or(retry_delay)),
        None => Fate::Ack,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report::from_value(&HostValue::Map(vec![
            ("ackAll".into(), HostValue::Bool(false)),
            ("retryAll".into(), HostValue::Bool(true)),
            ("retryAllDelay".into(), HostValue::Null),
            ("acks".into(), HostValue::List(vec!["a".into()])),
            (
                "retries".into(),
                HostValue::List(vec![HostValue::List(vec![
                    "r".into(),
                    HostValue::Number(30.0),
                ])]),
            ),
        ]))
    }

    #[test]
    fn explicit_calls_win_then_the_outcome_then_the_batch_calls() {
        let r = report();
        assert_eq!(r.retry_all, Some(None));
        assert_eq!(fate("a", true, Some(&r), 5), Fate::Ack);
        assert_eq!(
            fate("a", false, Some(&r), 5),
            Fate::Ack,
            "an ack stands after a throw"
        );
        assert_eq!(fate("r", true, Some(&r), 5), Fate::Retry(30));
        assert_eq!(fate("x", true, Some(&r), 5), Fate::Retry(5), "retryAll");
        assert_eq!(fate("x", true, None, 5), Fate::Ack, "success acknowledges");
        assert_eq!(fate("x", false, None, 7), Fate::Retry(7), "a throw retries");
    }
}
