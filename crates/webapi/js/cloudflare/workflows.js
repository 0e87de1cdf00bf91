// A Workflow binding (`env.MY_WORKFLOW`): `create({ id, params })`,
// `createBatch([...])` and `get(id)`, each giving a WorkflowInstance whose
// methods (`status`, `pause`, `resume`, `terminate`, `restart`,
// `sendEvent`) are calls of the instance's engine (workflow_engine.js),
// the object of the Workflow's Durable Object namespace named by the
// instance's id. Ids are checked as Cloudflare checks them.

const WF_ID = /^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$/;
const WF_MAX_ID = 100;
const WF_MAX_BATCH = 100;
const WF_KEY = Symbol('workflow');

function wfCheckId(id) {
  if (typeof id !== 'string' || id.length > WF_MAX_ID || !WF_ID.test(id)) {
    throw wfError('WorkflowError', 'Workflow instance has invalid id');
  }
}

class Workflow {
  #namespace; #name; #steps;
  constructor(key) { if (key !== WF_KEY) throw new TypeError('Illegal constructor'); }
  static make(namespace, name, steps) {
    const w = new Workflow(WF_KEY);
    w.#namespace = namespace;
    w.#name = name;
    w.#steps = steps;
    return w;
  }
  #engine(id) {
    const ns = this.#namespace();
    return ns.get(ns.idFromName(id));
  }
  async create(options = undefined) {
    const id = options?.id ?? crypto.randomUUID();
    wfCheckId(id);
    // In the index first: an instance is never made that get() cannot find.
    await this.#engine(WF_INDEX).add(id);
    const engine = this.#engine(id);
    await engine.create(id, options?.params ?? {}, this.#name, this.#steps);
    return WorkflowInstance.make(id, engine);
  }
  async createBatch(batch) {
    if (!Array.isArray(batch) || batch.length === 0) throw wfError('WorkflowError', 'batchCreate should have at least 1 instance');
    if (batch.length > WF_MAX_BATCH) throw wfError('WorkflowError', `batchCreate takes at most ${WF_MAX_BATCH} instances`);
    for (const options of batch) wfCheckId(options?.id ?? 'x');
    return Promise.all(batch.map(options => this.create(options)));
  }
  async get(id) {
    wfCheckId(id);
    if (!(await this.#engine(WF_INDEX).has(id))) throw new Error('instance.not_found');
    const engine = this.#engine(id);
    if (!(await engine.exists())) throw new Error('instance.not_found');
    return WorkflowInstance.make(id, engine);
  }
}
tag(Workflow);

class WorkflowInstance {
  #engine;
  constructor(key) { if (key !== WF_KEY) throw new TypeError('Illegal constructor'); }
  static make(id, engine) {
    const i = new WorkflowInstance(WF_KEY);
    i.#engine = engine;
    Object.defineProperty(i, 'id', { value: id, enumerable: true });
    return i;
  }
  async status() { return this.#engine.status(); }
  async pause() { await this.#engine.pause(); }
  async resume() { await this.#engine.resume(); }
  async terminate() { await this.#engine.terminate(); }
  async restart() { await this.#engine.restart(); }
  async sendEvent(event) {
    if (event === null || typeof event !== 'object' || typeof event.type !== 'string') {
      throw new TypeError('sendEvent() takes { type, payload }, type a string');
    }
    await this.#engine.sendEvent(event.type, event.payload);
  }
}
tag(WorkflowInstance);

// The binding: `namespace()` gives its Durable Object namespace; `data`
// is what the host gave for it ({ name, steps }).
function makeWorkflow(namespace, data) {
  return Workflow.make(namespace, data.name, data.steps ?? WF_DEFAULT_STEP_LIMIT);
}

// What durable.js makes for the object class `workflow:NAME` of `module`
// (undefined when the module exports no such class).
function workflowClassOf(module, name) {
  const cls = module[name];
  return typeof cls === 'function' ? workflowEngineClass(cls) : undefined;
}
