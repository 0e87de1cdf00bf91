// `step`, the second argument of a Workflow's `run(event, step)`: its
// `do`, `sleep`, `sleepUntil` and `waitForEvent`. Each call is known by
// its kind, its name and how many calls of that kind and name came before
// it in the run (so a loop's steps are told apart), and its outcome is
// kept (workflow_store.js): when the run is replayed from the top (after
// a sleep, a retry's wait, a wait for an event, a restart of the server),
// a step that is done answers what it answered the first time without
// running again. A step that must wait suspends the run (the execution
// `exec`, workflow_engine.js): its promise never settles, and the engine
// wakes the instance when the wait is over and replays the run.

const WF_DEFAULT_RETRIES = { limit: 5, delay: 10000, backoff: 'exponential' };
const WF_DEFAULT_TIMEOUT = '10 minutes';
const WF_DEFAULT_EVENT_TIMEOUT = '24 hours';
const WF_MAX_STEP_NAME = 256;
const WF_MAX_STEP_RESULT = 1024 * 1024;

// An Error named `name` (WorkflowTimeoutError, WorkflowFatalError, ...).
function wfError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

function wfCheckName(name) {
  if (typeof name !== 'string' || name.length > WF_MAX_STEP_NAME || /[\x00-\x1f]/.test(name)) {
    throw wfError('WorkflowFatalError', `Step name "${String(name)}" exceeds max length (${WF_MAX_STEP_NAME} chars) or invalid characters found`);
  }
}

// A step's config with the defaults filled in, or the error Cloudflare
// gives for one it cannot use.
function wfStepConfig(name, config) {
  const bad = () => wfError('WorkflowFatalError',
    `Step config for "${name}" is in a invalid format. See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/`);
  if (config === null || typeof config !== 'object') throw bad();
  const retries = config.retries === undefined ? WF_DEFAULT_RETRIES : config.retries;
  if (retries === null || typeof retries !== 'object' || !Number.isInteger(retries.limit) || retries.limit < 0
    || retries.delay === undefined || !['constant', 'linear', 'exponential', undefined].includes(retries.backoff)) {
    throw bad();
  }
  const timeout = config.timeout === undefined ? WF_DEFAULT_TIMEOUT : config.timeout;
  try {
    if (!(wfDuration(timeout, 'timeout') > 0)) throw bad();
    wfDuration(retries.delay, 'retries.delay');
  } catch {
    throw bad();
  }
  return { retries: { backoff: 'exponential', ...retries }, timeout };
}

// Settles like `promise`, or fails with WorkflowTimeoutError after `ms`.
function wfWithTimeout(promise, ms) {
  const deferred = newDeferred();
  const timer = setTimeout(() => deferred.reject(wfError('WorkflowTimeoutError', `Execution timed out after ${ms}ms`)), ms);
  uponPromise(promise, v => { clearTimeout(timer); deferred.resolve(v); }, e => { clearTimeout(timer); deferred.reject(e); });
  return deferred.promise;
}

class WorkflowStep {
  #exec;
  constructor(exec) { this.#exec = exec; }

  async do(name, config, callback) {
    if (typeof config === 'function' && callback === undefined) {
      callback = config;
      config = {};
    }
    wfCheckName(name);
    if (typeof callback !== 'function') throw wfError('WorkflowFatalError', `Step "${name}" requires a callback function`);
    const settings = wfStepConfig(name, config ?? {});
    const exec = this.#exec;
    exec.countStep();
    const { key, count, row, early } = wfReach(exec, 'do', name);
    if (early !== undefined) return early.value;
    const store = exec.store;
    const attempts = row?.attempts ?? 0;
    if (row?.wake != null && row.wake > Date.now()) return exec.suspend(row.wake);
    // An attempt that began and never ended (the server stopped during it)
    // failed; with no retry left, so does the step.
    if (attempts > settings.retries.limit) {
      const error = wfError('WorkflowInternalError', 'Attempt failed due to internal workflows error');
      store.setStep(key, 'failed', store.encode({ name: error.name, message: error.message }), attempts, null);
      throw error;
    }
    store.setStep(key, 'running', null, attempts + 1, null);
    const context = { step: { name, count }, attempt: attempts + 1, config: settings };
    // The value kept: its structured clone (null when it has none), at
    // most 1 MiB (a larger one fails the attempt, as on Cloudflare).
    let bytes;
    exec.busy++;
    try {
      const result = await wfWithTimeout(promiseResolvedWith(callback(context)), wfDuration(settings.timeout, 'timeout'));
      try {
        bytes = store.encode(result);
      } catch {
        bytes = null;
      }
      if (bytes !== null && bytes.byteLength > WF_MAX_STEP_RESULT) {
        throw wfError('WorkflowInternalError', `Step ${name}-${count} output is too large. Maximum allowed size is 1MiB.`);
      }
    } catch (e) {
      exec.busy--;
      if (exec.stale()) return exec.check();
      if (e?.name === 'NonRetryableError' || attempts + 1 > settings.retries.limit) {
        store.setStep(key, 'failed', store.encode(wfErrorRecord(e)), attempts + 1, null);
        exec.check();
        throw e;
      }
      const wake = Date.now() + wfRetryDelay(settings.retries, attempts + 1);
      store.setStep(key, 'running', null, attempts + 1, wake);
      return exec.suspend(wake);
    }
    exec.busy--;
    if (exec.stale()) return exec.check();
    if (bytes === null) {
      exec.fatal(wfError('WorkflowFatalError',
        `The execution of the Workflow instance was terminated, as the step "${name}" returned a value which is not serialisable`));
      return exec.check();
    }
    store.setStep(key, 'done', bytes, attempts + 1, null);
    exec.check();
    return store.decode(bytes);
  }

  async sleep(name, duration) {
    wfCheckName(name);
    return this.#sleep(name, Date.now() + wfDuration(duration, `step.sleep("${name}")`));
  }

  async sleepUntil(name, timestamp) {
    wfCheckName(name);
    const at = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new TypeError(`step.sleepUntil("${name}"): the time must be a Date or a number of milliseconds since the epoch`);
    }
    return this.#sleep(name, at);
  }

