// The built-in module `cloudflare:workers`: re-exports what the prelude's
// `cloudflare/workers` group makes (cloudflare/workers.js), reached through
// a registered symbol on the global object.
const workers = globalThis[Symbol.for('motu.cloudflare:workers')];
export const {
  env, exports, waitUntil, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, RpcStub,
} = workers;
export default {
  env, exports, waitUntil, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, RpcStub,
};
