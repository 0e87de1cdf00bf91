//! The isolate actor: one engine isolate running one Worker, pinned to the
//! executor thread it was started on.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use motu_engine::{Engine, EngineError, HostValue, Isolate, IsolateConfig, JsError, OpId};
use tokio::sync::oneshot;

use crate::event::fetch_event;
use crate::host::IsolateHost;
use crate::{FetchRequest, FetchResponse, RuntimeError, WorkerSpec};

/// Serves the events of one Worker in one isolate, many at a time.
pub struct IsolateActor {
    spec: Arc<WorkerSpec>,
    isolate: Box<dyn Isolate>,
    host: Rc<IsolateHost>,
    next_event: u64,
}

impl Actor for IsolateActor {
    type Context = Context<Self>;

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.host
            .fail_all(RuntimeError::Lost(self.spec.name.clone()));
        tracing::debug!(worker = self.spec.name.as_str(), "isolate stopped");
    }
}

impl IsolateActor {
    /// Creates the isolate and evaluates the Worker on the calling thread
    /// (an executor's), then starts the actor there.
    pub(crate) fn boot(
        spec: Arc<WorkerSpec>,
        engine: &dyn Engine,
        config: &IsolateConfig,
    ) -> Result<Addr<IsolateActor>, RuntimeError> {
        let began = Instant::now();
        let failed = |error| RuntimeError::StartFailed {
            worker: spec.name.clone(),
            error,
        };
        let host = Rc::new(IsolateHost::new(spec.clone()));
        let mut isolate = engine.new_isolate(config, host.clone()).map_err(failed)?;
        isolate.load_worker(&spec.code).map_err(failed)?;
        isolate.run_microtasks().map_err(failed)?;
        tracing::info!(
            worker = spec.name.as_str(),
            engine = engine.name(),
            micros = began.elapsed().as_micros() as u64,
            "isolate started"
        );
        Ok(IsolateActor::create(|ctx| {
            host.bind(ctx.address().downgrade());
            IsolateActor {
                spec,
                isolate,
                host,
                next_event: 1,
            }
        }))
    }

    /// Reacts to an engine error while events ran: every pending event fails;
    /// an isolate out of memory is stopped for good.
    fn engine_failed(&mut self, error: EngineError, ctx: &mut Context<Self>) {
        tracing::error!(worker = self.spec.name.as_str(), "engine error: {error}");
        let fatal = matches!(error, EngineError::OutOfMemory);
        self.host.fail_all(RuntimeError::Engine {
            worker: self.spec.name.clone(),
            error,
        });
        if fatal {
            ctx.stop();
        }
    }
}

/// A fetch event for the actor's Worker.
#[derive(Debug)]
pub struct Fetch(pub FetchRequest);

impl Message for Fetch {
    type Result = Result<FetchResponse, RuntimeError>;
}

impl Handler<Fetch> for IsolateActor {
    type Result = ResponseFuture<Result<FetchResponse, RuntimeError>>;

    fn handle(&mut self, msg: Fetch, ctx: &mut Self::Context) -> Self::Result {
        let id = self.next_event;
        self.next_event += 1;
        let (tx, rx) = oneshot::channel();
        self.host.expect(id, tx);
        let ran = self
            .isolate
            .dispatch(id, fetch_event(&msg.0))
            .and_then(|()| self.isolate.run_microtasks());
        if let Err(e) = ran {
            self.engine_failed(e, ctx);
        }
        let worker = self.spec.name.clone();
        Box::pin(async move { rx.await.unwrap_or(Err(RuntimeError::Lost(worker))) })
    }
}

/// An async op finished; its promise is settled in the isolate.
pub(crate) struct OpDone {
    pub(crate) id: OpId,
    pub(crate) result: Result<HostValue, JsError>,
}

impl Message for OpDone {
    type Result = ();
}

impl Handler<OpDone> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: OpDone, ctx: &mut Self::Context) {
        let ran = self
            .isolate
            .settle(msg.id, msg.result)
            .and_then(|()| self.isolate.run_microtasks());
        if let Err(e) = ran {
            self.engine_failed(e, ctx);
        }
    }
}