  // A sleep until `wake` (the first time this step is reached; a replay
  // keeps the time it had).
  #sleep(name, wake) {
    const exec = this.#exec;
    const [key] = exec.key('sleep', name);
    const held = exec.hold();
    if (held !== null) return held;
    const row = exec.store.step(key);
    if (row?.state === 'done') return undefined;
    const until = row?.wake ?? wake;
    if (Date.now() >= until) {
      exec.store.setStep(key, 'done', null, 0, until);
      return undefined;
    }
    if (row === null) exec.store.setStep(key, 'waiting', null, 0, until);
    return exec.suspend(until);
  }

  async waitForEvent(name, options) {
    wfCheckName(name);
    const type = options?.type;
    if (typeof type !== 'string' || type === '') throw new TypeError(`step.waitForEvent("${name}"): options.type must be a non-empty string`);
    const timeout = wfDuration(options.timeout ?? WF_DEFAULT_EVENT_TIMEOUT, `step.waitForEvent("${name}") timeout`);
    const exec = this.#exec;
    const { key, row, early } = wfReach(exec, 'event', name);
    if (early !== undefined) return early.value;
    const store = exec.store;
    const event = store.takeEvent(type, key);
    if (event !== null) {
      const bytes = store.encode({ payload: store.decode(event.payload), timestamp: new Date(event.at), type });
      store.setStep(key, 'done', bytes, 0, null);
      return store.decode(bytes);
    }
    const until = row?.wake ?? Date.now() + timeout;
    if (Date.now() >= until) {
      const error = wfError('WorkflowTimeoutError', `Execution timed out after ${timeout}ms`);
      store.setStep(key, 'failed', store.encode(wfErrorRecord(error)), 0, until);
      throw error;
    }
    if (row === null) store.setStep(key, 'waiting', null, 0, until);
    return exec.suspend(until, type);
  }
}
tag(WorkflowStep);

// `{ name, message }` of what a step threw (a thrown non-Error is an
// Error whose message is its text).
function wfErrorRecord(e) {
  if (e instanceof Error || (e !== null && typeof e === 'object' && typeof e.message === 'string')) {
    return { name: String(e.name ?? 'Error'), message: String(e.message) };
  }
  return { name: 'Error', message: String(e) };
}

// Step `kind` `name` of the run `exec` reached: its key, count and row,
// and `early`, `{ value }` to answer at once when it is not to run now (the
// run is held, or the step answered before: see wfKept).
function wfReach(exec, kind, name) {
  const [key, count] = exec.key(kind, name);
  const held = exec.hold();
  if (held !== null) return { key, count, row: null, early: { value: held } };
  const row = exec.store.step(key);
  return { key, count, row, early: wfKept(exec.store, row) };
}

// What the step of `row` answers again when the run is replayed: `{
// value }` when it is done, undefined when it is still to run or wait; a
// failed step throws its error again.
function wfKept(store, row) {
  if (row?.state === 'done') return { value: store.decode(row.value) };
  if (row?.state === 'failed') {
    const record = store.decode(row.value);
    throw wfError(record.name, record.message);
  }
  return undefined;
}
