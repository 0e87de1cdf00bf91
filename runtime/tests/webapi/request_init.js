// The RequestInit members a browser acts on: defaults, validation, copying
// from an input Request and clone(); the body mixin's place and its reads
// that a `then` on Object.prototype cannot intercept; run with the base URL
// http://127.0.0.1:9/dir/page?q (referrers of that origin are kept) and
// env.ECHO, a Worker that answers with the request headers it received.
import { suite, eq, throws, rejects } from './harness.js';

export default suite(test => {
  test('defaults of a new Request', () => {
    const r = new Request('https://example.com/');
    eq([r.mode, r.credentials, r.cache, r.redirect], ['cors', 'same-origin', 'default', 'follow']);
    eq([r.referrer, r.referrerPolicy, r.integrity, r.destination], ['about:client', '', '', '']);
    eq([r.keepalive, r.isReloadNavigation, r.isHistoryNavigation], [false, false, false]);
  });
  test('members are kept, copied from an input Request and by clone()', () => {
    const init = {
      mode: 'same-origin', credentials: 'include', cache: 'only-if-cached', referrer: '/from',
      referrerPolicy: 'no-referrer', integrity: 'sha256-abc', keepalive: true, priority: 'high',
    };
    const r = new Request('https://example.com/', init);
    const expected = ['same-origin', 'include', 'only-if-cached', 'http://127.0.0.1:9/from', 'no-referrer', 'sha256-abc', true];
    const members = x => [x.mode, x.credentials, x.cache, x.referrer, x.referrerPolicy, x.integrity, x.keepalive];
    eq(members(r), expected);
    eq(members(new Request(r)), expected);
    eq(members(r.clone()), expected);
    // A non-empty init resets the referrer and its policy, keeps the rest.
    const changed = new Request(r, { method: 'POST', body: 'x' });
    eq(members(changed), ['same-origin', 'include', 'only-if-cached', 'about:client', '', 'sha256-abc', true]);
  });
  test('referrer: empty is no referrer, another origin is the client', () => {
    eq(new Request('https://example.com/', { referrer: '' }).referrer, '');
    eq(new Request('https://example.com/', { referrer: 'https://other.example/' }).referrer, 'about:client');
    eq(new Request('https://example.com/', { referrer: 'about:client' }).referrer, 'about:client');
    throws(() => new Request('https://example.com/', { referrer: 'http://[bad' }), TypeError, 'bad referrer URL');
  });
  test('invalid values are a TypeError', () => {
    const url = 'https://example.com/';
    for (const [k, v] of [['mode', 'nope'], ['credentials', 'cors'], ['cache', 'stale'], ['redirect', 'x'],
      ['referrerPolicy', 'sometimes'], ['priority', 'urgent'], ['duplex', 'full']]) {
      throws(() => new Request(url, { [k]: v }), TypeError, `${k}: ${v}`);
    }
    throws(() => new Request(url, { mode: 'navigate' }), TypeError, 'navigate mode');
    throws(() => new Request(url, { cache: 'only-if-cached' }), TypeError, 'only-if-cached needs same-origin');
    throws(() => new Request(url, { mode: 'no-cors', method: 'PUT' }), TypeError, 'no-cors needs a simple method');
    throws(() => new Request(url, { window: {} }), TypeError, 'window');
    throws(() => new Request('https://user:pw@example.com/'), TypeError, 'credentials in the URL');
    throws(() => new Request(url, { method: 'POST', keepalive: true, body: new ReadableStream(), duplex: 'half' }),
      TypeError, 'keepalive with a stream body');
    eq(new Request(url, { window: null, mode: 'no-cors', method: 'post' }).mode, 'no-cors');
  });
  test('RequestInit members are read once each, in lexicographic order', () => {
    const seen = [];
    const init = new Proxy({ method: 'GET', cache: 'no-store' }, {
      get(target, key) { if (typeof key === 'string') seen.push(key); return target[key]; },
    });
    eq(new Request('https://example.com/', init).cache, 'no-store');
    // `cf` is Cloudflare's member.
    eq(seen, ['body', 'cache', 'cf', 'credentials', 'duplex', 'headers', 'integrity', 'keepalive', 'method', 'mode',
      'priority', 'redirect', 'referrer', 'referrerPolicy', 'signal', 'window']);
  });
  test('fetch() refuses only-if-cached before sending', async () => {
    await rejects(fetch('http://127.0.0.1:9/', { mode: 'same-origin', cache: 'only-if-cached' }), TypeError);
    await rejects(fetch('https://example.com/', { priority: 'urgent' }), TypeError);
  });
  test('the body members live on Request.prototype and Response.prototype (a mixin)', () => {
    for (const cls of [Request, Response]) {
      eq(Object.getPrototypeOf(cls.prototype), Object.prototype, `${cls.name}.prototype's prototype`);
      eq(Object.getPrototypeOf(cls), Function.prototype, `${cls.name}'s prototype`);
      for (const key of ['body', 'bodyUsed', 'arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text']) {
        eq(Object.hasOwn(cls.prototype, key), true, `${cls.name}.prototype.${key}`);
        eq(Object.getOwnPropertyDescriptor(cls.prototype, key).enumerable, true, `${cls.name}.prototype.${key} enumerable`);
      }
    }
    throws(() => Request.prototype.text.call({}), TypeError, 'text on a plain object');
    throws(() => Object.getOwnPropertyDescriptor(Response.prototype, 'bodyUsed').get.call({}), TypeError, 'bodyUsed');
  });
  test('bodies still work through the mixin', async () => {
    eq(await new Request('https://example.com/', { method: 'POST', body: 'hi' }).text(), 'hi');
    const r = new Response('{"a":1}');
    eq(await r.clone().json(), { a: 1 });
    eq(r.bodyUsed, false);
    eq(await r.bytes(), new TextEncoder().encode('{"a":1}'));
    eq(r.bodyUsed, true);
  });
  test('a then on Object.prototype cannot intercept a body being read', async () => {
    const stream = () => new ReadableStream({
      start(c) { c.enqueue(new TextEncoder().encode('hello')); c.close(); },
    });
    const hijacked = [];
    try {
      Object.prototype.then = function (resolve) { hijacked.push(this); delete Object.prototype.then; resolve('bye'); };
      const text = new Response(stream()).text();
      const whole = new Response('whole').text();
      delete Object.prototype.then;
      eq([await text, await whole], ['hello', 'whole']);
    } finally {
      delete Object.prototype.then;
    }
    eq(hijacked.length, 0, 'then was called on an internal object');
  });
  test("aborting after the response arrived errors its unread body with the signal's reason", async () => {
    const c = new AbortController();
    const r = await fetch('data:text/plain,hello', { signal: c.signal });
    c.abort();
    await rejects(r.text(), DOMException, 'text() after abort');
    const reason = new Error('stop');
    const c2 = new AbortController();
    const r2 = await fetch('data:text/plain,hello', { signal: c2.signal });
    c2.abort(reason);
    let got;
    try { await r2.arrayBuffer(); } catch (e) { got = e; }
    eq(got === reason, true, 'the abort reason itself');
  });
  test("a cache mode adds the Fetch standard's request headers", async env => {
    const sent = async init => Object.fromEntries(await (await env.ECHO.fetch('http://echo/', init)).json());
    const plain = await sent({});
    eq([plain['cache-control'], plain.pragma], [undefined, undefined], 'default');
    for (const cache of ['no-store', 'reload']) {
      const h = await sent({ cache });
      eq([h['cache-control'], h.pragma], ['no-cache', 'no-cache'], cache);
    }
    const h = await sent({ cache: 'no-cache' });
    eq([h['cache-control'], h.pragma], ['max-age=0', undefined], 'no-cache');
    const own = await sent({ cache: 'no-store', headers: { 'cache-control': 'max-age=5' } });
    eq([own['cache-control'], own.pragma], ['max-age=5', 'no-cache'], "the Worker's own header is kept");
    eq((await sent({ cache: 'force-cache', mode: 'no-cors', credentials: 'omit', integrity: 'sha256-x' }))['cache-control'],
      undefined, 'force-cache and the ignored members');
  });
  test('fetch() with an aborted signal cancels a request body stream at once', async () => {
    const c = new AbortController();
    c.abort();
    let cancelled;
    const body = new ReadableStream({ cancel(reason) { cancelled = reason; } });
    const p = fetch('https://example.com/', { method: 'POST', body, duplex: 'half', signal: c.signal });
    eq(cancelled instanceof DOMException && cancelled.name, 'AbortError', 'cancelled synchronously');
    eq(await p.catch(e => e) === cancelled, true, 'rejects with the same reason');
  });
});
