// The built-in module `cloudflare:node`: hands a Worker's requests to a
// node:http server of the same Worker (node/http_server.js), found by the
// port it listens on. `httpServerHandler(port | { port } | server)` makes a
// Worker's default export (`{ fetch }`); `handleAsNodeRequest(port |
// { port }, request, env, ctx)` answers one request. The servers are reached
// through a registered symbol that exists only with nodejs_compat: without
// it no server listens, and each request fails saying so.

function validPort(port) {
  if (!Number.isFinite(port) || port < 0 || port > 65535) {
    throw new Error('Failed to determine port for server');
  }
  return port;
}

function serverOn(port) {
  const find = globalThis[Symbol.for('motu.httpServers')];
  return typeof find === 'function' ? find(port) : undefined;
}

export async function handleAsNodeRequest(desc, request, env, ctx) {
  const port = validPort(typeof desc === 'number' ? desc : desc?.port);
  const server = serverOn(port);
  if (server === undefined) {
    const error = new Error(`Http server with port ${port} not found. This is likely a bug with your code. `
      + `You should check if server.listen() was called with the same port (${port})`);
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
  return await server.fetch(request, env, ctx);
}

export function httpServerHandler(desc) {
  if (desc === null || desc === undefined) throw new Error('Server descriptor cannot be null or undefined');
  let port = typeof desc === 'number' ? desc : desc.port;
  // A server itself: its port, listening first if it does not yet.
  if ((port === undefined || port === null) && typeof desc.listen === 'function') {
    port = desc.address()?.port;
    if (typeof port !== 'number') {
      desc.listen();
      port = desc.address()?.port;
    }
  }
  port = validPort(port);
  return {
    async fetch(request, env, ctx) {
      return await handleAsNodeRequest(port, request, env, ctx);
    },
  };
}

export default { httpServerHandler, handleAsNodeRequest };
