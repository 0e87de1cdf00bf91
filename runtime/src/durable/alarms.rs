//! Alarms: `ctx.storage.setAlarm(time)` asks for the object's `alarm()`
//! handler to run at that time, once, even across a restart.
//!
//! - **Stored twice, together**: in the object's database (what
//!   `getAlarm` reads) and in the state folder's alarm index
//!   (`durable/alarms.sqlite`, [`AlarmIndex`]), which says which object,
//!   of which class of which Worker, is due when. Both writes are made by
//!   the `setAlarm` op (both or neither).
//! - **The object's database is the record, the index a cache**: the
//!   object's output gate flushes the object's own log, and that flush is
//!   what acknowledges `setAlarm` (a failed one resets the object, as for
//!   any write). The index is never flushed for it — one fsync of the
//!   shared index covers every object's rows, so after a failed one a
//!   later success would seem to cover rows the kernel may have dropped.
//!   Instead, at start-up, before any object runs, [`reconcile_alarms`]
//!   rebuilds the index from the objects' databases: a row lost in a crash
//!   comes back, a row of an alarm the object deleted goes.
//! - **The scheduler** is the registry's: a pass reads the index for
//!   alarms that are due and sends each object an alarm event through the
//!   directory, like a stub's fetch (an [`AlarmEvent`] request extension
//!   tells the isolate to call `alarm({ retryCount, isRetry })` instead
//!   of `fetch`). The prelude deletes the alarm when the handler succeeds,
//!   unless the handler set another.
//! - **When it passes**: at the earliest alarm the index holds (not one
//!   whose event is going on), and as soon as an alarm earlier than that
//!   is set (`setAlarm` tells the [`AlarmClock`], see `alarm_clock.rs`),
//!   or an alarm's event ends and its object's alarm is due again. So an
//!   alarm starts at its time, not at the next tick of a poll, and an idle
//!   server passes once every [`LONGEST_SLEEP`] at most. Each node has its
//!   own objects and index (a cluster shares no alarms), so every alarm
//!   is set in this process or found by the start-up rebuild.
//! - **Retries**: when the handler throws (or its isolate fails it), the
//!   alarm is due again after 2, 4, 8, … seconds ([`backoff`]), with
//!   `retryCount` one more, up to [`MAX_RETRIES`] retries (Cloudflare's
//!   six); then it is dropped with a log line.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use motu_storage::durable::{AlarmIndex, AlarmOwner, AlarmRow};

#[cfg(doc)]
use super::alarm_clock::LONGEST_SLEEP;
use super::alarm_clock::{now_ms, AlarmClock, Cause};
use super::ObjectTarget;
use crate::{Body, Dispatch, Registry, RuntimeError, Storage};

/// Retries of an alarm whose handler failed, before it is dropped.
pub(crate) const MAX_RETRIES: u32 = 6;

/// The most alarms started at one pass (a full one is followed by another
/// at once).
const BATCH: usize = 256;

/// The wait before retry `n` (from 1): 2^n seconds, at most a minute.
pub(crate) fn backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.clamp(1, 6)).min(Duration::from_secs(60))
}

/// What tells an isolate that an object's event is its alarm (a request
/// extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmEvent {
    /// Failed runs of this alarm before (`alarmInfo.retryCount`).
    pub retry_count: u32,
}

/// Makes the alarm index of `storage`'s state folder agree with the alarms
/// the databases of the objects of `owners` (every class of the server,
/// by namespace) hold (see the module docs). Run at start-up, before the
/// runtime starts: it opens every object's database. An object whose
/// database cannot be read is logged and its row left as it is.
pub fn reconcile_alarms(storage: &Storage, owners: &[AlarmOwner]) -> Result<(), RuntimeError> {
    let Some(state) = storage.path() else {
        return Ok(());
    };
    if owners.is_empty() || !state.join("durable").is_dir() {
        return Ok(());
    }
    let failed = |e: motu_storage::StorageError| RuntimeError::Storage {
        worker: owners[0].worker.clone(),
        message: format!("the Durable Object alarm index: {e}"),
    };
    let index = AlarmIndex::open(&AlarmIndex::path_in(&state)).map_err(failed)?;
    let done = index.reconcile(&state, owners).map_err(failed)?;
    for (path, why) in &done.unreadable {
        tracing::error!(
            "alarms: the alarm of the Durable Object at {} could not be read: {why}",
            path.display()
        );
    }
    if done.added > 0 || done.removed > 0 {
        tracing::info!(
            kept = done.kept,
            added = done.added,
            removed = done.removed,
            "alarms: the alarm index was rebuilt from the objects' databases"
        );
    }
    Ok(())
}

/// The registry's scheduler state.
#[derive(Default)]
pub(crate) struct Scheduler {
    index: Option<AlarmIndex>,
    /// Alarms whose event is going on.
    firing: HashSet<(String, String)>,
}

/// Runs the scheduler of `registry`, whose state folder's alarms `clock`
/// times: a pass, then a sleep until the next is due or the clock is
/// woken, until the registry stops.
pub(crate) async fn run(clock: Arc<AlarmClock>, registry: Addr<Registry>) {
    let mut cause = Cause::Start;
    loop {
        if registry.send(Pass(cause)).await.is_err() {
            return;
        }
        cause = clock.wait().await;
    }
}

