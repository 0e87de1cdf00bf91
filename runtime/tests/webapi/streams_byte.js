import { suite, eq, throws, rejects } from './harness.js';

function bytesSource(chunks) {
  return new ReadableStream({
    type: 'bytes',
    pull(c) {
      const next = chunks.shift();
      if (next === undefined) {
        c.close();
        if (c.byobRequest) c.byobRequest.respond(0);
      } else {
        c.enqueue(new Uint8Array(next));
      }
    },
  });
}

export default suite(test => {
  test('a byte stream read with a default reader', async () => {
    const reader = bytesSource([[1, 2], [3]]).getReader();
    const a = await reader.read();
    eq([a.value instanceof Uint8Array, Array.from(a.value)], [true, [1, 2]]);
    eq(Array.from((await reader.read()).value), [3]);
    eq((await reader.read()).done, true);
  });
  test('BYOB reads fill the given buffer, across chunks', async () => {
    const reader = bytesSource([[1, 2], [3, 4, 5], [6]]).getReader({ mode: 'byob' });
    eq(reader instanceof ReadableStreamBYOBReader, true);
    let r = await reader.read(new Uint8Array(4));
    eq(Array.from(r.value), [1, 2]);
    r = await reader.read(new Uint8Array(4), { min: 4 });
    eq(Array.from(r.value), [3, 4, 5, 6], 'min gathers several chunks');
    r = await reader.read(new Uint8Array(4));
    eq([r.done, r.value.byteLength], [true, 0]);
  });
  test('BYOB read with a bigger element type', async () => {
    const reader = bytesSource([[1, 0, 2, 0, 3]]).getReader({ mode: 'byob' });
    const r = await reader.read(new Uint16Array(2));
    eq([r.value.constructor.name, Array.from(r.value)], ['Uint16Array', [1, 2]]);
    const rest = await reader.read(new Uint8Array(2));
    eq(Array.from(rest.value), [3]);
  });
  test('byobRequest.respond writes into the reader buffer', async () => {
    const rs = new ReadableStream({
      type: 'bytes',
      pull(c) {
        const req = c.byobRequest;
        eq(req instanceof ReadableStreamBYOBRequest, true);
        req.view[0] = 42;
        req.view[1] = 43;
        req.respond(2);
        throws(() => req.respond(1), TypeError, 'second respond');
      },
    });
    const r = await rs.getReader({ mode: 'byob' }).read(new Uint8Array(8));
    eq(Array.from(r.value), [42, 43]);
  });
  test('autoAllocateChunkSize gives default readers a byobRequest', async () => {
    const rs = new ReadableStream({
      type: 'bytes',
      autoAllocateChunkSize: 16,
      pull(c) {
        eq(c.byobRequest.view.byteLength, 16);
        c.byobRequest.view[0] = 7;
        c.byobRequest.respond(1);
      },
    });
    eq(Array.from((await rs.getReader().read()).value), [7]);
    throws(() => new ReadableStream({ type: 'bytes', autoAllocateChunkSize: 0 }), TypeError, 'zero');
  });
  test('bad input to byte streams', async () => {
    let controller;
    const rs = new ReadableStream({ type: 'bytes', start(c) { controller = c; } });
    throws(() => controller.enqueue('str'), TypeError, 'not a view');
    throws(() => controller.enqueue(new Uint8Array(0)), TypeError, 'empty view');
    throws(() => new ReadableStream().getReader({ mode: 'byob' }), TypeError, 'BYOB on a default stream');
    throws(() => rs.getReader({ mode: 'other' }), TypeError, 'bad mode');
    const reader = rs.getReader({ mode: 'byob' });
    await rejects(reader.read(), TypeError, 'no view');
    await rejects(reader.read(new Uint8Array(0)), TypeError, 'empty view');
    await rejects(reader.read(new Uint8Array(2), { min: 0 }), TypeError, 'min 0');
    await rejects(reader.read(new Uint8Array(2), { min: 3 }), RangeError, 'min too big');
  });
  test('tee of a byte stream, one branch read with BYOB', async () => {
    const [a, b] = bytesSource([[1, 2, 3], [4]]).tee();
    const ra = a.getReader({ mode: 'byob' });
    const got = await ra.read(new Uint8Array(10));
    eq(Array.from(got.value), [1, 2, 3]);
    const all = [];
    for await (const chunk of b) all.push(...chunk);
    eq(all, [1, 2, 3, 4]);
    eq(Array.from((await ra.read(new Uint8Array(10))).value), [4]);
  });
  test('closing in the middle of an element errors', async () => {
    const rs = new ReadableStream({
      type: 'bytes',
      start(c) { c.enqueue(new Uint8Array([1])); c.close(); },
    });
    const reader = rs.getReader({ mode: 'byob' });
    await rejects(reader.read(new Uint16Array(1)), TypeError);
  });
});
