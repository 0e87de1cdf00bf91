// Drives the Cache API for the tests: POST /op with one operation as JSON,
// answered with `{ result }` or `{ error: { name, message } }`.
//
//   { op: 'put', cache?, url, method?, requestHeaders?, status?, headers?,
//     body?, repeat? }                  -> undefined
//   { op: 'match', cache?, url, method?, requestHeaders?, ignoreMethod? }
//                                       -> { status, headers, body } | 'miss'
//   { op: 'delete', cache?, url, method?, ignoreMethod? } -> boolean
//   { op: 'putUsedBody' | 'add' | 'newCache' }
//
// `cache` names a cache for caches.open(); without it, caches.default.
// `repeat` repeats `body` that many times (large bodies without large
// requests).

async function cacheOf(name) {
  return name === undefined ? caches.default : caches.open(name);
}

function requestOf(o) {
  return new Request(o.url, { method: o.method || 'GET', headers: o.requestHeaders || {} });
}

async function run(o) {
  const cache = await cacheOf(o.cache);
  switch (o.op) {
    case 'put': {
      const body = o.body === undefined ? null : o.body.repeat(o.repeat ?? 1);
      const response = new Response(body, { status: o.status ?? 200, headers: o.headers || {} });
      return cache.put(requestOf(o), response);
    }
    case 'putString':
      return cache.put(o.url, new Response(o.body, { headers: o.headers || {} }));
    case 'match': {
      const found = await cache.match(requestOf(o), { ignoreMethod: o.ignoreMethod });
      if (found === undefined) return 'miss';
      return { status: found.status, headers: Object.fromEntries(found.headers), body: await found.text() };
    }
    case 'delete':
      return cache.delete(requestOf(o), { ignoreMethod: o.ignoreMethod });
    case 'putUsedBody': {
      const response = new Response('x');
      await response.text();
      return cache.put(o.url, response);
    }
    case 'putStream': {
      // A streamed body is read whole before the put settles.
      const chunks = ['one ', 'two ', 'three'];
      const stream = new ReadableStream({
        pull(c) {
          if (chunks.length) c.enqueue(new TextEncoder().encode(chunks.shift()));
          else c.close();
        },
      });
      const response = new Response(stream, { headers: { 'cache-control': 'max-age=60' } });
      await cache.put(o.url, response);
      return response.bodyUsed;
    }
    case 'add':
      return cache.add(o.url);
    case 'newCache':
      return new Cache();
    case 'kinds':
      return [String(caches), String(caches.default), typeof CacheStorage, caches.default === caches.default];
    default:
      throw new Error(`no op ${o.op}`);
  }
}

export default {
  async fetch(request) {
    const o = await request.json();
    try {
      return Response.json({ result: (await run(o)) ?? null });
    } catch (e) {
      return Response.json({ error: { name: e.name, message: e.message } });
    }
  },
};