/// One pass of the scheduler (see the module docs), and what began it.
struct Pass(Cause);

impl Message for Pass {
    type Result = ();
}

impl Handler<Pass> for Registry {
    type Result = ();

    fn handle(&mut self, Pass(cause): Pass, ctx: &mut Self::Context) {
        super::metrics::alarm_pass(cause.label());
        pass(self, ctx);
    }
}

/// One pass over the index (see the module docs): starts the due alarms'
/// events, and tells the clock when the next is due.
fn pass(registry: &mut Registry, ctx: &mut Context<Registry>) {
    let storage = registry.storage();
    let clock = storage.alarm_clock();
    clock.forget();
    let scheduler = &mut registry.objects.alarms;
    if scheduler.index.is_none() {
        // The index exists once an object set an alarm (which wakes the
        // scheduler); until then there is nothing to read (and no state
        // folder is made for it).
        let Some(path) = storage.path().map(|p| AlarmIndex::path_in(&p)) else {
            return;
        };
        if !path.is_file() {
            return;
        }
        match AlarmIndex::open(&path) {
            Ok(index) => scheduler.index = Some(index),
            Err(e) => {
                tracing::error!("alarms: {e}");
                return;
            }
        }
    }
    let Some(index) = &scheduler.index else {
        return;
    };
    let now = now_ms();
    // The alarms going on are due too, and skipped.
    let due = match index.due(now, BATCH + scheduler.firing.len()) {
        Ok(due) => due,
        Err(e) => {
            tracing::error!("alarms: {e}");
            return;
        }
    };
    match index.next_after(now) {
        Ok(next) => clock.note_quietly(next),
        Err(e) => tracing::error!("alarms: {e}"),
    }
    let mut started = 0;
    for row in due {
        if started == BATCH {
            // More may be due: the next pass starts them.
            clock.wake();
            break;
        }
        let key = (row.namespace.clone(), row.id.clone());
        if !scheduler.firing.insert(key) {
            continue;
        }
        started += 1;
        let address = ctx.address();
        let target = ObjectTarget {
            worker: row.worker.clone(),
            class: row.class.clone(),
            namespace: row.namespace.clone(),
            id: row.id.clone(),
            name: row.name.clone(),
            attempt: 0,
        };
        let request = http::Request::builder()
            .method("POST")
            .uri("https://alarm.internal/")
            .extension(target)
            .extension(AlarmEvent {
                retry_count: row.retry,
            })
            .body(Body::empty());
        let Ok(request) = request else {
            continue;
        };
        let worker = row.worker.clone();
        actix_rt::spawn(async move {
            let outcome = address.send(Dispatch::new(worker, request)).await;
            let error = match outcome {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(e) => Some(e.to_string()),
            };
            address.do_send(AlarmDone { row, error });
        });
    }
}

/// An alarm's event ended: `error` is why it failed, if it did.
#[derive(Message)]
#[rtype(result = "()")]
struct AlarmDone {
    row: AlarmRow,
    error: Option<String>,
}

impl Handler<AlarmDone> for Registry {
    type Result = ();

    fn handle(&mut self, msg: AlarmDone, _ctx: &mut Self::Context) {
        let AlarmDone { row, error } = msg;
        let clock = self.storage().alarm_clock();
        let scheduler = &mut self.objects.alarms;
        scheduler
            .firing
            .remove(&(row.namespace.clone(), row.id.clone()));
        let Some(index) = &scheduler.index else {
            return;
        };
        let now_row = match index.get(&row.namespace, &row.id) {
            Ok(now_row) => now_row,
            Err(e) => {
                tracing::error!("alarms: {e}");
                clock.wake();
                return;
            }
        };
        // An event that succeeded leaves the alarm it ran deleted or
        // replaced; one that left it as it was (the index disagreed with
        // the object, which the prelude mends) is not run again at once.
        let error = error.or_else(|| {
            (now_row.as_ref() == Some(&row))
                .then(|| "its event left the alarm as it was".to_owned())
        });
        if let Some(error) = error {
            let retry = row.retry + 1;
            let result = if retry > MAX_RETRIES {
                tracing::warn!(
                    worker = row.worker.as_str(),
                    class = row.class.as_str(),
                    id = row.id.as_str(),
                    "a Durable Object's alarm failed {retry} times and is dropped: {error}"
                );
                index.delete(&row.namespace, &row.id)
            } else {
                tracing::warn!(
                    worker = row.worker.as_str(),
                    class = row.class.as_str(),
                    id = row.id.as_str(),
                    retry,
                    "a Durable Object's alarm failed and is retried: {error}"
                );
                let at = now_ms() + backoff(retry).as_secs_f64() * 1e3;
                index.retry(&row.namespace, &row.id, row.at, at, retry)
            };
            if let Err(e) = result {
                tracing::error!("alarms: {e}");
            }
        }
        // The object's alarm as it is now: one set during the event was
        // skipped by the passes meanwhile.
        match index.get(&row.namespace, &row.id) {
            Ok(Some(now_row)) => clock.note(now_row.at),
            Ok(None) => {}
            Err(e) => {
                tracing::error!("alarms: {e}");
                clock.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(6), Duration::from_secs(60));
    }
}
