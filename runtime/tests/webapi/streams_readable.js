import { suite, eq, throws, rejects } from './harness.js';

async function collect(stream) {
  const out = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

export default suite(test => {
  test('globals and brand checks', () => {
    for (const name of ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamDefaultController',
      'ReadableByteStreamController', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest']) {
      eq(typeof globalThis[name], 'function', name);
    }
    throws(() => ReadableStreamDefaultController.prototype.enqueue.call({}, 1), TypeError, 'controller brand');
    throws(() => new ReadableStreamDefaultController(), TypeError, 'illegal constructor');
    throws(() => Object.getOwnPropertyDescriptor(ReadableStream.prototype, 'locked').get.call({}), TypeError);
    eq(Object.prototype.toString.call(new ReadableStream()), '[object ReadableStream]');
  });
  test('bad underlying sources and strategies', () => {
    throws(() => new ReadableStream({ start: 1 }), TypeError, 'start not a function');
    throws(() => new ReadableStream({ type: 'nope' }), TypeError, 'bad type');
    throws(() => new ReadableStream({}, { highWaterMark: -1 }), RangeError, 'negative hwm');
    throws(() => new ReadableStream({}, { highWaterMark: NaN }), RangeError, 'NaN hwm');
    throws(() => new ReadableStream({}, { size: 5 }), TypeError, 'size not a function');
    throws(() => new ReadableStream({ type: 'bytes' }, { size: () => 1 }), RangeError, 'byte stream with size');
    throws(() => new ReadableStream({ start() { throw new RangeError('x'); } }), RangeError, 'start throws');
  });
  test('enqueue, read, close', async () => {
    let controller;
    const rs = new ReadableStream({ start(c) { controller = c; } });
    eq(controller.desiredSize, 1);
    controller.enqueue('a');
    eq(controller.desiredSize, 0);
    controller.enqueue('b');
    controller.close();
    throws(() => controller.enqueue('c'), TypeError, 'enqueue after close');
    const reader = rs.getReader();
    eq(rs.locked, true);
    throws(() => rs.getReader(), TypeError, 'second reader');
    eq(await reader.read(), { value: 'a', done: false });
    eq(await reader.read(), { value: 'b', done: false });
    eq(await reader.read(), { done: true });
    await reader.closed;
    reader.releaseLock();
    eq(rs.locked, false);
  });
  test('pull is called on demand and respects the high-water mark', async () => {
    let pulls = 0;
    const rs = new ReadableStream({
      pull(c) { pulls++; c.enqueue(pulls); if (pulls === 3) c.close(); },
    }, { highWaterMark: 0 });
    await Promise.resolve();
    eq(pulls, 0, 'no pull before a read');
    eq(await collect(rs), [1, 2, 3]);
  });
  test('errors reach readers and cancel reaches the source', async () => {
    const boom = new Error('boom');
    const rs = new ReadableStream({ start(c) { c.error(boom); } });
    const reader = rs.getReader();
    const e = await rejects(reader.read(), Error);
    eq(e === boom, true, 'the same error');
    let reason;
    const rs2 = new ReadableStream({ cancel(r) { reason = r; } });
    await rs2.cancel('why');
    eq(reason, 'why');
    const locked = new ReadableStream();
    locked.getReader();
    await rejects(locked.cancel(), TypeError, 'cancel of a locked stream');
  });
  test('releaseLock rejects pending reads', async () => {
    const rs = new ReadableStream();
    const reader = rs.getReader();
    const pending = reader.read();
    reader.releaseLock();
    await rejects(pending, TypeError, 'pending read');
    await rejects(reader.closed, TypeError, 'closed after release');
    await rejects(reader.read(), TypeError, 'read after release');
  });
  test('size strategy and CountQueuingStrategy', async () => {
    let controller;
    new ReadableStream({ start(c) { controller = c; } }, new CountQueuingStrategy({ highWaterMark: 3 }));
    eq(controller.desiredSize, 3);
    controller.enqueue(1);
    eq(controller.desiredSize, 2);
    let c2;
    new ReadableStream({ start(c) { c2 = c; } }, { highWaterMark: 10, size: s => s.length });
    c2.enqueue('abcd');
    eq(c2.desiredSize, 6);
    let c3;
    const bad = new ReadableStream({ start(c) { c3 = c; } }, { size: () => -1 });
    throws(() => c3.enqueue('x'), RangeError, 'negative size');
    await rejects(bad.getReader().read(), RangeError, 'the stream errored');
  });
  test('queuing strategies', () => {
    const b = new ByteLengthQueuingStrategy({ highWaterMark: 16 });
    eq(b.highWaterMark, 16);
    eq(b.size(new Uint8Array(5)), 5);
    eq(b.size === new ByteLengthQueuingStrategy({ highWaterMark: 1 }).size, true, 'shared size function');
    const c = new CountQueuingStrategy({ highWaterMark: 2 });
    eq([c.highWaterMark, c.size(), c.size.name], [2, 1, 'size']);
    throws(() => new CountQueuingStrategy(), TypeError, 'no init');
    throws(() => new ByteLengthQueuingStrategy({}), TypeError, 'no highWaterMark');
  });
  test('tee gives both branches every chunk', async () => {
    const rs = ReadableStream.from(['a', 'b', 'c']);
    const [x, y] = rs.tee();
    eq(rs.locked, true);
    const [cx, cy] = await Promise.all([collect(x), collect(y)]);
    eq([cx, cy], [['a', 'b', 'c'], ['a', 'b', 'c']]);
  });
  test('tee cancels the source only when both branches cancel', async () => {
    let reason;
    const rs = new ReadableStream({ cancel(r) { reason = r; } });
    const [x, y] = rs.tee();
    x.cancel('one');
    await Promise.resolve();
    eq(reason, undefined, 'not yet');
    await y.cancel('two');
    eq(reason, ['one', 'two']);
  });
  test('async iteration, break cancels unless preventCancel', async () => {
    let cancelled = 0;
    const make = () => new ReadableStream({
      pull(c) { c.enqueue(1); },
      cancel() { cancelled++; },
    });
    const a = make();
    for await (const v of a) { eq(v, 1); break; }
    eq([cancelled, a.locked], [1, false]);
    const b = make();
    for await (const v of b.values({ preventCancel: true })) { eq(v, 1); break; }
    eq([cancelled, b.locked], [1, false]);
    const it = ReadableStream.from([1])[Symbol.asyncIterator]();
    eq(await it.next(), { value: 1, done: false });
    eq(await it.next(), { done: true });
    eq(Object.prototype.toString.call(it), '[object ReadableStream AsyncIterator]');
  });
  test('ReadableStream.from iterables, async iterables and errors', async () => {
    eq(await collect(ReadableStream.from('hi')), ['h', 'i']);
    async function* gen() { yield 1; await null; yield 2; }
    eq(await collect(ReadableStream.from(gen())), [1, 2]);
    throws(() => ReadableStream.from(5), TypeError, 'not iterable');
    throws(() => ReadableStream.from(null), TypeError, 'null');
    const failing = ReadableStream.from({ [Symbol.asyncIterator]() { return { next() { throw new SyntaxError('x'); } }; } });
    await rejects(failing.getReader().read(), SyntaxError, 'next throws');
    let returned = false;
    const it = { [Symbol.iterator]() { return { next: () => ({ value: 1, done: false }), return() { returned = true; return {}; } }; } };
    const s = ReadableStream.from(it);
    const r = s.getReader();
    await r.read();
    await r.cancel('stop');
    eq(returned, true, 'cancel calls return');
  });
});
