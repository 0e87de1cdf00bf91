import { suite, eq, throws, rejects } from './harness.js';

export default suite(test => {
  test('request defaults and normalisation', () => {
    const r = new Request('https://example.com/a?b=1');
    eq([r.method, r.url, r.redirect], ['GET', 'https://example.com/a?b=1', 'follow']);
    eq(new Request('https://x.test/', { method: 'post' }).method, 'POST');
    eq(new Request('https://x.test/', { method: 'patch' }).method, 'patch');
    throws(() => new Request('/relative'), TypeError, 'relative URL');
    throws(() => new Request('https://x.test/', { method: 'CONNECT' }), TypeError);
    throws(() => new Request('https://x.test/', { method: 'GET', body: 'x' }), TypeError, 'GET with body');
  });
  test('request bodies are read once', async () => {
    const r = new Request('https://x.test/', { method: 'POST', body: '{"a":1}' });
    eq(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
    const copy = r.clone();
    eq(await r.json(), { a: 1 });
    eq(r.bodyUsed, true);
    await rejects(r.text(), TypeError, 'second read');
    eq(await copy.text(), '{"a":1}');
  });
  test('whole bodies settle once read', async () => {
    const big = new Uint8Array(70000).map((_, i) => i % 251);
    const r = new Response(big);
    big[0] = 99; // the Response holds its own copy
    const out = new Uint8Array(await r.arrayBuffer());
    eq([out.length, out[0], out[69999]], [70000, 0, 69999 % 251]);
    await rejects(r.arrayBuffer(), TypeError, 'second read');
    await rejects(new Response('{').json(), SyntaxError, 'invalid JSON rejects');
    eq(await new Response(null).text(), '');
    eq((await new Request('https://x.test/', { method: 'POST', body: big }).bytes()).length, 70000);
  });
  test('buffer source bodies are copies of the bytes they view', async () => {
    const buf = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
    const fromBuffer = new Response(buf);
    const fromView = new Response(new DataView(buf, 1, 3));
    const fromWide = new Request('https://x.test/', { method: 'POST', body: new Uint16Array(buf, 2, 2) });
    new Uint8Array(buf).fill(0); // each body holds its own copy
    eq(Array.from(await fromBuffer.bytes()), [1, 2, 3, 4, 5, 6]);
    eq(Array.from(await fromView.bytes()), [2, 3, 4]);
    eq(Array.from(await fromWide.bytes()), [3, 4, 5, 6]);
    const view = new Uint8Array(buf, 2);
    const detached = buf.transfer();
    eq(detached.byteLength, 6);
    eq((await new Response(buf).arrayBuffer()).byteLength, 0, 'a detached buffer holds no bytes');
    eq((await new Response(view).arrayBuffer()).byteLength, 0, 'nor does a view of one');
  });
  test('request from request, overriding', async () => {
    const a = new Request('https://x.test/p', { method: 'PUT', headers: { 'x-a': '1' }, body: 'data' });
    const b = new Request(a, { headers: { 'x-b': '2' } });
    eq([b.method, b.url, b.headers.get('x-a'), b.headers.get('x-b')], ['PUT', 'https://x.test/p', null, '2']);
    eq(await b.text(), 'data');
  });
  test('response status and text', async () => {
    const r = new Response('hi', { status: 201, statusText: 'Created', headers: { 'x-y': 'z' } });
    eq([r.status, r.statusText, r.ok, r.headers.get('x-y'), r.type], [201, 'Created', true, 'z', 'default']);
    eq(await r.text(), 'hi');
    throws(() => new Response('x', { status: 99 }), RangeError, 'status 99');
    throws(() => new Response('x', { status: 204 }), TypeError, 'body with 204');
    eq(new Response(null, { status: 204 }).status, 204);
  });
  test('response bodies: bytes, buffers, params, null', async () => {
    eq(Array.from(await new Response(new Uint8Array([1, 2, 3])).bytes()), [1, 2, 3]);
    const buf = await new Response('é').arrayBuffer();
    eq(Array.from(new Uint8Array(buf)), [0xc3, 0xa9]);
    const p = new Response(new URLSearchParams({ a: '1 2' }));
    eq(p.headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
    eq(await p.text(), 'a=1+2');
    eq(await new Response().text(), '');
    eq(new Response().bodyUsed, false);
  });
  test('Response.json, redirect, error, clone', async () => {
    const j = Response.json({ a: [1] }, { status: 202 });
    eq([j.status, j.headers.get('content-type')], [202, 'application/json']);
    eq(await j.clone().json(), { a: [1] });
    eq(await j.text(), '{"a":[1]}');
    const r = Response.redirect('https://x.test/next', 301);
    eq([r.status, r.headers.get('location')], [301, 'https://x.test/next']);
    throws(() => Response.redirect('https://x.test/', 200), RangeError);
    const e = Response.error();
    eq([e.type, e.status], ['error', 0]);
    throws(() => Response.json(undefined), TypeError);
  });
});
