// fetch(): subrequests to the outside world, through the runtime's ops:
// - `fetch(token, method, url, [[name, value]…], body, redirect)` (async)
//   settles with `{ status, statusText, headers, url, redirected, body }`;
//   the host counts it against the event's subrequest limit and applies the
//   server's egress policy;
// - `fetch_abort(token)` cancels the subrequest `token`.
let nextFetchToken = 1;

function fetch(input, init = undefined) {
  return new Promise((resolve, reject) => {
    let request;
    try {
      request = new Request(input, init);
    } catch (e) {
      return reject(e);
    }
    const signal = request.signal;
    if (signal && signal.aborted) return reject(signal.reason);
    const token = nextFetchToken++;
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      op('fetch_abort', token);
      reject(signal.reason);
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      settled = true;
      if (signal) signal.removeEventListener('abort', onAbort);
    };
    sendSubrequest(request, token).then(
      response => { if (!settled) { done(); resolve(response); } },
      error => { if (!settled) { done(); reject(error); } },
    );
  });
}

async function sendSubrequest(request, token) {
  const bodiless = request.method === 'GET' || request.method === 'HEAD';
  const body = bodiless ? null : new Uint8Array(await request.arrayBuffer());
  const headers = [...request.headers];
  const r = await opAsync('fetch', token, request.method, request.url, headers, body, request.redirect);
  const nullBody = NULL_BODY_STATUS.includes(r.status) || request.method === 'HEAD';
  const response = new Response(nullBody ? null : r.body, {
    status: r.status < 200 ? 200 : r.status,
    statusText: r.statusText,
    headers: r.headers,
  });
  setResponseOrigin(response, r.url, r.redirected);
  return response;
}

defineGlobal('fetch', fetch);
