// The built-in module `cloudflare:sockets`: re-exports `connect` of the
// prelude's `cloudflare/sockets` group (cloudflare/sockets.js), reached
// through a registered symbol on the global object.
const sockets = globalThis[Symbol.for('motu.cloudflare:sockets')];
export const { connect } = sockets;
export default { connect };
