// The engine of one Workflow instance: a Durable Object of the Worker that
// exports the Workflow's class (durable.js makes it for a class named
// `workflow:NAME`), found by the instance's id (`idFromName`), so it has
// the actor guarantees: one live engine per instance, its storage durable
// before it answers (workflow_store.js).
//
// - **Runs**: an execution makes the Workflow's class anew (`new
//   Class(ctx, env)`) and calls `run(event, step)` from the top; the
//   steps already done answer from storage (workflow_step.js). A run ends
//   when `run` returns (the instance is complete, its output kept) or
//   throws (errored), or when it is suspended: a step must wait (a sleep, a
//   retry's delay, an event not sent yet, a pause). Its steps still
//   running finish first; then the instance is `waiting` (or `paused`)
//   and its alarm is set for the earliest wake. The abandoned run's
//   promises never settle.
// - **Waking**: an execution is the object's alarm event (so it survives
//   a restart: an alarm is kept until its handler returns, and one set
//   before a crash fires after). Creating, resuming, restarting and
//   sending an event to a waiting instance set the alarm to now.
// - **Control**: `pause` (the run stops at its next step; `waitingForPause`
//   until then), `resume`, `terminate` (the run is abandoned), `restart`
//   (progress forgotten, run again); `status()` answers `{ status, error,
//   output }` as Cloudflare's does.

const WF_TERMINAL = new Set(['complete', 'errored', 'terminated']);
// What an abandoned or held step answers: never.
const WF_NEVER = new Promise(() => {});
const WF_DEFAULT_STEP_LIMIT = 10000;

// One execution of `run` (see the top of the file): what its steps ask of
// the engine.
class WfExecution {
  constructor(engine, stepLimit) {
    this.engine = engine;
    this.store = engine.store;
    this.stepLimit = stepLimit;
    this.counts = new Map();
    this.steps = 0;
    // Steps running their callback now.
    this.busy = 0;
    // Suspended: the run ends once no step is busy, to wake at `wake`.
    this.winding = false;
    this.wake = Infinity;
    // Something came (an event, a resume) that the run may be waiting for:
    // wake again at once.
    this.kick = false;
    this.ended = false;
    this.finishing = false;
    this.done = newDeferred();
  }

  // The key of the next step of `kind` named `name`, and its count (from 1).
  key(kind, name) {
    const k = `${kind}\u0000${name}`;
    const count = (this.counts.get(k) ?? 0) + 1;
    this.counts.set(k, count);
    return [`${kind}:${count}:${name}`, count];
  }

  countStep() {
    if (++this.steps > this.stepLimit) {
      throw wfError('WorkflowFatalError', `The limit of ${this.stepLimit} steps has been reached. This limit can be changed in your worker configuration.`);
    }
  }

  stale() { return this.ended || this.engine.current !== this; }

  // null when a step may go on; else what it answers (a paused instance's
  // run stops at its next step).
  hold() {
    if (this.stale()) return WF_NEVER;
    if (this.engine.paused()) return this.suspend(Infinity);
    return null;
  }

  suspend(wake) {
    if (!this.stale()) {
      this.winding = true;
      if (wake < this.wake) this.wake = wake;
    }
    return this.check();
  }

  // Ends a suspended run once no step is busy (after the steps its other
  // branches start in the same turn); answers WF_NEVER.
  check() {
    if (!this.stale() && this.winding && this.busy === 0 && !this.finishing) {
      this.finishing = true;
      setTimeout(() => {
        this.finishing = false;
        if (!this.stale() && this.winding && this.busy === 0) this.engine.suspended(this);
      }, 0);
    }
    return WF_NEVER;
  }

  // The instance fails with `error` (a step's value that cannot be kept).
  fatal(error) { this.engine.finish(this, 'errored', error); }
}

// A DurableObject, so that its methods are called over RPC (the binding
// is the only caller: no stub of it is given out).
class WorkflowEngine extends loadGroup(CLOUDFLARE_WORKERS).DurableObject {
  #ctx; #env; #cls; #firing = 0;
  constructor(ctx, env, cls) {
    super(ctx, env);
    this.#ctx = ctx;
    this.#env = env;
    this.#cls = cls;
    this.store = new WfStore(ctx.storage.sql);
    this.current = null;
  }

