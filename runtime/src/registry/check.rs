//! Checking Workers' code in the background after start-up.

use std::sync::atomic::Ordering;

use actix::prelude::*;
use tokio::sync::oneshot;

use super::Registry;
use crate::executors::BusyMark;
use crate::IsolateActor;

/// How much lower the background checker's scheduling priority is than the
/// executors' (a `nice` increment, Linux only): it runs on what the
/// executors leave.
const CHECKER_NICENESS: i32 = 10;

/// Evaluates the code of registered Workers in the background, each once in
/// a throwaway isolate on a thread of its own with a lower scheduling
/// priority than the executors: a Worker whose code cannot start is logged
/// (as an error) soon after start-up, while every Worker already serves,
/// and no isolate is kept per Worker. A Worker that has started an isolate
/// by the time its turn comes is not checked again. Resolves, once every
/// Worker was checked, with what was found.
#[derive(Debug)]
pub struct CheckInBackground(pub Vec<String>);

/// What [`CheckInBackground`] found.
#[derive(Debug, Default, Clone)]
pub struct Checked {
    /// Workers whose code was evaluated by the check.
    pub checked: usize,
    /// Workers skipped: an isolate of theirs had started already (or they
    /// are not registered).
    pub skipped: usize,
    /// The Workers that cannot start, with the reason.
    pub failed: Vec<(String, String)>,
}

impl Message for CheckInBackground {
    type Result = Checked;
}

impl Handler<CheckInBackground> for Registry {
    type Result = ResponseFuture<Checked>;

    fn handle(
        &mut self,
        CheckInBackground(names): CheckInBackground,
        _ctx: &mut Self::Context,
    ) -> Self::Result {
        let mut checked = Checked::default();
        let jobs: Vec<_> = names
            .into_iter()
            .filter_map(|name| match self.workers.get(name.as_str()) {
                Some(w) => Some((w.spec.clone(), w.engine.clone(), w.evaluated.clone())),
                None => {
                    checked.skipped += 1;
                    None
                }
            })
            .collect();
        let checker = self.checker.get_or_insert_with(|| {
            let arbiter = actix_rt::Arbiter::new();
            arbiter.spawn_fn(|| crate::work::pool::lower_priority(CHECKER_NICENESS));
            arbiter
        });
        let (tx, rx) = oneshot::channel();
        let config = self.isolate_config.clone();
        let services = self.services.clone();
        let busy = BusyMark::detached(self.executors.busy_threshold());
        checker.spawn(async move {
            for (spec, engine, evaluated) in jobs {
                if evaluated.load(Ordering::Relaxed) {
                    checked.skipped += 1;
                    continue;
                }
                match IsolateActor::check(&spec, &*engine, &config, &services, &busy) {
                    Ok(()) => evaluated.store(true, Ordering::Relaxed),
                    Err(e) => {
                        tracing::error!(worker = spec.name.as_str(), "{e}");
                        checked.failed.push((spec.name.clone(), e.to_string()));
                    }
                }
                checked.checked += 1;
                // What the check's code left to run (a timer it set) is
                // dropped here, with nothing to deliver it to.
                tokio::task::yield_now().await;
            }
            let _ = tx.send(checked);
        });
        Box::pin(async move { rx.await.unwrap_or_default() })
    }
}