  #record() {
    const record = this.store.get('record');
    if (record === undefined) throw wfError('WorkflowError', '(instance.not_found) Instance does not exist');
    return record;
  }
  #save(record) { this.store.put('record', record); }
  paused() { return this.store.get('record')?.paused === true; }

  // The alarm for `at` (later than the one firing, if any: the host keeps
  // an alarm set during its handler only if it differs from the one that
  // fired).
  #wakeAt(at) {
    markHandled(this.#ctx.storage.setAlarm(Math.max(Math.ceil(at), this.#firing + 1)));
  }
  #sleep() { markHandled(this.#ctx.storage.deleteAlarm()); }

  // ---- Called by the binding (workflows.js) over RPC ----

  create(id, params, workflowName, stepLimit) {
    if (this.store.get('record') !== undefined) {
      throw wfError('WorkflowError', '(instance.already_exists) Instance already exists');
    }
    this.store.put('params', params);
    this.#save({
      id, workflowName, stepLimit, status: 'queued', created: Date.now(), paused: false, error: null,
    });
    this.#wakeAt(Date.now());
  }

  exists() { return this.store.get('record') !== undefined; }

  status() {
    const record = this.#record();
    const out = { status: record.status };
    if (record.status === 'errored') out.error = record.error;
    if (record.status === 'complete') out.output = this.store.get('output');
    return out;
  }

  pause() {
    const record = this.#record();
    if (WF_TERMINAL.has(record.status) || record.paused) return;
    record.paused = true;
    record.status = this.current === null ? 'paused' : 'waitingForPause';
    this.#save(record);
    if (this.current === null) this.#sleep();
  }

  resume() {
    const record = this.#record();
    if (!record.paused) return;
    record.paused = false;
    if (this.current !== null) {
      record.status = 'running';
      this.current.kick = true;
    } else {
      record.status = 'queued';
      this.#wakeAt(Date.now());
    }
    this.#save(record);
  }

  terminate() {
    const record = this.#record();
    if (WF_TERMINAL.has(record.status)) {
      throw wfError('WorkflowError', '(instance.cannot_terminate) Cannot terminate instance since its on a finite state');
    }
    record.status = 'terminated';
    record.paused = false;
    this.#save(record);
    this.#sleep();
    this.#end(this.current);
  }

  restart() {
    const record = this.#record();
    this.#end(this.current);
    this.store.clearProgress();
    Object.assign(record, { status: 'queued', paused: false, error: null });
    this.#save(record);
    this.#wakeAt(Date.now());
  }

  sendEvent(type, payload) {
    const record = this.#record();
    this.store.addEvent(String(type), this.store.encode(payload), Date.now());
    if (this.current !== null) this.current.kick = true;
    else if (record.status === 'waiting') this.#wakeAt(Date.now());
  }

  // ---- The object's alarm: an execution ----

  async alarm() {
    this.#firing = (await this.#ctx.storage.getAlarm()) ?? 0;
    try {
      await this.#execute();
    } finally {
      this.#firing = 0;
    }
  }

  #execute() {
    if (this.current !== null) return this.current.done.promise;
    const record = this.store.get('record');
    if (record === undefined || WF_TERMINAL.has(record.status) || record.paused) return undefined;
    record.status = 'running';
    this.#save(record);
    const exec = new WfExecution(this, record.stepLimit ?? WF_DEFAULT_STEP_LIMIT);
    this.current = exec;
    const event = {
      payload: this.store.get('params'),
      timestamp: new Date(record.created),
      instanceId: record.id,
      workflowName: record.workflowName,
    };
    let result;
    try {
      const ctx = { waitUntil: promise => this.#ctx.waitUntil(promise), props: {} };
      const workflow = new this.#cls(ctx, this.#env);
      if (typeof workflow.run !== 'function') throw new TypeError('The Workflow class has no run() method');
      result = promiseResolvedWith(workflow.run(event, new WorkflowStep(exec)));
    } catch (e) {
      result = promiseRejectedWith(e);
    }
    uponPromise(result, v => this.finish(exec, 'complete', v), e => this.finish(exec, 'errored', e));
    return exec.done.promise;
  }

  // The run of `exec` returned `value` (complete) or threw it (errored).
  finish(exec, status, value) {
    if (exec.stale()) return;
    const record = this.#record();
    if (status === 'complete') {
      try {
        this.store.put('output', value);
      } catch {
        status = 'errored';
        value = wfError('WorkflowFatalError', 'The execution of the Workflow instance was terminated, as its output is not serialisable');
      }
    }
    record.status = status;
    record.error = status === 'errored' ? wfFailure(value) : null;
    this.#save(record);
    this.#sleep();
    this.#end(exec);
  }

  // The run of `exec` is suspended and no step of it is busy.
  suspended(exec) {
    const record = this.#record();
    if (record.paused) {
      record.status = 'paused';
      this.#sleep();
    } else {
      record.status = 'waiting';
      this.#wakeAt(exec.kick ? Date.now() : exec.wake);
    }
    this.#save(record);
    this.#end(exec);
  }

  #end(exec) {
    if (exec === null) return;
    exec.ended = true;
    if (this.current === exec) this.current = null;
    exec.done.resolve();
  }
}

// The `error` of an errored instance's status: what `run` threw (a
// NonRetryableError it did not catch is the instance's fatal error).
function wfFailure(e) {
  if (e?.name === 'NonRetryableError') {
    return {
      name: 'WorkflowFatalError',
      message: 'The execution of the Workflow instance was terminated, as a step threw an NonRetryableError and it was not handled',
    };
  }
  return wfErrorRecord(e);
}

// The object of the Workflow's namespace named WF_INDEX (no instance id can
// be that name): the ids of the instances made, so that `get(id)` of an
// unknown id finds that out without making an engine, and storage, for it.
const WF_INDEX = '#instances';

class WorkflowIndex extends loadGroup(CLOUDFLARE_WORKERS).DurableObject {
  #sql;
  constructor(ctx, env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec('CREATE TABLE IF NOT EXISTS motu_workflow_instances (id TEXT PRIMARY KEY)');
  }
  add(id) { this.#sql.exec('INSERT OR IGNORE INTO motu_workflow_instances (id) VALUES (?)', id); }
  has(id) { return this.#sql.exec('SELECT 1 FROM motu_workflow_instances WHERE id = ?', id).toArray().length > 0; }
}

// The class durable.js makes for `workflow:CLASS`: an engine around the
// Worker's class `cls` (or, for the object WF_INDEX, the index).
function workflowEngineClass(cls) {
  return function WorkflowInstanceEngine(ctx, env) {
    return ctx.id.name === WF_INDEX ? new WorkflowIndex(ctx, env) : new WorkflowEngine(ctx, env, cls);
  };
}
